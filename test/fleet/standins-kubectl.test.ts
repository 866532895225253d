/**
 * The kubectl stand-in on the control-plane node: cordon, uncordon and drain with kubectl's
 * messages and exit codes, DaemonSets, emptyDir, bare pods and PodDisruptionBudgets included.
 */
import { describe, expect, it } from 'vitest';
import { bundleStandin } from './bundle.js';
import { useFleet } from './fixture.js';

const STATE = '/var/lib/fleet-kube/cluster.json';
const pod = (name: string, node: string, extra: object = {}) => ({ name, namespace: 'default', node, owner: { kind: 'ReplicaSet', name: 'web-5d8f' }, labels: { app: 'web' }, emptyDir: false, ...extra });
const cluster = {
  nodes: ['cp-1', 'node-1', 'node-2', 'node-3'].map((name) => ({ name, unschedulable: false, kubeletVersion: 'v1.26.15', roles: name === 'cp-1' ? ['control-plane'] : [] })),
  pods: [
    { name: 'kube-proxy-a', namespace: 'kube-system', node: 'node-1', owner: { kind: 'DaemonSet', name: 'kube-proxy' }, labels: {}, emptyDir: false },
    pod('web-5d8f-aaaaa', 'node-1'),
    pod('cache-77-bbbbb', 'node-1', { owner: { kind: 'ReplicaSet', name: 'cache-77' }, labels: { app: 'cache' }, emptyDir: true }),
    pod('debug', 'node-1', { owner: null, labels: {} }),
    pod('payments-9-ccccc', 'node-2', { owner: { kind: 'ReplicaSet', name: 'payments-9' }, labels: { app: 'payments' } }),
  ],
  pdbs: [{ name: 'payments', namespace: 'default', selector: { app: 'payments' }, minAvailable: 1 }],
};

const f = useFleet({
  nodes: 0,
  seed: () => ({
    files: [
      { path: '/usr/bin/kubectl', from: () => bundleStandin('kubectl') },
      { path: STATE, content: JSON.stringify(cluster) },
      { path: '/root/.kube/config', content: 'apiVersion: v1\nkind: Config\n' },
    ],
  }),
});
const kubectl = (...args: string[]) => f.fleet.node('cp-1').exec(['kubectl', ...args]);

