/**
 * The bundled playbook kubelet-removed-flags.yaml (field note 5) on real fleet nodes, through the
 * built CLI. Profile kubelet-1.26-flags: the real containerd 1.6 and the kubelet stand-in 1.26.15
 * running with flags that later releases removed, each placed where kubeadm, packages or an
 * operator put them; kubelet 1.27.16 waits in the node's apt repository.
 *
 *   node-1  `--container-runtime=remote` in /var/lib/kubelet/kubeadm-flags.env (with
 *           `--pod-infra-container-image`, which 1.27 still accepts: removed only in 1.35)
 *   node-2  `--pod-infra-container-image` in /etc/default/kubelet, nothing 1.27 refuses
 *   node-3  `--container-runtime remote` in a drop-in; upgraded to 1.27 by hand first, which
 *           leaves kubelet failing with "unknown flag: --container-runtime" (the field note)
 *   node-4  already on 1.27.16 without removed flags: ok or skipped throughout, not touched
 *
 * plan shows per-file diffs and changes nothing; run removes the flags (backups, daemon-reload
 * for the drop-in), upgrades through apt, and kubelet 1.27 starts and stays up; a second run
 * changes nothing; `slipway rollback RUN --to start` restores the files byte for byte.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectSamePlanOnKubespray } from '../support/kubespray.js';
import { useFleet } from '../fleet/fixture.js';
import { PACKAGE_VERSIONS } from '../fleet/packages/catalog.js';
import { packageLayer } from '../fleet/packages/repo.js';
import { CONTAINERD_SOCKET } from '../fleet/profiles.js';
import { events, slipway, why } from '../support/cli.js';
import { planOutcomes, runOutcomes } from '../support/agreement.js';
import { doctor } from '../support/doctor.js';
import { fileTree } from '../support/tree.js';

const PLAYBOOK = 'playbooks/kubelet-removed-flags.yaml';
const STEPS = ['cordon', 'drain', 'stop-kubelet', 'remove-flags', 'upgrade-kubelet', 'start-kubelet', 'healthy', 'uncordon'];
const OLD = PACKAGE_VERSIONS.kubelet126;
const NEW = PACKAGE_VERSIONS.kubelet127;
const ENV_FILE = '/var/lib/kubelet/kubeadm-flags.env';
const DEFAULTS = '/etc/default/kubelet';
const DROP_IN = '/etc/systemd/system/kubelet.service.d/20-container-runtime.conf';
const ENDPOINT = `--container-runtime-endpoint=unix://${CONTAINERD_SOCKET}`;
const PAUSE = '--pod-infra-container-image=registry.k8s.io/pause:3.9';
const WORKERS = ['node-1', 'node-2', 'node-3', 'node-4'];
/** The file each node keeps its flags in, and what the profile put there. */
const ORIGINAL: Record<string, [string, string]> = {
  'node-1': [ENV_FILE, `KUBELET_KUBEADM_ARGS="--container-runtime=remote ${ENDPOINT} ${PAUSE}"\n`],
  'node-2': [DEFAULTS, `KUBELET_EXTRA_ARGS=${PAUSE}\n`],
  'node-3': [DROP_IN, '[Service]\nEnvironment="KUBELET_EXTRA_ARGS=--container-runtime remote --runtime-request-timeout 15m"\n'],
  'node-4': [ENV_FILE, `KUBELET_KUBEADM_ARGS="${ENDPOINT}"\n`],
};

type Ev = Record<string, unknown> & { type: string };
interface PlanJson {
  nodes: Array<{ host: string; reachable: boolean; notStarted?: string; steps: Array<{ id: string; status: string; summary?: string; reason?: string; diff?: string; after?: string[] }> }>;
}
interface Summary {
  type: 'run.summary';
  runId: string;
  total: { ok: number; changed: number; skipped: number; failed: number };
  nodes: Record<string, { ok: number; changed: number; skipped: number; failed: number; status: string }>;
}

