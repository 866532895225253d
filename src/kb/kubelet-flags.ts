/**
 * kubelet command-line flags that Kubernetes removed, by the release that removed them.
 *
 * A kubelet given a flag it no longer knows refuses to start ("failed to parse kubelet flag:
 * unknown flag: --container-runtime"), which is how a node upgrade leaves kubelet down (field
 * note 5). Each entry names where the removal is recorded; deprecations are not listed, only
 * removals. Flags configured in the kubelet config file are not affected.
 */
import semver from 'semver';

export interface RemovedKubeletFlag {
  /** With the leading dashes: `--container-runtime`. */
  flag: string;
  /** The first release without the flag (or, with `allowedValues`, without its other values): `1.27.0`. */
  removedIn: string;
  /** A boolean flag (`--x` or `--x=true`): it never takes the next word as its value. */
  boolean?: boolean;
  /**
   * The flag stays, but only these values are accepted from `removedIn` on (`--cloud-provider`:
   * `""` or `external`). Such an entry is a finding, never something kubelet.removeFlags removes.
   */
  allowedValues?: readonly string[];
  /** Where the removal is recorded. */
  source: string;
  note?: string;
}

const DOCKERSHIM_1_24 =
  'CHANGELOG-1.24: "the following dockershim related flags are also removed along with dockershim" (kubernetes/kubernetes#106907)';

/**
 * Each entry checked against its CHANGELOG or the merged pull request's release note. Not
 * listed, because they were not removed: `--experimental-allocatable-ignore-eviction`
 * (kubernetes/kubernetes#122383 and #129394 were closed unmerged), `--lock-file`, `--provider-id`.
 */
export const REMOVED_KUBELET_FLAGS: readonly RemovedKubeletFlag[] = [
  { flag: '--experimental-dockershim-root-directory', removedIn: '1.24.0', source: DOCKERSHIM_1_24 },
  { flag: '--docker-endpoint', removedIn: '1.24.0', source: DOCKERSHIM_1_24 },
  { flag: '--image-pull-progress-deadline', removedIn: '1.24.0', source: DOCKERSHIM_1_24 },
  { flag: '--network-plugin', removedIn: '1.24.0', source: DOCKERSHIM_1_24 },
  { flag: '--cni-conf-dir', removedIn: '1.24.0', source: DOCKERSHIM_1_24 },
  { flag: '--cni-bin-dir', removedIn: '1.24.0', source: DOCKERSHIM_1_24 },
  { flag: '--cni-cache-dir', removedIn: '1.24.0', source: DOCKERSHIM_1_24 },
  { flag: '--network-plugin-mtu', removedIn: '1.24.0', source: DOCKERSHIM_1_24 },
  {
    flag: '--non-masquerade-cidr',
    removedIn: '1.24.0',
    source: 'CHANGELOG-1.24: the deprecated kubelet flag --non-masquerade-cidr is removed (kubernetes/kubernetes#107096)',
  },
  {
    flag: '--container-runtime',
    removedIn: '1.27.0',
    source:
      'CHANGELOG-1.27 (kubernetes/kubernetes#114017): deprecated since v1.24, removed in v1.27; the kubelet then fails with ' +
      '"unknown flag: --container-runtime" (labring/sealos#2933, #4848)',
    note: 'Not to be confused with --container-runtime-endpoint, which stays.',
  },
  {
    flag: '--azure-container-registry-config',
    removedIn: '1.30.0',
    source: 'CHANGELOG-1.30: the in-tree Azure credential provider and its kubelet flag are removed (kubernetes/kubernetes#122595; cluster-api-provider-azure#4436)',
  },
  {
    flag: '--keep-terminated-pod-volumes',
    removedIn: '1.31.0',
    boolean: true,
    source: 'CHANGELOG-1.31, Urgent Upgrade Notes (kubernetes/kubernetes#122082)',
  },
  {
    flag: '--iptables-masquerade-bit',
    removedIn: '1.31.0',
    source: 'kubernetes/kubernetes#122363 (merged for 1.31): "Kubelet flags --iptables-masquerade-bit and --iptables-drop-bit were deprecated in v1.28 and have now been removed entirely"',
  },
  {
    flag: '--iptables-drop-bit',
    removedIn: '1.31.0',
    source: 'kubernetes/kubernetes#122363 (merged for 1.31), as --iptables-masquerade-bit',
  },
  {
    flag: '--cloud-provider',
    removedIn: '1.31.0',
    allowedValues: ['', 'external'],
    source: 'CHANGELOG-1.31: DisableCloudProviders is GA, the in-tree cloud providers are gone; --cloud-provider accepts only "" or "external"',
    note: 'The flag itself stays: an in-tree provider name (aws, azure, gce, ...) is what kubelet refuses.',
  },
  {
    flag: '--register-schedulable',
    removedIn: '1.34.0',
    boolean: true,
    source: 'CHANGELOG-1.34: the deprecated kubelet flag --register-schedulable is removed; use registerWithTaints (kubernetes/kubernetes#122384)',
  },
  {
    flag: '--cloud-config',
    removedIn: '1.34.0',
    source: 'CHANGELOG-1.34: "Kubelet: removed the deprecated flag --cloud-config" (kubernetes/kubernetes#130161; kubelet then fails to come up, #131841)',
  },
  {
    flag: '--pod-infra-container-image',
    removedIn: '1.35.0',
    source: 'CHANGELOG-1.35, Urgent Upgrade Notes (kubernetes/kubernetes#133779)',
    note:
      'Long deprecated (the 1.24 notes already say so) but still accepted up to 1.34: it is NOT removed in 1.27, ' +
      'whatever some upgrade reports say (labring/sealos#4848). The sandbox (pause) image belongs in the runtime config ' +
      '(containerd sandbox_image, CRI-O pause_image).',
  },
];

/** `container-runtime`, `-container-runtime` or `--container-runtime` -> `--container-runtime`. */
export function normalizeFlag(flag: string): string {
  return `--${flag.replace(/^-+/, '')}`;
}

/** `1.27`, `v1.27.16`, `1.27.16-eks-1` -> a full semver, or undefined when it is not a version. */
export function coerceKubernetesVersion(version: string): string | undefined {
  return semver.coerce(version.trim())?.version;
}

/**
 * Every flag that a kubelet of `targetVersion` no longer accepts: removed in that release or
 * before (flags that only lost some of their values are not listed: see valueRestrictionsBy).
 * Throws on a version it cannot read.
 */
export function flagsRemovedBy(targetVersion: string): RemovedKubeletFlag[] {
  return entriesBy(targetVersion).filter((f) => f.allowedValues === undefined);
}

/** Flags that a kubelet of `targetVersion` accepts only with some values. */
export function valueRestrictionsBy(targetVersion: string): RemovedKubeletFlag[] {
  return entriesBy(targetVersion).filter((f) => f.allowedValues !== undefined);
}

function entriesBy(targetVersion: string): RemovedKubeletFlag[] {
  const target = coerceKubernetesVersion(targetVersion);
  if (target === undefined) throw new Error(`not a Kubernetes version: ${JSON.stringify(targetVersion)}`);
  return REMOVED_KUBELET_FLAGS.filter((f) => semver.lte(f.removedIn, target));
}

/** The KB's entry for a flag, when it knows it. */
export function removedFlagInfo(flag: string): RemovedKubeletFlag | undefined {
  const name = normalizeFlag(flag);
  return REMOVED_KUBELET_FLAGS.find((f) => f.flag === name);
}
