/**
 * `kube.drain`: the node is cordoned and every pod that a drain moves is gone from it
 * (`kubectl drain`). DaemonSet-managed pods and static pods' mirrors stay, as with kubectl.
 *
 * With `disableEviction: afterTimeout`, a drain that runs into its `timeout` (typically a
 * PodDisruptionBudget that allows no disruption) is run once more with `--disable-eviction`,
 * which deletes the pods without asking the eviction API. A drain that still fails reports the
 * pods left on the node and the budgets that blocked them.
 *
 * Evicted pods are not brought back by rollback (their controllers recreate them elsewhere);
 * rollback uncordons the node if it was schedulable before this step.
 */
import { CommandError, SlipwayError } from '../../errors.js';
import { execOptions } from '../../facts/exec-options.js';
import {
  evictablePods,
  isDrainTimeout,
  parseDrainPdbBlocks,
  pdbsForPod,
  podRef,
  THIS_RUN,
  type BlockedEviction,
  type KubeNodeState,
  type KubePdb,
  type KubePod,
} from '../../facts/kubectl.js';
import type { ExecResult } from '../../transport/types.js';
import type { Projection } from '../projection.js';
import { cordonStateOf, projectedKubeNode } from './cordon.js';
import type { CheckResult, ParamsSchema, StepContext, StepType } from '../types.js';
import {
  kubeNodeName,
  kubectlArgv,
  kubectlParamsProperties,
  probeKubeNode,
  probeNodePods,
  probePdbs,
  cordonOwner,
  setCordon,
  type KubectlParams,
} from './kubectl.js';

export interface KubeDrainParams extends KubectlParams {
  ignoreDaemonsets?: boolean;
  deleteEmptydirData?: boolean;
  force?: boolean;
  gracePeriod?: number;
  timeout?: string;
  disableEviction?: 'never' | 'afterTimeout';
}

export interface KubeDrainFacts {
  node: KubeNodeState;
  pods: KubePod[];
  /** The cluster's PodDisruptionBudgets (for what would block the drain now). */
  pdbs: KubePdb[];
}

export interface KubeDrainUndo {
  nodeName: string;
  /** The node took new pods before apply: rollback uncordons it. */
  wasSchedulable: boolean;
  /** The pods the drain removed (`namespace/name`); they are not brought back. */
  evicted: string[];
  /** The second run with `--disable-eviction` was needed. */
  evictionDisabled: boolean;
}

export const paramsSchema: ParamsSchema = {
  type: 'object',
  description:
    'Cordon the node and evict its pods (kubectl drain). Run it on a host with kubectl: `on: control_plane` or `on: local`.',
  additionalProperties: false,
  properties: {
    ...kubectlParamsProperties,
    ignoreDaemonsets: {
      type: 'boolean',
      default: true,
      description: 'Leave DaemonSet-managed pods (`--ignore-daemonsets`). Without it kubectl refuses to drain a node that has any.',
    },
    deleteEmptydirData: {
      type: 'boolean',
      default: false,
      description: "Also evict pods with emptyDir volumes, whose data is lost (`--delete-emptydir-data`).",
    },
    force: {
      type: 'boolean',
      default: false,
      description: 'Also delete pods that no controller manages; they are not recreated anywhere (`--force`).',
    },
    gracePeriod: {
      type: 'integer',
      minimum: -1,
      description: "Seconds each pod gets to terminate (`--grace-period`); -1 (default) uses the pod's own.",
    },
    timeout: {
      type: 'string',
      pattern: '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$',
      description: 'How long kubectl keeps trying (`--timeout`), e.g. "60s". Unset: until the step\'s own timeout.',
    },
    disableEviction: {
      enum: ['never', 'afterTimeout'],
      default: 'never',
      description:
        '`afterTimeout`: when the drain runs into `timeout` (a PodDisruptionBudget that allows no disruption), run it once ' +
        'more with `--disable-eviction`, deleting the pods without the eviction API and so past their budgets.',
    },
  },
  allOf: [
    {
      if: { properties: { disableEviction: { const: 'afterTimeout' } }, required: ['disableEviction'] },
      then: { properties: { timeout: true }, required: ['timeout'] },
    },
  ],
};

