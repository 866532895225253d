import type { Inventory, InventoryHost } from '../../src/inventory/types.js';

/** A host with plain defaults, for tests that do not read an inventory file. */
export function makeHost(name: string, init: Partial<InventoryHost> = {}): InventoryHost {
  return {
    name,
    address: init.address ?? `${name}.example`,
    port: 22,
    user: 'root',
    identityFiles: [],
    become: false,
    proxyJump: [],
    knownHostsFile: undefined,
    ...init,
    groups: init.groups ?? ['all'],
    vars: init.vars ?? {},
  };
}

/** An inventory of hosts; groups are derived from each host's `groups`. */
export function makeInventory(hosts: InventoryHost[], extraGroups: string[] = []): Inventory {
  const groups: Record<string, string[]> = { all: hosts.map((h) => h.name), ungrouped: [] };
  for (const group of extraGroups) groups[group] = [];
  for (const host of hosts) {
    for (const group of host.groups) {
      if (group === 'all') continue;
      (groups[group] ??= []).push(host.name);
    }
  }
  return { file: 'hosts.yaml', hosts, groups };
}
