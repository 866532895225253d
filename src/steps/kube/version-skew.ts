/**
 * `kube.versionSkew`: the gate a minor-version upgrade passes on each node before anything
 * changes, asked of the API server where kubectl is (`on: control_plane`). Its check refuses,
 * so that a plan already says so:
 * - a target older than the API server, or one that skips a minor version (kubeadm upgrades one
 *   minor at a time);
 * - a cluster where some kubelet is already newer than the target (the API server would end up
 *   older than that kubelet).
 * On a node that is not a control-plane node it also waits, in a run, until the API server is at
 * the target's minor version: a kubelet must never be newer than kube-apiserver
 * (kubernetes.io/releases/version-skew-policy). In a rolling run the control-plane nodes go first
 * (`rolling.serialFirst`), so a worker finds the API server upgraded; a run limited to workers
 * while the control plane is still on the old minor fails here, before touching the node.
 * A gate changes nothing and has nothing to undo.
 */
import { parseDuration } from '../../duration.js';
import { SlipwayError } from '../../errors.js';
import { execOptions } from '../../facts/exec-options.js';
import { parseNodeVersions, parseServerVersion, type KubeNodeVersion } from '../../facts/kubectl.js';
import { controlPlaneUpgradeProblems, kubeletWouldOutrun, kubeVersion } from '../../kb/kubeadm-policy.js';
import { sleepUnlessAborted } from '../../sleep.js';
import type { CheckResult, ParamsSchema, StepContext, StepType } from '../types.js';
import { kubeNodeName, kubectlArgv, kubectlParamsProperties, type KubectlParams } from './kubectl.js';

export interface KubeVersionSkewParams extends KubectlParams {
  /** The Kubernetes version the upgrade goes to. */
  version: string;
  /** How long a worker waits for the API server to reach the target's minor version. */
  timeout?: string;
}

export interface KubeVersionSkewFacts {
  /** The node's Kubernetes name. */
  node: string;
  serverVersion: string;
  nodes: KubeNodeVersion[];
}

const DEFAULT_WAIT = '10m';
const POLL_MS = 1000;

export const paramsSchema: ParamsSchema = {
  type: 'object',
  description:
    'Gate of a minor-version upgrade: refuse a target that skips a minor, goes back, or would leave a kubelet newer than the API server; on a worker, wait until the API server is at the target minor. Run it on a host with kubectl: `on: control_plane`.',
  additionalProperties: false,
  required: ['version'],
  properties: {
    ...kubectlParamsProperties,
    version: { type: 'string', pattern: '^v?[0-9]+\\.[0-9]+\\.[0-9]+$', description: 'The Kubernetes version the upgrade goes to, with its patch: "1.27.16".' },
    timeout: {
      type: 'string',
      pattern: '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$',
      default: DEFAULT_WAIT,
      description: 'How long a worker waits for the API server to reach the target minor version (within the step\'s own `timeout`).',
    },
  },
};

async function readFacts(ctx: StepContext, params: KubeVersionSkewParams): Promise<KubeVersionSkewFacts> {
  const [version, nodes] = await Promise.all([
    ctx.remote.run(kubectlArgv(params, 'version', '-o', 'json'), execOptions(ctx)),
    ctx.remote.run(kubectlArgv(params, 'get', 'nodes', '-o', 'json'), execOptions(ctx)),
  ]);
  return { node: kubeNodeName(ctx, params), serverVersion: parseServerVersion(version.stdout), nodes: parseNodeVersions(nodes.stdout) };
}

/** Why the upgrade must not go on (empty: it may), and whether this node has to wait for the API server. Pure. */
export function skewVerdict(params: KubeVersionSkewParams, facts: KubeVersionSkewFacts): { problems: string[]; waitForServer: boolean } {
  const target = kubeVersion(params.version) ?? params.version;
  const kubelets = facts.nodes.map((n) => ({ node: n.name, version: n.kubeletVersion }));
  const problems = controlPlaneUpgradeProblems(target, facts.serverVersion, kubelets);
  const self = facts.nodes.find((n) => n.name === facts.node);
  const waitForServer = self?.controlPlane !== true && kubeletWouldOutrun(target, facts.serverVersion);
  return { problems, waitForServer };
}

export const kubeVersionSkewStep: StepType<KubeVersionSkewParams, KubeVersionSkewFacts, Record<string, never>> = {
  kind: 'kube.versionSkew',
  description: 'Gate of a minor-version upgrade: refuses a target that skips a minor, goes back, or would leave a kubelet newer than the API server; a worker waits for the API server. Changes nothing.',
  paramsSchema,
  gate: true,

  facts: readFacts,

  check(params: KubeVersionSkewParams, facts: KubeVersionSkewFacts): CheckResult {
    const target = kubeVersion(params.version) ?? params.version;
    const { problems, waitForServer } = skewVerdict(params, facts);
    if (problems.length) return { status: 'fail', reason: `upgrade to ${target} refused: ${problems.join('; ')}` };
    if (waitForServer) {
      return {
        status: 'change',
        summary: `wait up to ${params.timeout ?? DEFAULT_WAIT} for the API server to reach ${target.replace(/\.\d+$/, '')} (now ${facts.serverVersion}): the control-plane nodes go first, and a kubelet must not be newer than kube-apiserver`,
      };
    }
    return { status: 'ok', summary: `API server ${facts.serverVersion}, target ${target}: one minor at most, no kubelet newer than the target` };
  },

  predict(): void {
    // A gate changes nothing on the node: no later step's facts depend on it.
  },

  async apply(ctx: StepContext, params: KubeVersionSkewParams): Promise<Record<string, never>> {
    const waitMs = parseDuration(params.timeout ?? DEFAULT_WAIT);
    const started = Date.now();
    for (;;) {
      const facts = await readFacts(ctx, params);
      const { problems, waitForServer } = skewVerdict(params, facts);
      if (problems.length) throw new SlipwayError(`${ctx.remote.host}: upgrade to ${params.version} refused: ${problems.join('; ')}`);
      if (!waitForServer) return {};
      const waited = Date.now() - started;
      ctx.waiting?.(`the API server to reach the minor version of ${params.version} (now ${facts.serverVersion})`);
      if (waited >= waitMs || ctx.signal.aborted) {
        throw new SlipwayError(
          `${ctx.remote.host}: the API server is still ${facts.serverVersion} after ${(waited / 1000).toFixed(0)}s: upgrade the control plane to ${params.version} first (a kubelet must not be newer than kube-apiserver)`,
        );
      }
      await sleepUnlessAborted(Math.min(POLL_MS, waitMs - waited), ctx.signal);
    }
  },

  async rollback(): Promise<void> {
    // A gate changes nothing: nothing to undo.
  },
};
