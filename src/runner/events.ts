/**
 * What the runner says happened. The runner only emits these; the journal, the live tree,
 * plain lines and NDJSON output are subscribers.
 */
import type { CordonState, VersionChange } from '../steps/types.js';

export type StepOutcome = 'ok' | 'changed' | 'skipped';
/**
 * done: every step finished. failed / unreachable: a step failed (the node is left as it is,
 * or needs a rollback). rolled-back: taken back to its last rollback point after a failure.
 * rollback-failed: that rollback failed too. pending: never started or stopped before its end
 * (budget exceeded, run stopped). interrupted: stopped by the operator. skipped: an operator gave
 * the node up (`resume --skip`): left as it is, never run again by this run.
 */
export type NodeOutcome = 'done' | 'failed' | 'unreachable' | 'rolled-back' | 'rollback-failed' | 'pending' | 'interrupted' | 'skipped';
export type FailureKind = 'transport' | 'command' | 'step' | 'timeout' | 'interrupted';

interface Base {
  /** ISO timestamp. */
  ts: string;
}

/** What a run was started with, so resume and rollback can load the same inputs. */
export interface RunInputs {
  playbookFile: string;
  inventoryFile: string;
  limit: string | undefined;
  /** `--hosts`: the playbook's `hosts:` replaced (absent: the playbook's). */
  hosts?: string;
  /** `--on`: the group its `on: <group>` steps run on (absent: the playbook's). */
  on?: string;
  /** Secret-looking values are redacted; resume asks for them again with -e. */
  extraVars: Record<string, unknown>;
  sshConfigFile: string | undefined;
}

/** Who started a pass of the run, and from where (for the change ticket). */
export interface RunOperator {
  /** The login name (SUDO_USER's when run with sudo: the person, not root). */
  user: string;
  /** The machine slipway ran on. */
  host: string;
  /** The working directory it was started in. */
  cwd: string;
}

/** The failure budget of a run: how many nodes may fail before no new one starts. */
export interface RunBudget {
  maxFailed: number;
  onFailure: 'stop' | 'continue' | 'rollback';
}

export interface RunStartEvent extends Base {
  type: 'run.start';
  runId: string;
  inputs: RunInputs;
  operator?: RunOperator;
  budget?: RunBudget;
  playbook: string;
  playbookName: string;
  inventory: string;
  hosts: string[];
  batches: string[][];
  /** With rolling.maxUnavailable: the last batch is a window of at most this many nodes at once. */
  window?: number;
  steps: Array<{ id: string; name: string; uses: string }>;
  playbookHash: string;
  inventoryHash: string;
}
export interface RunResumeEvent extends Base {
  type: 'run.resume';
  runId: string;
  /** Steps already done per host, re-checked and not applied again. */
  done: Record<string, string[]>;
  forced: boolean;
  operator?: RunOperator;
  budget?: RunBudget;
  /** The run's shape, as in run.start, for subscribers that draw it. */
  hosts: string[];
  batches: string[][];
  /** With rolling.maxUnavailable: the last batch is a window of at most this many nodes at once. */
  window?: number;
  steps: Array<{ id: string; name: string; uses: string }>;
}
export interface BatchPauseEvent extends Base {
  type: 'batch.pause';
  batch: number;
  pause: number | 'confirm';
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
  /** The step's name on this host, vars substituted (run.start's names have only playbook and -e vars). */
  name?: string;
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
  /** The node's state after this step is a rollback point. */
  checkpoint?: boolean;
  /** Set on resume: the step was done before and was only re-checked. */
  resumed?: boolean;
  /** The node's cordon as the step left it (kube.cordon, kube.drain, kube.uncordon). */
  cordon?: CordonState;
  /** Packages or binaries the step changed, with their versions before and after. */
  versions?: VersionChange[];
  /** Status changed: what it did, in the past tense (`kubelet: stopped (was active, enabled)`); `summary` is what its check said it would do. */
  result?: string;
}
/** A step is waiting on something outside it (a blocked drain, a health gate, a runtime coming up). */
export interface StepWaitEvent extends Base {
  type: 'step.wait';
  host: string;
  step: string;
  index: number;
  /** What it waits for, in words: the pods and budgets a drain is blocked by, the gate not passed yet. */
  for: string;
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
export interface RollbackStartEvent extends Base {
  type: 'rollback.start';
  host: string;
  /** Back to the last checkpoint, or to the state before the run. */
  to: 'checkpoint' | 'start';
  /** Steps to undo, in the order they will be undone. */
  steps: string[];
  reason: string;
}
export interface RollbackStepDoneEvent extends Base {
  type: 'rollback.step.done';
  host: string;
  step: string;
  index: number;
  /** The node's cordon as the undo left it (read after it). */
  cordon?: CordonState;
}
export interface RollbackStepFailedEvent extends Base {
  type: 'rollback.step.failed';
  host: string;
  step: string;
  index: number;
  error: string;
}
export interface RollbackEndEvent extends Base {
  type: 'rollback.end';
  host: string;
  status: 'rolled-back' | 'rollback-failed';
}
/** `resume --skip`: an operator gave the node up; this run leaves it as it is from now on. */
export interface NodeSkippedEvent extends Base {
  type: 'node.skipped';
  host: string;
  /** Who and how, for the change ticket. */
  reason: string;
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
  /** Why the run stopped early, if it did. */
  stopped?: string;
  total: Counts;
  nodes: Record<string, Counts & { status: NodeOutcome }>;
  /** Nodes the run leaves cordoned, by host, and who cordoned each (absent: not slipway). */
  cordoned?: Record<string, CordonState>;
}

export interface Counts {
  ok: number;
  changed: number;
  skipped: number;
  failed: number;
}

export type RunEvent =
  | RunStartEvent
  | RunResumeEvent
  | BatchPauseEvent
  | BatchStartEvent
  | BatchEndEvent
  | NodeStartEvent
  | StepStartEvent
  | StepDoneEvent
  | StepFailedEvent
  | StepRetryEvent
  | StepWaitEvent
  | RollbackStartEvent
  | RollbackStepDoneEvent
  | RollbackStepFailedEvent
  | RollbackEndEvent
  | NodeEndEvent
  | NodeSkippedEvent
  | RunSummaryEvent;

/** Every event type, in the order a run emits them; schemas/events.schema.json documents each. */
export const EVENT_TYPES = [
  'run.start',
  'run.resume',
  'batch.pause',
  'batch.start',
  'batch.end',
  'node.start',
  'step.start',
  'step.wait',
  'step.retry',
  'step.done',
  'step.failed',
  'rollback.start',
  'rollback.step.done',
  'rollback.step.failed',
  'rollback.end',
  'node.skipped',
  'node.end',
  'run.summary',
] as const satisfies ReadonlyArray<RunEvent['type']>;
// Compile-time: an event type missing from EVENT_TYPES fails here.
const everyEventType: [Exclude<RunEvent['type'], (typeof EVENT_TYPES)[number]>] extends [never] ? true : never = true;
void everyEventType;

/** Distributive Omit, so each event keeps its own fields. */
export type EventInput = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'ts'> : never) : never;

export type EventListener = (event: RunEvent) => void;
