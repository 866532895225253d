/**
 * A run's report as data: what went in, how it ended, and per node a timeline of its steps
 * (running and waiting apart), the diffs it applied, the versions it changed, its rollbacks,
 * its cordon, and what to do next. Pure: the journal's events in, the report out; the HTML,
 * Markdown and JSON renderings are made from this alone.
 */
import { journalState, cordonedNodes } from '../runner/journal-state.js';
import type {
  Counts,
  NodeOutcome,
  RunBudget,
  RunEvent,
  RunInputs,
  RunOperator,
  RunStartEvent,
  RunSummaryEvent,
} from '../runner/events.js';
import { FAILED_OUTCOMES } from '../runner/summary.js';
import type { CordonState, VersionChange } from '../steps/types.js';
import { msBetween } from '../time-text.js';
import type { DoctorSnapshot } from '../runner/doctor-store.js';

export const REPORT_VERSION = 1;

export type StepMark = 'ok' | 'changed' | 'skipped' | 'failed' | 'running';

/** One time a step ran on a node: a bar in its lane. */
export interface StepBar {
  step: string;
  name: string;
  /** Which pass of the run (1: the run, 2 and on: resumes). Not `pass`: a key named so reads as a password and is redacted. */
  passNumber: number;
  start: string;
  /** Absent: the journal ends while it ran (crash, kill, or still going). */
  end?: string;
  durationMs: number;
  status: StepMark;
  summary?: string;
  error?: string;
  attempts: number;
  /** Done in an earlier pass; only re-checked in this one. */
  resumed?: boolean;
  /** The node was waiting in these spans (a blocked drain, a gate): not running work. */
  waits: Array<{ start: string; end: string; for: string }>;
  diff?: string;
  versions?: VersionChange[];
}

export interface RollbackRecord {
  start: string;
  end?: string;
  to: 'checkpoint' | 'start';
  reason: string;
  /** The steps it undid (or failed to), in the order it undid them. */
  steps: Array<{ step: string; undone: boolean; error?: string }>;
  status?: 'rolled-back' | 'rollback-failed';
}

export interface NodeReport {
  host: string;
  status: NodeOutcome;
  error?: string;
  start?: string;
  end?: string;
  durationMs: number;
  /** How long its steps waited, of durationMs. */
  waitingMs: number;
  bars: StepBar[];
  rollbacks: RollbackRecord[];
  /** Every diff it applied, in order (a later rollback may have undone some: see rollbacks). */
  diffs: Array<{ step: string; diff: string }>;
  versions: Array<VersionChange & { step: string }>;
  cordon?: CordonState;
  /** The steps this node never ran, in playbook order. */
  notRun: string[];
}

export interface StepStats {
  id: string;
  name: string;
  uses: string;
  ok: number;
  changed: number;
  skipped: number;
  failed: number;
  /** Nodes that never ran it. */
  notRun: number;
  medianMs: number;
  maxMs: number;
  /** The nodes by how the step ended on them (its last bar), for the drill-down. */
  nodes: Array<{ host: string; status: StepMark | 'not-run'; durationMs: number }>;
}

export interface PassRecord {
  kind: 'run' | 'resume';
  start: string;
  end?: string;
  operator?: RunOperator;
  status?: RunSummaryEvent['status'];
  forced?: boolean;
}

export interface RunReport {
  version: typeof REPORT_VERSION;
  runId: string;
  generated: string;
  playbook: { name: string; file: string; hash: string };
  inventory: { file: string; hash: string };
  inputs: Pick<RunInputs, 'limit' | 'hosts' | 'on' | 'extraVars'>;
  passes: PassRecord[];
  /** The last pass's status, `unfinished` when the journal ends without a summary. */
  status: RunSummaryEvent['status'] | 'unfinished';
  stopped?: string;
  exitCode?: number;
  start: string;
  end: string;
  durationMs: number;
  budget?: RunBudget & { failedNodes: number };
  totals: Counts;
  nodesByOutcome: Partial<Record<NodeOutcome, string[]>>;
  steps: StepStats[];
  nodes: NodeReport[];
  cordoned: Record<string, CordonState>;
  /** The commands to go on from here (resume, rollback, uncordon). */
  next: string[];
  doctor?: { before?: DoctorSnapshot; after?: DoctorSnapshot };
}