function drainArgv(params: KubeDrainParams, name: string, disableEviction: boolean): string[] {
  const args = ['drain', name];
  if (params.ignoreDaemonsets !== false) args.push('--ignore-daemonsets');
  if (params.deleteEmptydirData === true) args.push('--delete-emptydir-data');
  if (params.force === true) args.push('--force');
  if (params.gracePeriod !== undefined) args.push(`--grace-period=${params.gracePeriod}`);
  if (params.timeout !== undefined) args.push(`--timeout=${params.timeout}`);
  if (disableEviction) args.push('--disable-eviction');
  return kubectlArgv(params, ...args);
}

function listPods(pods: readonly KubePod[], max = 5): string {
  const refs = pods.map(podRef);
  return refs.length <= max ? refs.join(', ') : `${refs.slice(0, max).join(', ')}, … (${refs.length - max} more)`;
}

/** Why kubectl will refuse the drain as the params stand; empty when it will not. Pure. */
export function drainObstacles(params: KubeDrainParams, pods: readonly KubePod[]): string[] {
  const notes: string[] = [];
  const live = (p: KubePod): boolean => p.phase !== 'Succeeded' && p.phase !== 'Failed';
  const daemonSet = pods.filter((p) => p.daemonSet && !p.mirror);
  if (params.ignoreDaemonsets === false && daemonSet.length > 0) {
    notes.push(`DaemonSet-managed pods ${listPods(daemonSet)} (set ignoreDaemonsets: true)`);
  }
  const evictable = evictablePods(pods).filter(live);
  const emptyDir = evictable.filter((p) => p.emptyDir);
  if (params.deleteEmptydirData !== true && emptyDir.length > 0) {
    notes.push(`pods with emptyDir data ${listPods(emptyDir)} (set deleteEmptydirData: true)`);
  }
  const unmanaged = evictable.filter((p) => p.controllerKinds.length === 0);
  if (params.force !== true && unmanaged.length > 0) {
    notes.push(`pods without a controller ${listPods(unmanaged)} (set force: true)`);
  }
  return notes;
}

/** The budgets that allow no disruption now, with the pods of `evictable` they cover. Pure. */
export function blockingBudgets(evictable: readonly KubePod[], pdbs: readonly KubePdb[]): Array<{ pdb: KubePdb; pods: string[] }> {
  const out = new Map<string, { pdb: KubePdb; pods: string[] }>();
  for (const pod of evictable) {
    for (const pdb of pdbsForPod(pod, pdbs)) {
      if (pdb.disruptionsAllowed > 0) continue;
      const key = `${pdb.namespace}/${pdb.name}`;
      const entry = out.get(key) ?? { pdb, pods: [] };
      entry.pods.push(podRef(pod));
      out.set(key, entry);
    }
  }
  return [...out.values()];
}

function describePdb(pdb: KubePdb): string {
  let budget = 'no budget';
  if (pdb.minAvailable !== undefined) budget = `minAvailable ${pdb.minAvailable}`;
  else if (pdb.maxUnavailable !== undefined) budget = `maxUnavailable ${pdb.maxUnavailable}`;
  return (
    `PodDisruptionBudget ${pdb.namespace}/${pdb.name} (${budget}; ${pdb.currentHealthy} healthy, ` +
    `${pdb.desiredHealthy} desired; ${pdb.disruptionsAllowed} disruptions allowed)`
  );
}

/**
 * The message for a drain that did not finish: the pods left, and for the ones evictions
 * refused, the budgets that blocked them. Pure.
 */
