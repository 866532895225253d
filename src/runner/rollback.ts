/**
 * Taking a node back: the changes applied after its last rollback point (or all of them),
 * undone newest first from the undo records that apply returned. Each undo is journaled; a
 * failed undo stops the node's rollback, is recorded, and is never swallowed.
 */
import type { InventoryHost } from '../inventory/types.js';
import type { Playbook } from '../playbook/types.js';
import { resolveStepParams } from '../playbook/vars.js';
import { getStepType } from '../steps/registry.js';
import { DeadlineRemote } from './deadline.js';
import type { EventInput, RunEvent } from './events.js';
import type { AppliedChange, NodeJournalState } from './journal-state.js';
import type { RemoteResolver } from './remotes.js';

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
  emit: (e: EventInput) => RunEvent;
  signal: AbortSignal;
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
    const type = step ? getStepType(step.uses) : undefined;
    try {
      if (!step || !type) throw new Error(`step '${change.step}' is no longer in the playbook; cannot undo it`);
      const remote = await deps.resolver.forStep(step.on, node);
      const params = resolveStepParams(step, playbook, node, deps.extraVars);
      const timeoutMs = step.timeoutMs;
      const limited = new DeadlineRemote(remote, deps.signal, Date.now() + timeoutMs);
      await type.rollback({ node, remote: limited, signal: deps.signal, timeoutMs }, params, change.undo);
      deps.emit({ type: 'rollback.step.done', host: node.name, step: change.step, index: change.index });
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
