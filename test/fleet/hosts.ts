import type { InventoryHost } from '../../src/inventory/types.js';
import type { Fleet } from './fleet.js';

/** The InventoryHost slipway would resolve for a fleet node (for transport-level tests). */
export function fleetHost(fleet: Fleet, name: string, overrides: Partial<InventoryHost> = {}): InventoryHost {
  const node = fleet.node(name);
  return {
    name,
    address: '127.0.0.1',
    port: node.port,
    user: 'root',
    identityFiles: [fleet.keyFile],
    become: false,
    proxyJump: [],
    knownHostsFile: fleet.knownHostsFile,
    groups: ['all', ...node.record.groups],
    vars: {},
    ...overrides,
  };
}
