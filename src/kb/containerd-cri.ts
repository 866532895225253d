/**
 * Which CRI API versions containerd serves, by containerd release (field note 1).
 *
 * - containerd 1.5 and older: only `runtime.v1alpha2`. Clients that speak only `runtime.v1`
 *   get UNIMPLEMENTED ("unknown service runtime.v1.RuntimeService"): OpenKruise >= 1.6
 *   ("Failed to new image service"), kubelet >= 1.26 (which dropped v1alpha2).
 * - containerd 1.6 and 1.7: both `runtime.v1` and `runtime.v1alpha2` (v1alpha2 deprecated in 1.7).
 * - containerd 2.0 and newer: only `runtime.v1` (v1alpha2 was removed).
 *
 * Sources: containerd RELEASES.md, "Kubernetes Support" and "Deprecated containerd and kubernetes
 * versions" tables (1.4: v1alpha2 only; "containerd v1.6.*, and v1.7.* support CRI v1 and
 * v1alpha2 through EOL ... CRI v1alpha2 is deprecated in v1.7 and will be removed in containerd
 * v2.0"); docs/containerd-2.0.md (v1alpha2 removed). For 1.5, RELEASES.md's cell "v1 (1.23+)" is
 * misleading: a containerd maintainer states that 1.5 has only v1alpha2 and will not work with
 * Kubernetes 1.26 (containerd/containerd#7863, also cri-tools#883), and the backport of CRI v1
 * to 1.5 (containerd/containerd#6197) was closed unmerged. For Kubernetes 1.26-1.28 RELEASES.md
 * recommends containerd 1.6.15+ or 1.7.0+.
 *
 * A table says what a release should serve; what a node's runtime does serve is asked over gRPC
 * (src/facts/cri.ts): a containerd whose CRI plugin is disabled in its config answers
 * UNIMPLEMENTED whatever its version (containerd/containerd#14121).
 */
import semver from 'semver';

/** A CRI API version: `runtime.v1` or `runtime.v1alpha2`. */
export type CriApiVersion = 'v1' | 'v1alpha2';

export interface ContainerdCriRange {
  /** A semver range of containerd versions. */
  range: string;
  apis: readonly CriApiVersion[];
  note: string;
}

export const CONTAINERD_CRI_APIS: readonly ContainerdCriRange[] = [
  { range: '<1.6.0', apis: ['v1alpha2'], note: 'containerd 1.5 and older serve only CRI v1alpha2' },
  { range: '>=1.6.0 <2.0.0', apis: ['v1', 'v1alpha2'], note: 'containerd 1.6 and 1.7 serve CRI v1 and v1alpha2' },
  { range: '>=2.0.0', apis: ['v1'], note: 'containerd 2.0 and newer serve only CRI v1' },
];

/** The first containerd release that serves CRI v1. */
export const CONTAINERD_FIRST_CRI_V1 = '1.6.0';

/** What containerd's release table recommends for a kubelet of 1.26 or newer (CRI v1 only). */
export const CONTAINERD_RECOMMENDED_FOR_KUBELET_1_26 = '>=1.6.15';

/**
 * The CRI APIs a containerd version serves, or undefined when the version cannot be read.
 * Versions are coerced: `1.4.13~ds1`, `v1.6.20`, `1.7.24-1` all work.
 */
export function containerdCriApis(version: string): readonly CriApiVersion[] | undefined {
  const v = semver.coerce(version)?.version;
  if (v === undefined) return undefined;
  return CONTAINERD_CRI_APIS.find((r) => semver.satisfies(v, r.range))?.apis;
}

/** True when the containerd version serves CRI v1; undefined when the version cannot be read. */
export function containerdServesCriV1(version: string): boolean | undefined {
  return containerdCriApis(version)?.includes('v1');
}