export function diagnoseDrainFailure(input: {
  nodeName: string;
  remaining: readonly KubePod[];
  blocked: readonly BlockedEviction[];
  pdbs: readonly KubePdb[];
  kubectlOutput: string;
  triedWithoutEviction: boolean;
}): string {
  const { nodeName, remaining, blocked, pdbs } = input;
  const lines: string[] = [];
  lines.push(
    remaining.length === 0
      ? `drain of node ${nodeName} failed`
      : `drain of node ${nodeName} did not finish: ${remaining.length} pod${remaining.length === 1 ? '' : 's'} still on it: ${listPods(remaining, 10)}`,
  );
  // Blocked pods: those kubectl named, matched to the pods still there (the old message format has no namespace).
  const blockedPods = blocked.map((b) => {
    const pod = remaining.find((p) => p.name === b.name && (b.namespace === undefined || p.namespace === b.namespace));
    return { ref: b.namespace === undefined ? (pod ? podRef(pod) : b.name) : `${b.namespace}/${b.name}`, pod };
  });
  const byPdb = new Map<string, { pdb: KubePdb; pods: string[] }>();
  const unmatched: string[] = [];
  for (const { ref, pod } of blockedPods) {
    const budgets = pod ? pdbsForPod(pod, pdbs) : [];
    if (budgets.length === 0) unmatched.push(ref);
    for (const pdb of budgets) {
      const key = `${pdb.namespace}/${pdb.name}`;
      const entry = byPdb.get(key) ?? { pdb, pods: [] };
      entry.pods.push(ref);
      byPdb.set(key, entry);
    }
  }
  for (const { pdb, pods } of byPdb.values()) lines.push(`blocked by ${describePdb(pdb)}: ${pods.join(', ')}`);
  if (unmatched.length > 0) lines.push(`evictions refused by a disruption budget: ${unmatched.join(', ')}`);
  const tail = input.kubectlOutput
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '' && !l.startsWith('evicting pod') && !/will retry after/.test(l))
    .slice(-4);
  if (tail.length > 0) lines.push(`kubectl said: ${tail.join(' | ')}`);
  if (blocked.length > 0 && !input.triedWithoutEviction) {
    lines.push('to get past the budgets: set `timeout` and `disableEviction: afterTimeout`, or scale or fix the workloads first');
  }
  return lines.join('\n  ');
}

function output(r: ExecResult): string {
  return `${r.stdout}\n${r.stderr}`;
}

