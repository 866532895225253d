/** kube.healthy, the health gate: what it asks the API server, what it says, how it waits. */
import { describe, expect, it } from 'vitest';
import { parseNodeJson, parsePodList } from '../../../src/facts/kubectl.js';
import { healthProblems, kubeHealthyStep, type KubeHealthyFacts } from '../../../src/steps/kube/healthy.js';
import { Projection } from '../../../src/steps/projection.js';
import type { ExecOptions, ExecResult } from '../../../src/transport/types.js';
import { contextFor, CommandOnlyRemote } from '../helpers.js';
import { podJson, podList } from './fixtures.js';

const NOT_READY = 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized';

const nodeJson = (status: 'True' | 'False' | 'Unknown', reason: string, message: string) =>
  JSON.stringify({ kind: 'Node', metadata: { name: 'node-1' }, spec: {}, status: { conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status, reason, message }] } });

/** kubectl on a control-plane host; each probe answers from the node's current health. */
class HealthKubectl extends CommandOnlyRemote {
  readonly host = 'cp-1';
  readonly calls: string[] = [];
  ready: 'True' | 'False' | 'Unknown' = 'True';
  kubeletUp = true;
  dsReady = true;
  /** Becomes healthy after this many node probes (for the wait). */
  healthyAfter = 0;
  override run(argv: readonly string[], _options?: ExecOptions): Promise<ExecResult> {
    return this.exec(argv);
  }
  async exec(argv: readonly string[]): Promise<ExecResult> {
    this.calls.push(argv.join(' '));
    const args = argv.slice(1);
    if (args[0] === 'get' && args[1] === 'node') {
      if (this.healthyAfter > 0 && --this.healthyAfter === 0) this.ready = 'True';
      return { code: 0, stdout: this.ready === 'True' ? nodeJson('True', 'KubeletReady', 'kubelet is posting ready status') : nodeJson(this.ready, 'KubeletNotReady', NOT_READY), stderr: '' };
    }
    if (args[0] === 'get' && args[1] === '--raw') {
      return this.kubeletUp
        ? { code: 0, stdout: 'ok', stderr: '' }
        : { code: 1, stdout: '', stderr: 'Error from server: error trying to reach service: dial tcp 10.0.0.21:10250: connect: connection refused\n' };
    }
    if (args[0] === 'get' && args[1] === 'pods') {
      return { code: 0, stdout: podList(podJson('kube-system', 'kube-proxy-x1', { owner: 'DaemonSet', ready: this.dsReady }), podJson('default', 'web-1', { owner: 'ReplicaSet', ready: false })), stderr: '' };
    }
    return { code: 1, stdout: '', stderr: `unexpected: ${argv.join(' ')}` };
  }
}

