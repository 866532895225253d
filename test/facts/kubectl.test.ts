import { describe, expect, it } from 'vitest';
import {
  evictablePods,
  isDrainTimeout,
  parseDrainPdbBlocks,
  parseNodeJson,
  parsePdbList,
  parsePodList,
  pdbsForPod,
  selectorMatches,
} from '../../src/facts/kubectl.js';
import { podJson, podList } from '../steps/kube/fixtures.js';

describe('kubectl JSON', () => {
  it('reads a node: cordoned or not', () => {
    expect(parseNodeJson(JSON.stringify({ kind: 'Node', metadata: { name: 'node-1' }, spec: { podCIDR: '10.244.1.0/24' } }))).toEqual({
      name: 'node-1',
      unschedulable: false,
    });
    expect(
      parseNodeJson(JSON.stringify({ kind: 'Node', metadata: { name: 'node-1' }, spec: { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] } })),
    ).toEqual({ name: 'node-1', unschedulable: true });
    expect(() => parseNodeJson('Error from server (NotFound): nodes "x" not found')).toThrow(/not JSON/);
  });

  it('reads pods and tells which a drain moves', () => {
    const pods = parsePodList(
      podList(
        podJson('default', 'web-0', { owner: 'StatefulSet', labels: { app: 'web' } }),
        podJson('kube-system', 'kube-proxy-x', { owner: 'DaemonSet' }),
        podJson('kube-system', 'kube-apiserver-node-1', { owner: 'Node', mirror: true }),
        podJson('default', 'scratch', { owner: 'ReplicaSet', emptyDir: true }),
        podJson('default', 'bare'),
        podJson('default', 'done', { phase: 'Succeeded' }),
      ),
    );
    expect(pods[0]).toEqual({
      namespace: 'default',
      name: 'web-0',
      phase: 'Running',
      labels: { app: 'web' },
      controllerKinds: ['StatefulSet'],
      daemonSet: false,
      mirror: false,
      emptyDir: false,
      ready: false, // no Ready condition in this sample
      terminating: false,
    });
    expect(pods.map((p) => [p.name, p.daemonSet, p.mirror, p.emptyDir])).toEqual([
      ['web-0', false, false, false],
      ['kube-proxy-x', true, false, false],
      ['kube-apiserver-node-1', false, true, false],
      ['scratch', false, false, true],
      ['bare', false, false, false],
      ['done', false, false, false],
    ]);
    expect(evictablePods(pods).map((p) => p.name)).toEqual(['web-0', 'scratch', 'bare', 'done']);
    expect(parsePodList(podList())).toEqual([]);
  });
});

