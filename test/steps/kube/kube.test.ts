import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parsePdbList, parsePodList } from '../../../src/facts/kubectl.js';
import { kubeCordonStep, paramsSchema as cordonSchema } from '../../../src/steps/kube/cordon.js';
import {
  diagnoseDrainFailure,
  drainObstacles,
  kubeDrainStep,
  paramsSchema as drainSchema,
  type KubeDrainParams,
} from '../../../src/steps/kube/drain.js';
import { kubeUncordonStep, paramsSchema as uncordonSchema } from '../../../src/steps/kube/uncordon.js';
import type { StepContext } from '../../../src/steps/types.js';
import type { ExecOptions, ExecResult, Remote } from '../../../src/transport/types.js';
import { contextFor, testNode, CommandOnlyRemote } from '../helpers.js';
import { podJson, podList } from './fixtures.js';

interface FakePdb {
  namespace: string;
  name: string;
  app: string;
  disruptionsAllowed: number;
}

/**
 * A control-plane host's kubectl against an in-memory cluster: get node/pods/pdb, cordon,
 * uncordon and drain with DaemonSets, PodDisruptionBudgets, --timeout and --disable-eviction,
 * printing kubectl's messages.
 */
class FakeKubectl extends CommandOnlyRemote {
  readonly host = 'cp-1';
  readonly calls: string[][] = [];
  unschedulable = new Map<string, boolean>([['node-1', false]]);
  /** Node name -> its annotations. */
  annotations = new Map<string, Record<string, string>>();
  pods: Array<Record<string, unknown>> = [];
  pdbs: FakePdb[] = [];

  exec(argv: readonly string[], _options?: ExecOptions): Promise<ExecResult> {
    this.calls.push([...argv]);
    const out = (stdout: string, code = 0, stderr = ''): Promise<ExecResult> => Promise.resolve({ code, stdout, stderr });
    let args = argv.slice(1);
    if (args[0] === '--kubeconfig') args = args.slice(2);
    const [verb, what, name] = args;
    const nodeOf = (p: Record<string, unknown>): string => (p.spec as { nodeName: string }).nodeName;
    const meta = (p: Record<string, unknown>): { name: string; namespace: string; labels: Record<string, string> } =>
      p.metadata as { name: string; namespace: string; labels: Record<string, string> };
    if (verb === 'get' && what === 'node') {
      if (!this.unschedulable.has(name ?? '')) return out('', 1, `Error from server (NotFound): nodes "${name}" not found\n`);
      const spec = this.unschedulable.get(name ?? '') ? { unschedulable: true } : {};
      return out(JSON.stringify({ kind: 'Node', metadata: { name, annotations: this.annotations.get(name ?? '') ?? {} }, spec }));
    }
    if (verb === 'patch' && what === 'node') {
      const node = name ?? '';
      expect(args.slice(3)).toEqual(['--type', 'merge', '-p', expect.any(String)]);
      const patch = JSON.parse(args[6] ?? '{}') as { spec?: { unschedulable?: boolean | null }; metadata?: { annotations?: Record<string, string | null> } };
      if (patch.spec && 'unschedulable' in patch.spec) this.unschedulable.set(node, patch.spec.unschedulable === true);
      const mine = { ...(this.annotations.get(node) ?? {}) };
      for (const [k, v] of Object.entries(patch.metadata?.annotations ?? {})) {
        if (v === null) delete mine[k];
        else mine[k] = v;
      }
      this.annotations.set(node, mine);
      return out(`node/${node} patched\n`);
    }
    if (verb === 'get' && what === 'pods') {
      const node = args[args.indexOf('--field-selector') + 1]?.replace('spec.nodeName=', '');
      return out(podList(...this.pods.filter((p) => nodeOf(p) === node)));
    }
    if (verb === 'get' && what === 'pdb') {
      return out(
        JSON.stringify({
          kind: 'List',
          items: this.pdbs.map((b) => ({
            metadata: { name: b.name, namespace: b.namespace },
            spec: { minAvailable: 1, selector: { matchLabels: { app: b.app } } },
            status: { currentHealthy: 1, desiredHealthy: 1, disruptionsAllowed: b.disruptionsAllowed, expectedPods: 1 },
          })),
        }),
      );
    }
    if (verb === 'cordon' || verb === 'uncordon') {
      const node = what ?? '';
      const was = this.unschedulable.get(node);
      this.unschedulable.set(node, verb === 'cordon');
      return out(`node/${node} ${was === (verb === 'cordon') ? 'already ' : ''}${verb}ed\n`);
    }
    if (verb === 'drain') {
      const node = what ?? '';
      this.unschedulable.set(node, true);
      let stdout = `node/${node} cordoned\n`;
      let stderr = '';
      const mine = parsePodList(podList(...this.pods.filter((p) => nodeOf(p) === node)));
      if (!args.includes('--ignore-daemonsets') && mine.some((p) => p.daemonSet)) {
        return out(stdout, 1, `error: unable to drain node "${node}" due to error: cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore)\n`);
      }
      const timeout = args.find((a) => a.startsWith('--timeout='))?.slice('--timeout='.length);
      const disable = args.includes('--disable-eviction');
      const blocked: string[] = [];
      for (const pod of mine.filter((p) => !p.daemonSet && !p.mirror)) {
        stdout += `evicting pod ${pod.namespace}/${pod.name}\n`;
        const budget = this.pdbs.find((b) => b.namespace === pod.namespace && pod.labels.app === b.app);
        if (!disable && budget && budget.disruptionsAllowed === 0) {
          stderr += `error when evicting pods/"${pod.name}" -n "${pod.namespace}" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.\n`;
          blocked.push(`error when evicting pods/"${pod.name}" -n "${pod.namespace}": global timeout reached: ${timeout ?? '0s'}`);
          continue;
        }
        this.pods = this.pods.filter((p) => !(meta(p).name === pod.name && meta(p).namespace === pod.namespace));
        stdout += `pod/${pod.name} ${disable ? 'deleted' : 'evicted'}\n`;
      }
      if (blocked.length > 0) {
        stderr += `error: unable to drain node "${node}" due to error: [${blocked.join(', ')}], continuing command...\nThere are pending nodes to be drained:\n ${node}\n`;
        return out(stdout, 1, stderr);
      }
      return out(`${stdout}node/${node} drained\n`, 0, stderr);
    }
    return out('', 1, `error: unknown command "${argv.join(' ')}"\n`);
  }

}

