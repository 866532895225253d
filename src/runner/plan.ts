/**
 * `plan`: every step of every node checked, nothing changed (the lane in check mode), and the
 * rolling batches the run would go in. Plan is data: the CLI prints it as text or JSON.
 */
import pMap from 'p-map';
import { EXIT, type ExitCode } from '../errors.js';
import { probeNodeFacts } from '../facts/node.js';
import type { Inventory, InventoryHost } from '../inventory/types.js';
import type { Playbook } from '../playbook/types.js';
import { getStepType } from '../steps/registry.js';
import type { AnyStepType } from '../steps/types.js';
import type { RemoteFactory } from '../transport/types.js';
import { planBatches } from './batches.js';
import { checkLane } from './lane-check.js';
import type { FactsReader } from './lane.js';
import { processSecrets, type SecretValues } from './redact.js';
import { RemoteResolver } from './remotes.js';

export interface EngineInput {
  playbook: Playbook;
  inventory: Inventory;
  /** Hosts selected by the playbook's `hosts:` and `--limit`, in inventory order. */
  hosts: InventoryHost[];
  extraVars: Record<string, unknown>;
  /** Where commands go: SSH from the CLI, in-memory remotes in tests. */
  remotes: RemoteFactory;
  /** Values hidden in the plan, the events and the journal. Default: this process's (the CLI's). */
  secrets?: SecretValues;
  /** Step types by kind. Default: the built-in registry. */
  stepTypes?: (kind: string) => AnyStepType | undefined;
  /** How a node's facts are read. Default: the node probe over its remote. */
  readFacts?: FactsReader;
  /** Nodes checked at once during plan. */
  planConcurrency?: number;
}

interface PlannedBase {
  id: string;
  name: string;
  uses: string;
  via?: string;
}

export type PlannedStep =
  | (PlannedBase & { status: 'ok'; summary: string })
  | (PlannedBase & { status: 'change'; summary: string; diff?: string })
  | (PlannedBase & { status: 'skip'; reason: string })
  | (PlannedBase & { status: 'fail'; reason: string })
  /** The check itself could not be made (a command failed, a probe's output was not understood). */
  | (PlannedBase & { status: 'error'; error: string })
  /** A step before it would fail or stop the node: it would not run. */
  | (PlannedBase & { status: 'unreached'; reason: string });

export interface NodePlan {
  host: string;
  reachable: boolean;
  error?: string;
  /** A `preflight: true` step that would fail: the run stops the node before its first step. */
  preflight?: { step: string; reason: string };
  steps: PlannedStep[];
}

export interface Plan {
  playbook: string;
  playbookName: string;
  batches: string[][];
  nodes: NodePlan[];
}

export const defaultFactsReader: FactsReader = (remote, probes, limits) => probeNodeFacts(remote, limits, probes);

export async function computePlan(input: EngineInput): Promise<Plan> {
  const resolver = new RemoteResolver(input.inventory, input.remotes);
  const never = new AbortController().signal;
  try {
    const nodes = await pMap(
      input.hosts,
      (node) =>
        checkLane({
          playbook: input.playbook,
          node,
          extraVars: input.extraVars,
          resolver,
          stepTypes: input.stepTypes ?? getStepType,
          readFacts: input.readFacts ?? defaultFactsReader,
          killSignal: never,
        }),
      { concurrency: input.planConcurrency ?? 16 },
    );
    return (input.secrets ?? processSecrets).redactData({
      playbook: input.playbook.file,
      playbookName: input.playbook.name,
      batches: planBatches(input.hosts, input.playbook.rolling),
      nodes,
    });
  } finally {
    await resolver.close();
  }
}

export function planExitCode(plan: Plan): ExitCode {
  if (plan.nodes.some((n) => !n.reachable)) return EXIT.unreachable;
  if (plan.nodes.some((n) => n.steps.some((s) => s.status === 'error' || s.status === 'fail'))) return EXIT.stepFailed;
  return EXIT.ok;
}