export const kubeDrainStep: StepType<KubeDrainParams, KubeDrainFacts, KubeDrainUndo> = {
  kind: 'kube.drain',
  description:
    'Cordon the node and evict its pods (kubectl drain), optionally past PodDisruptionBudgets after a timeout; reports what blocked a drain.',
  paramsSchema,

  async facts(ctx: StepContext, params: KubeDrainParams): Promise<KubeDrainFacts> {
    const name = kubeNodeName(ctx, params);
    // Asked together: one exec on the kubectl host (transport/batching-remote.ts).
    const [node, pods] = await Promise.all([probeKubeNode(ctx, params, name), probeNodePods(ctx, params, name)]);
    // Only asked when there is something to evict: a drain with nothing to move cannot be blocked.
    const pdbs = evictablePods(pods).length > 0 ? await probePdbs(ctx, params) : [];
    return { node, pods, pdbs };
  },

  cordonState: cordonStateOf,

  project(_params: KubeDrainParams, facts: KubeDrainFacts, projection: Projection): KubeDrainFacts {
    const projected = projection.node();
    const node = projectedKubeNode(facts.node, projected);
    if (projected.drained) return { ...facts, node: { ...node, unschedulable: true }, pods: facts.pods.filter((p) => !evictablePods([p]).length) };
    return { ...facts, node };
  },

  predict(_params: KubeDrainParams, facts: KubeDrainFacts, projection: Projection): void {
    projection.setNode({ unschedulable: true, drained: true, ...(facts.node.unschedulable ? {} : { cordonedBy: THIS_RUN }) });
  },

  applied(_params: KubeDrainParams, facts: KubeDrainFacts): string {
    const evictable = evictablePods(facts.pods);
    const what = [...(facts.node.unschedulable ? [] : ['cordoned']), ...(evictable.length ? [`evicted ${evictable.length} pod${evictable.length === 1 ? '' : 's'} (${listPods(evictable)})`] : [])];
    return `drained node ${facts.node.name}: ${what.join(', ')}`;
  },

  check(params: KubeDrainParams, facts: KubeDrainFacts): CheckResult {
    const evictable = evictablePods(facts.pods);
    const staying = facts.pods.length - evictable.length;
    const stays = staying > 0 ? ` (${staying} DaemonSet or static pod${staying === 1 ? '' : 's'} stay)` : '';
    if (facts.node.unschedulable && evictable.length === 0) {
      return { status: 'ok', summary: `node ${facts.node.name} is cordoned and has no pods to evict${stays}` };
    }
    const what: string[] = [];
    if (!facts.node.unschedulable) what.push('cordon');
    if (evictable.length > 0) what.push(`evict ${evictable.length} pod${evictable.length === 1 ? '' : 's'} (${listPods(evictable)})`);
    const obstacles = drainObstacles(params, facts.pods);
    const warn = obstacles.length > 0 ? `; kubectl will refuse: ${obstacles.join('; ')}` : '';
    const blocked = blockingBudgets(evictable, facts.pdbs);
    const summary = `drain node ${facts.node.name}: ${what.join(', ')}${stays}${warn}`;
    if (blocked.length === 0) return { status: 'change', summary };
    const blocks = blocked.map((b) => `${describePdb(b.pdb)}: ${b.pods.join(', ')}`).join('; ');
    if (params.disableEviction === 'afterTimeout') {
      return { status: 'change', summary: `${summary}; blocked now by ${blocks}: after ${params.timeout} the pods are deleted past their budgets (disableEviction: afterTimeout)` };
    }
    // As the cluster is now, the eviction API refuses these pods: a run tries until its timeout.
    return { status: 'change', summary, failsNow: `the drain would be blocked (as the cluster is now) by ${blocks}; it fails after its timeout unless the budgets allow it by then` };
  },

  async apply(ctx: StepContext, params: KubeDrainParams, facts: KubeDrainFacts): Promise<KubeDrainUndo> {
    const nodeName = kubeNodeName(ctx, params);
    const wasSchedulable = !facts.node.unschedulable;
    const evicted = evictablePods(facts.pods).map(podRef);
    // kubectl drain cordons a schedulable node itself; slipway cordons it first, with its record.
    if (wasSchedulable) await setCordon(ctx, params, nodeName, cordonOwner(ctx));
    const blocked = blockingBudgets(evictablePods(facts.pods), facts.pdbs);
    if (blocked.length > 0) {
      const until = params.timeout ? `up to ${params.timeout}` : "until the step's timeout";
      ctx.waiting?.(`evictions, ${until}: blocked by ${blocked.map((b) => `${describePdb(b.pdb)}: ${b.pods.join(', ')}`).join('; ')}`);
    }
    let argv = drainArgv(params, nodeName, false);
    let result = await ctx.remote.exec(argv, execOptions(ctx));
    let all = output(result);
    let evictionDisabled = false;
    if (result.code !== 0 && params.disableEviction === 'afterTimeout' && isDrainTimeout(all)) {
      argv = drainArgv(params, nodeName, true);
      result = await ctx.remote.exec(argv, execOptions(ctx));
      all = `${all}\n${output(result)}`;
      evictionDisabled = true;
    }
    if (result.code === 0) return { nodeName, wasSchedulable, evicted, evictionDisabled };

    // Say what is left and what blocked it; then leave the node schedulable if it was.
    const cause = new CommandError({ host: ctx.remote.host, argv, code: result.code, stdout: result.stdout, stderr: result.stderr });
    const remaining = evictablePods(await probeNodePods(ctx, params, nodeName).catch(() => facts.pods));
    const blockedNow = parseDrainPdbBlocks(all);
    const pdbs = blockedNow.length > 0 ? await probePdbs(ctx, params).catch(() => []) : [];
    let message = diagnoseDrainFailure({ nodeName, remaining, blocked: blockedNow, pdbs, kubectlOutput: all, triedWithoutEviction: evictionDisabled });
    if (wasSchedulable) {
      const restored = await setCordon(ctx, params, nodeName, null).then(
        () => true,
        () => false,
      );
      message += restored
        ? `\n  node ${nodeName} was uncordoned again, as it was before this step`
        : `\n  node ${nodeName} stays cordoned: uncordoning it again failed`;
    }
    throw new SlipwayError(`${ctx.remote.host}: ${message}`, { cause });
  },

  async rollback(ctx: StepContext, params: KubeDrainParams, undo: KubeDrainUndo): Promise<void> {
    if (undo.wasSchedulable) await setCordon(ctx, params, undo.nodeName, null);
  },
};