const f = useFleet({
  nodes: 4,
  profile: 'kubelet-1.26-flags',
  // node-4 was upgraded before, its flags cleaned: kubelet 1.27.16 installed by dpkg.
  seed: (name) =>
    name === 'node-4'
      ? { files: [{ path: '/', layer: () => packageLayer([`kubelet=${NEW}`]) }, { path: ENV_FILE, content: ORIGINAL['node-4']?.[1] ?? '' }] }
      : {},
});

let work: string;
beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-kubelet-'));
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

const env = () => ({ SLIPWAY_STATE_DIR: path.join(work, 'state') });
const cli = (args: string[]) => slipway(args, { env: env(), timeoutMs: 150_000 });
const sh = async (node: string, script: string) => (await f.fleet.node(node).exec(['sh', '-c', script])).stdout;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const trees = () => Promise.all(f.fleet.nodes.map((n) => fileTree(n)));
const argvOf = async (node: string) => JSON.parse((await f.fleet.node(node).readFile('/run/kubelet/argv')) ?? 'null') as string[];
/** No argv word is a flag 1.27 removed (--container-runtime-endpoint is another flag and stays). */
const hasContainerRuntime = (argv: string[]) => argv.some((a) => a === '--container-runtime' || a.startsWith('--container-runtime='));
const stepOf = (plan: PlanJson, host: string, id: string) => plan.nodes.find((n) => n.host === host)?.steps.find((s) => s.id === id);
const doneOf = (evs: Ev[], host: string, step: string) =>
  evs.find((e) => e.type === 'step.done' && e.host === host && e.step === step) as (Ev & { status: string; summary: string }) | undefined;
/** Waits until kubelet is no longer active (it exits while parsing its flags), up to 10 s. */
async function kubeletState(node: string): Promise<string> {
  for (let i = 0; i < 20; i++) {
    const state = (await sh(node, 'systemctl is-active kubelet')).trim();
    if (state !== 'active' && state !== 'activating') return state;
    await sleep(500);
  }
  return 'active';
}

let firstRun = '';

/** The plan's text for one node: from its header line to the next node's. */
function section(text: string, host: string): string {
  const start = text.indexOf(`\n${host}: `);
  expect(start, `no section for ${host}`).toBeGreaterThanOrEqual(0);
  const next = text.slice(start + 1).search(/\n(cp|node)-\d+: |\nplan: /);
  return text.slice(start + 1, next === -1 ? undefined : start + 1 + next);
}
/** kubelet's argv once it has the flag (a kubelet just started writes it as it starts), up to 10 s. */
async function argvWith(node: string, flag: string): Promise<string[]> {
  let argv: string[] = [];
  for (let i = 0; i < 20; i++) {
    argv = await argvOf(node);
    if (argv.includes(flag)) break;
    await sleep(500);
  }
  return argv;
}

