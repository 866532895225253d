/**
 * What a kubeadm minor-version upgrade may and may not do, as slipway checks it before kubeadm
 * does (so that a plan refuses it): kubeadm's own policy (cmd/kubeadm/app/phases/upgrade/
 * policy.go, EnforceVersionPolicies: one minor at a time, no downgrade across a minor, kubeadm
 * not older than the target) and the version-skew policy (kubernetes.io/releases/
 * version-skew-policy: a kubelet must never be newer than kube-apiserver). Pure.
 */
import semver from 'semver';
import { coerce, minorOf } from './versions.js';

/** `1.27.16`, `v1.27.16` -> `v1.27.16`; undefined when it is not a version. */
export function kubeVersion(text: string | undefined): string | undefined {
  const v = coerce(text);
  return v === undefined ? undefined : `v${v}`;
}

/**
 * Why the control plane cannot go from `current` to `target` (empty: it can). `kubelets`: each
 * node's kubelet version, which must not end up newer than the API server.
 */
export function controlPlaneUpgradeProblems(target: string, current: string, kubelets: ReadonlyArray<{ node: string; version: string }>): string[] {
  const t = coerce(target);
  const c = coerce(current);
  if (t === undefined || c === undefined) return [`cannot compare ${target} with the API server's ${current}`];
  const problems: string[] = [];
  if (semver.lt(t, c)) problems.push(`${kubeVersion(t)} is older than the API server's ${kubeVersion(c)}: kubeadm does not downgrade a cluster`);
  const tm = minorOf(t) ?? 0;
  const cm = minorOf(c) ?? 0;
  if (semver.major(t) !== semver.major(c) || tm > cm + 1) {
    problems.push(`${kubeVersion(t)} skips a minor version: the API server is ${kubeVersion(c)}, and kubeadm upgrades one minor version at a time (to v1.${cm + 1} first)`);
  }
  // The policy is about minor versions: a kubelet 1.27.16 beside an API server 1.27.10 is fine.
  const newer = kubelets.filter((k) => (minorOf(k.version) ?? 0) > tm);
  if (newer.length) {
    problems.push(`the API server would be older than the kubelet of ${newer.map((k) => `${k.node} (${kubeVersion(k.version)})`).join(', ')}: a kubelet must not be newer than kube-apiserver`);
  }
  return problems;
}

/** Whether a kubelet at `target` would be a minor version newer than an API server at `server`. */
export function kubeletWouldOutrun(target: string, server: string): boolean {
  const t = minorOf(target);
  const s = minorOf(server);
  return t !== undefined && s !== undefined && t > s;
}