interface Open {
  bar: StepBar;
  waitFrom?: { ts: string; for: string };
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : Math.round(((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2);
}

function closeWait(open: Open, ts: string): void {
  if (!open.waitFrom) return;
  open.bar.waits.push({ start: open.waitFrom.ts, end: ts, for: open.waitFrom.for });
  delete open.waitFrom;
}

/** Builds the report from a run's events (oldest first), with the doctor's snapshots around it. */
export function buildRunReport(events: readonly RunEvent[], extras: { generated: string; doctor?: RunReport['doctor'] }): RunReport {
  const state = journalState(events);
  const start = state.start as RunStartEvent;
  const stepInfo = new Map(start.steps.map((s) => [s.id, s]));
  // A step without a name is called by its type; the report calls it by its id then.
  const nameOf = (step: string, name: string | undefined): string => {
    const info = stepInfo.get(step);
    const n = name ?? info?.name;
    return n === undefined || n === info?.uses ? step : n;
  };
  const nodes = new Map<string, NodeReport>();
  const node = (host: string): NodeReport => {
    let n = nodes.get(host);
    if (!n) {
      n = { host, status: 'pending', durationMs: 0, waitingMs: 0, bars: [], rollbacks: [], diffs: [], versions: [], notRun: [] };
      nodes.set(host, n);
    }
    return n;
  };
  for (const h of start.hosts) node(h);
  const open = new Map<string, Open>();
  const key = (host: string, step: string) => `${host}\u0000${step}`;
  const passes: PassRecord[] = [];
  let passNumber = 0;
  let last = start.ts;
  let summary: RunSummaryEvent | undefined;
  let budget: RunBudget | undefined;

  for (const e of events) {
    last = e.ts;
    switch (e.type) {
      case 'run.start':
      case 'run.resume': {
        passNumber++;
        // A pass that ended without a summary (crash): its open steps end where the next pass starts.
        for (const o of open.values()) closeWait(o, e.ts);
        open.clear();
        passes.push({ kind: e.type === 'run.start' ? 'run' : 'resume', start: e.ts, ...(e.operator ? { operator: e.operator } : {}), ...(e.type === 'run.resume' ? { forced: e.forced } : {}) });
        if (e.budget) budget = e.budget;
        for (const h of e.hosts) node(h);
        break;
      }
      case 'node.start': {
        const n = node(e.host);
        n.start ??= e.ts;
        break;
      }
      case 'step.start': {
        const bar: StepBar = { step: e.step, name: nameOf(e.step, e.name), passNumber, start: e.ts, durationMs: 0, status: 'running', attempts: 1, waits: [] };
        node(e.host).bars.push(bar);
        open.set(key(e.host, e.step), { bar });
        break;
      }
      case 'step.wait': {
        const o = open.get(key(e.host, e.step));
        if (!o) break;
        closeWait(o, e.ts);
        o.waitFrom = { ts: e.ts, for: e.for };
        break;
      }
      case 'step.done': {
        const n = node(e.host);
        let o = open.get(key(e.host, e.step));
        if (!o) {
          // A step done in an earlier pass is re-checked on resume without a step.start.
          const startTs = new Date(Date.parse(e.ts) - e.durationMs).toISOString();
          o = { bar: { step: e.step, name: nameOf(e.step, undefined), passNumber, start: startTs, durationMs: 0, status: 'running', attempts: e.attempts, waits: [] } };
          n.bars.push(o.bar);
        }
        closeWait(o, e.ts);
        open.delete(key(e.host, e.step));
        Object.assign(o.bar, { end: e.ts, durationMs: e.durationMs, status: e.status, summary: e.result ?? e.summary, attempts: e.attempts });
        if (e.resumed) o.bar.resumed = true;
        if (e.diff) {
          o.bar.diff = e.diff;
          n.diffs.push({ step: e.step, diff: e.diff });
        }
        if (e.versions?.length) {
          o.bar.versions = e.versions;
          n.versions.push(...e.versions.map((v) => ({ ...v, step: e.step })));
        }
        break;
      }
      case 'step.failed': {
        const o = open.get(key(e.host, e.step));
        if (!o) break;
        closeWait(o, e.ts);
        open.delete(key(e.host, e.step));
        Object.assign(o.bar, { end: e.ts, durationMs: e.durationMs, status: 'failed', error: e.error, attempts: e.attempts });
        break;
      }
      case 'rollback.start':
        node(e.host).rollbacks.push({ start: e.ts, to: e.to, reason: e.reason, steps: [] });
        break;
      case 'rollback.step.done':
        node(e.host).rollbacks.at(-1)?.steps.push({ step: e.step, undone: true });
        break;
      case 'rollback.step.failed':
        node(e.host).rollbacks.at(-1)?.steps.push({ step: e.step, undone: false, error: e.error });
        break;
      case 'rollback.end': {
        const r = node(e.host).rollbacks.at(-1);
        if (r) Object.assign(r, { end: e.ts, status: e.status });
        break;
      }
      case 'node.end':
        node(e.host).end = e.ts;
        break;
      case 'run.summary': {
        summary = e;
        const p = passes.at(-1);
        if (p) Object.assign(p, { end: e.ts, status: e.status });
        break;
      }
      default:
        break;
    }
  }
  for (const o of open.values()) closeWait(o, last);

  const cordoned = cordonedNodes(state);
  for (const [host, n] of nodes) {
    const s = state.nodes.get(host);
    if (s) {
      n.status = s.status;
      if (s.error) n.error = s.error;
      if (s.cordon) n.cordon = s.cordon;
    }
    n.durationMs = n.bars.reduce((t, b) => t + b.durationMs, 0);
    n.waitingMs = n.bars.reduce((t, b) => t + b.waits.reduce((w, x) => w + msBetween(x.start, x.end), 0), 0);
    const ran = new Set(n.bars.map((b) => b.step));
    n.notRun = start.steps.filter((s) => !ran.has(s.id)).map((s) => s.id);
  }

  const nodeList = [...nodes.values()];
  const steps: StepStats[] = start.steps.map((s) => {
    const stats: StepStats = { id: s.id, name: nameOf(s.id, undefined), uses: s.uses, ok: 0, changed: 0, skipped: 0, failed: 0, notRun: 0, medianMs: 0, maxMs: 0, nodes: [] };
    const durations: number[] = [];
    for (const n of nodeList) {
      const bar = n.bars.findLast((b) => b.step === s.id);
      if (!bar) {
        stats.notRun++;
        stats.nodes.push({ host: n.host, status: 'not-run', durationMs: 0 });
        continue;
      }
      if (bar.status !== 'running') stats[bar.status]++;
      stats.nodes.push({ host: n.host, status: bar.status, durationMs: bar.durationMs });
      durations.push(bar.durationMs);
    }
    stats.medianMs = median(durations);
    stats.maxMs = Math.max(0, ...durations);
    return stats;
  });

  const nodesByOutcome: RunReport['nodesByOutcome'] = {};
  for (const n of nodeList) (nodesByOutcome[n.status] ??= []).push(n.host);
  const totals = summary?.total ?? steps.reduce<Counts>((t, s) => ({ ok: t.ok + s.ok, changed: t.changed + s.changed, skipped: t.skipped + s.skipped, failed: t.failed + s.failed }), { ok: 0, changed: 0, skipped: 0, failed: 0 });
  const failedNodes = nodeList.filter((n) => FAILED_OUTCOMES.includes(n.status)).length;
  const status: RunReport['status'] = state.unfinished ? 'unfinished' : (summary?.status ?? 'unfinished');

  return {
    version: REPORT_VERSION,
    runId: start.runId,
    generated: extras.generated,
    playbook: { name: start.playbookName, file: start.playbook, hash: start.playbookHash },
    inventory: { file: start.inventory, hash: start.inventoryHash },
    inputs: {
      limit: start.inputs.limit,
      ...(start.inputs.hosts !== undefined ? { hosts: start.inputs.hosts } : {}),
      ...(start.inputs.on !== undefined ? { on: start.inputs.on } : {}),
      extraVars: start.inputs.extraVars,
    },
    passes,
    status,
    ...(summary?.stopped ? { stopped: summary.stopped } : {}),
    ...(summary && !state.unfinished ? { exitCode: summary.exitCode } : {}),
    start: start.ts,
    end: last,
    durationMs: msBetween(start.ts, last),
    ...(budget ? { budget: { ...budget, failedNodes } } : {}),
    totals,
    nodesByOutcome,
    steps,
    nodes: nodeList,
    cordoned,
    next: nextCommands(start.runId, status, nodeList),
    ...(extras.doctor && (extras.doctor.before || extras.doctor.after) ? { doctor: extras.doctor } : {}),
  };
}

/** What an operator runs next: resume or roll back a run that did not succeed (the cordons it left are lifted by either). */
function nextCommands(runId: string, status: RunReport['status'], nodes: NodeReport[]): string[] {
  if (status === 'succeeded') return [];
  const failed = nodes.filter((n) => n.status === 'failed' || n.status === 'unreachable' || n.status === 'rollback-failed').map((n) => n.host);
  return [`slipway resume ${runId}`, failed.length ? `slipway rollback ${runId} --limit ${failed.join(',')}` : `slipway rollback ${runId}`];
}