describe('kubectl stand-in', () => {
  it('cordons and uncordons with kubectl messages', async () => {
    expect(await kubectl('cordon', 'node-3')).toMatchObject({ code: 0, stdout: 'node/node-3 cordoned\n' });
    expect(await kubectl('cordon', 'node-3')).toMatchObject({ code: 0, stdout: 'node/node-3 already cordoned\n' });
    const node = JSON.parse((await kubectl('get', 'node', 'node-3', '-o', 'json')).stdout);
    expect(node.spec.unschedulable).toBe(true);
    expect(node.status.nodeInfo.kubeletVersion).toBe('v1.26.15');
    expect((await kubectl('get', 'nodes')).stdout).toMatch(/node-3\s+Ready,SchedulingDisabled\s+<none>\s+\S+\s+v1\.26\.15/);
    expect(await kubectl('uncordon', 'node-3')).toMatchObject({ code: 0, stdout: 'node/node-3 uncordoned\n' });
    expect(await kubectl('uncordon', 'node-3')).toMatchObject({ code: 0, stdout: 'node/node-3 already uncordoned\n' });
    expect(await kubectl('cordon', 'nope')).toMatchObject({ code: 1, stderr: 'Error from server (NotFound): nodes "nope" not found\n' });
  });

  it('patches a node: unschedulable and annotations in one merge patch, null removing', async () => {
    const on = JSON.stringify({ spec: { unschedulable: true }, metadata: { annotations: { 'slipway/cordoned-by': 'run-1' } } });
    expect(await kubectl('patch', 'node', 'node-3', '--type', 'merge', '-p', on)).toMatchObject({ code: 0, stdout: 'node/node-3 patched\n' });
    expect(await kubectl('patch', 'node', 'node-3', '--type', 'merge', '-p', on)).toMatchObject({ code: 0, stdout: 'node/node-3 patched (no change)\n' });
    let node = JSON.parse((await kubectl('get', 'node', 'node-3', '-o', 'json')).stdout);
    expect(node.spec.unschedulable).toBe(true);
    expect(node.metadata.annotations).toMatchObject({ 'slipway/cordoned-by': 'run-1', 'node.alpha.kubernetes.io/ttl': '0' });
    const off = JSON.stringify({ spec: { unschedulable: null }, metadata: { annotations: { 'slipway/cordoned-by': null } } });
    expect(await kubectl('patch', 'node', 'node-3', '--type', 'merge', '-p', off)).toMatchObject({ code: 0, stdout: 'node/node-3 patched\n' });
    node = JSON.parse((await kubectl('get', 'node', 'node-3', '-o', 'json')).stdout);
    expect(node.spec.unschedulable).toBeUndefined();
    expect(node.metadata.annotations['slipway/cordoned-by']).toBeUndefined();
    expect(await kubectl('patch', 'node', 'node-3', '-p', '{nope')).toMatchObject({ code: 1, stderr: expect.stringContaining('error: unable to parse "{nope"') });
  });

  it('refuses DaemonSet, emptyDir and bare pods without the flags, like kubectl drain', async () => {
    const r = await kubectl('drain', 'node-1');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('node/node-1 cordoned\n');
    expect(r.stderr).toContain(
      'error: unable to drain node "node-1" due to error: [cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): kube-system/kube-proxy-a, cannot delete Pods with local storage (use --delete-emptydir-data to override): default/cache-77-bbbbb, cannot delete Pods that declare no controller (use --force to override): default/debug], continuing command...',
    );
    expect(r.stderr).toContain('There are pending nodes to be drained:\n node-1\n');
    const pods = JSON.parse((await kubectl('get', 'pods', '-A', '--field-selector', 'spec.nodeName=node-1', '-o', 'json')).stdout);
    expect(pods.items).toHaveLength(4);
  });

  it('drains with --ignore-daemonsets --delete-emptydir-data --force: evicts, reschedules, keeps DaemonSet pods', async () => {
    const r = await kubectl('drain', 'node-1', '--ignore-daemonsets', '--delete-emptydir-data', '--force', '--grace-period', '30');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Warning: ignoring DaemonSet-managed Pods: kube-system/kube-proxy-a; deleting Pods with local storage: default/cache-77-bbbbb; deleting Pods that declare no controller: default/debug\n');
    expect(r.stderr).toContain('evicting pod default/web-5d8f-aaaaa\n');
    expect(r.stdout).toContain('pod/web-5d8f-aaaaa evicted\n');
    expect(r.stdout).toMatch(/node\/node-1 already cordoned\n[\s\S]*node\/node-1 drained\n$/);
    const pods = JSON.parse((await kubectl('get', 'pods', '-A', '-o', 'json')).stdout).items as Array<{ metadata: { name: string }; spec: { nodeName?: string } }>;
    const on = (n: string) => pods.filter((p) => p.spec.nodeName === n).map((p) => p.metadata.name);
    expect(on('node-1')).toEqual(['kube-proxy-a']);
    expect(pods.some((p) => p.metadata.name.startsWith('web-5d8f-') && p.spec.nodeName !== 'node-1')).toBe(true);
    expect(pods.some((p) => p.metadata.name === 'debug')).toBe(false);
  });

  it('retries an eviction a PodDisruptionBudget forbids until --timeout, then fails', async () => {
    const started = Date.now();
    const r = await kubectl('drain', 'node-2', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=6s');
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(5500);
    expect(r.stderr).toContain(`error when evicting pods/"payments-9-ccccc" -n "default" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.\n`);
    expect(r.stderr).toContain('error: unable to drain node "node-2" due to error: error when evicting pods/"payments-9-ccccc" -n "default": global timeout reached: 6s, continuing command...');
    const pdb = JSON.parse((await kubectl('get', 'pdb', '-A', '-o', 'json')).stdout).items[0];
    expect(pdb.status).toMatchObject({ currentHealthy: 1, desiredHealthy: 1, disruptionsAllowed: 0 });
  }, 20_000);

  it('deletes past the budget with --disable-eviction', async () => {
    const r = await kubectl('drain', 'node-2', '--ignore-daemonsets', '--disable-eviction');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('pod/payments-9-ccccc deleted\n');
    expect(r.stdout).toContain('node/node-2 drained\n');
  });

  it('needs a kubeconfig', async () => {
    const r = await kubectl('--kubeconfig', '/etc/kubernetes/absent.conf', 'get', 'nodes');
    expect(r).toMatchObject({ code: 1, stderr: 'error: stat /etc/kubernetes/absent.conf: no such file or directory\n' });
    const none = await f.fleet.node('cp-1').exec(['env', 'HOME=/nonexistent', 'kubectl', 'get', 'nodes']);
    expect(none).toMatchObject({ code: 1, stderr: 'The connection to the server localhost:8080 was refused - did you specify the right host or port?\n' });
  });
});