describe('PodDisruptionBudgets', () => {
  const pdbList = JSON.stringify({
    kind: 'List',
    items: [
      {
        kind: 'PodDisruptionBudget',
        metadata: { name: 'web', namespace: 'default' },
        spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } } },
        status: { currentHealthy: 2, desiredHealthy: 2, disruptionsAllowed: 0, expectedPods: 2 },
      },
      {
        kind: 'PodDisruptionBudget',
        metadata: { name: 'all', namespace: 'other' },
        spec: { maxUnavailable: '10%', selector: {} },
        status: { currentHealthy: 3, desiredHealthy: 2, disruptionsAllowed: 1, expectedPods: 3 },
      },
    ],
  });

  it('reads budgets with their status', () => {
    expect(parsePdbList(pdbList)).toEqual([
      {
        namespace: 'default',
        name: 'web',
        selector: { matchLabels: { app: 'web' }, matchExpressions: [] },
        minAvailable: '2',
        maxUnavailable: undefined,
        currentHealthy: 2,
        desiredHealthy: 2,
        disruptionsAllowed: 0,
        expectedPods: 2,
      },
      expect.objectContaining({ namespace: 'other', name: 'all', maxUnavailable: '10%', disruptionsAllowed: 1 }),
    ]);
  });

  it('matches label selectors as Kubernetes does', () => {
    const sel = (matchLabels: Record<string, string>, matchExpressions: Array<{ key: string; operator: string; values?: string[] }> = []) => ({
      matchLabels,
      matchExpressions: matchExpressions.map((e) => ({ values: [], ...e })),
    });
    const labels = { app: 'web', tier: 'front' };
    expect(selectorMatches(sel({ app: 'web' }), labels)).toBe(true);
    expect(selectorMatches(sel({ app: 'db' }), labels)).toBe(false);
    expect(selectorMatches(sel({}), labels)).toBe(true);
    expect(selectorMatches(null, labels)).toBe(false);
    expect(selectorMatches(sel({}, [{ key: 'tier', operator: 'In', values: ['front', 'back'] }]), labels)).toBe(true);
    expect(selectorMatches(sel({}, [{ key: 'tier', operator: 'NotIn', values: ['front'] }]), labels)).toBe(false);
    expect(selectorMatches(sel({}, [{ key: 'gpu', operator: 'NotIn', values: ['x'] }]), labels)).toBe(true);
    expect(selectorMatches(sel({}, [{ key: 'app', operator: 'Exists' }]), labels)).toBe(true);
    expect(selectorMatches(sel({}, [{ key: 'app', operator: 'DoesNotExist' }]), labels)).toBe(false);
    expect(selectorMatches(sel({ app: 'web' }, [{ key: 'tier', operator: 'In', values: ['back'] }]), labels)).toBe(false);
  });

  it('finds the budgets of a pod in its own namespace only', () => {
    const pdbs = parsePdbList(pdbList);
    const [web] = parsePodList(podList(podJson('default', 'web-0', { owner: 'StatefulSet', labels: { app: 'web' } })));
    const [other] = parsePodList(podList(podJson('other', 'x', { owner: 'ReplicaSet' })));
    expect(pdbsForPod(web!, pdbs).map((p) => p.name)).toEqual(['web']);
    expect(pdbsForPod(other!, pdbs).map((p) => p.name)).toEqual(['all']);
  });
});

describe('kubectl drain output', () => {
  const output = `node/node-1 cordoned
Warning: ignoring DaemonSet-managed Pods: kube-system/kube-proxy-x
evicting pod default/web-0
evicting pod default/web-1
evicting pod default/api-7d9c
error when evicting pods/"web-0" -n "default" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.
error when evicting pods/"web-1" -n "default" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.
pod/api-7d9c evicted
evicting pod default/web-0
error when evicting pods/"web-0" -n "default" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.
There are pending pods in node "node-1" when an error occurred: [error when evicting pods/"web-0" -n "default": global timeout reached: 1m0s, error when evicting pods/"web-1" -n "default": global timeout reached: 1m0s]
error: unable to drain node "node-1" due to error: [error when evicting pods/"web-0" -n "default": global timeout reached: 1m0s, error when evicting pods/"web-1" -n "default": global timeout reached: 1m0s], continuing command...
There are pending nodes to be drained:
 node-1
`;

  it('lists the pods a disruption budget blocked, once each', () => {
    expect(parseDrainPdbBlocks(output)).toEqual([
      { namespace: 'default', name: 'web-0' },
      { namespace: 'default', name: 'web-1' },
    ]);
  });

  it('reads the older message format, which has no namespace', () => {
    expect(
      parseDrainPdbBlocks(
        'evicting pod "istio-pilot-67fd"\nerror when evicting pod "istio-pilot-67fd" (will retry after 5s): Cannot evict pod as it would violate the pod\'s disruption budget.\n',
      ),
    ).toEqual([{ namespace: undefined, name: 'istio-pilot-67fd' }]);
  });

  it('tells a timeout from other failures', () => {
    expect(isDrainTimeout(output)).toBe(true);
    expect(isDrainTimeout('error: unable to drain node "node-1" due to error: cannot delete Pods with local storage (use --delete-emptydir-data to override): default/scratch')).toBe(false);
    expect(parseDrainPdbBlocks('node/node-1 drained\n')).toEqual([]);
  });
});
