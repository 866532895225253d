/**
 * The bundled playbook containerd-cri-v1.yaml (field note 1) on real fleet nodes, through the
 * built CLI: nodes run the "containerd 1.4" package (CRI v1alpha2 only), kubelet 1.23 and a
 * local apt repository that also holds the real Debian containerd; cp-1 has kubectl and the
 * cluster's state.
 *
 *   containerd-1.4 fleet   plan shows every step and changes nothing; run cordons, drains,
 *                          upgrades through apt, restarts and verifies CRI v1 against the real
 *                          containerd, starts kubelet and uncordons, node by node; a second run
 *                          changes nothing.
 *   containerd-1.5 fleet   containerd 1.5 serves only v1alpha2 too (containerd#7863), whatever a
 *                          version table says: the node is upgraded like a 1.4 one.
 *   mixed fleet            node-1 already runs containerd 1.6: reported ok/skipped, never
 *                          touched. A PodDisruptionBudget that allows no disruption blocks the
 *                          drain of node-2: the run fails naming pod and budget, node-2 is rolled
 *                          back (schedulable, still on containerd 1.4); with
 *                          drain_disable_eviction=afterTimeout the drain gets past it.
 */
import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshRemote } from '../../src/transport/ssh.js';
import type { Fleet } from '../fleet/fleet.js';
import { useFleet } from '../fleet/fixture.js';
import { fleetHost } from '../fleet/hosts.js';
import { PACKAGE_VERSIONS, realContainerdVersion } from '../fleet/packages/catalog.js';
import { CLUSTER_STATE } from '../fleet/profiles.js';
import { events, slipway, why } from '../support/cli.js';
import { planOutcomes, runOutcomes } from '../support/agreement.js';
import { doctor } from '../support/doctor.js';
import { fileTree } from '../support/tree.js';

const PLAYBOOK = 'playbooks/containerd-cri-v1.yaml';
const STEPS = ['cordon', 'drain', 'stop-kubelet', 'upgrade-containerd', 'restart-containerd', 'verify-cri', 'start-kubelet', 'healthy', 'uncordon'];
/** Steps that check rather than change: verify-cri and the health gate. */
const CHECKS = ['verify-cri', 'healthy'];
const OLD = PACKAGE_VERSIONS.oldContainerd;

type Ev = Record<string, unknown> & { type: string };
interface PlanJson {
  batches: string[][];
  nodes: Array<{ host: string; reachable: boolean; steps: Array<{ id: string; name: string; status: string; via?: string; summary?: string; reason?: string; after?: string[] }> }>;
}
interface Summary {
  type: 'run.summary';
  runId: string;
  exitCode: number;
  total: { ok: number; changed: number; skipped: number; failed: number };
  nodes: Record<string, { ok: number; changed: number; skipped: number; failed: number; status: string }>;
  cordoned?: Record<string, { node: string; cordoned: boolean; by?: string }>;
}
interface ClusterState {
  nodes: Array<{ name: string; unschedulable?: boolean; annotations?: Record<string, string> }>;
  pods: Array<{ name: string; namespace: string; node: string; labels?: Record<string, string> }>;
  pdbs: Array<{ name: string; namespace: string; selector: Record<string, string>; minAvailable?: number }>;
}

let work: string;
let version: string; // the real Debian containerd in every node's local apt repository
beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-containerd-'));
  version = await realContainerdVersion();
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

const remotes = new Map<string, SshRemote>();
afterAll(async () => {
  for (const r of remotes.values()) await r.close();
  remotes.clear();
});
/** A command on a node over SSH, as an operator would look (one connection a node). */
async function onNode(fleet: Fleet, name: string, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const key = `${fleet.dir}\0${name}`;
  let r = remotes.get(key);
  if (!r) remotes.set(key, (r = new SshRemote(fleetHost(fleet, name))));
  return r.exec(argv);
}

async function cluster(fleet: Fleet): Promise<ClusterState> {
  return JSON.parse((await fleet.node('cp-1').readFile(CLUSTER_STATE)) ?? 'null') as ClusterState;
}

