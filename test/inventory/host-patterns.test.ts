import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { matchHostPattern, selectHosts, splitPattern } from '../../src/inventory/host-patterns.js';
import { makeHost, makeInventory } from './make-host.js';

const inventory = makeInventory(
  [
    makeHost('cp-1', { groups: ['all', 'control_plane', 'k8s_cluster'] }),
    makeHost('node-1', { groups: ['all', 'workers', 'k8s_cluster'] }),
    makeHost('node-2', { groups: ['all', 'workers', 'k8s_cluster'] }),
    makeHost('node-3', { groups: ['all', 'workers', 'k8s_cluster'] }),
    makeHost('lb-1', { groups: ['all'] }),
  ],
  ['calico_rr'],
);
const names = (hosts: { name: string }[]): string[] => hosts.map((h) => h.name);

describe('selectHosts', () => {
  it('selects groups and hosts in inventory order', () => {
    expect(names(selectHosts(inventory, ['workers', 'cp-1'], undefined))).toEqual(['cp-1', 'node-1', 'node-2', 'node-3']);
    expect(names(selectHosts(inventory, [], undefined))).toHaveLength(5);
  });

  it('narrows by --limit with unions, globs, intersections and removals', () => {
    expect(names(selectHosts(inventory, ['all'], 'node-1,workers,!node-3'))).toEqual(['node-1', 'node-2']);
    expect(names(selectHosts(inventory, ['k8s_cluster'], 'node-*'))).toEqual(['node-1', 'node-2', 'node-3']);
    expect(names(selectHosts(inventory, ['all'], 'k8s_cluster:&workers:!node-2'))).toEqual(['node-1', 'node-3']);
    expect(names(selectHosts(inventory, ['all'], '!workers'))).toEqual(['cp-1', 'lb-1']);
    expect(names(selectHosts(inventory, ['all'], '~^node-[12]$'))).toEqual(['node-1', 'node-2']);
  });

  it('treats a list of playbook patterns as one pattern', () => {
    expect(names(selectHosts(inventory, ['k8s_cluster', '!control_plane'], undefined))).toEqual(['node-1', 'node-2', 'node-3']);
  });

  it('names a pattern that matches nothing, with a suggestion', () => {
    expect(() => selectHosts(inventory, ['wrkers'], undefined)).toThrow(
      "playbook hosts: 'wrkers' matches no host or group in hosts.yaml (did you mean 'workers'?)",
    );
    expect(() => selectHosts(inventory, ['all'], 'node-9,nod-1')).toThrow(InputError);
    try {
      selectHosts(inventory, ['all'], 'node-9,nod-1');
    } catch (error) {
      expect((error as InputError).problems.map((p) => p.message)).toEqual([
        "--limit: 'node-9' matches no host or group in hosts.yaml (did you mean 'node-1'?)",
        "--limit: 'nod-1' matches no host or group in hosts.yaml (did you mean 'node-1'?)",
      ]);
    }
    expect(() => selectHosts(inventory, ['all'], '~node-(')).toThrow("--limit: '~node-(' is not a valid regular expression");
  });

  it('refuses a selection left empty', () => {
    expect(() => selectHosts(inventory, ['workers'], 'cp-1')).toThrow("--limit 'cp-1' leaves none of the 3 hosts of playbook hosts 'workers'");
    expect(() => selectHosts(inventory, ['calico_rr'], undefined)).toThrow("playbook hosts 'calico_rr' select no hosts in hosts.yaml");
  });
});

describe('matchHostPattern', () => {
  it('matches glob patterns against group names too', () => {
    expect([...matchHostPattern(inventory, 'control_*').hosts]).toEqual(['cp-1']);
  });
});

describe('splitPattern', () => {
  it('splits on commas, or on colons when there is no comma', () => {
    expect(splitPattern('a, b,!c')).toEqual(['a', 'b', '!c']);
    expect(splitPattern('a:&b:!c')).toEqual(['a', '&b', '!c']);
    expect(splitPattern('fe80::1')).toEqual(['fe80::1']);
  });
});
