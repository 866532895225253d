/**
 * `kube.uncordon`: the node takes pods again (`kubectl uncordon`). Runs where kubectl is
 * (`on: control_plane` or `on: local`). Rollback cordons the node again only if it was cordoned
 * before this step.
 */
import type { KubeNodeState } from '../../facts/kubectl.js';
import type { Projection } from '../projection.js';
import type { CheckResult, ParamsSchema, StepContext, StepType } from '../types.js';
import { kubeNodeName, kubectlParamsProperties, probeKubeNode, setSchedulable, type KubectlParams } from './kubectl.js';

export type KubeUncordonParams = KubectlParams;

export interface KubeUncordonFacts {
  node: KubeNodeState;
}

export interface KubeUncordonUndo {
  nodeName: string;
  /** The node was cordoned before apply: rollback cordons it again. */
  wasCordoned: boolean;
}

export const paramsSchema: ParamsSchema = {
  type: 'object',
  description: 'Mark the node schedulable again (kubectl uncordon). Run it on a host with kubectl: `on: control_plane` or `on: local`.',
  additionalProperties: false,
  properties: { ...kubectlParamsProperties },
};

export const kubeUncordonStep: StepType<KubeUncordonParams, KubeUncordonFacts, KubeUncordonUndo> = {
  kind: 'kube.uncordon',
  description: 'Mark the node schedulable again (kubectl uncordon); rollback cordons it if it was cordoned.',
  paramsSchema,

  async facts(ctx: StepContext, params: KubeUncordonParams): Promise<KubeUncordonFacts> {
    return { node: await probeKubeNode(ctx, params, kubeNodeName(ctx, params)) };
  },

  project(_params: KubeUncordonParams, facts: KubeUncordonFacts, projection: Projection): KubeUncordonFacts {
    const { unschedulable } = projection.node();
    return unschedulable === undefined ? facts : { node: { ...facts.node, unschedulable } };
  },

  predict(_params: KubeUncordonParams, _facts: KubeUncordonFacts, projection: Projection): void {
    projection.setNode({ unschedulable: false });
  },

  check(_params: KubeUncordonParams, facts: KubeUncordonFacts): CheckResult {
    if (!facts.node.unschedulable) return { status: 'ok', summary: `node ${facts.node.name} is schedulable` };
    return { status: 'change', summary: `uncordon node ${facts.node.name} (cordoned)` };
  },

  async apply(ctx: StepContext, params: KubeUncordonParams, facts: KubeUncordonFacts): Promise<KubeUncordonUndo> {
    const nodeName = kubeNodeName(ctx, params);
    if (!facts.node.unschedulable) return { nodeName, wasCordoned: false };
    await setSchedulable(ctx, params, nodeName, true);
    return { nodeName, wasCordoned: true };
  },

  async rollback(ctx: StepContext, params: KubeUncordonParams, undo: KubeUncordonUndo): Promise<void> {
    if (undo.wasCordoned) await setSchedulable(ctx, params, undo.nodeName, false);
  },
};
