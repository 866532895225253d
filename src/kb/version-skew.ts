/**
 * The Kubernetes version-skew policy (kubernetes.io/releases/version-skew-policy): a kubelet
 * must not be newer than kube-apiserver; it may be up to three minor versions older (from 1.28
 * on; two before). kubeadm upgrades one minor version at a time.
 */
import { minorOf } from './versions.js';

export const SKEW_SOURCE = 'kubernetes.io version-skew policy';
export const KUBEADM_ONE_MINOR_SOURCE = 'kubeadm upgrade: one minor version at a time (kubernetes.io, upgrading kubeadm clusters)';

/** How many minors older than the API server a kubelet may be. */
export function maxKubeletLag(serverVersion: string): number {
  return (minorOf(serverVersion) ?? 0) >= 28 ? 3 : 2;
}
