/**
 * What a journal says about each node: which steps are done, which changes are still applied
 * (with their undo records, in order), where the last rollback point is, and how the node
 * ended. Pure: events in, state out. Resume, rollback and `slipway runs` read this.
 */
import type { CordonState } from '../steps/types.js';
import type { NodeOutcome, RunEvent, RunStartEvent, RunSummaryEvent } from './events.js';

export interface AppliedChange {
  step: string;
  index: number;
  undo: unknown;
  checkpoint: boolean;
}

export interface NodeJournalState {
  host: string;
  /** Steps with a step.done, by id. */
  done: Set<string>;
  /** A step.start with no end yet (crash or kill mid-step). */
  inFlight: Set<string>;
  /** Steps whose last attempt failed and that have not been done since: they may have changed the node part-way. */
  failed: Set<string>;
  /** Changes applied and not rolled back, oldest first. */
  applied: AppliedChange[];
  /** Index into `applied` of the last change that is a rollback point; -1 when none. */
  lastCheckpoint: number;
  status: NodeOutcome;
  error: string | undefined;
  /** The node's cordon as the last step or undo that reports one left it. */
  cordon: CordonState | undefined;
}

export interface RunJournalState {
  start: RunStartEvent;
  nodes: Map<string, NodeJournalState>;
  /** The last summary, if the last pass finished. */
  summary: RunSummaryEvent | undefined;
  /** The journal ends without a summary after its last start or resume: it crashed or was killed. */
  unfinished: boolean;
  passes: number;
}

function emptyNode(host: string): NodeJournalState {
  return { host, done: new Set(), inFlight: new Set(), failed: new Set(), applied: [], lastCheckpoint: -1, status: 'pending', error: undefined, cordon: undefined };
}

/** A state to fold events into, starting from a run.start. */
export function initialState(start: RunStartEvent): RunJournalState {
  return { start, nodes: new Map(start.hosts.map((h) => [h, emptyNode(h)])), summary: undefined, unfinished: true, passes: 0 };
}

/** Folds one event into the state (the runner keeps its live state this way too). */
export function applyEvent(state: RunJournalState, e: RunEvent): void {
  const node = (host: string): NodeJournalState => {
    let n = state.nodes.get(host);
    if (!n) {
      n = emptyNode(host);
      state.nodes.set(host, n);
    }
    return n;
  };
  switch (e.type) {
    case 'run.start':
    case 'run.resume':
      state.passes++;
      state.unfinished = true;
      state.summary = undefined;
      break;
    case 'run.summary':
      state.summary = e;
      state.unfinished = false;
      break;
    case 'step.start':
      node(e.host).inFlight.add(e.step);
      break;
    case 'step.done': {
      const n = node(e.host);
      n.inFlight.delete(e.step);
      n.failed.delete(e.step);
      n.done.add(e.step);
      if (e.cordon) n.cordon = e.cordon;
      if (e.status === 'changed') {
        n.applied.push({ step: e.step, index: e.index, undo: e.undo ?? null, checkpoint: e.checkpoint === true });
      }
      if (e.checkpoint) n.lastCheckpoint = n.applied.length - 1;
      break;
    }
    case 'step.failed': {
      const n = node(e.host);
      n.inFlight.delete(e.step);
      n.failed.add(e.step);
      break;
    }
    case 'rollback.step.done': {
      const n = node(e.host);
      const at = n.applied.findLastIndex((a) => a.step === e.step);
      if (at >= 0) n.applied.splice(at, 1);
      n.done.delete(e.step);
      n.lastCheckpoint = n.applied.findLastIndex((a) => a.checkpoint);
      if (e.cordon) n.cordon = e.cordon;
      break;
    }
    case 'rollback.end':
      node(e.host).status = e.status;
      break;
    case 'node.skipped': {
      const n = node(e.host);
      n.status = 'skipped';
      n.error = e.reason;
      break;
    }
    case 'node.end': {
      const n = node(e.host);
      n.status = e.status;
      n.error = e.error;
      break;
    }
    default:
      break;
  }
}

export function journalState(events: readonly RunEvent[]): RunJournalState {
  const start = events.find((e): e is RunStartEvent => e.type === 'run.start');
  if (!start) throw new Error('the journal has no run.start event');
  const state = initialState(start);
  for (const e of events) applyEvent(state, e);
  return state;
}

/** The nodes the journal says are left cordoned, by host. */
export function cordonedNodes(state: RunJournalState): Record<string, CordonState> {
  const out: Record<string, CordonState> = {};
  for (const [host, n] of state.nodes) if (n.cordon?.cordoned) out[host] = n.cordon;
  return out;
}

const OUTCOME_ORDER: NodeOutcome[] = ['done', 'failed', 'unreachable', 'rolled-back', 'rollback-failed', 'interrupted', 'pending', 'skipped'];

/** How many nodes ended each way, in a fixed order. */
export function nodeOutcomes(state: RunJournalState): Partial<Record<NodeOutcome, number>> {
  const counts: Partial<Record<NodeOutcome, number>> = {};
  for (const n of state.nodes.values()) counts[n.status] = (counts[n.status] ?? 0) + 1;
  return Object.fromEntries(OUTCOME_ORDER.filter((s) => counts[s]).map((s) => [s, counts[s]]));
}

/** The same in words for `slipway runs`: done 3, failed 1, rolled-back 1, pending 2. */
export function tallyText(counts: Partial<Record<NodeOutcome, number>>): string {
  return OUTCOME_ORDER.filter((s) => counts[s]).map((s) => `${s} ${counts[s]}`).join(', ');
}
