/** Rules about the cluster as a whole: version skew and the target (kubernetes.io policy), kind and containerd 2.x. */
import semver from 'semver';
import type { ClusterRule, DoctorInputs, Finding } from '../findings.js';
import { KIND_FIXED_IN, KIND_SOURCES } from '../kind.js';
import { KUBEADM_ONE_MINOR_SOURCE, maxKubeletLag, SKEW_SOURCE } from '../version-skew.js';
import { atLeast, below, coerce, minorOf } from '../versions.js';

/** Every kubelet version known: the nodes' own, else the API server's record of them. */
function kubelets(inputs: DoctorInputs): Array<{ host: string; version: string }> {
  const out = new Map<string, string>();
  for (const n of inputs.cluster?.nodes ?? []) if (n.kubeletVersion) out.set(n.name, n.kubeletVersion);
  for (const n of inputs.nodes) if (n.facts.kubelet.version) out.set(n.host, n.facts.kubelet.version);
  return [...out].map(([host, version]) => ({ host, version }));
}

export const versionSkew: ClusterRule = {
  id: 'version-skew',
  check(inputs: DoctorInputs): Finding[] {
    const server = inputs.cluster?.serverVersion;
    if (!server || minorOf(server) === undefined) return [];
    const findings: Finding[] = [];
    const serverMinor = minorOf(server) as number;
    const newer = kubelets(inputs).filter((k) => (minorOf(k.version) ?? 0) > serverMinor);
    if (newer.length) {
      findings.push({
        rule: 'kubelet-newer-than-apiserver',
        severity: 'error',
        title: `kubelet newer than the API server ${server} on ${newer.map((k) => `${k.host} (${k.version})`).join(', ')}`,
        detail: 'a kubelet must not be newer than kube-apiserver',
        sources: [SKEW_SOURCE],
        fix: { advice: 'upgrade the control plane first (kubeadm upgrade apply), then the kubelets' },
      });
    }
    const lag = maxKubeletLag(server);
    const old = kubelets(inputs).filter((k) => serverMinor - (minorOf(k.version) ?? serverMinor) > lag);
    if (old.length) {
      findings.push({
        rule: 'kubelet-too-old',
        severity: 'error',
        title: `kubelet more than ${lag} minor versions older than the API server ${server} on ${old.map((k) => `${k.host} (${k.version})`).join(', ')}`,
        detail: `from 1.28 a kubelet may be up to three minor versions older than kube-apiserver, before that two`,
        sources: [SKEW_SOURCE],
        fix: { advice: 'upgrade those kubelets one minor version at a time' },
      });
    }
    const target = coerce(inputs.target);
    if (target) {
      const targetMinor = semver.minor(target);
      if (semver.lt(target, coerce(server) as string) && targetMinor < serverMinor) {
        findings.push({
          rule: 'target-older-than-cluster',
          severity: 'error',
          title: `the target ${inputs.target} is older than the API server ${server}`,
          detail: 'Kubernetes upgrades go forward; a kubelet downgrade below the control plane is not a supported upgrade',
          sources: [SKEW_SOURCE],
          fix: { advice: 'pick a target at or above the cluster\'s version' },
        });
      } else if (targetMinor - serverMinor > 1) {
        findings.push({
          rule: 'target-skips-minor',
          severity: 'error',
          title: `the target ${inputs.target} skips ${targetMinor - serverMinor - 1} minor version(s) from the API server ${server}`,
          detail: 'kubeadm upgrades one minor version at a time; each minor is a separate upgrade of the control plane, then the nodes',
          sources: [KUBEADM_ONE_MINOR_SOURCE],
          fix: { advice: `upgrade to 1.${serverMinor + 1} first, then on` },
        });
      }
    }
    return findings;
  },
};

export const kindContainerd2: ClusterRule = {
  id: 'kind-too-old-for-containerd-2',
  check(inputs: DoctorInputs): Finding[] {
    const kind = inputs.local.kindVersion;
    if (!below(kind, KIND_FIXED_IN)) return [];
    const fromCluster = (inputs.cluster?.nodes ?? []).filter((n) => /^containerd:\/\//.test(n.containerRuntimeVersion ?? '') && atLeast(n.containerRuntimeVersion, '2.0.0')).map((n) => n.name);
    const fromNodes = inputs.nodes.filter((n) => n.facts.runtime.name === 'containerd' && atLeast(n.facts.containerd.version, '2.0.0')).map((n) => n.host);
    const nodes = [...new Set([...fromCluster, ...fromNodes])];
    if (nodes.length === 0) return [];
    return [
      {
        rule: this.id,
        severity: 'error',
        title: `kind v${kind} on this machine cannot load images into nodes with containerd 2.x (${nodes.join(', ')})`,
        detail: '`kind load` fails with "failed to detect containerd snapshotter"; creating a cluster still works, which hides it until the first load',
        sources: [...KIND_SOURCES],
        fix: { advice: `upgrade kind to v${KIND_FIXED_IN} or newer, and pin node images by digest (tags were re-pushed)` },
      },
    ];
  },
};
