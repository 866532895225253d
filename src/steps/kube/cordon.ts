/**
 * `kube.cordon`: the node is unschedulable, and the Node says slipway did it (the annotation
 * `slipway/cordoned-by: RUN`, set in the same patch). Runs where kubectl is (`on: control_plane`
 * or `on: local`). A node that is already cordoned is left as it is: cordoned by someone else,
 * it stays cordoned after the run too (kube.uncordon leaves it). Rollback uncordons the node only
 * if this step cordoned it.
 */
import { THIS_RUN, type KubeNodeState } from '../../facts/kubectl.js';
import type { NodeProjection, Projection } from '../projection.js';
import type { CheckResult, CordonState, ParamsSchema, StepContext, StepType } from '../types.js';
import { cordonOwner, kubeNodeName, kubectlParamsProperties, probeKubeNode, setCordon, type KubectlParams } from './kubectl.js';

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

/** The node as the steps before leave it (the plan): cordoned by this run, or uncordoned. */
export function projectedKubeNode(node: KubeNodeState, projected: NodeProjection): KubeNodeState {
  if (projected.unschedulable === undefined) return node;
  const { cordonedBy: _was, ...rest } = node;
  const by = projected.cordonedBy === undefined ? node.cordonedBy : projected.cordonedBy ?? undefined;
  return { ...rest, unschedulable: projected.unschedulable, ...(by ? { cordonedBy: by } : {}) };
}

/** Who cordoned a cordoned node, in words. */
export function cordonedByText(node: KubeNodeState): string {
  if (!node.cordonedBy) return 'before this run, not by slipway';
  return node.cordonedBy === THIS_RUN ? 'by this run' : `by slipway run ${node.cordonedBy}`;
}

/** The node's cordon as a kube step's facts show it: what a run's summary lists. */
export function cordonStateOf(facts: { node: KubeNodeState }): CordonState {
  return { node: facts.node.name, cordoned: facts.node.unschedulable, ...(facts.node.cordonedBy ? { by: facts.node.cordonedBy } : {}) };
}

export const kubeCordonStep: StepType<KubeCordonParams, KubeCordonFacts, KubeCordonUndo> = {
  kind: 'kube.cordon',
  description: 'Mark the node unschedulable (kubectl cordon) and record on it that slipway did; rollback uncordons it if it was schedulable.',
  paramsSchema,

  async facts(ctx: StepContext, params: KubeCordonParams): Promise<KubeCordonFacts> {
    return { node: await probeKubeNode(ctx, params, kubeNodeName(ctx, params)) };
  },

  cordonState: cordonStateOf,

  project(_params: KubeCordonParams, facts: KubeCordonFacts, projection: Projection): KubeCordonFacts {
    return { node: projectedKubeNode(facts.node, projection.node()) };
  },

  predict(_params: KubeCordonParams, _facts: KubeCordonFacts, projection: Projection): void {
    projection.setNode({ unschedulable: true, cordonedBy: THIS_RUN });
  },

  applied(_params: KubeCordonParams, facts: KubeCordonFacts): string {
    return `cordoned node ${facts.node.name} (was schedulable)`;
  },

  check(_params: KubeCordonParams, facts: KubeCordonFacts): CheckResult {
    if (facts.node.unschedulable && !facts.node.cordonedBy) {
      return { status: 'ok', summary: `node ${facts.node.name} is cordoned ${cordonedByText(facts.node)}: it stays cordoned after the run` };
    }
    if (facts.node.unschedulable) return { status: 'ok', summary: `node ${facts.node.name} is cordoned ${cordonedByText(facts.node)}` };
    return { status: 'change', summary: `cordon node ${facts.node.name} (schedulable)` };
  },

  async apply(ctx: StepContext, params: KubeCordonParams, facts: KubeCordonFacts): Promise<KubeCordonUndo> {
    const nodeName = kubeNodeName(ctx, params);
    if (facts.node.unschedulable) return { nodeName, wasSchedulable: false };
    await setCordon(ctx, params, nodeName, cordonOwner(ctx), true);
    return { nodeName, wasSchedulable: true };
  },

  async rollback(ctx: StepContext, params: KubeCordonParams, undo: KubeCordonUndo): Promise<void> {
    if (undo.wasSchedulable) await setCordon(ctx, params, undo.nodeName, null);
  },
};
