/**
 * The bundled playbook crio-pin-runtime.yaml (field note 3) on real fleet nodes, through the
 * built CLI. Profile crio-1.29: every worker runs the CRI-O stand-in 1.29.9 (runc, set in
 * /etc/crio/crio.conf) with kubelet 1.26 and real pod sandboxes (kube-proxy in the host network,
 * a workload in its own); cri-o 1.30.6 waits in the node's apt repository, and its package ships
 * /etc/crio/crio.conf.d/10-crio.conf with `default_runtime = "crun"`.
 *
 *   node-1, node-2  plan shows the drain, the pod removal, the upgrade and the pin (with the
 *                   drop-in's diff) and changes nothing; run removes the non-host-network
 *                   sandboxes first and then the rest, upgrades through apt, pins runc with a
 *                   drop-in after 10-crio.conf: CRI-O's merged configuration says runc while the
 *                   packaged file still says crun, and CRI-O answers CRI v1.
 *   node-3          already upgraded to 1.30.6 with the pin in place: ok or skipped throughout,
 *                   not touched.
 *   A second run changes nothing.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshRemote } from '../../src/transport/ssh.js';
import { CriClient } from '../../src/transport/cri/index.js';
import type { Fleet } from '../fleet/fleet.js';
import { expectSamePlanOnKubespray } from '../support/kubespray.js';
import { useFleet } from '../fleet/fixture.js';
import { fleetHost } from '../fleet/hosts.js';
import { PACKAGE_VERSIONS } from '../fleet/packages/catalog.js';
import { packageLayer } from '../fleet/packages/repo.js';
import { CRIO_SOCKET, profilePods } from '../fleet/profiles.js';
import { events, slipway, why } from '../support/cli.js';
import { planOutcomes, runOutcomes } from '../support/agreement.js';
import { doctor } from '../support/doctor.js';
import { fileTree } from '../support/tree.js';

const PLAYBOOK = 'playbooks/crio-pin-runtime.yaml';
const STEPS = ['cordon', 'drain', 'stop-kubelet', 'remove-pods', 'stop-crio', 'upgrade-crio', 'pin-runtime', 'restart-crio', 'verify-cri', 'start-kubelet', 'healthy', 'uncordon'];
/** Steps that check rather than change: verify-cri and the health gate. */
const CHECKS = ['verify-cri', 'healthy'];
const OLD = PACKAGE_VERSIONS.crio129;
const NEW = PACKAGE_VERSIONS.crio130;
const DROP_IN = '/etc/crio/crio.conf.d/99-slipway-default-runtime.conf';
const PACKAGED = '/etc/crio/crio.conf.d/10-crio.conf';
/** The drop-in slipway writes over the 1.30 package's files: runc's table as 10-crio.conf has it. */
const PIN = `# Written by slipway (crio.defaultRuntime): pins the default OCI runtime of CRI-O.
# CRI-O reads crio.conf.d in lexical order and the last file wins; a runtime table
# here replaces the one of the same name from earlier files, so it repeats its settings.
[crio.runtime]
default_runtime = "runc"

[crio.runtime.runtimes.runc]
runtime_path = "/usr/libexec/crio/runc"
runtime_root = "/run/runc"
monitor_path = "/usr/libexec/crio/conmon"
runtime_type = "oci"
`;

type Ev = Record<string, unknown> & { type: string };
interface Summary {
  type: 'run.summary';
  runId: string;
  total: { ok: number; changed: number; skipped: number; failed: number };
  nodes: Record<string, { ok: number; changed: number; skipped: number; failed: number; status: string }>;
}
interface Removed {
  id: string;
  namespace: string;
  name: string;
  hostNetwork: boolean;
}

const f = useFleet({
  nodes: 3,
  profile: 'crio-1.29',
  // node-3 was upgraded and pinned before: cri-o 1.30.6 installed by dpkg, the pin in place.
  seed: (name) =>
    name === 'node-3'
      ? {
          files: [
            { path: '/', layer: () => packageLayer([`kubelet=${PACKAGE_VERSIONS.kubelet126}`, `cri-o=${NEW}`]) },
            { path: DROP_IN, content: PIN },
          ],
        }
      : {},
});
const TODO = ['node-1', 'node-2'];

let work: string;
beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-crio-'));
});
const remotes: SshRemote[] = [];
afterAll(async () => {
  for (const r of remotes.splice(0)) await r.close();
  await fs.rm(work, { recursive: true, force: true });
});

