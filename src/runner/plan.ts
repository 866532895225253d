/**
 * `plan`: every step of every node checked, nothing changed (the lane in check mode), and the
 * rolling batches the run would go in. Plan is data: the CLI prints it as text or JSON.
 */
import { sharedSignal, withLaneSignal } from './lane.js';
import pMap from 'p-map';
import { EXIT, type ExitCode } from '../errors.js';
import { probeNodeFacts } from '../facts/node.js';
import type { Inventory, InventoryHost } from '../inventory/types.js';
import type { Playbook, RollingPolicy } from '../playbook/types.js';
import { getStepType } from '../steps/registry.js';
import type { AnyStepType } from '../steps/types.js';
import type { RemoteFactory } from '../transport/types.js';
import { planBatches } from './batches.js';
import { checkLane } from './lane-check.js';
import type { FactsReader } from './lane.js';
import { processSecrets, type SecretValues } from './redact.js';
import { RemoteResolver } from './remotes.js';
import { RollingControl, type WindowLimits } from './rolling.js';
import { windowLimits } from './window.js';

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
  /** Steps before it whose effect the plan cannot model: what this one does is decided at run time. */
  decidedAfter?: string[];
  /** Steps before it whose predicted effects it was checked on (the node as they leave it, not as it is now). */
  after?: string[];
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
  /**
   * The run would not start this node: a node of an earlier batch would fail and the rolling
   * policy (its failure budget, or onFailure: stop) ends the run there. Its steps say what it
   * would do as it is now.
   */
  notStarted?: string;
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
  const never = sharedSignal();
  try {
    const nodes = await pMap(
      input.hosts,
      (node) =>
        withLaneSignal(never, (laneSignal) =>
          checkLane({
            playbook: input.playbook,
            node,
            extraVars: input.extraVars,
            resolver,
            stepTypes: input.stepTypes ?? getStepType,
            readFacts: input.readFacts ?? defaultFactsReader,
            killSignal: laneSignal,
          }),
        ),
      { concurrency: input.planConcurrency ?? 16 },
    );
    const batches = planBatches(input.hosts, input.playbook.rolling);
    const rolling = input.playbook.rolling;
    await predictRolling(nodes, batches, rolling, await windowLimits(rolling, input.hosts, resolver));
    return (input.secrets ?? processSecrets).redactData({
      playbook: input.playbook.file,
      playbookName: input.playbook.name,
      batches,
      nodes,
    });
  } finally {
    await resolver.close();
  }
}

/** The node would fail in the run: a step would fail, its check failed, or it is unreachable. */
export function wouldFail(node: NodePlan): boolean {
  return !node.reachable || node.steps.some((s) => s.status === 'fail' || s.status === 'error');
}

/**
 * The rolling policy over the predicted outcomes, as the run applies it: once a node would fail
 * past the budget, the nodes after it would not start. Batches: the batches after the one that
 * holds it. A window (maxUnavailable): the nodes it would not have started yet, with every node
 * taken to last as long (nodes end in the order they start). A node already in flight then is
 * started with it; when it stops depends on timing, so the plan leaves it as checked.
 */
async function predictRolling(nodes: NodePlan[], batches: string[][], policy: RollingPolicy, window: WindowLimits | undefined): Promise<void> {
  const rolling = new RollingControl({ ...policy, pause: 0 }, nodes.length, { emit: () => undefined });
  const byHost = new Map(nodes.map((n) => [n.host, n]));
  const started = new Set<string>();
  await rolling.runBatches(
    batches,
    async (host) => {
      started.add(host);
      await Promise.resolve(); // it ends after the window has filled, as a real node does
      const n = byHost.get(host);
      if (n && wouldFail(n)) rolling.noteNodeEnd(host, n.reachable ? 'failed' : 'unreachable');
    },
    window,
  );
  const stop = rolling.stopReason;
  if (stop !== undefined) for (const n of nodes) if (!started.has(n.host)) n.notStarted = stop;
}

export function planExitCode(plan: Plan): ExitCode {
  if (plan.nodes.some((n) => !n.reachable)) return EXIT.unreachable;
  if (plan.nodes.some((n) => n.steps.some((s) => s.status === 'error' || s.status === 'fail'))) return EXIT.stepFailed;
  return EXIT.ok;
}
