/**
 * `kube.cordon`: the node is unschedulable (`kubectl cordon`). Runs where kubectl is
 * (`on: control_plane` or `on: local`). Rollback uncordons the node only if it was schedulable
 * before this step.
 */
import type { KubeNodeState } from '../../facts/kubectl.js';
import type { Projection } from '../projection.js';
import type { CheckResult, ParamsSchema, StepContext, StepType } from '../types.js';
import { kubeNodeName, kubectlParamsProperties, probeKubeNode, setSchedulable, type KubectlParams } from './kubectl.js';

export type KubeCordonParams = KubectlParams;

export interface KubeCordonFacts {
  node: KubeNodeState;
}

export interface KubeCordonUndo {
  nodeName: string;
  /** The node took new pods before apply: rollback uncordons it. */
  wasSchedulable: boolean;
}

export const paramsSchema: ParamsSchema = {
  type: 'object',
  description: 'Mark the node unschedulable (kubectl cordon). Run it on a host with kubectl: `on: control_plane` or `on: local`.',
  additionalProperties: false,
  properties: { ...kubectlParamsProperties },
};

export const kubeCordonStep: StepType<KubeCordonParams, KubeCordonFacts, KubeCordonUndo> = {
  kind: 'kube.cordon',
  description: 'Mark the node unschedulable (kubectl cordon); rollback uncordons it if it was schedulable.',
  paramsSchema,

  async facts(ctx: StepContext, params: KubeCordonParams): Promise<KubeCordonFacts> {
    return { node: await probeKubeNode(ctx, params, kubeNodeName(ctx, params)) };
  },

  project(_params: KubeCordonParams, facts: KubeCordonFacts, projection: Projection): KubeCordonFacts {
    const { unschedulable } = projection.node();
    return unschedulable === undefined ? facts : { node: { ...facts.node, unschedulable } };
  },

  predict(_params: KubeCordonParams, _facts: KubeCordonFacts, projection: Projection): void {
    projection.setNode({ unschedulable: true });
  },

  check(_params: KubeCordonParams, facts: KubeCordonFacts): CheckResult {
    if (facts.node.unschedulable) return { status: 'ok', summary: `node ${facts.node.name} is cordoned` };
    return { status: 'change', summary: `cordon node ${facts.node.name} (schedulable)` };
  },

  async apply(ctx: StepContext, params: KubeCordonParams, facts: KubeCordonFacts): Promise<KubeCordonUndo> {
    const nodeName = kubeNodeName(ctx, params);
    if (facts.node.unschedulable) return { nodeName, wasSchedulable: false };
    await setSchedulable(ctx, params, nodeName, false);
    return { nodeName, wasSchedulable: true };
  },

  async rollback(ctx: StepContext, params: KubeCordonParams, undo: KubeCordonUndo): Promise<void> {
    if (undo.wasSchedulable) await setSchedulable(ctx, params, undo.nodeName, true);
  },
};