function onControlPlane(remote: Remote): StepContext {
  // The step runs on cp-1 for node-1.
  return { ...contextFor(remote), node: testNode('node-1'), runId: 'run-7' };
}

describe('kube.cordon and kube.uncordon', () => {
  it('cordons once, is idempotent, and rollback uncordons only a node it cordoned', async () => {
    const kube = new FakeKubectl();
    const ctx = onControlPlane(kube);
    expect(kubeCordonStep.check({}, await kubeCordonStep.facts(ctx, {}))).toEqual({ status: 'change', summary: 'cordon node node-1 (schedulable)' });
    const undo = await kubeCordonStep.apply(ctx, {}, await kubeCordonStep.facts(ctx, {}));
    expect(undo).toEqual({ nodeName: 'node-1', wasSchedulable: true });
    // Cordoned and marked in one patch, naming the run.
    expect(kube.calls.filter((c) => c[1] === 'patch')).toEqual([
      ['kubectl', 'patch', 'node', 'node-1', '--type', 'merge', '-p', '{"spec":{"unschedulable":true},"metadata":{"annotations":{"slipway/cordoned-by":"run-7"}}}'],
    ]);
    expect(kube.annotations.get('node-1')).toEqual({ 'slipway/cordoned-by': 'run-7' });
    expect(kubeCordonStep.check({}, await kubeCordonStep.facts(ctx, {}))).toEqual({ status: 'ok', summary: 'node node-1 is cordoned by slipway run run-7' });
    const again = await kubeCordonStep.apply(ctx, {}, await kubeCordonStep.facts(ctx, {}));
    expect(again).toEqual({ nodeName: 'node-1', wasSchedulable: false });
    expect(kube.calls.filter((c) => c[1] === 'patch')).toHaveLength(1);
    await kubeCordonStep.rollback(ctx, {}, again);
    expect(kube.unschedulable.get('node-1')).toBe(true);
    await kubeCordonStep.rollback(ctx, {}, undo);
    expect(kube.unschedulable.get('node-1')).toBe(false);
    expect(kube.annotations.get('node-1')).toEqual({});
  });

  it('a node cordoned by someone else stays cordoned: cordon and uncordon say so and leave it', async () => {
    const kube = new FakeKubectl();
    kube.unschedulable.set('node-1', true);
    const ctx = onControlPlane(kube);
    expect(kubeCordonStep.check({}, await kubeCordonStep.facts(ctx, {}))).toEqual({
      status: 'ok',
      summary: 'node node-1 is cordoned before this run, not by slipway: it stays cordoned after the run',
    });
    expect(kubeUncordonStep.check({}, await kubeUncordonStep.facts(ctx, {}))).toEqual({ status: 'ok', summary: 'node node-1 stays cordoned: cordoned before this run, not by slipway' });
    expect(await kubeUncordonStep.apply(ctx, {}, await kubeUncordonStep.facts(ctx, {}))).toEqual({ nodeName: 'node-1', wasCordoned: false });
    expect(kube.unschedulable.get('node-1')).toBe(true);
    expect(kube.calls.filter((c) => c[1] !== 'get')).toEqual([]);
    // force: true lifts it, and rollback puts the plain cordon back.
    const undo = await kubeUncordonStep.apply(ctx, { force: true }, await kubeUncordonStep.facts(ctx, { force: true }));
    expect(kube.unschedulable.get('node-1')).toBe(false);
    await kubeUncordonStep.rollback(ctx, { force: true }, undo);
    expect(kube.calls.at(-1)).toEqual(['kubectl', 'cordon', 'node-1']);
    expect(kube.unschedulable.get('node-1')).toBe(true);
  });

  it('uncordons a node slipway cordoned, clearing the record; rollback cordons it again with it', async () => {
    const kube = new FakeKubectl();
    kube.unschedulable.set('node-1', true);
    kube.annotations.set('node-1', { 'slipway/cordoned-by': 'run-7' });
    const ctx = onControlPlane(kube);
    expect(kubeUncordonStep.check({}, await kubeUncordonStep.facts(ctx, {}))).toEqual({ status: 'change', summary: 'uncordon node node-1 (cordoned by slipway run run-7)' });
    const undo = await kubeUncordonStep.apply(ctx, {}, await kubeUncordonStep.facts(ctx, {}));
    expect(undo).toEqual({ nodeName: 'node-1', wasCordoned: true, cordonedBy: 'run-7' });
    expect(kube.annotations.get('node-1')).toEqual({});
    expect(kubeUncordonStep.check({}, await kubeUncordonStep.facts(ctx, {}))).toEqual({ status: 'ok', summary: 'node node-1 is schedulable' });
    await kubeUncordonStep.rollback(ctx, {}, await kubeUncordonStep.apply(ctx, {}, await kubeUncordonStep.facts(ctx, {})));
    expect(kube.unschedulable.get('node-1')).toBe(false);
    await kubeUncordonStep.rollback(ctx, {}, undo);
    expect(kube.unschedulable.get('node-1')).toBe(true);
    expect(kube.annotations.get('node-1')).toEqual({ 'slipway/cordoned-by': 'run-7' });
  });

  it('uses nodeName and kubeconfig, and says clearly when the node is not in the cluster', async () => {
    const kube = new FakeKubectl();
    kube.unschedulable.set('ip-10-0-0-11.ec2.internal', false);
    const ctx = onControlPlane(kube);
    const params = { nodeName: 'ip-10-0-0-11.ec2.internal', kubeconfig: '/etc/kubernetes/admin.conf' };
    await kubeCordonStep.apply(ctx, params, await kubeCordonStep.facts(ctx, params));
    expect(kube.calls.at(-1)?.slice(0, 5)).toEqual(['kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf', 'patch', 'node']);
    expect(kube.calls.at(-1)?.[5]).toBe('ip-10-0-0-11.ec2.internal');
    const lost = { ...ctx, node: testNode('node-9') };
    await expect(kubeCordonStep.facts(lost, {})).rejects.toThrow(/node 'node-9' is not in the cluster .*set nodeName/);
  });
});

