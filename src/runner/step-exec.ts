/**
 * One step on one node: facts -> check, and for `run` apply -> facts -> check again (the
 * step must now say ok), under the step's timeout and retries.
 */
import { CommandError, SlipwayError, TransportError } from '../errors.js';
import type { InventoryHost } from '../inventory/types.js';
import type { StepSpec } from '../playbook/types.js';
import type { Projection } from '../steps/projection.js';
import type { AnyStepType, CheckResult, CordonState, StepContext, VersionChange } from '../steps/types.js';
import type { BatchingRemote } from '../transport/batching-remote.js';
import type { Remote } from '../transport/types.js';
import { ConvergingRemote } from './converging-remote.js';
import { DeadlineRemote } from './deadline.js';
import { undoRecord, type UndoRecord } from './undo.js';
import type { FailureKind, StepOutcome } from './events.js';

export interface StepRunInput {
  step: StepSpec;
  type: AnyStepType;
  params: Record<string, unknown>;
  node: InventoryHost;
  /** Where the step's commands run (the node, an `on:` host, or local). */
  remote: Remote;
  /** Aborted on a second Ctrl-C. */
  signal: AbortSignal;
  /** Called before each retry. */
  onRetry?: (attempt: number, error: unknown) => void;
  /** The run (apply mode). */
  runId?: string;
  /** Apply: the step waits on something outside it (StepContext.waiting). */
  onWait?: (what: string) => void;
  /**
   * The step's facts read ahead (src/runner/facts-ahead.ts), for the first check; when that read
   * failed, the check reads them itself.
   */
  facts?: Promise<unknown>;
  /** Apply: called just before the step changes the node (facts read ahead are stale after it). */
  onApply?: () => void;
  /**
   * Apply: reads the facts after apply (to prove convergence), sharing the round trip with the
   * next step's; `early` when issued with apply's last command (LaneStep.readAfter).
   */
  readAfter?: (early?: boolean) => Promise<unknown>;
  /** Apply, a step that always changes the node: reads the next step's facts with apply's last command. */
  readNext?: () => void;
  /** Apply: the step's remote as its reads go; when it batches, apply's last command and the reads after it share an exec. */
  batched?: BatchingRemote;
}

export interface StepCheckOutcome {
  check: CheckResult;
}

export interface StepApplyOutcome {
  status: StepOutcome;
  summary: string;
  diff?: string;
  undo?: UndoRecord;
  attempts: number;
  /** The node's cordon as the step leaves it (steps that report one). */
  cordon?: CordonState;
  versions?: VersionChange[];
  /** What apply did, in the past tense (the check's `done`). */
  result?: string;
}

/** A failed step, classified for the journal and the exit code. */
export class StepFailure extends SlipwayError {
  readonly kind: FailureKind;
  readonly attempts: number;
  constructor(message: string, kind: FailureKind, attempts: number, cause: unknown) {
    super(message, { cause, exitCode: kind === 'transport' ? 3 : 1 });
    this.kind = kind;
    this.attempts = attempts;
  }
}

/** The step's check said apply cannot succeed on the node as it is; nothing was applied. */
export class CheckRefused extends SlipwayError {}

export function classify(err: unknown): FailureKind {
  if (err instanceof TransportError) return 'transport';
  if (err instanceof CommandError && err.timedOut) return 'timeout';
  if (err instanceof CommandError && err.interrupted) return 'interrupted';
  if (err instanceof CommandError) return 'command';
  return 'step';
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs fn under the step's deadline (on `base`, the step's remote unless given); the deadline aborts the commands in flight. */
async function withDeadline<T>(input: StepRunInput, fn: (remote: Remote, signal: AbortSignal) => Promise<T>, base: Remote = input.remote): Promise<T> {
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort();
  input.signal.addEventListener('abort', onOuterAbort, { once: true });
  const deadline = Date.now() + input.step.timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new CommandError({ host: input.remote.host, argv: [input.step.uses], code: null, stdout: '', stderr: '', timedOut: true }));
    }, input.step.timeoutMs);
  });
  try {
    return await Promise.race([fn(new DeadlineRemote(base, controller.signal, deadline), controller.signal), timedOut]);
  } finally {
    clearTimeout(timer);
    input.signal.removeEventListener('abort', onOuterAbort);
  }
}

function readContext(input: StepRunInput, remote: Remote, signal: AbortSignal): StepContext {
  return { node: input.node, remote, signal, timeoutMs: input.step.timeoutMs, ...(input.runId ? { runId: input.runId } : {}) };
}

/** Facts read elsewhere (ahead, or with the next step's), or, when there are none or that read failed, read now. */
async function factsFrom(read: Promise<unknown> | undefined, input: StepRunInput, ctx: StepContext): Promise<unknown> {
  if (read) {
    try {
      return await read;
    } catch {
      // read again below, on this step's own deadline
    }
  }
  return input.type.facts(ctx, input.params);
}

