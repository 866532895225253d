/**
 * The bundled playbook kubernetes-minor-upgrade.yaml (issue 14) on real fleet nodes, through the
 * built CLI. Profile cluster-1.26: a kubeadm cluster at 1.26.15 with three control-plane nodes
 * (static-pod manifests, kubeadm, kubelet and kubectl from the v1.26 pkgs.k8s.io-style
 * repository, held) and three workers:
 *
 *   node-1  `--container-runtime=remote` in KUBELET_EXTRA_ARGS (/etc/default/kubelet), which
 *           kubeadm never cleans: kubelet 1.27 would refuse it
 *   node-2  containerd 1.4 (CRI v1alpha2 only): its kubelet 1.26 does not start, the Node is NotReady
 *   node-3  healthy
 *
 * doctor names exactly node-1 and node-2; plan shows the whole upgrade per node (kubeadm's apply
 * on cp-1, upgrade node elsewhere, the repository diff, the removed flag, containerd on node-2)
 * and changes nothing; a target that skips a minor is refused by the plan; a run killed with
 * SIGKILL in the middle of the workers resumes to every node at 1.27.16, Ready and schedulable
 * (kubectl on cp-1), with no step applied twice; a second run changes nothing; rollback of a
 * control-plane node puts kubeadm's backed-up manifests and its packages back.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJournal } from '../../src/runner/journal.js';
import { useFleet } from '../fleet/fixture.js';
import { PACKAGE_VERSIONS, realContainerdVersion } from '../fleet/packages/catalog.js';
import { events, slipway, why } from '../support/cli.js';
import { doctor } from '../support/doctor.js';
import { fileTree } from '../support/tree.js';

const PLAYBOOK = 'playbooks/kubernetes-minor-upgrade.yaml';
const OLD = PACKAGE_VERSIONS.kubelet126;
const NEW = PACKAGE_VERSIONS.kubelet127;
const CONTROL_PLANE = ['cp-1', 'cp-2', 'cp-3'];
const WORKERS = ['node-1', 'node-2', 'node-3'];
const MANIFESTS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

type Ev = Record<string, unknown> & { type: string };
interface PlanJson {
  nodes: Array<{ host: string; steps: Array<{ id: string; status: string; summary?: string; reason?: string; diff?: string }> }>;
}

const f = useFleet({ nodes: 3, profile: 'cluster-1.26' });

let work: string;
let containerd: string;
beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-kubeadm-'));
  containerd = await realContainerdVersion();
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

const env = () => ({ SLIPWAY_STATE_DIR: path.join(work, 'state') });
// kubelet_stays_up: the fleet's kubelet refuses its flags within a second as a real one does;
// 2s keeps six starts from costing half a minute.
const vars = () => ['-e', 'target_version=1.27.16', '-e', `package_version=${NEW}`, '-e', `containerd_version=${containerd}`, '-e', 'kubelet_stays_up=2s'];
const cli = (args: string[]) => slipway(args, { env: env(), timeoutMs: 300_000 });
const sh = async (node: string, script: string) => (await f.fleet.node(node).exec(['sh', '-c', script])).stdout;
const trees = () => Promise.all(f.fleet.nodes.map((n) => fileTree(n)));
const stepOf = (plan: PlanJson, host: string, id: string) => plan.nodes.find((n) => n.host === host)?.steps.find((s) => s.id === id);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tags = (node: string) => sh(node, `grep -h 'image:' ${MANIFESTS.map((m) => `/etc/kubernetes/manifests/${m}.yaml`).join(' ')} | sed 's/.*://'`);

interface KubeNode {
  metadata: { name: string };
  spec: { unschedulable?: boolean };
  status: { nodeInfo: { kubeletVersion: string }; conditions: Array<{ type: string; status: string }> };
}
async function clusterNodes(): Promise<KubeNode[]> {
  return (JSON.parse(await sh('cp-1', 'kubectl get nodes -o json')) as { items: KubeNode[] }).items;
}

let runId = '';

describe('kubernetes-minor-upgrade: a kubeadm cluster from 1.26.15 to 1.27.16', () => {
  it('doctor --target-version 1.27.16 names exactly the two broken workers', async () => {
    const d = await doctor(f.fleet.inventoryFile, ['--target-version', '1.27.16'], env());
    expect(d.findings).toEqual({ 'cp-1': [], 'cp-2': [], 'cp-3': [], 'node-1': ['kubelet-removed-flags'], 'node-2': ['cri-v1-missing'], 'node-3': [] });
  });

  it('plan shows the whole upgrade per node, control plane first, and changes nothing', { timeout: 180_000 }, async () => {
    const before = await trees();
    const r = await cli(['plan', PLAYBOOK, '-i', f.fleet.inventoryFile, ...vars(), '--output', 'json']);
    expect(r.code, why(r)).toBe(0);
    const plan = JSON.parse(r.stdout) as PlanJson;
    expect(plan.nodes.map((n) => n.host)).toEqual([...CONTROL_PLANE, ...WORKERS]);
    // cp-1: kubeadm upgrade apply, its verdict promised once kubeadm 1.27 is there.
    expect(stepOf(plan, 'cp-1', 'version-skew')).toMatchObject({ status: 'ok', summary: expect.stringContaining('API server v1.26.15, target v1.27.16') });
    expect(stepOf(plan, 'cp-1', 'repository')).toMatchObject({
      status: 'change',
      diff: expect.stringContaining('-deb [trusted=yes] file:/opt/fleet/pkgs.k8s.io/core:/stable:/v1.26/deb/ /\n+deb [trusted=yes] file:/opt/fleet/pkgs.k8s.io/core:/stable:/v1.27/deb/ /\n'),
    });
    expect(stepOf(plan, 'cp-1', 'upgrade-kubeadm')).toMatchObject({ status: 'change', summary: expect.stringContaining(`install kubeadm=${NEW} (installed ${OLD}, upgrade`) });
    expect(stepOf(plan, 'cp-1', 'kubeadm-apply')).toMatchObject({ status: 'change', summary: expect.stringMatching(/^kubeadm upgrade apply v1\.27\.16: control plane v1\.26\.15 -> v1\.27\.16; kubeadm's own `upgrade plan` runs first, once kubeadm v1\.27\.16 is installed/) });
    expect(stepOf(plan, 'cp-1', 'kubeadm-node')).toMatchObject({ status: 'skip' });
    for (const cp of ['cp-2', 'cp-3']) {
      expect(stepOf(plan, cp, 'kubeadm-apply')).toMatchObject({ status: 'skip' });
      expect(stepOf(plan, cp, 'kubeadm-node')).toMatchObject({ status: 'change', summary: expect.stringContaining('kubeadm upgrade node: control plane instance v1.26.15') });
    }
    // Workers wait for the API server (the control plane goes first), then upgrade node by node.
    for (const w of WORKERS) {
      expect(stepOf(plan, w, 'version-skew')).toMatchObject({ status: 'change', summary: expect.stringContaining('for the API server to reach v1.27 (now v1.26.15)') });
      expect(stepOf(plan, w, 'kubeadm-node')).toMatchObject({ status: 'change', summary: expect.stringContaining("the kubelet's configuration from the cluster") });
      expect(stepOf(plan, w, 'upgrade-kubelet')).toMatchObject({ status: 'change' });
      expect(stepOf(plan, w, 'uncordon')).toMatchObject({ status: 'change' });
    }
    expect(stepOf(plan, 'node-1', 'remove-flags')).toMatchObject({
      status: 'change',
      diff: '--- /etc/default/kubelet\n+++ /etc/default/kubelet\n@@ -1,1 +1,1 @@\n-KUBELET_EXTRA_ARGS=--container-runtime=remote\n+KUBELET_EXTRA_ARGS=\n',
    });
    expect(stepOf(plan, 'node-3', 'remove-flags')).toMatchObject({ status: 'ok' });
    expect(stepOf(plan, 'node-2', 'upgrade-containerd')).toMatchObject({ status: 'change', summary: expect.stringContaining(`install containerd=${containerd} (installed ${PACKAGE_VERSIONS.oldContainerd}, upgrade)`) });
    expect(stepOf(plan, 'node-1', 'upgrade-containerd')).toMatchObject({ status: 'skip' });
    expect(await trees()).toEqual(before);
  });

  it('plan refuses a target that skips a minor version, before any step, on every node', async () => {
    const r = await cli(['plan', PLAYBOOK, '-i', f.fleet.inventoryFile, '-e', 'target_version=1.28.13', '-e', 'package_version=1.28.13-1.1', '--output', 'json']);
    expect(r.code, why(r)).not.toBe(0);
    const plan = JSON.parse(r.stdout) as PlanJson;
    for (const n of plan.nodes) {
      expect(n.steps[0], n.host).toMatchObject({ id: 'version-skew', status: 'fail', reason: expect.stringContaining('v1.28.13 skips a minor version: the API server is v1.26.15') });
      expect(n.steps.filter((s) => s.status === 'change'), n.host).toEqual([]);
    }
  });

  it('a run killed with SIGKILL among the workers resumes to every node at 1.27.16, Ready and schedulable, applying no step twice', { timeout: 600_000 }, async () => {
    let pid = 0;
    const running = slipway(['run', PLAYBOOK, '-i', f.fleet.inventoryFile, ...vars(), '--output', 'json'], { env: env(), timeoutMs: 400_000, onSpawn: (p) => (pid = p) });
    // Kill it once node-1 is drained and its kubelet stopped: cordoned, half-way through.
    const runs = path.join(work, 'state', 'runs');
    let journal = '';
    for (let i = 0; i < 3000 && journal === ''; i++) {
      const ids = await fs.readdir(runs).catch(() => [] as string[]);
      for (const id of ids) {
        const text = await fs.readFile(path.join(runs, id, 'journal.ndjson'), 'utf8').catch(() => '');
        if (text.split('\n').some((l) => l.includes('"step.done"') && l.includes('"host":"node-1"') && l.includes('"step":"stop-kubelet"'))) {
          journal = path.join(runs, id, 'journal.ndjson');
          runId = id;
        }
      }
      if (journal === '') await sleep(100);
    }
    expect(journal, 'node-1 never reached stop-kubelet').not.toBe('');
    process.kill(pid, 'SIGKILL');
    const killed = await running;
    expect(killed.code).not.toBe(0);
    expect((await clusterNodes()).find((n) => n.metadata.name === 'node-1')?.spec.unschedulable).toBe(true);

    const resumed = await cli(['resume', runId, '--output', 'json']);
    expect(resumed.code, why(resumed)).toBe(0);
    const all = (await readJournal(journal)).events as unknown as Ev[];
    // No step applied twice: each (node, step) changed at most once over the run and its resume.
    const changed = all.filter((e) => e.type === 'step.done' && e.status === 'changed').map((e) => `${String(e.host)} ${String(e.step)}`);
    expect(changed.filter((k, i) => changed.indexOf(k) !== i)).toEqual([]);
    expect(events(resumed.stdout).find((e) => e.type === 'run.summary')).toMatchObject({ status: 'succeeded' });

    const nodes = await clusterNodes();
    expect(nodes.map((n) => [n.metadata.name, n.status.nodeInfo.kubeletVersion, n.status.conditions.find((c) => c.type === 'Ready')?.status, n.spec.unschedulable === true])).toEqual(
      [...CONTROL_PLANE, ...WORKERS].map((name) => [name, 'v1.27.16', 'True', false]),
    );
    expect(await sh('cp-1', 'kubectl version')).toContain('Server Version: v1.27.16');
    for (const cp of CONTROL_PLANE) expect(await tags(cp), cp).toBe('v1.27.16\nv1.27.16\nv1.27.16\n');
    for (const n of [...CONTROL_PLANE, ...WORKERS]) {
      expect(await sh(n, "dpkg-query -W -f='${Version} ' kubelet kubeadm kubectl; apt-mark showhold | tr '\\n' ' '"), n).toBe(`${NEW} ${NEW} ${NEW} kubeadm kubectl kubelet `);
      expect(await sh(n, 'cat /etc/apt/sources.list.d/kubernetes.list'), n).toContain('/core:/stable:/v1.27/deb/');
    }
    expect(await sh('node-1', 'cat /etc/default/kubelet')).toBe('KUBELET_EXTRA_ARGS=\n');
    // kubeadm cleaned what it writes itself; node-2 got a containerd that answers CRI v1.
    expect(await sh('node-3', 'cat /var/lib/kubelet/kubeadm-flags.env')).not.toContain('--pod-infra-container-image');
    expect(await sh('node-2', "dpkg-query -W -f='${Version}' containerd")).toBe(containerd);
  });

  it('a second run changes nothing, on any node', { timeout: 300_000 }, async () => {
    const before = await trees();
    const r = await cli(['run', PLAYBOOK, '-i', f.fleet.inventoryFile, ...vars(), '--output', 'json']);
    expect(r.code, why(r)).toBe(0);
    expect(events(r.stdout).find((e) => e.type === 'run.summary')).toMatchObject({ status: 'succeeded', total: { changed: 0, failed: 0 } });
    expect(await trees()).toEqual(before);
  });

  it("rollback of cp-3 puts back the manifests kubeadm backed up, its packages and its repository line", { timeout: 300_000 }, async () => {
    const r = await cli(['rollback', runId, '--limit', 'cp-3', '--to', 'start', '--output', 'json']);
    expect(r.code, why(r)).toBe(0);
    expect(await tags('cp-3')).toBe('v1.26.15\nv1.26.15\nv1.26.15\n');
    expect(await sh('cp-3', "dpkg-query -W -f='${Version} ' kubelet kubeadm kubectl")).toBe(`${OLD} ${OLD} ${OLD} `);
    expect(await sh('cp-3', 'cat /etc/apt/sources.list.d/kubernetes.list')).toContain('/core:/stable:/v1.26/deb/');
    expect(await tags('cp-2')).toBe('v1.27.16\nv1.27.16\nv1.27.16\n');
  });
});