const trees = (fleet: Fleet) => Promise.all(fleet.nodes.map((n) => fileTree(n)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** kubelet (stand-in) has started since it was last started: /run/kubelet/argv is written. */
const KUBELET_UP = `systemctl is-active --quiet kubelet &&
  tac /var/log/fleet-journal/kubelet.service.log | awk '/Container runtime initialized/ { up = 1; exit } /Started / { exit } END { exit !up }'`;

/**
 * The trees of every node once they are still: each worker's kubelet done starting (at boot or
 * after a run it writes /run/kubelet/argv a moment after systemctl returns), and two looks in a
 * row the same. What a command then changes is the command's doing.
 */
async function settledTrees(fleet: Fleet): Promise<string[]> {
  // Generous: on a machine busy with other fleets a kubelet can take a while to find its runtime.
  const deadline = Date.now() + 90_000;
  for (;;) {
    const up = await Promise.all(fleet.workers.map((n) => n.exec(['sh', '-c', KUBELET_UP])));
    const down = fleet.workers.filter((_, i) => up[i]?.code !== 0).map((n) => n.name);
    let moving: string[] = [];
    if (down.length === 0) {
      const a = await trees(fleet);
      await sleep(300);
      const b = await trees(fleet);
      moving = fleet.nodes.flatMap((n, i) => (a[i] === b[i] ? [] : [`${n.name}: ${changedLines(a[i] ?? '', b[i] ?? '').join('; ')}`]));
      if (moving.length === 0) return b;
    }
    if (Date.now() > deadline) {
      // What the nodes say about it, for the failure message.
      const why = await Promise.all(
        fleet.workers
          .filter((n) => down.includes(n.name))
          .map(async (n) => `${n.name}:\n${(await n.exec(['sh', '-c', 'systemctl status kubelet; tail -n 5 /var/log/fleet-journal/kubelet.service.log'])).stdout}`),
      );
      throw new Error(`the fleet did not settle in 90s: ${down.length ? `kubelet not up on ${down.join(', ')}\n${why.join('\n')}` : `files still changing on ${moving.join(' | ')}`}`);
    }
    await sleep(500);
  }
}

/** The lines of one tree listing that the other does not have (for a failure message). */
function changedLines(a: string, b: string): string[] {
  const before = new Set(a.split('\n'));
  return b
    .split('\n')
    .filter((l) => !before.has(l))
    .slice(0, 5);
}

const stateEnv = () => ({ SLIPWAY_STATE_DIR: path.join(work, 'state') });

/** doctor's command for the fix, as it prints it (the version quoted for the shell). */
const fixCommand = (fleet: Fleet, nodes: string[]) =>
  `slipway plan containerd-cri-v1 -i ${fleet.inventoryFile} --limit ${nodes.join(',')} -e 'containerd_version=${version}'`;

function cli(fleet: Fleet, command: 'plan' | 'run', extra: string[] = [], inventory = fleet.inventoryFile) {
  return slipway([command, PLAYBOOK, '-i', inventory, '-e', `containerd_version=${version}`, '--output', 'json', ...extra], {
    env: { SLIPWAY_STATE_DIR: path.join(work, 'state') },
  });
}

const summaryOf = (evs: Ev[]) => evs.at(-1) as unknown as Summary;
const doneOf = (evs: Ev[], host: string, step: string) =>
  evs.find((e) => e.type === 'step.done' && e.host === host && e.step === step) as (Ev & { status: string; summary: string }) | undefined;

/** What a node runs, looked at over SSH: the package, the binary, the process, the units. */
async function runtimeOn(fleet: Fleet, name: string) {
  const script = `
    printf 'pkg=%s\\n' "$(dpkg-query -W -f='\${Version}' containerd)"
    printf 'version=%s\\n' "$(containerd --version)"
    printf 'magic=%s\\n' "$(head -c 4 /usr/bin/containerd | od -An -c | tr -s ' ')"
    printf 'standin=%s\\n' "$(ps -eo args | grep -c '^/usr/bin/node /usr/bin/containerd')"
    printf 'units=%s\\n' "$(systemctl is-active containerd kubelet | tr '\\n' ' ')"
    echo '--- containerd journal'; tail -n 8 /var/log/fleet-journal/containerd.service.log`;
  const out = (await onNode(fleet, name, ['sh', '-c', script])).stdout;
  const [head = '', journal = ''] = out.split('--- containerd journal\n');
  const kv = Object.fromEntries(head.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]));
  return {
    pkg: kv.pkg,
    version: kv.version,
    // The stand-in is a script that node runs; the real containerd is an ELF binary.
    elf: kv.magic === '177 E L F',
    standinRunning: kv.standin !== '0',
    units: kv.units,
    /** For failure messages. */
    journal,
  };
}

