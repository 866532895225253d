/**
 * Between and around nodes, on a fleet whose kubelets post their nodes' status: a health gate
 * that a node whose network does not come back fails (the next node does not start), cordons
 * that slipway records on the Node and lifts only when they are its own, and the nodes a run
 * leaves cordoned listed by whom, in the summary and `slipway runs RUN_ID`.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useFleet } from '../fleet/fixture.js';
import { CLUSTER_STATE } from '../fleet/profiles.js';
import { events, slipway, why } from '../support/cli.js';
import { until } from '../support/wait.js';

const f = useFleet({ nodes: 3, profile: 'kubelet-1.26-flags' });
let work: string;
beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-safety-'));
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

const env = () => ({ SLIPWAY_STATE_DIR: path.join(work, 'state') });
const CNI = '/etc/cni/net.d/10-fleet.conflist';
type Ev = Record<string, unknown> & { type: string };

interface KubeNode {
  name: string;
  unschedulable?: boolean;
  annotations?: Record<string, string>;
}
async function kubeNode(name: string): Promise<KubeNode | undefined> {
  const state = JSON.parse((await f.fleet.node('cp-1').readFile(CLUSTER_STATE)) ?? '{}') as { nodes: KubeNode[] };
  return state.nodes.find((n) => n.name === name);
}
const kubectl = async (...args: string[]) => f.fleet.node('cp-1').exec(['kubectl', ...args]);
const readyOf = (r: { stdout: string }) =>
  (JSON.parse(r.stdout) as { status: { conditions: Array<{ type: string; status: string; reason: string; message: string }> } }).status.conditions.find((c) => c.type === 'Ready') ?? { status: '' };

const PLAYBOOK = `name: safety
hosts: workers
rolling: {batch: 1, maxFailed: 0, onFailure: stop}
steps:
  - id: cordon
    uses: kube.cordon
    on: control_plane
  - id: stop-kubelet
    uses: systemd.service
    with: {unit: kubelet, state: stopped}
  - id: start-kubelet
    uses: systemd.service
    with: {unit: kubelet, state: started}
  - id: healthy
    uses: kube.healthy
    on: control_plane
    with: {timeout: 12s}
    timeout: 1m
  - id: uncordon
    uses: kube.uncordon
    on: control_plane
`;

describe('health gate and cordon ownership', () => {
  let runId = '';
  let file = '';

  it('kubelets post their nodes Ready; a stopped kubelet stops answering and its node goes Unknown, as the node controller marks it', async () => {
    for (const n of ['node-1', 'node-2', 'node-3']) {
      expect(readyOf(await kubectl('get', 'node', n, '-o', 'json')).status, n).toBe('True');
      expect((await kubectl('get', '--raw', `/api/v1/nodes/${n}/proxy/healthz`)).stdout).toBe('ok');
    }
    // A kubelet that stops: it no longer answers at once, and the node goes Unknown after the grace period.
    await f.fleet.node('node-2').exec(['systemctl', 'stop', 'kubelet']);
    await until('node-2\'s kubelet to stop answering', async () => (await kubectl('get', '--raw', '/api/v1/nodes/node-2/proxy/healthz')).code !== 0, 30_000, 250);
    expect((await kubectl('get', '--raw', '/api/v1/nodes/node-2/proxy/healthz')).stderr).toContain('dial tcp 127.0.0.1:10250: connect: connection refused');
    await until('node-2 Unknown', async () => readyOf(await kubectl('get', 'node', 'node-2', '-o', 'json')).status === 'Unknown', 30_000, 250);
    expect(readyOf(await kubectl('get', 'node', 'node-2', '-o', 'json'))).toMatchObject({ reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' });
    expect((await kubectl('get', 'nodes')).stdout).toMatch(/node-2\s+NotReady\s/);
    await f.fleet.node('node-2').exec(['systemctl', 'start', 'kubelet']);
    await until('node-2 Ready again', async () => readyOf(await kubectl('get', 'node', 'node-2', '-o', 'json')).status === 'True', 30_000, 250);
  }, 60_000);

  it('a node whose kubelet does not come back Ready fails at its gate; the next node does not start; it is left cordoned by the run', async () => {
    // Someone cordoned node-3 before the run (no slipway record): it must stay cordoned.
    expect((await kubectl('cordon', 'node-3')).code).toBe(0);
    // node-1's CNI config goes away: the runtime reports NetworkReady=false, kubelet posts NotReady.
    await f.fleet.node('node-1').exec(['mv', CNI, '/root/10-fleet.conflist']);
    file = path.join(work, 'safety.yaml');
    await fs.writeFile(file, PLAYBOOK);

    const r = await slipway(['run', file, '-i', f.fleet.inventoryFile, '--output', 'json'], { env: env(), timeoutMs: 120_000 });
    expect(r.code, why(r)).toBe(1);
    const evs = events(r.stdout) as Ev[];
    const failed = evs.find((e) => e.type === 'step.failed');
    expect(failed).toMatchObject({ host: 'node-1', step: 'healthy' });
    expect(String(failed?.error)).toMatch(/node node-1 is not healthy after 1\ds \(timeout 12s\): Node Ready is False \(KubeletNotReady: container runtime network not ready: NetworkReady=false/);
    expect(evs.filter((e) => e.type === 'node.start').map((e) => e.host)).toEqual(['node-1']);
    const summary = evs.at(-1) as unknown as { runId: string; nodes: Record<string, { status: string }>; cordoned?: Record<string, { node: string; by?: string }> };
    runId = summary.runId;
    expect(summary.nodes).toMatchObject({ 'node-1': { status: 'failed' }, 'node-2': { status: 'pending' }, 'node-3': { status: 'pending' } });
    expect(summary.cordoned).toEqual({ 'node-1': { node: 'node-1', cordoned: true, by: runId } });
    // While slipway holds it, the Node says so.
    expect((await kubeNode('node-1'))?.annotations?.['slipway/cordoned-by']).toBe(runId);

    const detail = await slipway(['runs', runId], { env: env() });
    expect(detail.code).toBe(0);
    expect(detail.stdout).toContain(`left cordoned:\n  node-1: cordoned by this run: slipway resume ${runId} or slipway rollback ${runId} uncordons it`);
    expect(detail.stdout).toMatch(/node-1\s+failed\s+3\/5\s+\d+s\s+\d+s\s+after healthy \(failed\)\s+step 'healthy': .*not healthy/); // waited at its gate
    expect(detail.stdout).toMatch(/node-2\s+pending\s+0\/5\s+0\.0s\s+not started/);
    const json = JSON.parse((await slipway(['runs', runId, '--output', 'json'], { env: env() })).stdout) as { status: string; nodes: Array<{ host: string; durationMs: number; waitingMs: number; now: string }> };
    expect(json.status).toBe('failed');
    expect(json.nodes[0]).toMatchObject({ host: 'node-1', now: 'after healthy (failed)', durationMs: expect.any(Number), waitingMs: expect.any(Number) });
    expect(json.nodes[0]!.waitingMs).toBeGreaterThan(5000);
  }, 150_000);

  it('with the network back, resume passes the gate and uncordons what slipway cordoned; node-3, cordoned before, stays so', async () => {
    await f.fleet.node('node-1').exec(['mv', '/root/10-fleet.conflist', CNI]);
    const r = await slipway(['resume', runId, '--output', 'json'], { env: env(), timeoutMs: 120_000 });
    expect(r.code, why(r)).toBe(0);
    const evs = events(r.stdout) as Ev[];
    const done = (host: string, step: string) => evs.find((e) => e.type === 'step.done' && e.host === host && e.step === step) as (Ev & { status: string; summary: string }) | undefined;
    expect(done('node-1', 'healthy')).toMatchObject({ status: 'ok', summary: expect.stringMatching(/^node node-1 is healthy: Ready, kubelet answering, \d+ DaemonSet pod\(s\) running and ready$/) });
    expect(done('node-1', 'uncordon')).toMatchObject({ status: 'changed', summary: `uncordon node node-1 (cordoned by slipway run ${runId})` });
    expect(done('node-3', 'cordon')).toMatchObject({ status: 'ok', summary: 'node node-3 is cordoned before this run, not by slipway: it stays cordoned after the run' });
    expect(done('node-3', 'uncordon')).toMatchObject({ status: 'ok', summary: 'node node-3 stays cordoned: cordoned before this run, not by slipway' });
    const summary = evs.at(-1) as unknown as { status: string; cordoned?: Record<string, unknown> };
    expect(summary.status).toBe('succeeded');
    expect(summary.cordoned).toEqual({ 'node-3': { node: 'node-3', cordoned: true } });

    for (const n of ['node-1', 'node-2']) {
      const k = await kubeNode(n);
      expect(k?.unschedulable ?? false, n).toBe(false);
      expect(k?.annotations?.['slipway/cordoned-by'], n).toBeUndefined(); // gone once slipway lets go
    }
    expect((await kubeNode('node-3'))?.unschedulable).toBe(true);
    expect((await slipway(['runs', runId], { env: env() })).stdout).toContain('left cordoned:\n  node-3: cordoned before this run, not by slipway');
  }, 150_000);
});
