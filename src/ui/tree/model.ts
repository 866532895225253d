/**
 * What the live tree shows, folded from the runner's events: the run, its batches, each node and
 * each step with its state and times, what a waiting step waits for, a node's rollback and its
 * cordon. Pure: events in, state out (times from the events, so a test can replay a run).
 */
import type { NodeOutcome, RunBudget, RunEvent, RunResumeEvent, RunStartEvent } from '../../runner/events.js';
import { FAILED_OUTCOMES } from '../../runner/summary.js';
import type { CordonState } from '../../steps/types.js';
import { firstLine } from '../words.js';

export type StepState = 'pending' | 'running' | 'ok' | 'changed' | 'skipped' | 'failed' | 'not-run';

export interface StepView {
  id: string;
  /** Its name on this node (vars substituted), with the host it runs on when that is not the node. */
  label: string;
  state: StepState;
  /** ok / changed: what it did; skipped: why; not-run: why. */
  detail?: string;
  error?: string;
  start?: number;
  end?: number;
  waitingFor?: string;
  retrying?: string;
}

export interface RollbackView {
  to: 'checkpoint' | 'start';
  steps: string[];
  undone: string[];
  failed: string[];
  status?: 'rolled-back' | 'rollback-failed';
}

export type NodeState = 'pending' | 'running' | NodeOutcome;

export interface NodeView {
  host: string;
  state: NodeState;
  start?: number;
  end?: number;
  error?: string;
  steps: StepView[];
  rollback?: RollbackView;
  cordon?: CordonState;
}

export type BatchState = 'pending' | 'running' | 'done';

export interface BatchView {
  index: number;
  hosts: string[];
  state: BatchState;
  start?: number;
  end?: number;
}

export interface TreeModel {
  runId: string;
  playbookName: string;
  resumed: boolean;
  start: number;
  steps: RunStartEvent['steps'];
  batches: BatchView[];
  /** The last batch is a window of at most this many nodes at once. */
  window?: number;
  budget?: RunBudget;
  nodes: Map<string, NodeView>;
  /** Set when the pass ended (run.summary). */
  end?: number;
  status?: 'succeeded' | 'failed' | 'interrupted';
  /** Why no new node starts (budget, onFailure: stop, the operator). */
  stopped?: string;
  /** Waiting for the operator to confirm the next batch. */
  confirming?: number;
}

type Shape = Pick<RunStartEvent, 'hosts' | 'batches' | 'window' | 'steps' | 'runId' | 'budget'>;

function time(ts: string): number {
  const t = Date.parse(ts);
  return Number.isFinite(t) ? t : Date.now();
}

/** A fresh model from run.start (or run.resume, with the playbook's name known from elsewhere). */
export function newTreeModel(e: RunStartEvent | RunResumeEvent, playbookName = ''): TreeModel {
  const shape: Shape = e;
  const model: TreeModel = {
    runId: shape.runId,
    playbookName: e.type === 'run.start' ? e.playbookName : playbookName,
    resumed: e.type === 'run.resume',
    start: time(e.ts),
    steps: shape.steps,
    batches: shape.batches.map((hosts, i) => ({ index: i + 1, hosts, state: 'pending' })),
    ...(shape.window !== undefined ? { window: shape.window } : {}),
    ...(shape.budget ? { budget: shape.budget } : {}),
    nodes: new Map(),
  };
  // A name with a node's vars in it is only known once the step starts there: until then, its id.
  for (const host of shape.hosts) {
    model.nodes.set(host, { host, state: 'pending', steps: shape.steps.map((s) => ({ id: s.id, label: s.name === s.uses || s.name.includes('{{') ? s.id : s.name, state: 'pending' })) });
  }
  return model;
}

function stepOf(model: TreeModel, host: string, id: string): StepView | undefined {
  return model.nodes.get(host)?.steps.find((s) => s.id === id);
}

