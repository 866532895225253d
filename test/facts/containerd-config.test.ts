/** containerd config.toml as 1.4, 1.6 and 2.0 nodes have it, read for what 2.0 does with it. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseContainerdConfig } from '../../src/facts/containerd-config.js';

const sample = (name: string) => readFileSync(new URL(`./samples/${name}`, import.meta.url), 'utf8');
const ids = (text: string) => parseContainerdConfig('/etc/containerd/config.toml', text).issues.map((i) => `${i.rule.id}@${i.line}`);

describe('containerd config', () => {
  it('1.6 `containerd config default` (version 2): nothing 2.0 would drop; its `systemd_cgroup = false` and empty mirrors table set nothing', () => {
    const f = parseContainerdConfig('/etc/containerd/config.toml', sample('containerd-1.6-default.toml'));
    expect(f).toMatchObject({ version: 2, criDisabled: false, issues: [], error: undefined });
  });

  it('a 1.4-era config (version 1): the cgroup switch, the v1 shim and registry mirrors, each at its line', () => {
    const f = parseContainerdConfig('/etc/containerd/config.toml', sample('containerd-1.4-legacy.toml'));
    expect(f.version).toBe(1);
    expect(ids(sample('containerd-1.4-legacy.toml'))).toEqual(['systemd_cgroup@11', 'runtime-v1-shim@15', 'registry-mirrors@16']);
    expect(f.issues.map((i) => i.rule.effect)).toEqual(['ignored', 'removed', 'deprecated']);
  });

  it('a 2.0 config (version 3) with config_path: clean', () => {
    expect(parseContainerdConfig('/etc/containerd/config.toml', sample('containerd-2.0-v3.toml'))).toMatchObject({ version: 3, issues: [] });
  });

  it('mirrors next to config_path fail in 2.x; a disabled CRI plugin is seen; broken TOML is an error', () => {
    const both = '[plugins."io.containerd.grpc.v1.cri".registry]\nconfig_path = "/etc/containerd/certs.d"\n[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\nendpoint = ["https://m"]\n';
    expect(ids(both)).toEqual(['mirrors-with-config-path@3']);
    expect(parseContainerdConfig('/c', 'version = 2\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n').criDisabled).toBe(true);
    expect(parseContainerdConfig('/c', 'version = [\n').error).toBeTruthy();
    expect(ids('[plugins.cri.containerd]\nsnapshotter = "aufs"\n[plugins.cri.containerd.runtimes.runc]\nruntime_type = "io.containerd.runc.v1"\n')).toEqual(['aufs@2', 'runc-v1-shim@4']);
  });
});
