/**
 * cri-dockerd (field note 2): a docker-runtime node on kubelet >= 1.24 needs it (the dockershim
 * is gone); a containerd or CRI-O node does not, and one with it installed or enabled is what
 * Kubekey's cri-dockerd module did (kubesphere/kubekey#2149, #2174, fixed by #2172).
 */
import type { DiagnosedNode, DoctorInputs, Finding, NodeRule } from '../findings.js';
import { kubeletAtLeast } from './kubelet-flags.js';

const DOCKERSHIM_GONE = 'CHANGELOG-1.24: the dockershim is removed from kubelet, its flags with it (kubernetes/kubernetes#106907)';

export const criDockerdMissing: NodeRule = {
  id: 'cri-dockerd-missing',
  check(node: DiagnosedNode, inputs: DoctorInputs): Finding[] {
    const { facts } = node;
    if (facts.runtime.name !== 'docker' || !kubeletAtLeast(node, inputs, '1.24.0') || facts.criDockerd.installed) return [];
    const candidate = facts.packages?.['cri-dockerd'].candidate;
    return [
      {
        rule: this.id,
        severity: 'error',
        title: 'Docker Engine is the runtime, but cri-dockerd is not installed',
        detail: `kubelet ${facts.kubelet.version ?? inputs.target ?? ''} has no dockershim (gone in 1.24): it reaches Docker only through cri-dockerd's CRI socket`.replace('  ', ' '),
        sources: [DOCKERSHIM_GONE],
        fix: { playbook: 'cri-dockerd', ...(candidate ? { vars: { cri_dockerd_version: candidate } } : {}), advice: 'install cri-dockerd and start its socket and service; then point kubelet at unix:///run/cri-dockerd.sock' },
      },
    ];
  },
};

export const criDockerdStray: NodeRule = {
  id: 'cri-dockerd-stray',
  check(node: DiagnosedNode): Finding[] {
    const { facts } = node;
    if ((facts.runtime.name !== 'containerd' && facts.runtime.name !== 'crio') || !(facts.criDockerd.installed || facts.criDockerd.enabled)) return [];
    const state = facts.criDockerd.enabled ? 'installed and enabled' : 'installed';
    return [
      {
        rule: this.id,
        severity: 'warning',
        title: `cri-dockerd is ${state} on a ${facts.runtime.name} node`,
        detail: 'cri-dockerd is only for nodes whose runtime is Docker Engine; Kubekey v3.1.0-alpha installed it on every node and failed there ("sync cri-dockerd binaries failed")',
        sources: ['kubesphere/kubekey#2149', 'kubesphere/kubekey#2174', 'kubesphere/kubekey#2172 (the fix)'],
        fix: { advice: 'remove it (apt-get remove cri-dockerd, or dnf remove cri-dockerd) and keep it out of the node\'s installer' },
      },
    ];
  },
};
