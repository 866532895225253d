/**
 * Taking a node back: the changes applied after its last rollback point (or all of them),
 * undone newest first from the undo records that apply returned. Each undo is journaled; a
 * failed undo stops the node's rollback, is recorded, and is never swallowed.
 *
 * An undo record names the step type that wrote it and a hash of the step's resolved
 * parameters: a record is only handed to that type, with those parameters. A playbook changed
 * since (the step now of another type, or with other parameters) makes that step's rollback
 * fail with a message saying so, instead of letting another type read the record.
 */
import type { InventoryHost } from '../inventory/types.js';
import type { Playbook } from '../playbook/types.js';
import { resolveStepParams } from '../playbook/vars.js';
import type { AnyStepType, CordonState, StepContext } from '../steps/types.js';
import { DeadlineRemote } from './deadline.js';
import type { EventInput, RunEvent } from './events.js';
import type { AppliedChange, NodeJournalState } from './journal-state.js';
import type { RemoteResolver } from './remotes.js';
import { paramsHash, readUndo } from './undo.js';

export interface RollbackTarget {
  to: 'checkpoint' | 'start';
}

/** The changes to undo, newest first. */
export function changesToUndo(state: Pick<NodeJournalState, 'applied' | 'lastCheckpoint'>, target: RollbackTarget): AppliedChange[] {
  const from = target.to === 'start' ? 0 : state.lastCheckpoint + 1;
  return state.applied.slice(from).reverse();
}

export interface RollbackDeps {
  playbook: Playbook;
  node: InventoryHost;
  extraVars: Record<string, unknown>;
  resolver: RemoteResolver;
  stepTypes: (kind: string) => AnyStepType | undefined;
  emit: (e: EventInput) => RunEvent;
  /** Resolves once the events emitted so far are on disk; awaited before each undo. */
  durable?: () => Promise<void>;
  signal: AbortSignal;
}

/** Why a record cannot be undone with the playbook as it is now; undefined when it can. Pure. */
export function undoMismatch(change: AppliedChange, uses: string | undefined, params: Record<string, unknown> | undefined): string | undefined {
  if (uses === undefined || params === undefined) return `step '${change.step}' is no longer in the playbook; cannot undo it`;
  const record = readUndo(change.undo);
  if (record.type !== undefined && record.type !== uses) {
    return `step '${change.step}' was applied as ${record.type} and is now ${uses} in the playbook: its undo record is not ${uses}'s; not undone (restore the playbook as it was, or undo it by hand)`;
  }
  if (record.paramsHash !== undefined && record.paramsHash !== paramsHash(params)) {
    return `step '${change.step}' has other parameters now than when it was applied: its undo record may not fit them; not undone (restore the playbook as it was, or undo it by hand)`;
  }
  return undefined;
}

/** The node's cordon after an undo, read again (steps that report one); undefined when it cannot be read. */
async function cordonAfter(type: AnyStepType, ctx: StepContext, params: Record<string, unknown>): Promise<CordonState | undefined> {
  if (!type.cordonState) return undefined;
  try {
    return type.cordonState(await type.facts(ctx, params));
  } catch {
    return undefined; // the undo succeeded; not knowing the cordon now is not its failure
  }
}

export async function rollbackNode(
  deps: RollbackDeps,
  changes: AppliedChange[],
  target: RollbackTarget,
  reason: string,
): Promise<'rolled-back' | 'rollback-failed'> {
  const { node, playbook } = deps;
  deps.emit({ type: 'rollback.start', host: node.name, to: target.to, steps: changes.map((c) => c.step), reason });
  for (const change of changes) {
    const step = playbook.steps.find((s) => s.id === change.step);
    const type = step ? deps.stepTypes(step.uses) : undefined;
    try {
      const params = step ? resolveStepParams(step, playbook, node, deps.extraVars) : undefined;
      const mismatch = undoMismatch(change, type ? step?.uses : undefined, params);
      if (mismatch || !step || !type || !params) throw new Error(mismatch ?? `step '${change.step}' cannot be undone`);
      const remote = await deps.resolver.forStep(step.on, node);
      const limited = new DeadlineRemote(remote, deps.signal, Date.now() + step.timeoutMs);
      const ctx = { node, remote: limited, signal: deps.signal, timeoutMs: step.timeoutMs };
      await deps.durable?.(); // rollback.start, and the undo before this one, on disk first
      await type.rollback(ctx, params, readUndo(change.undo).data);
      const cordon = await cordonAfter(type, ctx, params);
      deps.emit({ type: 'rollback.step.done', host: node.name, step: change.step, index: change.index, ...(cordon ? { cordon } : {}) });
    } catch (err) {
      deps.emit({
        type: 'rollback.step.failed',
        host: node.name,
        step: change.step,
        index: change.index,
        error: err instanceof Error ? err.message : String(err),
      });
      deps.emit({ type: 'rollback.end', host: node.name, status: 'rollback-failed' });
      return 'rollback-failed';
    }
  }
  deps.emit({ type: 'rollback.end', host: node.name, status: 'rolled-back' });
  return 'rolled-back';
}