/** Read-only: the step's facts, under its deadline (what facts-ahead reads). */
export async function readStepFacts(input: StepRunInput): Promise<unknown> {
  return withDeadline(input, (remote, signal) => input.type.facts(readContext(input, remote, signal), input.params));
}

/** Read-only: what the step would do on this node now. */
export async function checkStep(input: StepRunInput): Promise<CheckResult> {
  return withDeadline(input, async (remote, signal) => {
    const facts: unknown = await factsFrom(input.facts, input, readContext(input, remote, signal));
    return input.type.check(input.params, facts);
  });
}

/**
 * Read-only, for a plan: what the step would do once the steps before it have run (their effects
 * in `projection`); returns the check and the facts it was made on.
 */
export async function checkProjected(input: StepRunInput, projection: Projection): Promise<{ check: CheckResult; facts: unknown }> {
  return withDeadline(input, async (remote, signal) => {
    const now: unknown = await factsFrom(input.facts, input, readContext(input, remote, signal));
    const facts: unknown = input.type.project ? input.type.project(input.params, now, projection) : now;
    return { check: input.type.check(input.params, facts), facts };
  });
}

/** Checks, applies when needed, and verifies that the step now says ok. */
export async function applyStep(input: StepRunInput): Promise<StepApplyOutcome> {
  const maxAttempts = input.step.retries + 1;
  let lastError: unknown;
  let attempts = 0;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    attempts = attempt;
    try {
      const always = input.type.alwaysChanges?.(input.params) === true;
      // The reads that check the step go with its last command (ConvergingRemote), per attempt.
      let early: Promise<unknown> | undefined;
      const converging = input.batched?.batches
        ? new ConvergingRemote(input.remote, input.batched, () => {
            if (always) return input.readNext?.();
            early = input.readAfter?.(true);
            early?.catch(() => undefined); // a failed read is read again below
          })
        : undefined;
      const outcome = await withDeadline(input, async (remote, signal) => {
        const ctx: StepContext = {
          node: input.node,
          remote,
          signal,
          timeoutMs: input.step.timeoutMs,
          ...(input.runId ? { runId: input.runId } : {}),
          ...(input.onWait ? { waiting: input.onWait } : {}),
        };
        // Facts read ahead serve the first attempt only: a retry reads the node as it is now.
        const facts: unknown = await factsFrom(attempt === 1 ? input.facts : undefined, input, ctx);
        const check = input.type.check(input.params, facts);
        const cordon = (f: unknown) => {
          const state = input.type.cordonState?.(f);
          return state ? { cordon: state } : {};
        };
        if (check.status === 'ok') return { status: 'ok' as const, summary: check.summary, attempts: attempt, ...cordon(facts) };
        if (check.status === 'skip') return { status: 'skipped' as const, summary: check.reason, attempts: attempt };
        if (check.status === 'fail') throw new CheckRefused(check.reason);
        input.onApply?.();
        const undo: unknown = await input.type.apply(ctx, input.params, facts);
        let factsAfter: unknown;
        // Apply sent more after its last command: what was read with it is stale, read again.
        if (converging?.lastSent && !converging.readsHold) input.onApply?.();
        if (!always) {
          factsAfter = await factsFrom(converging?.readsHold ? early : input.readAfter?.(), input, ctx);
          const after = input.type.check(input.params, factsAfter);
          if (after.status === 'change' || after.status === 'fail') {
            const says = after.status === 'change' ? `still reports a change (${after.summary})` : `now says it would fail (${after.reason})`;
            throw new SlipwayError(`applied, but the step ${says}; the node did not converge`);
          }
        }
        if (input.type.gate) {
          const passed = factsAfter === undefined ? undefined : input.type.check(input.params, factsAfter);
          return { status: 'ok' as const, summary: passed?.status === 'ok' ? passed.summary : check.summary, attempts: attempt };
        }
        const result: StepApplyOutcome = {
          status: 'changed',
          summary: check.summary,
          undo: undoRecord(input.step.uses, input.params, undo),
          attempts: attempt,
          ...(factsAfter !== undefined ? cordon(factsAfter) : {}),
        };
        if (check.diff !== undefined) result.diff = check.diff;
        if (check.versions?.length) result.versions = check.versions;
        const applied = input.type.applied?.(input.params, facts);
        if (applied) result.result = applied;
        return result;
      }, converging);
      return outcome;
    } catch (err) {
      lastError = err;
      const kind = classify(err);
      // A lost host, an operator's interrupt or a check that refuses is not retried: the node needs attention.
      if (kind === 'transport' || kind === 'interrupted' || err instanceof CheckRefused || input.signal.aborted || attempt === maxAttempts) break;
      input.onRetry?.(attempt, err);
    }
  }
  const kind = classify(lastError);
  const what = kind === 'timeout' ? `timed out after ${input.step.timeoutMs / 1000}s (its commands were killed)` : message(lastError);
  throw new StepFailure(what, kind, attempts, lastError);
}