describe('kube.healthy', () => {
  it('asks for the Node, the kubelet through the API server, and the pods on the node; says ok when all are healthy', async () => {
    const k = new HealthKubectl();
    const ctx = contextFor(k);
    const facts = await kubeHealthyStep.facts(ctx, {});
    expect(k.calls).toEqual(
      expect.arrayContaining(['kubectl get node node-1 -o json', 'kubectl get --raw /api/v1/nodes/node-1/proxy/healthz', 'kubectl get pods -A --field-selector spec.nodeName=node-1 -o json']),
    );
    // Only the DaemonSet pod counts: a workload pod not ready yet is not the node's health.
    expect(kubeHealthyStep.check({}, facts)).toEqual({ status: 'ok', summary: 'node node-1 is healthy: Ready, kubelet answering, 1 DaemonSet pod(s) running and ready' });
  });

  it('names what is not healthy: the Ready condition with its reason and message, the kubelet, each DaemonSet pod', async () => {
    const k = new HealthKubectl();
    k.ready = 'False';
    k.kubeletUp = false;
    k.dsReady = false;
    const facts = await kubeHealthyStep.facts(contextFor(k), { timeout: '90s' });
    expect(healthProblems({}, facts)).toEqual([
      `Node Ready is False (KubeletNotReady: ${NOT_READY})`,
      'kubelet does not answer: Error from server: error trying to reach service: dial tcp 10.0.0.21:10250: connect: connection refused',
      'DaemonSet pod(s) not running and ready: kube-system/kube-proxy-x1 (Running, not ready)',
    ]);
    expect(kubeHealthyStep.check({ timeout: '90s' }, facts)).toMatchObject({ status: 'change', summary: expect.stringMatching(/^wait up to 90s for node node-1 to be healthy: Node Ready is False/) });
    // Each requirement can be left out.
    expect(healthProblems({ ready: false, kubelet: false, daemonSets: false }, facts)).toEqual([]);
  });

  it('apply waits until the node is healthy; its outcome is a gate: nothing to undo', async () => {
    const k = new HealthKubectl();
    k.ready = 'Unknown';
    k.healthyAfter = 2; // Ready on the second look
    expect(await kubeHealthyStep.apply(contextFor(k), { timeout: '30s' }, await kubeHealthyStep.facts(contextFor(k), {}))).toEqual({});
    expect(k.calls.filter((c) => c.startsWith('kubectl get node ')).length).toBeGreaterThanOrEqual(2);
    expect(kubeHealthyStep.gate).toBe(true);
  });

  it('apply fails past its timeout saying what is still not healthy', async () => {
    const k = new HealthKubectl();
    k.ready = 'False';
    const err = await kubeHealthyStep.apply(contextFor(k), { timeout: '1s' }, await kubeHealthyStep.facts(contextFor(k), {})).catch((e: unknown) => e);
    expect(String(err)).toMatch(new RegExp(`cp-1: node node-1 is not healthy after 1s \\(timeout 1s\\): Node Ready is False \\(KubeletNotReady: container runtime network not ready`));
  });

  it('in a plan after steps that restart kubelet or the runtime: ok now, and says the run waits for it again', () => {
    const projection = new Projection();
    projection.step = 'start-kubelet';
    projection.setUnit('kubelet', { active: true });
    const facts: KubeHealthyFacts = { node: { name: 'node-1', unschedulable: true, ready: { status: 'True', reason: 'KubeletReady', message: '' } }, kubeletProblem: undefined, daemonSetPods: [] };
    const projected = kubeHealthyStep.project?.({}, facts, projection);
    expect(projected?.restartedUnits).toEqual(['kubelet']);
    expect(kubeHealthyStep.check({}, projected as KubeHealthyFacts)).toEqual({
      status: 'ok',
      summary: 'node node-1 is healthy: Ready, kubelet answering, 0 DaemonSet pod(s) running and ready now; after kubelet change the run waits up to 5m for it to be again',
    });
  });
});

describe('kube.healthy in a plan on a node unhealthy now', () => {
  it('after steps that start kubelet: ok, saying the run waits for it to become healthy (a gate changes nothing)', () => {
    const projection = new Projection();
    projection.step = 'start-kubelet';
    projection.setUnit('kubelet.service', { active: true });
    const facts: KubeHealthyFacts = { node: { name: 'node-3', unschedulable: false, ready: { status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' } }, kubeletProblem: 'connection refused', daemonSetPods: [] };
    expect(kubeHealthyStep.check({ timeout: '2m' }, kubeHealthyStep.project?.({ timeout: '2m' }, facts, projection) as KubeHealthyFacts)).toEqual({
      status: 'ok',
      summary:
        'node node-3 is not healthy now (Node Ready is Unknown (NodeStatusUnknown: Kubelet stopped posting node status.); kubelet does not answer: connection refused); after kubelet change the run waits up to 2m for it to become healthy',
    });
    // With nothing before it that restarts the node's daemons, it would wait on the node as it is.
    expect(kubeHealthyStep.check({ timeout: '2m' }, facts).status).toBe('change');
  });
});

describe('Ready conditions and pod readiness, as kubectl prints them', () => {
  it('reads the Node Ready condition and each pod Ready condition', () => {
    expect(parseNodeJson(nodeJson('Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.')).ready).toEqual({ status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' });
    expect(parseNodeJson(JSON.stringify({ metadata: { name: 'n' }, spec: {} })).ready).toBeUndefined();
    expect(parsePodList(podList(podJson('a', 'p', { ready: true }), podJson('a', 'q', { ready: false }), podJson('a', 'r'))).map((p) => p.ready)).toEqual([true, false, false]);
  });
});