function remote(fleet: Fleet, name: string): SshRemote {
  const r = new SshRemote(fleetHost(fleet, name));
  remotes.push(r);
  return r;
}
/** A shell command on a node over SSH, as an operator would look; its stdout. */
async function sh(name: string, script: string): Promise<string> {
  const r = await remote(f.fleet, name).exec(['sh', '-c', script]);
  return r.stdout;
}

/** Pause processes on a node (each sandbox's, in its own PID namespace below the node's). */
const pauses = async (name: string) => (await sh(name, 'ps -eo comm=')).split('\n').filter((c) => c === 'pause').length;
const trees = () => Promise.all(f.fleet.nodes.map((n) => fileTree(n)));
const cli = (command: 'plan' | 'run', output: string[], inventory = f.fleet.inventoryFile) =>
  slipway([command, PLAYBOOK, '-i', inventory, '-e', `crio_version=${NEW}`, ...output], {
    env: { SLIPWAY_STATE_DIR: path.join(work, 'state') },
    timeoutMs: 150_000,
  });
const summaryOf = (evs: Ev[]) => evs.at(-1) as unknown as Summary;
const doneOf = (evs: Ev[], host: string, step: string) =>
  evs.find((e) => e.type === 'step.done' && e.host === host && e.step === step) as (Ev & { status: string; summary: string }) | undefined;
/** The `[crio.runtime]` table's default_runtime in TOML text (`crio config` prints defaults commented). */
const defaultRuntimeIn = (toml: string) => /^\[crio\.runtime\]$[^[]*?^\s*default_runtime = "([^"]*)"/m.exec(toml)?.[1];
/** The plan's text for one node: from its header line to the next node's. */
function section(text: string, host: string): string {
  const start = text.indexOf(`\n${host}: `);
  expect(start, `no section for ${host}`).toBeGreaterThanOrEqual(0);
  const next = text.slice(start + 1).search(/\n(cp|node)-\d+: |\nplan: /);
  return text.slice(start + 1, next === -1 ? undefined : start + 1 + next);
}