describe('kube.drain', () => {
  function cluster(): FakeKubectl {
    const kube = new FakeKubectl();
    kube.pods = [
      podJson('default', 'web-0', { owner: 'StatefulSet', labels: { app: 'web' } }),
      podJson('default', 'api-7d9c', { owner: 'ReplicaSet', labels: { app: 'api' } }),
      podJson('kube-system', 'kube-proxy-x', { owner: 'DaemonSet' }),
      podJson('kube-system', 'etcd-node-1', { owner: 'Node', mirror: true }),
    ];
    return kube;
  }

  it('drains, is then ok, changes nothing the second time; rollback uncordons', async () => {
    const kube = cluster();
    const ctx = onControlPlane(kube);
    const params: KubeDrainParams = { timeout: '60s', gracePeriod: 30 };
    expect(kubeDrainStep.check(params, await kubeDrainStep.facts(ctx, params))).toEqual({
      status: 'change',
      summary: 'drain node node-1: cordon, evict 2 pods (default/web-0, default/api-7d9c) (2 DaemonSet or static pods stay)',
    });
    const undo = await kubeDrainStep.apply(ctx, params, await kubeDrainStep.facts(ctx, params));
    expect(undo).toEqual({ nodeName: 'node-1', wasSchedulable: true, evicted: ['default/web-0', 'default/api-7d9c'], evictionDisabled: false });
    expect(kube.calls.find((c) => c[1] === 'drain')).toEqual(['kubectl', 'drain', 'node-1', '--ignore-daemonsets', '--grace-period=30', '--timeout=60s']);
    // slipway cordons the node itself first, with its record, before kubectl drain would.
    expect(kube.annotations.get('node-1')).toEqual({ 'slipway/cordoned-by': 'run-7' });
    expect(kubeDrainStep.check(params, await kubeDrainStep.facts(ctx, params))).toEqual({
      status: 'ok',
      summary: 'node node-1 is cordoned and has no pods to evict (2 DaemonSet or static pods stay)',
    });
    const drains = kube.calls.filter((c) => c[1] === 'drain').length;
    const again = await kubeDrainStep.apply(ctx, params, await kubeDrainStep.facts(ctx, params));
    expect(again.wasSchedulable).toBe(false);
    await kubeDrainStep.rollback(ctx, params, again);
    expect(kube.unschedulable.get('node-1')).toBe(true);
    await kubeDrainStep.rollback(ctx, params, undo);
    expect(kube.unschedulable.get('node-1')).toBe(false);
    expect(kube.annotations.get('node-1')).toEqual({});
    expect(kube.calls.filter((c) => c[1] === 'drain').length).toBe(drains + 1);
  });

  it('reports the pods and the PodDisruptionBudget that blocked it, and uncordons the node it cordoned', async () => {
    const kube = cluster();
    kube.pdbs = [{ namespace: 'default', name: 'web-pdb', app: 'web', disruptionsAllowed: 0 }];
    const ctx = onControlPlane(kube);
    const params: KubeDrainParams = { timeout: '30s' };
    const failure = kubeDrainStep.apply(ctx, params, await kubeDrainStep.facts(ctx, params));
    await expect(failure).rejects.toThrow(
      /cp-1: drain of node node-1 did not finish: 1 pod still on it: default\/web-0\n {2}blocked by PodDisruptionBudget default\/web-pdb \(minAvailable 1; 1 healthy, 1 desired; 0 disruptions allowed\): default\/web-0\n/,
    );
    await expect(failure).rejects.toThrow(/set `timeout` and `disableEviction: afterTimeout`/);
    await expect(failure).rejects.toThrow(/node node-1 was uncordoned again/);
    expect(kube.unschedulable.get('node-1')).toBe(false);
    expect(kube.annotations.get('node-1')).toEqual({});
  });

  it('with disableEviction: afterTimeout, drains past the budget on a second run', async () => {
    const kube = cluster();
    kube.pdbs = [{ namespace: 'default', name: 'web-pdb', app: 'web', disruptionsAllowed: 0 }];
    const ctx = onControlPlane(kube);
    const params: KubeDrainParams = { timeout: '30s', disableEviction: 'afterTimeout', deleteEmptydirData: true, force: true };
    const undo = await kubeDrainStep.apply(ctx, params, await kubeDrainStep.facts(ctx, params));
    expect(undo.evictionDisabled).toBe(true);
    expect(kube.calls.filter((c) => c[1] === 'drain')).toEqual([
      ['kubectl', 'drain', 'node-1', '--ignore-daemonsets', '--delete-emptydir-data', '--force', '--timeout=30s'],
      ['kubectl', 'drain', 'node-1', '--ignore-daemonsets', '--delete-emptydir-data', '--force', '--timeout=30s', '--disable-eviction'],
    ]);
    expect(kubeDrainStep.check(params, await kubeDrainStep.facts(ctx, params)).status).toBe('ok');
  });

  it('warns in the plan when kubectl will refuse', () => {
    const pods = parsePodList(
      podList(
        podJson('kube-system', 'kube-proxy-x', { owner: 'DaemonSet' }),
        podJson('default', 'scratch', { owner: 'ReplicaSet', emptyDir: true }),
        podJson('default', 'bare'),
        podJson('default', 'finished', { phase: 'Succeeded', emptyDir: true }),
      ),
    );
    expect(drainObstacles({ ignoreDaemonsets: false }, pods)).toEqual([
      'DaemonSet-managed pods kube-system/kube-proxy-x (set ignoreDaemonsets: true)',
      'pods with emptyDir data default/scratch (set deleteEmptydirData: true)',
      'pods without a controller default/bare (set force: true)',
    ]);
    expect(drainObstacles({ deleteEmptydirData: true, force: true }, pods)).toEqual([]);
    const check = kubeDrainStep.check({}, { node: { name: 'node-1', unschedulable: false }, pods, pdbs: [] });
    expect(check.status === 'change' && check.summary).toContain('kubectl will refuse: pods with emptyDir data default/scratch');
  });

  it('says which budgets would block the drain now (allowed disruptions 0), and that a run past them is afterTimeout', () => {
    const pods = parsePodList(podList(podJson('default', 'web-0', { owner: 'ReplicaSet', labels: { app: 'web' } }), podJson('default', 'db-0', { owner: 'ReplicaSet', labels: { app: 'db' } })));
    const budget = (name: string, app: string, disruptionsAllowed: number) => ({
      namespace: 'default', name, selector: { matchLabels: { app }, matchExpressions: [] }, minAvailable: '1', maxUnavailable: undefined, currentHealthy: 1, desiredHealthy: 1, disruptionsAllowed, expectedPods: 1,
    });
    const facts = { node: { name: 'node-1', unschedulable: false }, pods, pdbs: [budget('web', 'web', 0), budget('db', 'db', 1)] };
    const check = kubeDrainStep.check({}, facts as never);
    expect(check).toMatchObject({
      status: 'change',
      failsNow: 'the drain would be blocked (as the cluster is now) by PodDisruptionBudget default/web (minAvailable 1; 1 healthy, 1 desired; 0 disruptions allowed): default/web-0; it fails after its timeout unless the budgets allow it by then',
    });
    const past = kubeDrainStep.check({ disableEviction: 'afterTimeout', timeout: '2m' }, facts as never);
    expect(past).toMatchObject({ status: 'change' });
    expect(past.status === 'change' && past.failsNow).toBeUndefined();
    expect(past.status === 'change' && past.summary).toContain('after 2m the pods are deleted past their budgets');
  });

  it('diagnoses from the old message format too, and names budgets it cannot match', () => {
    const remaining = parsePodList(podList(podJson('default', 'web-0', { owner: 'StatefulSet', labels: { app: 'web' } })));
    const pdbs = parsePdbList(JSON.stringify({ items: [] }));
    const text = diagnoseDrainFailure({
      nodeName: 'node-1',
      remaining,
      blocked: [{ namespace: undefined, name: 'web-0' }],
      pdbs,
      kubectlOutput: 'error: unable to drain node "node-1", aborting command...\n',
      triedWithoutEviction: true,
    });
    expect(text).toBe(
      'drain of node node-1 did not finish: 1 pod still on it: default/web-0\n' +
        '  evictions refused by a disruption budget: default/web-0\n' +
        '  kubectl said: error: unable to drain node "node-1", aborting command...',
    );
  });

  it('declares strict params schemas (ajv strict mode), with descriptions', () => {
    const ajv = new Ajv({ strict: true, allErrors: true });
    for (const schema of [cordonSchema, uncordonSchema, drainSchema]) {
      ajv.compile(schema);
      for (const prop of Object.values(schema.properties as Record<string, { description?: string }>)) expect(prop.description).toBeTruthy();
    }
    const valid = ajv.compile(drainSchema);
    expect(valid({ timeout: '60s', disableEviction: 'afterTimeout', gracePeriod: -1, nodeName: 'node-1' })).toBe(true);
    expect(valid({ disableEviction: 'afterTimeout' })).toBe(false);
    expect(valid({ timeout: '1 minute' })).toBe(false);
    expect(valid({ disableEviction: 'always', timeout: '1m' })).toBe(false);
    expect(valid({ nodeName: 'Node_1' })).toBe(false);
    expect(valid({ ignoreDaemonSets: true })).toBe(false);
  });
});
