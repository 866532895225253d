/**
 * `kube.uncordon`: the node takes pods again (`kubectl uncordon`), if slipway cordoned it (the
 * Node's `slipway/cordoned-by` annotation, removed in the same patch). A node cordoned by someone
 * else stays cordoned ("stays cordoned: cordoned before this run"), unless `force: true`. Runs
 * where kubectl is (`on: control_plane` or `on: local`). Rollback cordons the node again only if
 * this step uncordoned it, with the record it had.
 */
import { execOptions } from '../../facts/exec-options.js';
import type { KubeNodeState } from '../../facts/kubectl.js';
import type { Projection } from '../projection.js';
import type { CheckResult, ParamsSchema, StepContext, StepType } from '../types.js';
import { cordonedByText, cordonStateOf, projectedKubeNode } from './cordon.js';
import { kubeNodeName, kubectlArgv, kubectlParamsProperties, probeKubeNode, setCordon, type KubectlParams } from './kubectl.js';

export interface KubeUncordonParams extends KubectlParams {
  force?: boolean;
}

export interface KubeUncordonFacts {
  node: KubeNodeState;
}

export interface KubeUncordonUndo {
  nodeName: string;
  /** The node was cordoned before apply: rollback cordons it again. */
  wasCordoned: boolean;
  /** Who had cordoned it (the annotation), put back by rollback. */
  cordonedBy?: string;
}

export const paramsSchema: ParamsSchema = {
  type: 'object',
  description: 'Mark the node schedulable again (kubectl uncordon) if slipway cordoned it. Run it on a host with kubectl: `on: control_plane` or `on: local`.',
  additionalProperties: false,
  properties: {
    ...kubectlParamsProperties,
    force: {
      type: 'boolean',
      default: false,
      description: 'Uncordon the node also when slipway did not cordon it (no `slipway/cordoned-by` annotation): someone else\'s cordon is lifted.',
    },
  },
};

const leavesIt = (params: KubeUncordonParams, node: KubeNodeState) => node.unschedulable && !node.cordonedBy && params.force !== true;

export const kubeUncordonStep: StepType<KubeUncordonParams, KubeUncordonFacts, KubeUncordonUndo> = {
  kind: 'kube.uncordon',
  description: 'Mark the node schedulable again (kubectl uncordon) if slipway cordoned it; rollback cordons it if it was cordoned.',
  paramsSchema,

  async facts(ctx: StepContext, params: KubeUncordonParams): Promise<KubeUncordonFacts> {
    return { node: await probeKubeNode(ctx, params, kubeNodeName(ctx, params)) };
  },

  cordonState: cordonStateOf,

  project(_params: KubeUncordonParams, facts: KubeUncordonFacts, projection: Projection): KubeUncordonFacts {
    return { node: projectedKubeNode(facts.node, projection.node()) };
  },

  predict(params: KubeUncordonParams, facts: KubeUncordonFacts, projection: Projection): void {
    if (!leavesIt(params, facts.node)) projection.setNode({ unschedulable: false, cordonedBy: null });
  },

  applied(_params: KubeUncordonParams, facts: KubeUncordonFacts): string {
    return `uncordoned node ${facts.node.name} (was cordoned ${cordonedByText(facts.node)})`;
  },

  check(params: KubeUncordonParams, facts: KubeUncordonFacts): CheckResult {
    if (!facts.node.unschedulable) return { status: 'ok', summary: `node ${facts.node.name} is schedulable` };
    if (leavesIt(params, facts.node)) return { status: 'ok', summary: `node ${facts.node.name} stays cordoned: cordoned ${cordonedByText(facts.node)}` };
    return { status: 'change', summary: `uncordon node ${facts.node.name} (cordoned ${cordonedByText(facts.node)})` };
  },

  async apply(ctx: StepContext, params: KubeUncordonParams, facts: KubeUncordonFacts): Promise<KubeUncordonUndo> {
    const nodeName = kubeNodeName(ctx, params);
    if (!facts.node.unschedulable || leavesIt(params, facts.node)) return { nodeName, wasCordoned: false };
    await setCordon(ctx, params, nodeName, null, true);
    return { nodeName, wasCordoned: true, ...(facts.node.cordonedBy ? { cordonedBy: facts.node.cordonedBy } : {}) };
  },

  async rollback(ctx: StepContext, params: KubeUncordonParams, undo: KubeUncordonUndo): Promise<void> {
    // Cordoned again as it was: with slipway's record when it had one, without when it had none.
    if (!undo.wasCordoned) return;
    if (undo.cordonedBy) await setCordon(ctx, params, undo.nodeName, undo.cordonedBy);
    else await ctx.remote.run(kubectlArgv(params, 'cordon', undo.nodeName), execOptions(ctx));
  },
};
