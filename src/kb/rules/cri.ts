/**
 * CRI API rules (field note 1): a runtime without CRI v1 under a client that speaks only v1
 * (kubelet >= 1.26, now or at the target; OpenKruise >= 1.6), and OpenKruise <= 1.4 on a runtime
 * that serves only v1.
 */
import semver from 'semver';
import { CONTAINERD_FIRST_CRI_V1, containerdServesCriV1 } from '../containerd-cri.js';
import { CRI_DISABLED_SOURCE } from '../containerd-config.js';
import {
  KRUISE_V1_ONLY_FROM,
  KRUISE_V1_SOURCES,
  KRUISE_V1ALPHA2_ONLY_BELOW,
  KRUISE_V1ALPHA2_SOURCES,
  KRUISE_WORKAROUNDS,
  KUBELET_NEEDS_CRI_V1_FROM,
  KUBELET_SOURCE,
} from '../cri-clients.js';
import type { DiagnosedNode, DoctorInputs, Finding, NodeRule } from '../findings.js';
import { atLeast, below, coerce } from '../versions.js';

/** Does the node's runtime answer CRI v1? The live answer first; without one, containerd's version table. */
function servesV1(node: DiagnosedNode): { serves: boolean | undefined; how: string } {
  const { facts } = node;
  if (facts.cri?.v1 !== undefined) return { serves: facts.cri.v1, how: 'asked over gRPC' };
  if (facts.runtime.name === 'containerd' && facts.containerd.version) {
    return { serves: containerdServesCriV1(facts.containerd.version), how: `nothing answered on its socket; by containerd ${facts.containerd.version}'s release` };
  }
  return { serves: undefined, how: '' };
}

/** The newest containerd of the 1.6/1.7 series the node's repositories offer, to upgrade to. */
export function containerdUpgradeVersion(node: DiagnosedNode): string | undefined {
  const offered = node.facts.packages?.containerd.available ?? [];
  const fitting = offered.filter((v) => atLeast(v, CONTAINERD_FIRST_CRI_V1) && below(v, '2.0.0'));
  return fitting.sort((a, b) => semver.compare(coerce(a) as string, coerce(b) as string)).at(-1);
}

export const criV1Missing: NodeRule = {
  id: 'cri-v1-missing',
  check(node: DiagnosedNode, inputs: DoctorInputs): Finding[] {
    const { facts } = node;
    if (facts.runtime.name === 'none') return [];
    const { serves, how } = servesV1(node);
    if (serves !== false) return [];
    const clients: string[] = [];
    const sources: string[] = [];
    const kubelet = facts.kubelet.version;
    if (atLeast(kubelet, KUBELET_NEEDS_CRI_V1_FROM)) clients.push(`kubelet ${kubelet}`);
    if (inputs.target && atLeast(inputs.target, KUBELET_NEEDS_CRI_V1_FROM) && !atLeast(kubelet, KUBELET_NEEDS_CRI_V1_FROM)) clients.push(`kubelet ${inputs.target} (the target)`);
    if (clients.length) sources.push(KUBELET_SOURCE);
    const kruise = inputs.cluster?.kruiseVersion;
    if (atLeast(kruise, KRUISE_V1_ONLY_FROM)) {
      clients.push(`OpenKruise ${kruise}'s kruise-daemon`);
      sources.push(...KRUISE_V1_SOURCES);
    }
    if (clients.length === 0) return [];
    const runtime = `${facts.runtime.name} ${facts.runtime.version ?? ''}`.trim();
    const disabled = facts.containerd.config?.criDisabled === true;
    const why = disabled
      ? `its CRI plugin is disabled in ${facts.containerd.config?.path} (disabled_plugins), so it answers UNIMPLEMENTED whatever its version`
      : facts.runtime.name === 'containerd'
        ? `containerd before ${CONTAINERD_FIRST_CRI_V1.replace(/\.0$/, '')} serves only CRI v1alpha2, 1.5 included (containerd/containerd#7863)`
        : 'it serves no CRI v1';
    if (disabled) sources.push(CRI_DISABLED_SOURCE);
    else if (facts.runtime.name === 'containerd') sources.push('containerd/containerd#7863', 'containerd RELEASES.md');
    const version = containerdUpgradeVersion(node);
    return [
      {
        rule: this.id,
        severity: 'error',
        title: `${runtime} does not answer CRI v1, which ${clients.join(' and ')} need${clients.length === 1 ? 's' : ''}`,
        detail: `${runtime} answers no runtime.v1 (${how}): ${why}; ${clients.join(' and ')} speak${clients.length === 1 ? 's' : ''} only runtime.v1 and fail${clients.length === 1 ? 's' : ''} with "unknown service runtime.v1.RuntimeService" / "Failed to new image service"`,
        sources,
        fix:
          facts.runtime.name === 'containerd' && !disabled
            ? {
                playbook: 'containerd-cri-v1',
                ...(version ? { vars: { containerd_version: version } } : {}),
                advice: `upgrade containerd to ${version ?? `>= ${CONTAINERD_FIRST_CRI_V1.replace(/\.0$/, '')} (a version your repositories offer)`}, node by node${atLeast(kruise, KRUISE_V1_ONLY_FROM) ? `; or ${KRUISE_WORKAROUNDS}` : ''}`,
              }
            : { advice: disabled ? `remove io.containerd.grpc.v1.cri from disabled_plugins in ${facts.containerd.config?.path} and restart containerd` : `upgrade ${facts.runtime.name} to a release that serves runtime.v1` },
      },
    ];
  },
};

export const kruiseNeedsV1alpha2: NodeRule = {
  id: 'kruise-needs-v1alpha2',
  check(node: DiagnosedNode, inputs: DoctorInputs): Finding[] {
    const kruise = inputs.cluster?.kruiseVersion;
    if (!below(kruise, KRUISE_V1ALPHA2_ONLY_BELOW) || node.facts.cri?.v1alpha2 !== false || node.facts.cri.v1 !== true) return [];
    const runtime = `${node.facts.runtime.name} ${node.facts.runtime.version ?? ''}`.trim();
    return [
      {
        rule: this.id,
        severity: 'error',
        title: `OpenKruise ${kruise}'s kruise-daemon speaks only CRI v1alpha2, which ${runtime} no longer serves`,
        detail: `OpenKruise 1.4 and older speak only runtime.v1alpha2; ${runtime} answers only runtime.v1 (asked over gRPC), so kruise-daemon fails on this node`,
        sources: [...KRUISE_V1ALPHA2_SOURCES],
        fix: { advice: `upgrade OpenKruise to 1.5 or newer (1.5.x speaks both APIs); or ${KRUISE_WORKAROUNDS.replace(' or pin OpenKruise at 1.5.x, which speaks both', '')}` },
      },
    ];
  },
};
