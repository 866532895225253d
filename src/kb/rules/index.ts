/** Every doctor rule, in the order findings are listed. */
import type { ClusterRule, NodeRule } from '../findings.js';
import { containerd2Config } from './containerd-2.js';
import { criDockerdMissing, criDockerdStray } from './cri-dockerd.js';
import { criV1Missing, kruiseNeedsV1alpha2 } from './cri.js';
import { crioRuntimeMismatch, crioUpgradeSwitchesRuntime } from './crio.js';
import { kindContainerd2, versionSkew } from './cluster.js';
import { kubeletRemovedFlags } from './kubelet-flags.js';

export const NODE_RULES: readonly NodeRule[] = [
  criV1Missing,
  kruiseNeedsV1alpha2,
  kubeletRemovedFlags,
  crioRuntimeMismatch,
  crioUpgradeSwitchesRuntime,
  criDockerdMissing,
  criDockerdStray,
  containerd2Config,
];

export const CLUSTER_RULES: readonly ClusterRule[] = [versionSkew, kindContainerd2];