describe('kubelet-removed-flags from kubelet 1.26 to 1.27', () => {
  it('starts as the field note: kubelet 1.26 running with the removed flags in three places; node-4 on 1.27 without them', async () => {
    for (const w of WORKERS) {
      const [file, content] = ORIGINAL[w] ?? ['', ''];
      expect(await f.fleet.node(w).readFile(file), w).toBe(content);
      const journal = await sh(w, 'tail -n 5 /var/log/fleet-journal/kubelet.service.log /var/log/fleet-journal/containerd.service.log 2>&1');
      expect(await sh(w, 'systemctl is-active kubelet'), `${w}\n${journal}`).toBe('active\n');
      expect(await sh(w, "dpkg-query -W -f='${Version}' kubelet"), w).toBe(w === 'node-4' ? NEW : OLD);
    }
    expect(await argvOf('node-1')).toContain('--container-runtime=remote');
    expect(await argvOf('node-2')).toContain(PAUSE);
    expect(hasContainerRuntime(await argvOf('node-3'))).toBe(true);
    expect(hasContainerRuntime(await argvOf('node-4'))).toBe(false);
  });

  it('doctor --target-version 1.27.16 names exactly the nodes whose kubelet 1.27 would refuse a flag, each with its file and the fix', async () => {
    const before = await trees();
    const d = await doctor(f.fleet.inventoryFile, ['--target-version', '1.27.16'], env());
    expect(d.code, why(d)).toBe(1);
    expect(d.findings).toEqual({ 'cp-1': [], 'node-1': ['kubelet-removed-flags'], 'node-2': [], 'node-3': ['kubelet-removed-flags'], 'node-4': [] });
    const finding = (host: string) => d.report.nodes.find((n) => n.host === host)?.findings[0];
    expect(finding('node-1')?.detail).toContain(`\`--container-runtime=remote\` in ${ENV_FILE} ($KUBELET_KUBEADM_ARGS), removed in 1.27`);
    expect(finding('node-3')?.detail).toContain(`\`--container-runtime remote\` in ${DROP_IN} ($KUBELET_EXTRA_ARGS), removed in 1.27`);
    expect(finding('node-3')?.detail).toContain('kubeadm upgrade removes flags only from /var/lib/kubelet/kubeadm-flags.env');
    expect(d.report.summary.groups).toEqual([
      {
        rule: 'kubelet-removed-flags',
        severity: 'error',
        title: expect.stringContaining('--container-runtime'),
        nodes: ['node-1', 'node-3'],
        command: `slipway plan kubelet-removed-flags -i ${f.fleet.inventoryFile} --limit node-1,node-3 -e target_version=1.27.16`,
      },
    ]);
    // --pod-infra-container-image (node-2) is removed in 1.35, not 1.27: no finding; at 1.35 there is.
    const at135 = await doctor(f.fleet.inventoryFile, ['--target-version', '1.35.0', '--limit', 'node-2'], env());
    expect(at135.findings['node-2']).toEqual(['kubelet-removed-flags']);
    expect(await trees()).toEqual(before);
  });

  it('takes `-e target_version=1.27` as the version string 1.27 (never the number: 1.30 would be 1.3)', async () => {
    const r = await cli(['plan', PLAYBOOK, '-i', f.fleet.inventoryFile, '-e', 'target_version=1.27', '--output', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('remove --container-runtime=remote');
  });

  it('plan for 1.27 shows per-file diffs removing exactly --container-runtime, keeps --pod-infra-container-image, and changes nothing', async () => {
    const before = await trees();
    const r = await cli(['plan', PLAYBOOK, '-i', f.fleet.inventoryFile, '-e', 'target_version=1.27.0']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const text = r.stdout;
    // node-1: the env file, one word out, the endpoint and the pause image kept; no reload for an env file.
    expect(text).toContain(`~ remove-flags: remove --container-runtime=remote from ${ENV_FILE}\n`);
    expect(text).toContain(
      [
        `      --- ${ENV_FILE}`,
        `      +++ ${ENV_FILE}`,
        '      @@ -1,1 +1,1 @@',
        `      -KUBELET_KUBEADM_ARGS="--container-runtime=remote ${ENDPOINT} ${PAUSE}"`,
        `      +KUBELET_KUBEADM_ARGS="${ENDPOINT} ${PAUSE}"`,
      ].join('\n'),
    );
    // node-3: the drop-in, the flag and its separate value out, then daemon-reload.
    expect(text).toContain(`~ remove-flags: remove --container-runtime remote from ${DROP_IN}; then systemctl daemon-reload\n`);
    expect(text).toContain(
      [
        `      --- ${DROP_IN}`,
        `      +++ ${DROP_IN}`,
        '      @@ -1,2 +1,2 @@',
        '       [Service]',
        '      -Environment="KUBELET_EXTRA_ARGS=--container-runtime remote --runtime-request-timeout 15m"',
        '      +Environment="KUBELET_EXTRA_ARGS=--runtime-request-timeout 15m"',
      ].join('\n'),
    );
    // node-2: --pod-infra-container-image is accepted by 1.27; /etc/default/kubelet stays.
    expect(text).toMatch(/✓ remove-flags: none of the 10 flags kubelet 1\.27\.0 no longer accepts \(.*\) in the files that build kubelet\.service's command line \([^)]*\/etc\/default\/kubelet\)/);
    expect(text).not.toContain(`--- ${DEFAULTS}`);
    expect(text.match(/^ {6}-(?!--).*$/gm)).toHaveLength(2); // two lines out in all: node-1's and node-3's
    for (const [w, n] of [['node-1', 7], ['node-2', 6], ['node-3', 7]] as const) {
      const s = section(text, w);
      expect(s).toContain(`${w}: ${n} step(s) would change`);
      expect(s).toContain(`~ cordon (on cp-1): cordon node ${w} (schedulable)`);
      expect(s).toContain('~ stop-kubelet: kubelet: stop (active, enabled)');
      expect(s).toContain(`~ upgrade-kubelet: install kubelet=${NEW} (installed ${OLD}, upgrade)`);
      // Started again after the stop, from the files the plan leaves: 1.27 accepts them all.
      expect(s).toMatch(/~ start-kubelet \[as stop-kubelet, (remove-flags, )?upgrade-kubelet leave it\]: kubelet: start \(inactive, enabled; then it must stay up 5s\)/);
      expect(s).toContain(`~ uncordon (on cp-1) [as cordon, drain leave it]: uncordon node ${w} (cordoned by this run)`);
    }
    const s4 = section(text, 'node-4');
    expect(s4).toContain('node-4: nothing to change');
    expect(s4).toContain("- upgrade-kubelet: skipped: when: kubelet.version is '1.27.16', which does not satisfy '<1.27.0'");
    expect(s4).toMatch(/✓ remove-flags: none of the 10 flags/);
    expect(text).toContain('plan: 20 change(s) on 3 of 4 node(s); nothing was changed');
    expect(await trees()).toEqual(before);
  });

  it("plans the same on kubespray's hosts.yaml (kube_control_plane, kube_node) as on the fleet's inventory", async () => {
    await expectSamePlanOnKubespray(f.fleet, PLAYBOOK, ['-e', 'target_version=1.27.0'], env());
  });

  it('plan for 1.35 also removes --pod-infra-container-image, from kubeadm-flags.env and /etc/default/kubelet', async () => {
    const r = await cli(['plan', PLAYBOOK, '-i', f.fleet.inventoryFile, '-l', 'node-1,node-2', '-e', 'target_version=1.35.0', '--output', 'json']);
    expect(r.code, why(r)).toBe(0);
    const plan = JSON.parse(r.stdout) as PlanJson;
    expect(stepOf(plan, 'node-1', 'remove-flags')).toMatchObject({
      status: 'change',
      summary: `remove --container-runtime=remote, ${PAUSE} from ${ENV_FILE}`,
      diff: `--- ${ENV_FILE}\n+++ ${ENV_FILE}\n@@ -1,1 +1,1 @@\n-KUBELET_KUBEADM_ARGS="--container-runtime=remote ${ENDPOINT} ${PAUSE}"\n+KUBELET_KUBEADM_ARGS="${ENDPOINT}"\n`,
    });
    expect(stepOf(plan, 'node-2', 'remove-flags')).toMatchObject({
      status: 'change',
      summary: `remove ${PAUSE} from ${DEFAULTS}`,
      diff: `--- ${DEFAULTS}\n+++ ${DEFAULTS}\n@@ -1,1 +1,1 @@\n-KUBELET_EXTRA_ARGS=${PAUSE}\n+KUBELET_EXTRA_ARGS=\n`,
    });
  });

  it('kubelet upgraded without the fix (a target that removes nothing): plan says kubelet 1.27 would refuse the flag; the run fails there and rolls node-1 back', async () => {
    // 1.26.99 removes none of node-1's flags, but kubelet_version still installs 1.27.16.
    const args = [PLAYBOOK, '-i', f.fleet.inventoryFile, '-l', 'node-1', '-e', 'target_version=1.26.99', '--output', 'json'];
    const p = await cli(['plan', ...args]);
    expect(p.code, why(p)).toBe(1);
    const plan = JSON.parse(p.stdout) as PlanJson;
    expect(stepOf(plan, 'node-1', 'start-kubelet')).toMatchObject({
      status: 'fail',
      reason: `kubelet 1.27.16 (installed by upgrade-kubelet) would refuse --container-runtime, still on its command line: \`--container-runtime=remote\` in ${ENV_FILE} ($KUBELET_KUBEADM_ARGS); it would exit with "unknown flag"`,
    });
    expect(stepOf(plan, 'node-1', 'uncordon')?.status).toBe('unreached');

    const r = await cli(['run', ...args]);
    expect(r.code).toBe(1);
    const evs = events(r.stdout);
    expect(runOutcomes(evs, plan)).toEqual(planOutcomes(plan));
    expect(doneOf(evs, 'node-1', 'upgrade-kubelet')?.summary).toBe(`install kubelet=${NEW} (installed ${OLD}, upgrade)`);
    // Caught by start-kubelet's gate: kubelet exited within the 5 seconds it must stay up.
    const failed = evs.find((e) => e.type === 'step.failed' && e.host === 'node-1');
    expect(failed?.step).toBe('start-kubelet');
    expect(String(failed?.error)).toMatch(/kubelet did not stay up for 5s after it was started: it is (failed|inactive|activating) after \d+\.\ds\n/);
    expect((evs.at(-1) as unknown as Summary).nodes['node-1']?.status).toBe('rolled-back');
    expect(await sh('node-1', 'cat /var/log/fleet-journal/kubelet.service.log')).toMatch(
      /Kubernetes Node Agent.*--container-runtime=remote.*\n.*run\.go:74\] "command failed" err="failed to parse kubelet flag: unknown flag: --container-runtime"/,
    );
    // Back at the drain checkpoint: kubelet 1.26 running with its flags, the node still cordoned.
    expect(await sh('node-1', 'kubelet --version')).toBe('Kubernetes v1.26.15\n');
    expect(await sh('node-1', 'systemctl is-active kubelet')).toBe('active\n');
    expect(await f.fleet.node('node-1').readFile(ENV_FILE)).toBe(ORIGINAL['node-1']?.[1]);
    expect(await sh('cp-1', 'kubectl get node node-1')).toContain('SchedulingDisabled');
  });

  it('without the fix kubelet 1.27 does not start: "unknown flag: --container-runtime" (node-3, upgraded by hand)', async () => {
    const install = await f.fleet.node('node-3').exec(['sh', '-c', `DEBIAN_FRONTEND=noninteractive apt-get install -y -q kubelet=${NEW} 2>&1`]);
    expect(install.code, install.stdout).toBe(0);
    expect(await sh('node-3', 'systemctl restart kubelet; echo $?')).toBe('0\n'); // Type=simple: the start "succeeds"
    expect(await kubeletState('node-3')).toBe('failed');
    expect(await sh('node-3', 'cat /var/log/fleet-journal/kubelet.service.log')).toMatch(
      /run\.go:74\] "command failed" err="failed to parse kubelet flag: unknown flag: --container-runtime"/,
    );
    expect(await f.fleet.node('node-3').readFile(DROP_IN)).toBe(ORIGINAL['node-3']?.[1]);
  });

  it('run removes the flags, upgrades through apt, and kubelet 1.27 starts and stays up on every node; node-4 is not touched', async () => {
    const node4Before = await fileTree(f.fleet.node('node-4'));
    const p = await cli(['plan', PLAYBOOK, '-i', f.fleet.inventoryFile, '-e', 'target_version=1.27.0', '--output', 'json']);
    expect(p.code, why(p)).toBe(0);
    const plan = JSON.parse(p.stdout) as PlanJson;
    const r = await cli(['run', PLAYBOOK, '-i', f.fleet.inventoryFile, '-e', 'target_version=1.27.0', '--output', 'json']);
    expect(r.code, why(r)).toBe(0);
    const evs = events(r.stdout);
    // Each node as the earlier tests left it (node-1 cordoned, node-3 failing on 1.27): the plan said what the run did.
    expect(runOutcomes(evs, plan)).toEqual(planOutcomes(plan));
    const summary = evs.at(-1) as unknown as Summary;
    firstRun = summary.runId;
    const statuses = (w: string) => evs.filter((e) => e.type === 'step.done' && e.host === w).map((e) => `${String(e.step)}:${String(e.status)}`);
    const expectSteps = (w: string, changed: string[], skipped: string[] = []) =>
      expect(statuses(w), w).toEqual(STEPS.map((id) => `${id}:${changed.includes(id) ? 'changed' : skipped.includes(id) ? 'skipped' : 'ok'}`));
    const upgraded = ['cordon', 'drain', 'stop-kubelet', 'upgrade-kubelet', 'start-kubelet', 'uncordon'];
    // node-1 was left cordoned and drained by the failed run above.
    expectSteps('node-1', ['stop-kubelet', 'remove-flags', 'upgrade-kubelet', 'start-kubelet', 'uncordon']);
    expectSteps('node-2', upgraded);
    // Already on 1.27 and failing: no drain or upgrade, the flag removed and kubelet started.
    expectSteps('node-3', ['remove-flags', 'start-kubelet'], ['cordon', 'drain', 'stop-kubelet', 'upgrade-kubelet']);
    expectSteps('node-4', [], ['cordon', 'drain', 'stop-kubelet', 'upgrade-kubelet']);
    expect(summary.nodes['node-4']).toMatchObject({ changed: 0, failed: 0, status: 'done' });
    expect(await fileTree(f.fleet.node('node-4'))).toBe(node4Before);

    expect(doneOf(evs, 'node-1', 'remove-flags')?.summary).toBe(`remove --container-runtime=remote from ${ENV_FILE}`);
    expect(doneOf(evs, 'node-3', 'remove-flags')?.summary).toBe(`remove --container-runtime remote from ${DROP_IN}; then systemctl daemon-reload`);
    expect(doneOf(evs, 'node-3', 'start-kubelet')?.summary).toBe('kubelet: start (failed, enabled; then it must stay up 5s)');

    // The undo records: each changed file with its backup; a daemon-reload only for the drop-in.
    const journal = (await fs.readFile(path.join(work, 'state', 'runs', firstRun, 'journal.ndjson'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Ev);
    const undoOf = (w: string) =>
      (journal.find((e) => e.type === 'step.done' && e.host === w && e.step === 'remove-flags')?.undo as {
        data: { files: Array<{ path: string; backupPath: string }>; daemonReloaded: boolean };
      }).data;
    expect(undoOf('node-1').daemonReloaded).toBe(false);
    expect(undoOf('node-3').daemonReloaded).toBe(true);

    for (const w of ['node-1', 'node-2', 'node-3']) {
      expect(await sh(w, 'kubelet --version'), w).toBe('Kubernetes v1.27.16\n');
      expect(await sh(w, "dpkg-query -W -f='${Version}' kubelet"), w).toBe(NEW);
      expect(await sh(w, 'systemctl is-active kubelet'), w).toBe('active\n');
      expect(await sh(w, 'systemctl show -p NeedDaemonReload kubelet'), w).toBe('NeedDaemonReload=no\n');
      const argv = await argvOf(w);
      expect(hasContainerRuntime(argv), `${w}: ${argv.join(' ')}`).toBe(false);
      expect(argv, w).toContain(ENDPOINT);
    }
    // Through apt: the failed run's upgrade and its rollback's downgrade, then this run's upgrade.
    expect(await sh('node-1', 'grep -h "^\\(Upgrade\\|Downgrade\\): kubelet" /var/log/apt/history.log')).toBe(
      `Upgrade: kubelet:amd64 (${OLD}, ${NEW})\nDowngrade: kubelet:amd64 (${NEW}, ${OLD})\nUpgrade: kubelet:amd64 (${OLD}, ${NEW})\n`,
    );
    // 1.27 runs with --pod-infra-container-image (deprecated, still accepted) on node-1 and node-2.
    expect(await argvOf('node-1')).toContain(PAUSE);
    expect(await argvOf('node-2')).toContain(PAUSE);
    expect(await f.fleet.node('node-2').readFile(DEFAULTS)).toBe(ORIGINAL['node-2']?.[1]);
    expect(await sh('node-3', 'tail -n 3 /var/log/fleet-journal/kubelet.service.log')).not.toContain('unknown flag');

    // The files as edited, and their backups next to them, byte for byte what was there.
    expect(await f.fleet.node('node-1').readFile(ENV_FILE)).toBe(`KUBELET_KUBEADM_ARGS="${ENDPOINT} ${PAUSE}"\n`);
    expect(await f.fleet.node('node-3').readFile(DROP_IN)).toBe('[Service]\nEnvironment="KUBELET_EXTRA_ARGS=--runtime-request-timeout 15m"\n');
    for (const w of ['node-1', 'node-3']) {
      const [file, original] = ORIGINAL[w] ?? ['', ''];
      const [record] = undoOf(w).files;
      expect(record?.path).toBe(file);
      expect(record?.backupPath).toMatch(new RegExp(`^${file.replace(/[.]/g, '\\.')}\\.slipway-\\d{8}T\\d{9}Z\\.bak$`));
      expect(await f.fleet.node(w).readFile(record?.backupPath ?? '')).toBe(original);
      expect(await sh(w, `ls -1 ${path.dirname(file)} | grep -c slipway-`)).toBe('1\n');
    }
    expect(await sh('cp-1', 'kubectl get nodes')).not.toContain('SchedulingDisabled');
  }, 150_000);

  it('after the run, doctor at the target finds nothing on any node', async () => {
    const d = await doctor(f.fleet.inventoryFile, ['--target-version', '1.27.16'], env());
    expect(d.findings).toEqual({ 'cp-1': [], 'node-1': [], 'node-2': [], 'node-3': [], 'node-4': [] });
    expect(d.code).toBe(0);
  });

  it("a second run, on kubespray's hosts.yaml, changes nothing", async () => {
    const before = await trees();
    const r = await cli(['run', PLAYBOOK, '-i', await f.fleet.writeKubesprayInventory(), '-e', 'target_version=1.27.0', '--output', 'plain']);
    expect(r.code, why(r)).toBe(0);
    expect(r.stdout).toMatch(/succeeded: 16 ok, 0 changed, 16 skipped, 0 failed/);
    expect(await trees()).toEqual(before);
  }, 90_000);

  it('rollback --to start puts the files back byte for byte, and kubelet 1.26 where the run upgraded it', async () => {
    const r = await cli(['rollback', firstRun, '--to', 'start']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('node-1: rolled-back');
    for (const w of WORKERS) {
      const [file, original] = ORIGINAL[w] ?? ['', ''];
      expect(await f.fleet.node(w).readFile(file), w).toBe(original);
    }
    for (const w of ['node-1', 'node-2']) {
      expect(await sh(w, 'kubelet --version'), w).toBe('Kubernetes v1.26.15\n');
      expect(await sh(w, 'systemctl is-active kubelet'), w).toBe('active\n');
    }
    expect(await argvWith('node-1', '--container-runtime=remote')).toContain('--container-runtime=remote');
    // node-3 is back where the run found it: 1.27 by hand, the flag in its drop-in, kubelet not running.
    expect(await sh('node-3', 'kubelet --version')).toBe('Kubernetes v1.27.16\n');
    expect(await sh('node-3', 'systemctl is-active kubelet')).not.toBe('active\n');
    // And node-1 cordoned, as the run found it; node-2 schedulable.
    expect(await sh('cp-1', 'kubectl get node node-1')).toContain('SchedulingDisabled');
    expect(await sh('cp-1', 'kubectl get node node-2')).not.toContain('SchedulingDisabled');
  }, 90_000);
});