describe('crio-pin-runtime on a CRI-O 1.29 fleet', () => {
  it('starts as the field note: 1.29 with runc on node-1/2; node-3 on 1.30.6, pinned to runc, its packaged file saying crun', async () => {
    for (const w of TODO) {
      expect(await sh(w, "dpkg-query -W -f='${Version}' cri-o")).toBe(OLD);
      expect(defaultRuntimeIn(await sh(w, 'crio config'))).toBe('runc');
      expect((await sh(w, 'crictl pods -q')).trim().split('\n')).toHaveLength(profilePods(w).length);
    }
    expect(await sh('node-3', "dpkg-query -W -f='${Version}' cri-o")).toBe(NEW);
    expect(defaultRuntimeIn((await f.fleet.node('node-3').readFile(PACKAGED)) ?? '')).toBe('crun');
    expect(defaultRuntimeIn(await sh('node-3', 'crio status config'))).toBe('runc');
    expect(await sh('node-3', 'systemctl is-active crio kubelet')).toBe('active\nactive\n');
    for (const w of [...TODO, 'node-3']) expect(await pauses(w), w).toBe(profilePods(w).length);
  });

  it('doctor: the 1.29 nodes would switch to crun with the 1.30 package; node-3, pinned, is healthy', async () => {
    const d = await doctor(f.fleet.inventoryFile, [], { SLIPWAY_STATE_DIR: path.join(work, 'state') });
    expect(d.code, why(d)).toBe(1);
    expect(d.findings).toEqual({ 'cp-1': [], 'node-1': ['crio-upgrade-switches-runtime'], 'node-2': ['crio-upgrade-switches-runtime'], 'node-3': [] });
    const finding = d.report.nodes[1]?.findings[0];
    expect(finding?.title).toBe(`upgrading cri-o ${OLD} -> ${NEW} switches the default runtime from runc to crun`);
    expect(finding?.sources).toContain('cri-o#8705');
    expect(d.report.nodes[1]?.facts?.crio).toMatchObject({ defaultRuntime: 'runc', runningRuntimes: ['runc'] });
    expect(d.report.summary.groups[0]?.command).toBe(
      `slipway plan crio-pin-runtime -i ${f.fleet.inventoryFile} --limit node-1,node-2 -e crio_version=${NEW} -e crio_target=1.30.6 -e runtime=runc`,
    );
  });

  it("plans the same on kubespray's hosts.yaml (kube_control_plane, kube_node) as on the fleet's inventory", async () => {
    await expectSamePlanOnKubespray(f.fleet, PLAYBOOK, ['-e', `crio_version=${NEW}`], { SLIPWAY_STATE_DIR: path.join(work, 'state') });
  });

  it('plan shows the upgrade and the pin (with its diff) on the 1.29 nodes, each step as the ones before leave the node, nothing on node-3, and changes nothing', async () => {
    const before = await trees();
    const r = await cli('plan', []);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('batches: 1:[node-1] 2:[node-2] 3:[node-3]');
    for (const w of TODO) {
      const s = section(r.stdout, w);
      const [web, proxy] = [profilePods(w).find((p) => !p.hostNetwork), profilePods(w).find((p) => p.hostNetwork)];
      expect(s).toContain(`${w}: 10 step(s) would change`);
      expect(s).toContain(`~ cordon (on cp-1): cordon node ${w} (schedulable)`);
      expect(s).toContain(`~ drain (on cp-1) [as cordon leaves it]: drain node ${w}: evict 1 pod (default/${web?.name})`);
      expect(s).toContain('~ stop-kubelet: kubelet: stop (active, enabled)');
      // The sandbox outside the host network first, then the host-network one.
      expect(s).toContain(
        `~ remove-pods: 2 pod sandboxes to remove (1 not host-network): default/${web?.name}, kube-system/${proxy?.name} (via crictl on ${CRIO_SOCKET})`,
      );
      expect(s).toContain('~ stop-crio: crio: stop (active, enabled)');
      expect(s).toContain(`~ upgrade-crio: install cri-o=${NEW} (installed ${OLD}, upgrade)`);
      // Checked on the files the upgrade leaves: its packaged drop-in says crun.
      expect(s).toContain(`~ pin-runtime [as upgrade-crio leaves it]: create ${DROP_IN}: default_runtime = "runc" (before it: default_runtime is crun per crio.conf + crio.conf.d, set by ${PACKAGED})`);
      expect(s).toContain(`--- /dev/null\n      +++ ${DROP_IN}\n      @@ -0,0 +1,11 @@\n`);
      expect(s).toContain(PIN.trimEnd().split('\n').map((l) => `      +${l}`).join('\n'));
      expect(s).toContain('~ restart-crio [as stop-crio, upgrade-crio leave it]: crio: restart (inactive, enabled; restarted always runs)');
      expect(s).toContain('✓ verify-cri [as stop-crio, upgrade-crio, restart-crio leave it]: cri-o 1.30.6 answers CRI v1 on /var/run/crio/crio.sock');
      expect(s).toContain('~ start-kubelet [as stop-kubelet leaves it]: kubelet: start (inactive, enabled)');
      expect(s).toContain(`~ uncordon (on cp-1) [as cordon, drain leave it]: uncordon node ${w} (cordoned by this run)`);
    }
    const s3 = section(r.stdout, 'node-3');
    expect(s3).toContain('node-3: nothing to change');
    for (const id of ['cordon', 'drain', 'stop-kubelet', 'remove-pods', 'stop-crio', 'upgrade-crio']) {
      const via = id === 'cordon' || id === 'drain' ? ' (on cp-1)' : '';
      expect(s3).toContain(`- ${id}${via}: skipped: when: crio.version is '1.30.6', which does not satisfy '<1.30.6'`);
    }
    expect(s3).toContain(`✓ pin-runtime: default_runtime is runc per \`crio config\`, pinned by ${DROP_IN}`);
    expect(s3).toMatch(/- restart-crio: skipped: when: .*kubelet\.active is true, not false/);
    expect(s3).not.toContain('+++');
    expect(r.stdout).toContain('plan: 20 change(s) on 2 of 3 node(s); nothing was changed');
    expect(await trees()).toEqual(before);
  });

  it('a site drop-in that would override the pin stops node-1 before its drain: plan says so, run touches nothing', async () => {
    const SITE = '/etc/crio/crio.conf.d/zz-site.conf';
    await f.fleet.node('node-1').writeFile(SITE, '# the site wants crun\n[crio.runtime]\ndefault_runtime = "crun"\n');
    try {
      const before = await trees();
      const lost = `the pin of runc would not win: ${SITE} sorts after ${DROP_IN} and sets default_runtime = "crun", so CRI-O would run crun`;
      const plan = await cli('plan', ['--output', 'json']);
      expect(plan.code).toBe(1);
      const planned = JSON.parse(plan.stdout) as { nodes: Array<{ host: string; reachable: boolean; notStarted?: string; preflight?: { step: string; reason: string }; steps: Array<{ id: string; status: string; reason?: string }> }> };
      const node1 = planned.nodes[0];
      expect(node1?.preflight).toMatchObject({ step: 'pin-runtime' });
      expect(node1?.steps.find((s) => s.id === 'pin-runtime')).toMatchObject({ status: 'fail', reason: expect.stringContaining(lost) });

      const r = await cli('run', ['--output', 'json']);
      expect(r.code, why(r)).toBe(1);
      const evs = events(r.stdout);
      // The plan said it: node-1 stops at its preflight, and then the run stops; node-2 and node-3 never start.
      expect(planned.nodes.map((n) => n.notStarted)).toEqual([undefined, 'node node-1 failed (onFailure: stop)', 'node node-1 failed (onFailure: stop)']);
      expect(runOutcomes(evs, planned)).toEqual(planOutcomes(planned));
      expect(evs.filter((e) => e.type === 'step.start')).toEqual([]); // nothing started on any node
      const failed = evs.find((e) => e.type === 'step.failed');
      expect(failed).toMatchObject({ host: 'node-1', step: 'pin-runtime', kind: 'step' });
      expect(String(failed?.error)).toContain(`preflight, before the node's first step: ${lost}`);
      expect(summaryOf(evs).nodes).toMatchObject({ 'node-1': { status: 'failed' }, 'node-2': { status: 'pending' }, 'node-3': { status: 'pending' } });
      // node-1 still in service: schedulable, kubelet and crio running, its sandboxes in place.
      expect(await sh('node-1', 'systemctl is-active crio kubelet')).toBe('active\nactive\n');
      expect(await pauses('node-1')).toBe(profilePods('node-1').length);
      expect(await sh('cp-1', 'kubectl get nodes')).not.toContain('SchedulingDisabled');
      expect(await trees()).toEqual(before);
    } finally {
      await f.fleet.node('node-1').run(['rm', '-f', SITE]);
    }
  });

  it('run clears the sandboxes (outside the host network first), upgrades through apt and pins runc; node-3 is not touched', async () => {
    const node3Before = await fileTree(f.fleet.node('node-3'));
    const p = await cli('plan', ['--output', 'json']);
    expect(p.code, why(p)).toBe(0);
    const planned = JSON.parse(p.stdout) as { nodes: Array<{ host: string; reachable: boolean; steps: Array<{ id: string; status: string }> }> };
    const r = await cli('run', ['--output', 'json']);
    expect(r.code, why(r)).toBe(0);
    const evs = events(r.stdout);
    // Every node, every step: what the plan said is what the run did.
    expect(runOutcomes(evs, planned)).toEqual(planOutcomes(planned));
    const summary = summaryOf(evs);
    for (const w of TODO) expect(summary.nodes[w], w).toMatchObject({ ok: 2, changed: 10, skipped: 0, failed: 0, status: 'done' });
    expect(summary.nodes['node-3']).toMatchObject({ ok: 5, changed: 0, skipped: 7, failed: 0, status: 'done' });
    expect(await fileTree(f.fleet.node('node-3'))).toBe(node3Before);

    const journal = (await fs.readFile(path.join(work, 'state', 'runs', summary.runId, 'journal.ndjson'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Ev);
    for (const w of TODO) {
      const steps = evs.filter((e) => e.type === 'step.done' && e.host === w).map((e) => `${String(e.step)}:${String(e.status)}`);
      expect(steps).toEqual(STEPS.map((id) => `${id}:${CHECKS.includes(id) ? 'ok' : 'changed'}`));
      expect(doneOf(evs, w, 'pin-runtime')?.summary).toBe(
        `create ${DROP_IN}: default_runtime = "runc" (before it: default_runtime is crun per \`crio config\` (last set by ${PACKAGED}))`,
      );
      expect(doneOf(evs, w, 'verify-cri')?.summary).toMatch(/^cri-o 1\.30\.6 answers CRI v1 on \/var\/run\/crio\/crio\.sock: RuntimeReady/);

      // What remove-pods took away, in the order it did: the workload's sandbox, then kube-proxy's.
      const removed = (journal.find((e) => e.type === 'step.done' && e.host === w && e.step === 'remove-pods')?.undo as { data: { removed: Removed[] } }).data.removed;
      expect(removed.map((p) => `${p.namespace}/${p.name} ${p.hostNetwork ? 'host' : 'pod'}`)).toEqual(
        [...profilePods(w).filter((p) => !p.hostNetwork), ...profilePods(w).filter((p) => p.hostNetwork)].map(
          (p) => `${p.namespace}/${p.name} ${p.hostNetwork ? 'host' : 'pod'}`,
        ),
      );
      // The sandboxes were removed before crio stopped and was upgraded: their pause processes are gone.
      const order = journal.filter((e) => e.host === w && e.type === 'step.done').map((e) => e.step);
      expect(order.indexOf('remove-pods')).toBeLessThan(order.indexOf('stop-crio'));
      expect(await pauses(w)).toBe(0);

      // On the node: the package from the local repository, the packaged file saying crun, the
      // merged configuration and the running daemon saying runc.
      expect(await sh(w, "dpkg-query -W -f='${Version}' cri-o")).toBe(NEW);
      expect(await sh(w, 'grep -h "^Upgrade: cri-o" /var/log/apt/history.log')).toBe(`Upgrade: cri-o:amd64 (${OLD}, ${NEW})\n`);
      expect(defaultRuntimeIn((await f.fleet.node(w).readFile(PACKAGED)) ?? '')).toBe('crun');
      expect(await f.fleet.node(w).readFile(DROP_IN)).toBe(PIN);
      expect(await sh(w, 'ls /etc/crio/crio.conf.d')).toBe('10-crio.conf\n99-slipway-default-runtime.conf\n');
      const merged = await sh(w, 'crio config');
      expect(defaultRuntimeIn(merged)).toBe('runc');
      expect(merged).toMatch(/^\[crio\.runtime\.runtimes\.runc\]$/m);
      expect(defaultRuntimeIn(await sh(w, 'crio status config'))).toBe('runc');
      expect(await sh(w, 'systemctl is-active crio kubelet')).toBe('active\nactive\n');
      expect(await sh(w, 'grep -c "Using default runtime handler: runc" /var/log/fleet-journal/crio.service.log')).toBe('2\n');
    }

    // CRI v1 over the socket, straight from the test over SSH: 1.30.6, ready, no sandbox left.
    for (const w of TODO) {
      const r = remote(f.fleet, w);
      const client = await CriClient.connect(() => r.openUnixSocket(CRIO_SOCKET), { host: w });
      try {
        expect(await client.version('v1')).toMatchObject({ runtimeName: 'cri-o', runtimeVersion: '1.30.6', runtimeApiVersion: 'v1' });
        const ready = (await client.status('v1')).conditions.find((c) => c.type === 'RuntimeReady');
        expect(ready?.status).toBe(true);
        expect(await client.listPodSandboxes('v1')).toEqual([]);
      } finally {
        await client.close();
      }
    }
    // kubectl's state: every worker schedulable again.
    expect(await sh('cp-1', 'kubectl get nodes')).not.toContain('SchedulingDisabled');
    // node-3's pods were never touched.
    expect(await pauses('node-3')).toBe(profilePods('node-3').length);
    expect((await sh('node-3', 'crictl pods -q')).trim().split('\n')).toHaveLength(profilePods('node-3').length);
  }, 150_000);

  it('after the run, doctor finds nothing', async () => {
    const d = await doctor(f.fleet.inventoryFile, [], { SLIPWAY_STATE_DIR: path.join(work, 'state') });
    expect(d.findings).toEqual({ 'cp-1': [], 'node-1': [], 'node-2': [], 'node-3': [] });
  });

  it("a second run, on kubespray's hosts.yaml, changes nothing", async () => {
    const before = await trees();
    const r = await cli('run', ['--output', 'plain'], await f.fleet.writeKubesprayInventory());
    expect(r.code, why(r)).toBe(0);
    expect(r.stdout).toMatch(/succeeded: 15 ok, 0 changed, 21 skipped, 0 failed/);
    expect(r.stdout).not.toMatch(/ changed:/);
    expect(r.stdout).toContain(`[node-1] pin-runtime ok: default_runtime is runc per \`crio config\`, pinned by ${DROP_IN}`);
    expect(await trees()).toEqual(before);
  }, 90_000);
});
