/**
 * The lane in apply mode (run, resume): each step journaled as it starts and ends, applied with
 * its retries and timeout, steps done in an earlier pass re-checked and never applied again; a
 * failed node is rolled back when the policy says so.
 */
import type { FailurePolicy } from '../playbook/types.js';
import type { Counts, EventInput, FailureKind, NodeOutcome, RunEvent } from './events.js';
import type { RunJournalState } from './journal-state.js';
import { errorText, runLane, type LaneDeps, type LaneMode, type LaneStep, type StepEnd } from './lane.js';
import { changesToUndo, rollbackNode } from './rollback.js';
import { applyStep, checkStep, StepFailure } from './step-exec.js';

export interface ApplyLaneOptions {
  runId: string;
  emit: (e: EventInput) => RunEvent;
  /** Resolves once the events emitted so far are on disk (the journal's fsync). */
  durable: () => Promise<void>;
  counts: Counts;
  /** Steps done in an earlier pass of this run. */
  done: ReadonlySet<string>;
  /** The run's journal state (rollback reads the node's applied changes from it). */
  state: RunJournalState;
  policy: FailurePolicy;
  /** Why no new step may start, when none may: interrupted by the operator, or the run stopped. */
  stop: () => { outcome: 'interrupted' | 'pending'; why: string } | undefined;
}

/** Runs the node's steps; returns how the node ended (after a rollback, when there was one). */
export async function applyLane(deps: LaneDeps, options: ApplyLaneOptions): Promise<NodeOutcome> {
  const host = deps.node.name;
  const { emit, counts: c } = options;
  emit({ type: 'node.start', host });
  let status = 'done' as NodeOutcome;
  let nodeError: string | undefined;
  let failedKind: FailureKind | undefined;
  let started = 0;
  // What earlier passes of this run did on the node, as the journal says it before this pass.
  const earlier = options.state.nodes.get(host);
  const changedEarlier = new Set(earlier?.applied.map((a) => a.step));
  // Left mid-way (killed) or failed part-way: the step may have changed the node before it stopped.
  const cutShort = new Set([...(earlier?.inFlight ?? []), ...(earlier?.failed ?? [])]);
  const mode: LaneMode = {
    changesNodes: true,
    changedBefore: (id) => (changedEarlier.has(id) ? 'changed' : cutShort.has(id) ? 'unsure' : 'unchanged'),
    stopBefore() {
      const stop = options.stop();
      if (!stop) return false;
      status = stop.outcome;
      nodeError = stop.why;
      return true;
    },
    async doneBefore(s: LaneStep) {
      const t = Date.now();
      const check = await checkStep({ step: s.step, type: s.type, params: s.params(), node: deps.node, remote: s.remote, signal: deps.killSignal, facts: s.facts() });
      const now = check.status === 'change' ? check.summary : check.status === 'fail' ? `it would fail: ${check.reason}` : '';
      const summary = check.status === 'ok' ? check.summary : check.status === 'skip' ? check.reason : `done earlier in this run; check now says: ${now}`;
      c[check.status === 'ok' ? 'ok' : 'skipped']++;
      emit({ type: 'step.done', host, step: s.step.id, index: s.index, status: check.status === 'ok' ? 'ok' : 'skipped', summary, durationMs: Date.now() - t, attempts: 0, resumed: true });
    },
    starting(s) {
      started = Date.now();
      emit({ type: 'step.start', host, step: s.step.id, index: s.index, name: s.title, ...(s.via ? { via: s.via } : {}) });
    },
    skipped(s, reason) {
      c.skipped++;
      emit({ type: 'step.done', host, step: s.step.id, index: s.index, status: 'skipped', summary: reason, durationMs: Date.now() - started, attempts: 0 });
    },
    async applies(s): Promise<StepEnd> {
      // step.start (and all before it) on disk before the step touches the node.
      await options.durable();
      const outcome = await applyStep({
        step: s.step,
        type: s.type,
        params: s.params(),
        node: deps.node,
        remote: s.remote,
        signal: deps.killSignal,
        runId: options.runId,
        onRetry: (attempt, err) => emit({ type: 'step.retry', host, step: s.step.id, index: s.index, attempt, error: errorText(err) }),
        onWait: waitReporter((what) => emit({ type: 'step.wait', host, step: s.step.id, index: s.index, for: what })),
        facts: s.facts(),
        onApply: () => s.changing(),
        readAfter: (early) => s.readAfter(early),
        readNext: () => s.readNext(),
        batched: s.batched,
      });
      c[outcome.status === 'changed' ? 'changed' : outcome.status === 'ok' ? 'ok' : 'skipped']++;
      emit({
        type: 'step.done',
        host,
        step: s.step.id,
        index: s.index,
        status: outcome.status,
        summary: outcome.summary,
        ...(outcome.diff !== undefined ? { diff: outcome.diff } : {}),
        ...(outcome.undo !== undefined ? { undo: outcome.undo } : {}),
        ...(outcome.cordon ? { cordon: outcome.cordon } : {}),
        ...(outcome.versions ? { versions: outcome.versions } : {}),
        ...(outcome.result ? { result: outcome.result } : {}),
        durationMs: Date.now() - started,
        attempts: outcome.attempts,
        ...(s.step.checkpoint ? { checkpoint: true } : {}),
      });
      return outcome.status === 'changed' ? 'changed' : 'unchanged';
    },
    failed(s, err, kind) {
      const k = err instanceof StepFailure ? err.kind : kind;
      c.failed++;
      failedKind = k;
      nodeError = `step '${s.step.id}': ${errorText(err)}`;
      emit({
        type: 'step.failed',
        host,
        step: s.step.id,
        index: s.index,
        kind: k,
        error: errorText(err),
        durationMs: started ? Date.now() - started : 0,
        attempts: err instanceof StepFailure ? err.attempts : 1,
      });
      status = k === 'transport' ? 'unreachable' : k === 'interrupted' ? 'interrupted' : 'failed';
    },
  };
  await runLane(deps, mode, options.done);

  if (failedKind && (status === 'failed' || status === 'unreachable') && options.policy === 'rollback') {
    const n = options.state.nodes.get(host);
    const changes = n ? changesToUndo(n, { to: 'checkpoint' }) : [];
    if (status === 'unreachable') {
      if (changes.length) nodeError = `${nodeError}; needs rollback of ${changes.map((x) => x.step).join(', ')} when it is back: slipway rollback ${options.runId} --limit ${host}`;
    } else if (changes.length) {
      // No rollback point reached yet: the last rollback point is the state before the run.
      const to = n && n.lastCheckpoint >= 0 ? 'checkpoint' : 'start';
      status = await rollbackNode({ ...deps, emit, durable: options.durable, signal: deps.killSignal }, changes, { to }, nodeError ?? 'step failed');
    } else {
      status = 'rolled-back'; // nothing applied after the last rollback point: already there
    }
  }
  emit({ type: 'node.end', host, status, ...(nodeError ? { error: nodeError } : {}) });
  return status;
}

/** A step's waits as events: once per change of what it waits for, not once per poll. */
export function waitReporter(report: (what: string) => void): (what: string) => void {
  let last: string | undefined;
  return (what) => {
    if (what === last) return;
    last = what;
    report(what);
  };
}
