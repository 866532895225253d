/**
 * What containerd 2.0 does with configuration written for 1.x. Each entry is data with its
 * source; src/facts/containerd-config.ts finds them in a node's config.toml.
 *
 * Sources: containerd docs/containerd-2.0.md ("Removed features": the runtime v1 shim
 * `io.containerd.runtime.v1.linux`, `io.containerd.runc.v1`, the aufs snapshotter); config
 * version 3 and the split of the CRI plugin into `io.containerd.cri.v1.runtime` and
 * `io.containerd.cri.v1.images` (containerd/containerd#10132, #11061), v1/v2 files migrated in
 * memory at start; `systemd_cgroup` only warned as an unknown key (containerd/containerd#10959);
 * registry `mirrors` deprecated, removal deferred to 2.3 (containerd/containerd#12366), and
 * `mirrors` next to `config_path` refused (containerd/containerd#5304; 2.2's default sets
 * config_path, containerd/containerd#12612). `ctr deprecations list` (1.6.27+, 1.7.12+) lists
 * the same on a running 1.x.
 */

export type ConfigKeyEffect =
  /** 2.0 refuses to use it: the setting no longer exists (a runtime type, a snapshotter). */
  | 'removed'
  /** 2.0 starts but ignores it, with a warning: what it set silently stops applying. */
  | 'ignored'
  /** Still read by 2.x, going away in a later release. */
  | 'deprecated'
  /** 2.x refuses to start with it. */
  | 'fails';

export interface ContainerdConfigRule {
  id: string;
  effect: ConfigKeyEffect;
  /** What is wrong, for a finding: the key or value as the operator would grep for it. */
  what: string;
  fix: string;
  source: string;
}

export const CONTAINERD_2_CONFIG_RULES = {
  systemdCgroup: {
    id: 'systemd_cgroup',
    effect: 'ignored',
    what: '`systemd_cgroup` (the CRI plugin\'s cgroup driver switch of 1.x)',
    fix: 'set `SystemdCgroup = true` in the runc runtime\'s options instead',
    source: 'containerd/containerd#10959: 2.x warns "unknown key" and ignores it',
  },
  runtimeV1Shim: {
    id: 'runtime-v1-shim',
    effect: 'removed',
    what: 'runtime_type `io.containerd.runtime.v1.linux` (the runtime v1 shim)',
    fix: 'use runtime_type `io.containerd.runc.v2`',
    source: 'containerd docs/containerd-2.0.md, removed features',
  },
  runcV1Shim: {
    id: 'runc-v1-shim',
    effect: 'removed',
    what: 'runtime_type `io.containerd.runc.v1`',
    fix: 'use runtime_type `io.containerd.runc.v2`',
    source: 'containerd docs/containerd-2.0.md, removed features',
  },
  aufs: {
    id: 'aufs',
    effect: 'removed',
    what: 'the `aufs` snapshotter',
    fix: 'use the overlayfs snapshotter',
    source: 'containerd docs/containerd-2.0.md, removed features',
  },
  mirrors: {
    id: 'registry-mirrors',
    effect: 'deprecated',
    what: 'registry `mirrors` in config.toml',
    fix: 'move them to hosts.toml files under a `config_path` directory',
    source: 'containerd/containerd#12366: deprecated, removal deferred to 2.3',
  },
  mirrorsWithConfigPath: {
    id: 'mirrors-with-config-path',
    effect: 'fails',
    what: 'registry `mirrors` next to `config_path`',
    fix: 'keep only `config_path` and move the mirrors to hosts.toml files',
    source: 'containerd/containerd#5304 (and 2.2\'s default config sets config_path, containerd/containerd#12612)',
  },
} as const satisfies Record<string, ContainerdConfigRule>;

/** Writing the config as version 3 (2.x's format) is a one-way door: 1.x cannot read it. */
export const CONFIG_V3_ROLLBACK_HAZARD = {
  what: 'a config.toml written as `version = 3`',
  why: 'containerd 1.x cannot read version 3: a rollback of the package after such a write leaves containerd unable to start',
  fix: 'keep the file at version 2 through the upgrade (2.x migrates it in memory at start); write version 3 only once 2.x is there to stay',
  source: 'containerd/containerd#10132, #11061 (config version 3 and the CRI plugin split); v1/v2 migrated at start',
} as const;

/** The CRI plugin of 1.x, and what disabling it does: CRI answers UNIMPLEMENTED whatever the version. */
export const CRI_PLUGIN_1X = 'io.containerd.grpc.v1.cri';
export const CRI_PLUGINS_2X = ['io.containerd.cri.v1.runtime', 'io.containerd.cri.v1.images'] as const;
export const CRI_DISABLED_SOURCE = 'containerd/containerd#14121: a disabled CRI plugin answers UNIMPLEMENTED, as a runtime without CRI v1 does';
