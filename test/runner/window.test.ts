/** The keys of a per-topology window limit: an inventory var, a list of groups, a node label. */
import { describe, expect, it } from 'vitest';
import { RemoteResolver } from '../../src/runner/remotes.js';
import { topologyKeys, windowLimits } from '../../src/runner/window.js';
import type { ExecResult, Remote, RemoteFactory } from '../../src/transport/types.js';
import { makeHost, makeInventory } from '../inventory/make-host.js';

const hosts = [
  makeHost('cp-1', { groups: ['all', 'control_plane'] }),
  makeHost('w1', { groups: ['all', 'workers', 'rack_a'], vars: { zone: 'eu-1a' } }),
  makeHost('w2', { groups: ['all', 'workers', 'rack_b'], vars: { zone: 'eu-1b' } }),
  makeHost('w3', { groups: ['all', 'workers'] }),
];
const inventory = makeInventory(hosts, ['control_plane', 'workers']);
const NODES = JSON.stringify({
  kind: 'List',
  items: [
    { metadata: { name: 'w1', labels: { 'topology.kubernetes.io/zone': 'z1' } } },
    { metadata: { name: 'w2', labels: { 'topology.kubernetes.io/zone': 'z2' } } },
    { metadata: { name: 'w3', labels: {} } },
  ],
});

function resolver(calls: string[]): RemoteResolver {
  const remote = (host: string): Remote =>
    ({
      host,
      exec: async (argv: readonly string[]): Promise<ExecResult> => {
        calls.push(`${host}: ${argv.join(' ')}`);
        return { code: 0, stdout: NODES, stderr: '' };
      },
    }) as unknown as Remote;
  const factory: RemoteFactory = { node: (h) => remote(h.name), local: () => remote('local'), close: async () => undefined };
  return new RemoteResolver(inventory, factory);
}

describe('window limits', () => {
  const workers = hosts.slice(1);
  it('by inventory var, by the first listed group, by node label (one kubectl get nodes on the control plane); no value: undefined', async () => {
    const calls: string[] = [];
    expect(Object.fromEntries(await topologyKeys({ var: 'zone', max: 1 }, workers, resolver(calls)))).toEqual({ w1: 'eu-1a', w2: 'eu-1b', w3: undefined });
    expect(Object.fromEntries(await topologyKeys({ groups: ['rack_b', 'rack_a'], max: 1 }, workers, resolver(calls)))).toEqual({ w1: 'rack_a', w2: 'rack_b', w3: undefined });
    expect(calls).toEqual([]);
    expect(Object.fromEntries(await topologyKeys({ label: 'topology.kubernetes.io/zone', max: 1 }, workers, resolver(calls)))).toEqual({ w1: 'z1', w2: 'z2', w3: undefined });
    expect(calls).toEqual(['cp-1: true', 'cp-1: kubectl get nodes -o json']); // reached, then asked once
  });

  it('maxUnavailable as a count or a percentage of the nodes; none without it', async () => {
    const r = resolver([]);
    const base = { batch: 1, maxFailed: 0, onFailure: 'stop' as const, pause: 0, serialFirst: [] };
    expect(await windowLimits(base, workers, r)).toBeUndefined();
    expect(await windowLimits({ ...base, maxUnavailable: '50%' }, workers, r)).toEqual({ max: 2, perMax: 2 });
    // serialFirst nodes go alone first: the window (and its percentage) is over the others.
    expect(await windowLimits({ ...base, maxUnavailable: '60%' }, hosts, r)).toEqual({ max: 3, perMax: 3 }); // of 4
    expect(await windowLimits({ ...base, serialFirst: ['control_plane'], maxUnavailable: '60%' }, hosts, r)).toEqual({ max: 2, perMax: 2 }); // of 3
    const zoned = await windowLimits({ ...base, maxUnavailable: 3, maxUnavailablePer: { var: 'zone', max: 1 } }, workers, r);
    expect(zoned).toMatchObject({ max: 3, perMax: 1 });
    expect(zoned?.keyOf?.('w2')).toBe('eu-1b');
  });
});
