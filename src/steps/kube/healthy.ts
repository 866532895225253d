/**
 * `kube.healthy`: the health gate a node passes before it counts as done and the next node
 * starts. Asked of the API server where kubectl is (`on: control_plane` or `on: local`):
 * - the Node's Ready condition is True (kubelet posts it; a node whose kubelet stopped posting
 *   is Unknown after the node controller's grace period);
 * - the kubelet answers now: `kubectl get --raw /api/v1/nodes/NAME/proxy/healthz` says ok (the
 *   API server asks the kubelet, so a Ready condition posted before a restart cannot pass for
 *   it);
 * - every DaemonSet pod on the node is Running and Ready (CNI, kube-proxy, CSI and the like:
 *   what the node needs before it takes workloads again).
 * Apply waits until all hold or `timeout` passes, then fails saying what did not. A gate changes
 * nothing: its outcome is ok (healthy, perhaps after a wait) or failed, and it has nothing to undo.
 */
import { sleepUnlessAborted } from '../../sleep.js';
import { parseDuration } from '../../duration.js';
import { SlipwayError } from '../../errors.js';
import { execOptions } from '../../facts/exec-options.js';
import { podRef, type KubeNodeState, type KubePod } from '../../facts/kubectl.js';
import type { Projection } from '../projection.js';
import type { CheckResult, ParamsSchema, StepContext, StepType } from '../types.js';
import { kubeNodeName, kubectlArgv, kubectlParamsProperties, probeKubeNode, probeNodePods, type KubectlParams } from './kubectl.js';

export interface KubeHealthyParams extends KubectlParams {
  /** How long apply waits for the node to become healthy, e.g. "5m". */
  timeout?: string;
  /** Require the Node's Ready condition (default true). */
  ready?: boolean;
  /** Require the kubelet to answer through the API server (default true). */
  kubelet?: boolean;
  /** Require every DaemonSet pod on the node Running and Ready (default true). */
  daemonSets?: boolean;
}

export interface KubeHealthyFacts {
  node: KubeNodeState;
  /** The kubelet's healthz through the API server: undefined when it answered ok, else why not. */
  kubeletProblem: string | undefined;
  daemonSetPods: KubePod[];
  /** Plan only: the kubelet or runtime units the steps before change (the run waits for the node after them). */
  restartedUnits?: string[];
}

/** The units whose restart takes a node's health away for a while. */
const NODE_UNITS = ['kubelet', 'containerd', 'crio', 'cri-docker', 'docker'];

export const DEFAULT_HEALTH_TIMEOUT = '5m';
const POLL_MS = 500;

export const paramsSchema: ParamsSchema = {
  type: 'object',
  description:
    'Wait until the node is healthy again: its Node Ready, its kubelet answering, its DaemonSet pods running and ready. Run it on a host with kubectl: `on: control_plane` or `on: local`.',
  additionalProperties: false,
  properties: {
    ...kubectlParamsProperties,
    timeout: {
      type: 'string',
      pattern: '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$',
      default: DEFAULT_HEALTH_TIMEOUT,
      description: 'How long to wait for the node to become healthy, e.g. "5m" (within the step\'s own `timeout`). Past it the step fails.',
    },
    ready: { type: 'boolean', default: true, description: "Require the Node's Ready condition to be True." },
    kubelet: { type: 'boolean', default: true, description: 'Require the kubelet to answer its healthz through the API server (`kubectl get --raw /api/v1/nodes/NAME/proxy/healthz`).' },
    daemonSets: { type: 'boolean', default: true, description: 'Require every DaemonSet pod on the node to be Running and Ready.' },
  },
};

/** What keeps the node from being healthy, one phrase each; empty when it is. Pure. */
export function healthProblems(params: KubeHealthyParams, facts: KubeHealthyFacts): string[] {
  const problems: string[] = [];
  const ready = facts.node.ready;
  if (params.ready !== false && ready?.status !== 'True') {
    problems.push(ready ? `Node Ready is ${ready.status}${ready.reason ? ` (${ready.reason}${ready.message ? `: ${ready.message}` : ''})` : ''}` : 'the Node has no Ready condition');
  }
  if (params.kubelet !== false && facts.kubeletProblem !== undefined) problems.push(`kubelet does not answer: ${facts.kubeletProblem}`);
  if (params.daemonSets !== false) {
    const notReady = facts.daemonSetPods.filter((p) => p.phase !== 'Running' || !p.ready);
    if (notReady.length) problems.push(`DaemonSet pod(s) not running and ready: ${notReady.map((p) => `${podRef(p)} (${p.phase || 'no phase'}${p.phase === 'Running' ? ', not ready' : ''})`).join(', ')}`);
  }
  return problems;
}