describe('containerd-1.4 fleet: upgrade every worker to a containerd that serves CRI v1', () => {
  const f = useFleet({ nodes: 3, profile: 'containerd-1.4' });
  const workers = ['node-1', 'node-2', 'node-3'];
  let planned: PlanJson | undefined; // the plan, for the run after it to agree with

  it('doctor: every worker answers only CRI v1alpha2 under OpenKruise 1.7.2, and the fix is containerd-cri-v1', async () => {
    const d = await doctor(f.fleet.inventoryFile, [], stateEnv());
    expect(d.code, why(d)).toBe(1);
    expect(d.findings).toEqual({ 'cp-1': [], 'node-1': ['cri-v1-missing'], 'node-2': ['cri-v1-missing'], 'node-3': ['cri-v1-missing'] });
    const finding = d.report.nodes[1]?.findings[0];
    expect(finding?.title).toBe("containerd 1.4.13 does not answer CRI v1, which OpenKruise 1.7.2's kruise-daemon needs");
    expect(finding?.detail).toMatch(/^containerd 1\.4\.13 answers no runtime\.v1 \(asked over gRPC\)/);
    expect(finding?.sources).toContain('openkruise/kruise#1817');
    expect(d.report.cluster.facts).toMatchObject({ via: 'cp-1', serverVersion: '1.23.17', kruiseVersion: '1.7.2' });
    expect(d.report.summary.groups).toEqual([
      { rule: 'cri-v1-missing', severity: 'error', title: finding?.title, nodes: workers, command: fixCommand(f.fleet, workers) },
    ]);
  });

  it('plan shows every step but verify as a change on every worker, each checked on the node as the steps before leave it, and changes nothing', { timeout: 180_000 }, async () => {
    const before = await settledTrees(f.fleet);
    const r = await cli(f.fleet, 'plan');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as PlanJson;
    planned = plan;
    expect(plan.batches).toEqual([['node-1'], ['node-2'], ['node-3']]); // one node at a time
    expect(plan.nodes.map((n) => n.host)).toEqual(workers);
    for (const node of plan.nodes) {
      expect(node.reachable).toBe(true);
      expect(node.steps.map((s) => s.id)).toEqual(STEPS);
      const step = (id: string) => node.steps.find((s) => s.id === id);
      expect(node.steps.map((s) => s.status), node.host).toEqual(['change', 'change', 'change', 'change', 'change', 'ok', 'change', 'ok', 'change']);
      expect(step('cordon')).toMatchObject({ via: 'cp-1', summary: `cordon node ${node.host} (schedulable)` });
      expect(step('drain')).toMatchObject({ via: 'cp-1', after: ['cordon'] });
      // Cordoned by then: the drain only evicts.
      expect(step('drain')?.summary).toMatch(new RegExp(`^drain node ${node.host}: evict 1 pod \\(default/(web|cache)-`));
      // The title with its var: the version it installs.
      expect(step('upgrade-containerd')?.name).toBe(`Install containerd ${version}`);
      expect(step('stop-kubelet')?.summary).toBe('kubelet: stop (active, enabled)');
      expect(step('upgrade-containerd')?.summary).toBe(`install containerd=${version} (installed ${OLD}, upgrade)`);
      expect(step('restart-containerd')?.summary).toMatch(/^containerd: restart/);
      // Checked on the containerd the steps before install and restart: what that version answers (the knowledge base).
      expect(step('verify-cri')).toMatchObject({ status: 'ok', after: ['upgrade-containerd', 'restart-containerd'] });
      expect(step('verify-cri')?.summary).toMatch(/^containerd 1\.6\.\S+ answers CRI v1 \(and v1alpha2\)/);
      // Start and uncordon undo what stop and drain do: changes, not ok.
      expect(step('start-kubelet')).toMatchObject({ summary: 'kubelet: start (inactive, enabled)', after: ['stop-kubelet'] });
      // The health gate: healthy now, and the run waits for it to be again after the restarts.
      expect(step('healthy')).toMatchObject({ via: 'cp-1', status: 'ok' });
      expect(step('healthy')?.summary).toBe(
        `node ${node.host} is healthy: Ready, kubelet answering, 1 DaemonSet pod(s) running and ready now; after kubelet, containerd change the run waits up to 5m for it to be again`,
      );
      expect(step('uncordon')).toMatchObject({ via: 'cp-1', summary: `uncordon node ${node.host} (cordoned by this run)`, after: ['cordon', 'drain'] });
    }
    expect(await trees(f.fleet)).toEqual(before);
    expect((await cluster(f.fleet)).nodes.every((n) => !n.unschedulable)).toBe(true);
    expect(existsSync(path.join(work, 'state', 'runs'))).toBe(false); // plan records no run (doctor keeps its verdicts in state/doctor)
  });

  it('run upgrades every worker through apt from its local repository and verifies CRI v1 against the real containerd', async () => {
    const r = await cli(f.fleet, 'run');
    expect(r.code, why(r)).toBe(0);
    const evs = events(r.stdout);
    // What the plan said, step by step, is what the run did.
    if (!planned) throw new Error('no plan before this run');
    expect(runOutcomes(evs, planned)).toEqual(planOutcomes(planned));
    const s = summaryOf(evs);
    expect(s.type).toBe('run.summary');
    // Per node: 7 changed (verify is ok at once: containerd was restarted), nothing skipped.
    expect(s.total).toEqual({ ok: 6, changed: 21, skipped: 0, failed: 0 });
    for (const w of workers) expect(s.nodes[w]).toMatchObject({ ok: 2, changed: 7, skipped: 0, failed: 0, status: 'done' });
    // Node by node: no step of a node before the previous one ended.
    const order = evs.filter((e) => e.type === 'node.start' || e.type === 'node.end').map((e) => `${e.type} ${String(e.host)}`);
    expect(order).toEqual(workers.flatMap((w) => [`node.start ${w}`, `node.end ${w}`]));

    await Promise.all(workers.map(async (w) => {
      const steps = evs.filter((e) => e.type === 'step.done' && e.host === w).map((e) => `${String(e.step)}:${String(e.status)}`);
      expect(steps).toEqual(STEPS.map((id) => `${id}:${CHECKS.includes(id) ? 'ok' : 'changed'}`));
      expect(doneOf(evs, w, 'upgrade-containerd')?.summary).toBe(`install containerd=${version} (installed ${OLD}, upgrade)`);
      // The gate passed on what the restarted kubelet posts: Ready, answering, its DaemonSet pod ready.
      expect(doneOf(evs, w, 'healthy')?.summary).toBe(`node ${w} is healthy: Ready, kubelet answering, 1 DaemonSet pod(s) running and ready`);
      // A real runtime.v1 answer over the socket, from the upgraded containerd.
      expect(doneOf(evs, w, 'verify-cri')?.summary).toMatch(
        /^containerd 1\.6\.\S+ answers CRI v1 \(and v1alpha2\) on \/run\/containerd\/containerd\.sock: RuntimeReady/,
      );

      // Over SSH on the node: the real containerd 1.6 from the package, the stand-in gone.
      const rt = await runtimeOn(f.fleet, w);
      expect(rt.pkg).toBe(version);
      expect(rt.version).toMatch(/^containerd github\.com\/containerd\/containerd 1\.6\.\S+ /);
      expect(rt.version).toContain(version);
      expect(rt.elf).toBe(true);
      expect(rt.standinRunning).toBe(false);
      expect(rt.units, rt.journal).toBe('active active');
      const crictl = await onNode(f.fleet, w, ['crictl', 'version']);
      expect(crictl.stdout).toMatch(/RuntimeVersion:\s+1\.6\./);
      expect(crictl.stdout).toMatch(/RuntimeApiVersion:\s+v1\n/);
      // Through apt, from the node's own repository only.
      const history = (await onNode(f.fleet, w, ['cat', '/var/log/apt/history.log'])).stdout;
      expect(history).toContain(`Upgrade: containerd:amd64 (${OLD}, ${version})`);
      const policy = (await onNode(f.fleet, w, ['env', 'LC_ALL=C', 'apt-cache', 'policy', 'containerd'])).stdout;
      expect(policy).toMatch(new RegExp(`\\*\\*\\* ${version.replace(/[.+~]/g, '\\$&')} 500\\s+500 file:/opt/fleet/apt \\./ Packages`));
      expect(policy).not.toMatch(/https?:\/\//);
    }));

    // kubectl's state on cp-1: every worker schedulable again, no workload left evicted-and-pending.
    const state = await cluster(f.fleet);
    for (const w of workers) expect(state.nodes.find((n) => n.name === w)?.unschedulable ?? false, w).toBe(false);
    expect(state.pods.filter((p) => p.node === '')).toEqual([]);
    const nodes = (await onNode(f.fleet, 'cp-1', ['kubectl', 'get', 'nodes'])).stdout;
    expect(nodes).not.toContain('SchedulingDisabled');
  }, 120_000);

  it('after the run, doctor finds nothing', async () => {
    const d = await doctor(f.fleet.inventoryFile, [], stateEnv());
    expect(d.findings).toEqual({ 'cp-1': [], 'node-1': [], 'node-2': [], 'node-3': [] });
    expect(d.code).toBe(0);
  });

  it('a second run changes nothing', async () => {
    const before = await settledTrees(f.fleet);
    // kubelet, started again by the first run, came up talking CRI v1 to the new containerd.
    for (const n of f.fleet.workers) {
      const started = await n.run(['sh', '-c', 'grep "Container runtime initialized" /var/log/fleet-journal/kubelet.service.log | tail -n 1']);
      expect(started, n.name).toContain('apiVersion="v1"');
    }
    const r = await cli(f.fleet, 'run');
    expect(r.code, why(r)).toBe(0);
    const evs = events(r.stdout);
    // Per node: verify, start and uncordon ok; the five gated steps skipped.
    expect(summaryOf(evs).total).toEqual({ ok: 12, changed: 0, skipped: 15, failed: 0 });
    // Decided on what the runtime answers over CRI, not on a version table.
    expect(doneOf(evs, 'node-2', 'cordon')?.summary).toBe('when: cri.v1 is true');
    expect(await trees(f.fleet)).toEqual(before);
  }, 180_000);
});

describe('mixed fleet: a node already on containerd 1.6, and a drain a PodDisruptionBudget blocks', () => {
  const f = useFleet({ nodes: 2, profile: 'mixed' });
  const AUDIT = '/var/log/kubectl-calls.log'; // under /var/log: fileTree leaves logs out
  let node1Before: string;

  beforeAll(async () => {
    // A recorder in front of kubectl on cp-1 (first on sshd's PATH): every call, then the real stand-in.
    await f.fleet.node('cp-1').writeFile('/usr/local/bin/kubectl', `#!/bin/sh\nprintf '%s\\n' "$*" >> ${AUDIT}\nexec /usr/bin/kubectl "$@"\n`, '0755');
    node1Before = (await settledTrees(f.fleet))[f.fleet.nodes.findIndex((n) => n.name === 'node-1')] ?? '';
  });

  it('doctor: node-2 (containerd 1.4) has the finding, node-1 (1.6) is healthy', async () => {
    const d = await doctor(f.fleet.inventoryFile, [], stateEnv());
    expect(d.findings).toEqual({ 'cp-1': [], 'node-1': [], 'node-2': ['cri-v1-missing'] });
    expect(d.report.summary.groups.map((g) => g.command)).toEqual([fixCommand(f.fleet, ['node-2'])]);
  });

  it('plan: node-1 (containerd 1.6) has nothing to change, node-2 (1.4) would be upgraded; nothing changes', { timeout: 180_000 }, async () => {
    const before = await settledTrees(f.fleet);
    const r = await cli(f.fleet, 'plan');
    expect(r.code, why(r)).toBe(0);
    const plan = JSON.parse(r.stdout) as PlanJson;
    const [n1, n2] = plan.nodes;
    expect(n1?.host).toBe('node-1');
    expect(n1?.steps.map((s) => s.status)).toEqual(['skip', 'skip', 'skip', 'skip', 'skip', 'ok', 'ok', 'ok', 'ok']);
    for (const s of n1?.steps.slice(0, 4) ?? []) expect(s.reason).toBe('when: cri.v1 is true');
    expect(n1?.steps[4]?.reason).toBe('when: cri.v1 is true and kubelet.active is true, not false');
    expect(n1?.steps.find((s) => s.id === 'verify-cri')?.summary).toMatch(/^containerd 1\.6\.\S+ answers CRI v1 /);
    expect(n2?.steps.filter((s) => s.status === 'change').map((s) => s.id)).toEqual(STEPS.filter((id) => !CHECKS.includes(id)));
    expect(n2?.steps.find((s) => s.id === 'verify-cri')?.status).toBe('ok');
    expect(await trees(f.fleet)).toEqual(before);
  });

  it('a drain blocked by a PodDisruptionBudget fails naming pod and budget; node-2 is rolled back, schedulable, still on 1.4', async () => {
    // web has 2 replicas (node-1, node-2): minAvailable 2 allows no disruption.
    const cp = f.fleet.node('cp-1');
    const state = await cluster(f.fleet);
    const web = state.pods.filter((p) => p.labels?.app === 'web');
    expect(web.map((p) => p.node).sort()).toEqual(['node-1', 'node-2']);
    const pdb = state.pdbs.find((p) => p.name === 'web');
    if (!pdb) throw new Error('the profile has no PodDisruptionBudget web');
    pdb.minAvailable = web.length;
    await cp.writeFile(CLUSTER_STATE, JSON.stringify(state, null, 2) + '\n');
    expect((await onNode(f.fleet, 'cp-1', ['kubectl', 'get', 'pdb', '-A'])).stdout).toMatch(/default\s+web\s+2\s+N\/A\s+0\s/);
    const blockedPod = web.find((p) => p.node === 'node-2')?.name ?? '';

    // The plan knows the cluster: the budget blocks the drain now, so the node would stop there.
    const p = await cli(f.fleet, 'plan', ['-e', 'drain_timeout=2s']);
    expect(p.code, why(p)).toBe(1);
    const plan = JSON.parse(p.stdout) as PlanJson;
    const drain = plan.nodes[1]?.steps.find((s) => s.id === 'drain');
    expect(drain?.status).toBe('fail');
    expect(drain?.reason).toContain(`PodDisruptionBudget default/web (minAvailable 2; 2 healthy, 2 desired; 0 disruptions allowed): default/${blockedPod}`);
    expect(plan.nodes[1]?.steps.map((s) => s.status)).toEqual(['change', 'fail', 'unreached', 'unreached', 'unreached', 'unreached', 'unreached', 'unreached', 'unreached']);

    const started = Date.now();
    const r = await cli(f.fleet, 'run', ['-e', 'drain_timeout=2s']);
    expect(r.code, why(r)).toBe(1);
    expect(Date.now() - started).toBeLessThan(40_000); // the short drain timeout, not the playbook's 5m
    const evs = events(r.stdout);
    expect(runOutcomes(evs, plan)).toEqual(planOutcomes(plan));
    const s = summaryOf(evs);
    expect(s.exitCode).toBe(1);
    expect(s.nodes['node-1']).toMatchObject({ changed: 0, failed: 0, status: 'done' });
    expect(s.nodes['node-2']).toMatchObject({ failed: 1, status: 'rolled-back' });

    const failed = evs.find((e) => e.type === 'step.failed' && e.host === 'node-2') as (Ev & { step: string; error: string }) | undefined;
    expect(failed?.step).toBe('drain');
    expect(failed?.error).toContain(`drain of node node-2 did not finish: 1 pod still on it: default/${blockedPod}`);
    expect(failed?.error).toContain(
      `blocked by PodDisruptionBudget default/web (minAvailable 2; 2 healthy, 2 desired; 0 disruptions allowed): default/${blockedPod}`,
    );
    expect(failed?.error).toContain('global timeout reached: 2s');
    // Back to the start: the cordon undone; nothing after the drain ran on node-2.
    expect(evs.find((e) => e.type === 'rollback.start' && e.host === 'node-2')).toMatchObject({ steps: ['cordon'] });
    expect(evs.find((e) => e.type === 'rollback.end' && e.host === 'node-2')).toMatchObject({ status: 'rolled-back' });
    expect(evs.filter((e) => e.type === 'step.start' && e.host === 'node-2').map((e) => e.step)).toEqual(['cordon', 'drain']);

    const after = await cluster(f.fleet);
    expect(after.nodes.find((n) => n.name === 'node-2')?.unschedulable ?? false).toBe(false);
    // The rollback lifted slipway's cordon with its record: nothing left cordoned, no annotation.
    expect(after.nodes.find((n) => n.name === 'node-2')?.annotations?.['slipway/cordoned-by']).toBeUndefined();
    expect(s.cordoned).toBeUndefined();
    expect(after.pods.find((p) => p.name === blockedPod)?.node).toBe('node-2');
    const rt = await runtimeOn(f.fleet, 'node-2');
    expect(rt.pkg).toBe(OLD);
    expect(rt.version).toMatch(/ v1\.4\.13 /);
    expect(rt.elf).toBe(false);
    expect(rt.standinRunning).toBe(true);
    expect(rt.units, rt.journal).toBe('active active');
  }, 120_000);

  it('with drain_disable_eviction=afterTimeout the drain gets past the budget and node-2 is upgraded', async () => {
    const extra = ['-e', 'drain_timeout=2s', '-e', 'drain_disable_eviction=afterTimeout'];
    const p = await cli(f.fleet, 'plan', extra);
    expect(p.code, why(p)).toBe(0);
    const plan = JSON.parse(p.stdout) as PlanJson;
    expect(plan.nodes[1]?.steps.find((s) => s.id === 'drain')?.summary).toContain('past their budgets');
    const r = await cli(f.fleet, 'run', extra);
    expect(r.code, why(r)).toBe(0);
    const evs = events(r.stdout);
    expect(runOutcomes(evs, plan)).toEqual(planOutcomes(plan));
    const s = summaryOf(evs);
    expect(s.nodes['node-1']).toMatchObject({ changed: 0, failed: 0, status: 'done' });
    expect(s.nodes['node-2']).toMatchObject({ changed: 7, failed: 0, status: 'done' });
    expect(doneOf(evs, 'node-2', 'verify-cri')?.summary).toMatch(/^containerd 1\.6\.\S+ answers CRI v1 /);

    // The journal: the drain needed the second pass without the eviction API.
    const journal = (await fs.readFile(path.join(work, 'state', 'runs', s.runId, 'journal.ndjson'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Ev);
    const drain = journal.find((e) => e.type === 'step.done' && e.host === 'node-2' && e.step === 'drain');
    // The undo record names the step type that wrote it and what it was applied with.
    expect(drain?.undo).toMatchObject({ type: 'kube.drain', paramsHash: expect.stringMatching(/^[0-9a-f]{16}$/), data: { evictionDisabled: true, evicted: [expect.stringMatching(/^default\/web-/)] } });

    const state = await cluster(f.fleet);
    expect(state.pods.filter((p) => p.node === 'node-2' && p.labels?.app === 'web')).toEqual([]);
    expect(state.pdbs.find((p) => p.name === 'web')?.minAvailable).toBe(2); // the budget itself untouched
    expect(state.nodes.find((n) => n.name === 'node-2')?.unschedulable ?? false).toBe(false);
    const rt = await runtimeOn(f.fleet, 'node-2');
    expect(rt.pkg).toBe(version);
    expect(rt.elf).toBe(true);
    expect(rt.units, rt.journal).toBe('active active');
  }, 120_000);

  it('after node-2 was upgraded, doctor finds nothing', async () => {
    expect((await doctor(f.fleet.inventoryFile, [], stateEnv())).findings).toEqual({ 'cp-1': [], 'node-1': [], 'node-2': [] });
  });

  it('node-1 was never touched: only ok and skipped steps, no kubectl cordon/drain/uncordon of it, its file tree unchanged', async () => {
    // Both runs on this fleet (the blocked one and the one past the budget), from their journals.
    let runsSeen = 0;
    for (const id of await fs.readdir(path.join(work, 'state', 'runs'))) {
      const journal = (await fs.readFile(path.join(work, 'state', 'runs', id, 'journal.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Ev);
      if ((journal[0]?.inputs as { inventoryFile?: string } | undefined)?.inventoryFile !== f.fleet.inventoryFile) continue;
      runsSeen++;
      const node1 = journal.filter((e) => e.type === 'step.done' && e.host === 'node-1');
      expect(node1.map((e) => e.step)).toEqual(STEPS);
      expect(node1.map((e) => e.status)).toEqual(['skipped', 'skipped', 'skipped', 'skipped', 'skipped', 'ok', 'ok', 'ok', 'ok']);
    }
    expect(runsSeen).toBe(2);
    const calls = ((await f.fleet.node('cp-1').readFile(AUDIT)) ?? '').split('\n');
    // The recorder saw the runs: slipway cordons with its record on the Node, in one patch.
    const cordons = calls.filter((c) => c.startsWith('patch node node-2 --type merge -p ')).map((c) => JSON.parse(c.slice('patch node node-2 --type merge -p '.length)) as unknown);
    expect(cordons).toContainEqual({ spec: { unschedulable: true }, metadata: { annotations: { 'slipway/cordoned-by': expect.stringMatching(/^\d{8}-\d{6}-[0-9a-f]{6}$/) } } });
    expect(cordons).toContainEqual({ spec: { unschedulable: null }, metadata: { annotations: { 'slipway/cordoned-by': null } } });
    expect(calls.filter((c) => /^(cordon|uncordon|drain|patch node) node-1\b/.test(c))).toEqual([]);
    expect((await cluster(f.fleet)).nodes.find((n) => n.name === 'node-1')?.unschedulable ?? false).toBe(false);
    const rt1 = await runtimeOn(f.fleet, 'node-1');
    expect(rt1.units, rt1.journal).toBe('active active');
    expect(await fileTree(f.fleet.node('node-1'))).toEqual(node1Before);
  });
});

describe('containerd-1.5 fleet: a release whose version suggests CRI v1, but which answers only v1alpha2', () => {
  const f = useFleet({ nodes: 1, profile: 'containerd-1.5' });

  beforeAll(async () => {
    // One worker: let the web pod go (a budget of 1 of 1 would block every drain).
    const state = await cluster(f.fleet);
    for (const pdb of state.pdbs) pdb.minAvailable = 0;
    await f.fleet.node('cp-1').writeFile(CLUSTER_STATE, JSON.stringify(state, null, 2) + '\n');
  });

  it("on kubespray's hosts.yaml, plan and run upgrade the node, decided on the live CRI answer; verify then gets CRI v1 from it; doctor before and after", async () => {
    expect((await runtimeOn(f.fleet, 'node-1')).version).toMatch(/ v1\.5\.18 /);
    const before = await doctor(f.fleet.inventoryFile, [], stateEnv());
    expect(before.findings).toEqual({ 'cp-1': [], 'node-1': ['cri-v1-missing'] });
    expect(before.report.nodes[1]?.findings[0]?.title).toBe("containerd 1.5.18 does not answer CRI v1, which OpenKruise 1.7.2's kruise-daemon needs");
    // On kubespray's hosts.yaml as it is: kube_node stands in for workers, kube_control_plane for control_plane.
    const kubespray = await f.fleet.writeKubesprayInventory();
    const plan = JSON.parse((await cli(f.fleet, 'plan', [], kubespray)).stdout) as PlanJson;
    expect(plan.nodes[0]?.steps.map((s) => s.status)).toEqual(['change', 'change', 'change', 'change', 'change', 'ok', 'change', 'ok', 'change']);
    expect(plan.nodes[0]?.steps.find((s) => s.id === 'cordon')?.via).toBe('cp-1');
    // Decided on the live answer: 1.5.18 answers v1alpha2 only, so every gated step changes.
    expect(plan.nodes[0]?.steps.find((s) => s.id === 'upgrade-containerd')?.summary).toContain(`(installed ${PACKAGE_VERSIONS.containerd15}, upgrade)`);

    const r = await cli(f.fleet, 'run', [], kubespray);
    expect(r.code, why(r)).toBe(0);
    const evs = events(r.stdout);
    expect(runOutcomes(evs, plan)).toEqual(planOutcomes(plan));
    expect(evs.filter((e) => e.type === 'step.done').map((e) => `${String(e.step)}:${String(e.status)}`)).toEqual(
      STEPS.map((id) => `${id}:${CHECKS.includes(id) ? 'ok' : 'changed'}`),
    );
    expect(doneOf(evs, 'node-1', 'upgrade-containerd')?.summary).toBe(`install containerd=${version} (installed ${PACKAGE_VERSIONS.containerd15}, upgrade)`);
    const rt = await runtimeOn(f.fleet, 'node-1');
    expect(rt.pkg).toBe(version);
    expect(rt.elf).toBe(true);
    expect(rt.units, rt.journal).toBe('active active');
    expect((await onNode(f.fleet, 'node-1', ['crictl', 'version'])).stdout).toMatch(/RuntimeApiVersion:\s+v1\n/);
    expect((await doctor(f.fleet.inventoryFile, [], stateEnv())).findings).toEqual({ 'cp-1': [], 'node-1': [] });
  }, 120_000);
});
