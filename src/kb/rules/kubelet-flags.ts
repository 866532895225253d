/**
 * kubelet flags that the version a node is about to run removed (field note 5), found in any
 * source of kubelet's effective command line, and flags whose value that version refuses.
 */
import { flagsRemovedBy, valueRestrictionsBy } from '../kubelet-flags.js';
import type { DiagnosedNode, DoctorInputs, Finding, NodeRule } from '../findings.js';
import { atLeast, coerce } from '../versions.js';

const KUBEADM_CLEANS_ONLY = 'kubeadm upgrade removes flags only from /var/lib/kubelet/kubeadm-flags.env (kubernetes/kubernetes#112000, #133778)';

/** The version to check against: the target, else the kubelet installed (flags it already refuses). */
function versionFor(node: DiagnosedNode, inputs: DoctorInputs): { version: string; what: string } | undefined {
  if (inputs.target && coerce(inputs.target)) return { version: coerce(inputs.target) as string, what: `the target ${inputs.target}` };
  const installed = node.facts.kubelet.version;
  return installed && coerce(installed) ? { version: coerce(installed) as string, what: `the installed kubelet ${installed}` } : undefined;
}

export const kubeletRemovedFlags: NodeRule = {
  id: 'kubelet-removed-flags',
  check(node: DiagnosedNode, inputs: DoctorInputs): Finding[] {
    const cl = node.facts.kubelet.commandLine;
    const against = versionFor(node, inputs);
    if (!cl || !against) return [];
    const removed = new Map(flagsRemovedBy(against.version).map((f) => [f.flag, f]));
    const found = cl.flags.filter((f) => removed.has(f.name));
    const findings: Finding[] = [];
    if (found.length > 0) {
      const where = found.map((f) => `\`${f.text}\` in ${f.from}${f.variable ? ` ($${f.variable})` : ''}, removed in ${removed.get(f.name)?.removedIn.replace(/\.0$/, '')}`);
      const outsideKubeadm = found.some((f) => f.from !== '/var/lib/kubelet/kubeadm-flags.env');
      findings.push({
        rule: this.id,
        severity: 'error',
        title: `kubelet's command line has ${found.length === 1 ? 'a flag' : `${found.length} flags`} that ${against.what} refuses: ${[...new Set(found.map((f) => f.name))].join(', ')}`,
        detail: `${where.join('; ')}. kubelet then fails at start with "unknown flag"${outsideKubeadm ? `; ${KUBEADM_CLEANS_ONLY}, so these stay` : ''}`,
        sources: [...new Set(found.map((f) => removed.get(f.name)?.source as string)), ...(outsideKubeadm ? [KUBEADM_CLEANS_ONLY] : [])],
        fix: {
          playbook: 'kubelet-removed-flags',
          vars: { target_version: against.version },
          advice: `remove them from every file that builds kubelet's command line before kubelet ${against.version} starts`,
        },
      });
    }
    for (const restricted of valueRestrictionsBy(against.version)) {
      for (const flag of cl.flags.filter((f) => f.name === restricted.flag && !(restricted.allowedValues ?? []).includes(f.value ?? ''))) {
        findings.push({
          rule: 'kubelet-flag-value-removed',
          severity: 'error',
          title: `\`${flag.text}\` is refused by ${against.what}: ${restricted.flag} accepts only ${(restricted.allowedValues ?? []).map((v) => JSON.stringify(v)).join(' or ')}`,
          detail: `in ${flag.from}${flag.variable ? ` ($${flag.variable})` : ''}; ${restricted.note ?? ''}`.trim(),
          sources: [restricted.source],
          fix: { advice: `use ${restricted.flag}=external with the provider's cloud-controller-manager, or drop the flag` },
        });
      }
    }
    return findings;
  },
};

/** kubelet >= `version` on the node (helpers for other rules). */
export function kubeletAtLeast(node: DiagnosedNode, inputs: DoctorInputs, version: string): boolean {
  return atLeast(node.facts.kubelet.version, version) || atLeast(inputs.target, version);
}
