/**
 * What the runner says happened. The runner only emits these; the journal, the live tree,
 * plain lines and NDJSON output are subscribers. State words follow listr2's vocabulary.
 */
import type { CheckResult } from '../steps/types.js';

export type StepOutcome = 'ok' | 'changed' | 'skipped';
export type NodeOutcome = 'done' | 'failed' | 'unreachable' | 'pending' | 'interrupted';
export type FailureKind = 'transport' | 'command' | 'step' | 'timeout' | 'interrupted';

interface Base {
  /** ISO timestamp. */
  ts: string;
}

export interface RunStartEvent extends Base {
  type: 'run.start';
  runId: string;
  playbook: string;
  playbookName: string;
  inventory: string;
  hosts: string[];
  batches: string[][];
  steps: Array<{ id: string; name: string; uses: string }>;
  playbookHash: string;
  inventoryHash: string;
}
export interface BatchStartEvent extends Base {
  type: 'batch.start';
  batch: number;
  hosts: string[];
}
export interface BatchEndEvent extends Base {
  type: 'batch.end';
  batch: number;
}
export interface NodeStartEvent extends Base {
  type: 'node.start';
  host: string;
}
export interface StepStartEvent extends Base {
  type: 'step.start';
  host: string;
  step: string;
  index: number;
  /** Host the step's commands run on, when not the node itself (`on:`). */
  via?: string;
}
export interface StepDoneEvent extends Base {
  type: 'step.done';
  host: string;
  step: string;
  index: number;
  status: StepOutcome;
  summary: string;
  diff?: string;
  /** What apply returned, for rollback. Present when status is `changed`. */
  undo?: unknown;
  durationMs: number;
  attempts: number;
}
export interface StepFailedEvent extends Base {
  type: 'step.failed';
  host: string;
  step: string;
  index: number;
  kind: FailureKind;
  error: string;
  durationMs: number;
  attempts: number;
}
export interface StepRetryEvent extends Base {
  type: 'step.retry';
  host: string;
  step: string;
  index: number;
  attempt: number;
  error: string;
}
export interface NodeEndEvent extends Base {
  type: 'node.end';
  host: string;
  status: NodeOutcome;
  error?: string;
}
export interface RunSummaryEvent extends Base {
  type: 'run.summary';
  runId: string;
  status: 'succeeded' | 'failed' | 'interrupted';
  exitCode: number;
  total: Counts;
  nodes: Record<string, Counts & { status: NodeOutcome }>;
}

export interface Counts {
  ok: number;
  changed: number;
  skipped: number;
  failed: number;
}

export type RunEvent =
  | RunStartEvent
  | BatchStartEvent
  | BatchEndEvent
  | NodeStartEvent
  | StepStartEvent
  | StepDoneEvent
  | StepFailedEvent
  | StepRetryEvent
  | NodeEndEvent
  | RunSummaryEvent;

/** Distributive Omit, so each event keeps its own fields. */
export type EventInput = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'ts'> : never) : never;

export type EventListener = (event: RunEvent) => void;

export function checkToOutcome(check: CheckResult): StepOutcome {
  return check.status === 'ok' ? 'ok' : check.status === 'skip' ? 'skipped' : 'changed';
}
