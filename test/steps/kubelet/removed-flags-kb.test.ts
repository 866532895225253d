import semver from 'semver';
import { describe, expect, it } from 'vitest';
import {
  coerceKubernetesVersion,
  flagsRemovedBy,
  normalizeFlag,
  REMOVED_KUBELET_FLAGS,
  removedFlagInfo,
  valueRestrictionsBy,
} from '../../../src/kb/kubelet-flags.js';

const names = (version: string): string[] => flagsRemovedBy(version).map((f) => f.flag);

describe('removed kubelet flags (knowledge base)', () => {
  it('has one well-formed, sourced entry a flag', () => {
    const seen = new Set<string>();
    for (const entry of REMOVED_KUBELET_FLAGS) {
      expect(entry.flag).toMatch(/^--[a-z0-9][a-z0-9-]*$/);
      expect(semver.valid(entry.removedIn)).toBe(entry.removedIn);
      expect(entry.source.length).toBeGreaterThan(10);
      expect(seen.has(entry.flag)).toBe(false);
      seen.add(entry.flag);
    }
  });

  it('knows nothing removed before the dockershim went (1.24)', () => {
    expect(names('1.23.17')).toEqual([]);
  });

  it('lists the dockershim flags from 1.24 on', () => {
    expect(names('1.24.0')).toEqual([
      '--experimental-dockershim-root-directory',
      '--docker-endpoint',
      '--image-pull-progress-deadline',
      '--network-plugin',
      '--cni-conf-dir',
      '--cni-bin-dir',
      '--cni-cache-dir',
      '--network-plugin-mtu',
      '--non-masquerade-cidr', // kubernetes/kubernetes#107096
    ]);
  });

  it('removes --container-runtime in 1.27, not in 1.26', () => {
    expect(names('1.26.15')).not.toContain('--container-runtime');
    expect(names('1.27.0')).toContain('--container-runtime');
    expect(names('v1.27.16')).toContain('--container-runtime');
  });

  it('keeps --pod-infra-container-image until 1.35 (deprecated since 1.27, not removed then)', () => {
    expect(names('1.27.16')).not.toContain('--pod-infra-container-image');
    expect(names('1.34.3')).not.toContain('--pod-infra-container-image');
    expect(names('1.35.0')).toContain('--pod-infra-container-image');
  });

  it('removes the 1.31 and 1.34 flags in their releases', () => {
    expect(names('1.30.9')).not.toContain('--keep-terminated-pod-volumes');
    expect(names('1.31.0')).toEqual(expect.arrayContaining(['--keep-terminated-pod-volumes', '--iptables-masquerade-bit', '--iptables-drop-bit']));
    expect(names('1.33.0')).not.toContain('--cloud-config');
    expect(names('1.34.0')).toContain('--cloud-config');
    expect(removedFlagInfo('keep-terminated-pod-volumes')?.boolean).toBe(true);
  });

  it('matches the checked table of kb-facts: 1.30 azure registry config, 1.34 register-schedulable, none of the not-removed flags', () => {
    expect(names('1.29.9')).not.toContain('--azure-container-registry-config');
    expect(names('1.30.0')).toContain('--azure-container-registry-config');
    expect(names('1.33.5')).not.toContain('--register-schedulable');
    expect(names('1.34.0')).toContain('--register-schedulable');
    for (const kept of ['--experimental-allocatable-ignore-eviction', '--lock-file', '--provider-id', '--container-runtime-endpoint']) {
      expect(removedFlagInfo(kept), kept).toBeUndefined();
    }
  });

  it('--cloud-provider stays in 1.31 but accepts only "" or external: a value restriction, not a removal', () => {
    expect(names('1.31.0')).not.toContain('--cloud-provider');
    expect(valueRestrictionsBy('1.30.9')).toEqual([]);
    expect(valueRestrictionsBy('1.31.0').map((f) => [f.flag, f.allowedValues])).toEqual([['--cloud-provider', ['', 'external']]]);
  });

  it('reads versions as operators write them, and refuses what is not one', () => {
    expect(coerceKubernetesVersion('1.27')).toBe('1.27.0');
    expect(coerceKubernetesVersion('v1.27.16-eks-1')).toBe('1.27.16');
    expect(coerceKubernetesVersion('latest')).toBeUndefined();
    expect(() => flagsRemovedBy('stable')).toThrow(/not a Kubernetes version/);
    expect(normalizeFlag('container-runtime')).toBe('--container-runtime');
    expect(normalizeFlag('-container-runtime')).toBe('--container-runtime');
    expect(removedFlagInfo('--container-runtime-endpoint')).toBeUndefined();
  });
});
