/** `slipway rollback`: undo the journaled changes of the given nodes, newest first. */
import { sharedSignal, withLaneSignal } from './lane.js';
import { EXIT, type ExitCode } from '../errors.js';
import type { Inventory, InventoryHost } from '../inventory/types.js';
import type { Playbook } from '../playbook/types.js';
import { getStepType } from '../steps/registry.js';
import type { AnyStepType } from '../steps/types.js';
import type { RemoteFactory } from '../transport/types.js';
import { EventSink, type EventJournal } from './event-sink.js';
import type { EventListener } from './events.js';
import type { Journal } from './journal.js';
import type { RunJournalState } from './journal-state.js';
import { processSecrets, type SecretValues } from './redact.js';
import { RemoteResolver } from './remotes.js';
import { changesToUndo, rollbackNode } from './rollback.js';

export interface RollbackOptions {
  playbook: Playbook;
  inventory: Inventory;
  hosts: InventoryHost[];
  extraVars: Record<string, unknown>;
  remotes: RemoteFactory;
  journal: Journal | EventJournal;
  state: RunJournalState;
  to: 'checkpoint' | 'start';
  listeners: EventListener[];
  secrets?: SecretValues;
  stepTypes?: (kind: string) => AnyStepType | undefined;
}

export interface RollbackResult {
  nodes: Record<string, 'rolled-back' | 'rollback-failed' | 'nothing to undo'>;
  exitCode: ExitCode;
}

export async function rollbackRun(options: RollbackOptions): Promise<RollbackResult> {
  const sink = new EventSink(options.journal, options.listeners, options.secrets ?? processSecrets);
  sink.state = options.state;
  const resolver = new RemoteResolver(options.inventory, options.remotes);
  const never = sharedSignal();
  const nodes: RollbackResult['nodes'] = {};
  try {
    await Promise.all(
      options.hosts.map(async (node) => {
        const n = options.state.nodes.get(node.name);
        const changes = n ? changesToUndo(n, { to: options.to }) : [];
        if (changes.length === 0) {
          nodes[node.name] = 'nothing to undo';
          return;
        }
        nodes[node.name] = await withLaneSignal(never, (signal) =>
          rollbackNode(
            { playbook: options.playbook, node, extraVars: options.extraVars, resolver, stepTypes: options.stepTypes ?? getStepType, emit: (e) => sink.emit(e), durable: () => sink.durable(), signal },
            changes,
            { to: options.to },
            'slipway rollback',
          ),
        );
      }),
    );
  } finally {
    await resolver.close();
  }
  await sink.durable();
  const failed = Object.values(nodes).includes('rollback-failed');
  return { nodes, exitCode: failed ? EXIT.rollbackFailed : EXIT.ok };
}