/** Folds one event into the model. */
export function applyTreeEvent(model: TreeModel, e: RunEvent): void {
  switch (e.type) {
    case 'batch.pause':
      if (e.pause === 'confirm') model.confirming = e.batch;
      break;
    case 'batch.start': {
      delete model.confirming;
      const b = model.batches[e.batch - 1];
      if (b) Object.assign(b, { state: 'running', start: time(e.ts) });
      break;
    }
    case 'batch.end': {
      const b = model.batches[e.batch - 1];
      if (b) Object.assign(b, { state: 'done', end: time(e.ts) });
      break;
    }
    case 'node.start': {
      const n = model.nodes.get(e.host);
      if (n) Object.assign(n, { state: 'running', start: time(e.ts) });
      break;
    }
    case 'step.start': {
      const s = stepOf(model, e.host, e.step);
      if (!s) break;
      const base = e.name !== undefined && e.name !== model.steps.find((x) => x.id === e.step)?.uses ? e.name : s.label;
      Object.assign(s, { state: 'running', start: time(e.ts), label: e.via ? `${base} (on ${e.via})` : base });
      delete s.waitingFor;
      delete s.retrying;
      break;
    }
    case 'step.wait': {
      const s = stepOf(model, e.host, e.step);
      if (s) s.waitingFor = e.for;
      break;
    }
    case 'step.retry': {
      const s = stepOf(model, e.host, e.step);
      if (s) s.retrying = `attempt ${e.attempt} failed: ${firstLine(e.error)}`;
      break;
    }
    case 'step.done': {
      const s = stepOf(model, e.host, e.step);
      if (!s) break;
      const end = time(e.ts);
      const said = e.result ?? e.summary;
      Object.assign(s, { state: e.status, detail: e.resumed ? `done before; re-checked${said ? `: ${said}` : ''}` : said, start: s.start ?? end - e.durationMs, end });
      delete s.waitingFor;
      delete s.retrying;
      if (e.cordon) {
        const n = model.nodes.get(e.host);
        if (n) n.cordon = e.cordon;
      }
      break;
    }
    case 'step.failed': {
      const s = stepOf(model, e.host, e.step);
      if (!s) break;
      const error = e.error.startsWith(`${e.host}: `) ? e.error.slice(e.host.length + 2) : e.error;
      Object.assign(s, { state: 'failed', error: error.trimEnd(), end: time(e.ts), start: s.start ?? time(e.ts) - e.durationMs });
      delete s.waitingFor;
      delete s.retrying;
      break;
    }
    case 'rollback.start': {
      const n = model.nodes.get(e.host);
      if (n) n.rollback = { to: e.to, steps: e.steps, undone: [], failed: [] };
      break;
    }
    case 'rollback.step.done': {
      const n = model.nodes.get(e.host);
      n?.rollback?.undone.push(e.step);
      if (n && e.cordon) n.cordon = e.cordon;
      break;
    }
    case 'rollback.step.failed':
      model.nodes.get(e.host)?.rollback?.failed.push(e.step);
      break;
    case 'rollback.end': {
      const r = model.nodes.get(e.host)?.rollback;
      if (r) r.status = e.status;
      break;
    }
    case 'node.skipped': {
      const n = model.nodes.get(e.host);
      if (n) Object.assign(n, { state: 'skipped', error: e.reason });
      break;
    }
    case 'node.end': {
      const n = model.nodes.get(e.host);
      if (!n) break;
      Object.assign(n, { state: e.status, end: time(e.ts) });
      if (e.error) n.error = e.error;
      const why = e.status === 'done' ? 'not run' : 'not run (node failed)';
      for (const s of n.steps) if (s.state === 'pending' || s.state === 'running') Object.assign(s, { state: 'not-run', detail: why });
      break;
    }
    case 'run.summary':
      model.end = time(e.ts);
      model.status = e.status;
      if (e.stopped) model.stopped = e.stopped;
      delete model.confirming;
      for (const [host, n] of model.nodes) {
        if (e.cordoned?.[host]) n.cordon = e.cordoned[host];
      }
      break;
    default:
      break;
  }
}

/** The nodes by where they stand: for the header. */
export function nodeCounts(model: TreeModel): { done: number; running: number; failed: number; pending: number; other: number; total: number } {
  const c = { done: 0, running: 0, failed: 0, pending: 0, other: 0, total: model.nodes.size };
  for (const n of model.nodes.values()) {
    if (n.state === 'done') c.done++;
    else if (n.state === 'running') c.running++;
    else if (n.state === 'pending') c.pending++;
    else if (FAILED_OUTCOMES.includes(n.state)) c.failed++;
    else c.other++;
  }
  return c;
}