function healthySummary(params: KubeHealthyParams, facts: KubeHealthyFacts): string {
  const parts = [
    ...(params.ready !== false ? ['Ready'] : []),
    ...(params.kubelet !== false ? ['kubelet answering'] : []),
    ...(params.daemonSets !== false ? [`${facts.daemonSetPods.length} DaemonSet pod(s) running and ready`] : []),
  ];
  return `node ${facts.node.name} is healthy: ${parts.join(', ') || 'nothing required'}`;
}

async function kubeletProblem(ctx: StepContext, params: KubeHealthyParams, name: string): Promise<string | undefined> {
  const r = await ctx.remote.exec(kubectlArgv(params, 'get', '--raw', `/api/v1/nodes/${name}/proxy/healthz`), execOptions(ctx));
  if (r.code === 0 && r.stdout.trim() === 'ok') return undefined;
  return (r.stderr.trim() || r.stdout.trim() || `kubectl exited ${r.code}`).split('\n')[0];
}

export const kubeHealthyStep: StepType<KubeHealthyParams, KubeHealthyFacts, Record<string, never>> = {
  kind: 'kube.healthy',
  description: 'Health gate: wait until the node is Ready, its kubelet answers and its DaemonSet pods run and are ready; fail past a timeout. Changes nothing.',
  paramsSchema,
  gate: true,

  async facts(ctx: StepContext, params: KubeHealthyParams): Promise<KubeHealthyFacts> {
    const name = kubeNodeName(ctx, params);
    const [node, problem, pods] = await Promise.all([
      probeKubeNode(ctx, params, name),
      params.kubelet === false ? Promise.resolve(undefined) : kubeletProblem(ctx, params, name),
      params.daemonSets === false ? Promise.resolve([]) : probeNodePods(ctx, params, name),
    ]);
    return { node, kubeletProblem: problem, daemonSetPods: pods.filter((p) => p.daemonSet) };
  },

  project(_params: KubeHealthyParams, facts: KubeHealthyFacts, projection: Projection): KubeHealthyFacts {
    const restarted = NODE_UNITS.filter((u) => projection.unit(u) !== undefined);
    return restarted.length ? { ...facts, restartedUnits: restarted } : facts;
  },

  check(params: KubeHealthyParams, facts: KubeHealthyFacts): CheckResult {
    const problems = healthProblems(params, facts);
    const wait = params.timeout ?? DEFAULT_HEALTH_TIMEOUT;
    // In a plan, after steps that (re)start kubelet or the runtime: the gate is what the run
    // waits for then, not the node's health now. A gate changes nothing, so it says ok.
    if (facts.restartedUnits?.length) {
      const now = problems.length === 0 ? `${healthySummary(params, facts)} now` : `node ${facts.node.name} is not healthy now (${problems.join('; ')})`;
      const again = problems.length === 0 ? 'to be again' : 'to become healthy';
      return { status: 'ok', summary: `${now}; after ${facts.restartedUnits.join(', ')} change the run waits up to ${wait} for it ${again}` };
    }
    if (problems.length === 0) return { status: 'ok', summary: healthySummary(params, facts) };
    return { status: 'change', summary: `wait up to ${wait} for node ${facts.node.name} to be healthy: ${problems.join('; ')}` };
  },

  async apply(ctx: StepContext, params: KubeHealthyParams): Promise<Record<string, never>> {
    const waitMs = parseDuration(params.timeout ?? DEFAULT_HEALTH_TIMEOUT); // the schema checked its form
    const started = Date.now();
    for (;;) {
      const facts = await kubeHealthyStep.facts(ctx, params);
      const problems = healthProblems(params, facts);
      if (problems.length === 0) return {};
      const waited = Date.now() - started;
      ctx.waiting?.(`node ${facts.node.name} to be healthy (timeout ${params.timeout ?? DEFAULT_HEALTH_TIMEOUT}): ${problems.join('; ')}`);
      if (waited >= waitMs || ctx.signal.aborted) {
        throw new SlipwayError(`${ctx.remote.host}: node ${facts.node.name} is not healthy after ${(waited / 1000).toFixed(0)}s (timeout ${params.timeout ?? DEFAULT_HEALTH_TIMEOUT}): ${problems.join('; ')}`);
      }
      await sleepUnlessAborted(Math.min(POLL_MS, waitMs - waited), ctx.signal);
    }
  },

  async rollback(): Promise<void> {
    // A gate changes nothing: nothing to undo.
  },
};
