/**
 * What the `kube.*` steps share: the node's Kubernetes name, kubectl's argument vector, and the
 * read-only probes. These steps run where kubectl and a kubeconfig are (`on: control_plane` or
 * `on: local`): `ctx.remote` is that host, `ctx.node` the node being upgraded.
 */
import { CommandError, SlipwayError } from '../../errors.js';
import { execOptions } from '../../facts/exec-options.js';
import { CORDONED_BY_ANNOTATION, parseNodeJson, parsePdbList, parsePodList, type KubeNodeState, type KubePdb, type KubePod } from '../../facts/kubectl.js';
import type { StepContext } from '../types.js';

export interface KubectlParams {
  nodeName?: string;
  kubeconfig?: string;
}

/** Schema properties every `kube.*` step has. */
export const kubectlParamsProperties: Record<string, unknown> = {
  nodeName: {
    type: 'string',
    pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
    description: "The node's name in Kubernetes, when it differs from its inventory name (the default).",
  },
  kubeconfig: {
    type: 'string',
    minLength: 1,
    description: 'Path of the kubeconfig on the host kubectl runs on (`--kubeconfig`). Default: kubectl\'s own (KUBECONFIG, ~/.kube/config).',
  },
};

/** The Kubernetes name of the node being upgraded. */
export function kubeNodeName(ctx: Pick<StepContext, 'node'>, params: KubectlParams): string {
  return params.nodeName ?? ctx.node.name;
}

/** `kubectl [--kubeconfig PATH] ARGS...` */
export function kubectlArgv(params: KubectlParams, ...args: string[]): string[] {
  return ['kubectl', ...(params.kubeconfig === undefined ? [] : ['--kubeconfig', params.kubeconfig]), ...args];
}

export async function probeKubeNode(ctx: StepContext, params: KubectlParams, name: string): Promise<KubeNodeState> {
  const r = await ctx.remote.exec(kubectlArgv(params, 'get', 'node', name, '-o', 'json'), execOptions(ctx));
  if (r.code !== 0) {
    if (/NotFound|not found/.test(r.stderr)) {
      throw new SlipwayError(
        `${ctx.remote.host}: node '${name}' is not in the cluster (kubectl get node: ${r.stderr.trim()}); ` +
          "set nodeName when the node's Kubernetes name differs from its inventory name",
      );
    }
    throw commandError(ctx, kubectlArgv(params, 'get', 'node', name, '-o', 'json'), r);
  }
  return parseNodeJson(r.stdout);
}

export async function probeNodePods(ctx: StepContext, params: KubectlParams, name: string): Promise<KubePod[]> {
  const argv = kubectlArgv(params, 'get', 'pods', '-A', '--field-selector', `spec.nodeName=${name}`, '-o', 'json');
  const r = await ctx.remote.run(argv, execOptions(ctx));
  return parsePodList(r.stdout);
}

export async function probePdbs(ctx: StepContext, params: KubectlParams): Promise<KubePdb[]> {
  const r = await ctx.remote.run(kubectlArgv(params, 'get', 'pdb', '-A', '-o', 'json'), execOptions(ctx));
  return parsePdbList(r.stdout);
}

function commandError(ctx: StepContext, argv: string[], r: { code: number; stdout: string; stderr: string }): CommandError {
  return new CommandError({ host: ctx.remote.host, argv, code: r.code, stdout: r.stdout, stderr: r.stderr });
}

/**
 * Cordons the node and records who did, or uncordons it and clears that, in one merge patch of
 * the Node (one API call: never cordoned without the record, or the other way round).
 * `cordonedBy`: the run (a cordon), or null (an uncordon, which removes the annotation).
 */
/** `last`: the step's last command (ExecOptions.last), as in kube.cordon and kube.uncordon. */
export async function setCordon(ctx: StepContext, params: KubectlParams, name: string, cordonedBy: string | null, last = false): Promise<void> {
  const patch = { spec: { unschedulable: cordonedBy === null ? null : true }, metadata: { annotations: { [CORDONED_BY_ANNOTATION]: cordonedBy } } };
  await ctx.remote.run(kubectlArgv(params, 'patch', 'node', name, '--type', 'merge', '-p', JSON.stringify(patch)), execOptions(ctx, { last }));
}

/** Who cordoned the node, for the run's own cordon: the run id, or `slipway` outside a run. */
export function cordonOwner(ctx: Pick<StepContext, 'runId'>): string {
  return ctx.runId ?? 'slipway';
}
