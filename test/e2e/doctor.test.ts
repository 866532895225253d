/**
 * `slipway doctor` on the fleet profiles the playbook e2e tests do not cover, through the built
 * CLI, asserting the exact findings per node:
 *
 *   base            nothing installed to go wrong: every node healthy, exit 0; a node whose sshd
 *                   is down is reported unreachable (exit 3) while the others are diagnosed.
 *   docker-24       node-1 runs Docker Engine without cri-dockerd (fix: cri-dockerd, which the
 *                   test then runs from doctor's own command line: the finding is gone); node-2 is
 *                   a containerd node with cri-dockerd installed (a warning that stays).
 *   containerd-2.0  OpenKruise 1.4 on node-1's CRI v1-only containerd 2.0; node-2's 1.x config
 *                   ahead of the 2.0 package; kind v0.26 on the operator's machine (a stand-in on
 *                   the PATH) with a containerd 2.x node: `kind load` would fail.
 *
 * The JSON output is validated against schemas/doctor.schema.json every time.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectSamePlanOnKubespray } from '../support/kubespray.js';
import { useFleet } from '../fleet/fixture.js';
import { PACKAGE_VERSIONS } from '../fleet/packages/catalog.js';
import { planOutcomes, runOutcomes } from '../support/agreement.js';
import { events, slipway, why } from '../support/cli.js';
import { doctor as runDoctor, type DoctorRun } from '../support/doctor.js';
import { shellWord } from '../support/terminal.js';

const schema = JSON.parse(await fs.readFile(new URL('../../schemas/doctor.schema.json', import.meta.url), 'utf8')) as object;
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);

let work: string;
beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-doctor-'));
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});
const env = (extra: Record<string, string> = {}) => ({ SLIPWAY_STATE_DIR: path.join(work, 'state'), ...extra });

async function doctor(inventory: string, args: string[] = [], extra: Record<string, string> = {}): Promise<DoctorRun> {
  const d = await runDoctor(inventory, args, env(extra));
  expect(validate(d.report), JSON.stringify(validate.errors)).toBe(true);
  return d;
}

/** Runs a command line doctor printed, as an operator would paste it: plan, then the same as a run. */
async function runPrinted(command: string, as: 'plan' | 'run'): Promise<{ code: number; stdout: string; stderr: string }> {
  const words = (command.match(/'[^']*'|\S+/g) ?? []).map((w) => w.replace(/^'(.*)'$/, '$1'));
  expect(words.slice(0, 2)).toEqual(['slipway', 'plan']);
  return slipway([as, ...words.slice(2), '--output', 'json'], { env: env() });
}

describe('base fleet', () => {
  const f = useFleet({ nodes: 2 });

  it('every node healthy, exit 0, in one probe per node', async () => {
    const d = await doctor(f.fleet.inventoryFile);
    expect(d.code, why(d)).toBe(0);
    expect(d.findings).toEqual({ 'cp-1': [], 'node-1': [], 'node-2': [] });
    // No cluster here: kubectl on cp-1 is missing (or, where the machine has one, has no kubeconfig).
    expect(d.report.cluster.facts?.serverVersion).toBeUndefined();
    expect(d.report.cluster.findings).toEqual([]);
    expect(d.report.summary).toMatchObject({ healthy: ['cp-1', 'node-1', 'node-2'], withFindings: [], unreachable: [], groups: [] });
    const text = await slipway(['doctor', '-i', f.fleet.inventoryFile], { env: env() });
    expect(text.stdout).toMatch(/^node-1: healthy$/m);
    expect(text.stdout).toContain('summary: 3 healthy, 0 with findings, 0 unreachable, of 3');
  });

  it('an unreachable node: exit 3, the others still diagnosed', async () => {
    const node = f.fleet.node('node-2');
    await node.stopSshd();
    try {
      const d = await doctor(f.fleet.inventoryFile);
      expect(d.code).toBe(3);
      expect(d.report.nodes.find((n) => n.host === 'node-2')).toMatchObject({ reachable: false, error: expect.stringContaining('connection refused') });
      expect(d.report.summary).toMatchObject({ healthy: ['cp-1', 'node-1'], unreachable: ['node-2'] });
    } finally {
      await node.startSshd();
    }
  });

  it('bad input: exit 2 with one clear line', async () => {
    const r = await slipway(['doctor', '-i', f.fleet.inventoryFile, '--target-version', 'latest'], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^slipway: --target-version "latest" is not a Kubernetes version/);
    const none = await slipway(['doctor'], { env: env() });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('an inventory is required');
  });
});

describe('docker-24 fleet', () => {
  const f = useFleet({ nodes: 2, profile: 'docker-24' });

  it('a Docker node without cri-dockerd, and cri-dockerd on a containerd node; the first fixed by the command doctor prints', async () => {
    const d = await doctor(f.fleet.inventoryFile);
    expect(d.code).toBe(1);
    expect(d.findings).toEqual({ 'cp-1': [], 'node-1': ['cri-dockerd-missing'], 'node-2': ['cri-dockerd-stray'] });
    expect(d.report.nodes[1]?.facts?.runtime).toMatchObject({ name: 'docker', version: '24.0.7', socket: '/var/run/docker.sock' });
    const missing = d.report.summary.groups.find((g) => g.rule === 'cri-dockerd-missing');
    expect(missing?.command).toBe(`slipway plan cri-dockerd -i ${shellWord(f.fleet.inventoryFile)} --limit node-1 -e cri_dockerd_version=${PACKAGE_VERSIONS.criDockerd}`);
    expect(d.report.nodes[2]?.findings[0]).toMatchObject({ severity: 'warning', fix: { advice: expect.stringContaining('remove it') } });
    expect(d.report.nodes[2]?.findings[0]?.fix.playbook).toBeUndefined();

    const plan = await runPrinted(missing?.command ?? '', 'plan');
    expect(plan.code, why(plan)).toBe(0);
    const planned = JSON.parse(plan.stdout) as Parameters<typeof planOutcomes>[0];
    // The package brings the units; the runtime it installs answers CRI v1 (the knowledge base).
    expect(planOutcomes(planned)).toEqual({ 'node-1': { 'install-cri-dockerd': 'change', 'cri-dockerd-socket': 'change', 'cri-dockerd-service': 'change', 'verify-cri-dockerd': 'ok' } });
    await expectSamePlanOnKubespray(f.fleet, 'playbooks/cri-dockerd.yaml', ['--limit', 'node-1', '-e', `cri_dockerd_version=${PACKAGE_VERSIONS.criDockerd}`], env());
    const run = await runPrinted(missing?.command ?? '', 'run');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const evs = events(run.stdout);
    expect(runOutcomes(evs, planned)).toEqual(planOutcomes(planned));
    expect(evs.find((e) => e.type === 'step.done' && e.step === 'verify-cri-dockerd')?.summary).toMatch(/^docker 0\.3\.15 answers CRI v1 on \/run\/cri-dockerd\.sock/);

    const after = await doctor(f.fleet.inventoryFile);
    expect(after.findings).toEqual({ 'cp-1': [], 'node-1': [], 'node-2': ['cri-dockerd-stray'] });
  }, 120_000);
});

describe('containerd-2.0 fleet', () => {
  const f = useFleet({ nodes: 2, profile: 'containerd-2.0' });
  let bin: string;
  beforeAll(async () => {
    // kind on the operator's machine (it needs Docker to do anything; its version is what counts).
    bin = path.join(work, 'bin');
    await fs.mkdir(bin, { recursive: true });
    await fs.writeFile(path.join(bin, 'kind'), '#!/bin/sh\n[ "$1" = version ] && echo "kind v0.26.0 go1.23.4 linux/amd64"\n', { mode: 0o755 });
  });

  it('OpenKruise 1.4 on a CRI v1-only runtime, a 1.x config ahead of containerd 2.0, and kind v0.26 with a containerd 2.x node', async () => {
    const d = await doctor(f.fleet.inventoryFile, [], { PATH: `${bin}:${process.env.PATH ?? ''}` });
    expect(d.code).toBe(1);
    expect(d.findings).toEqual({ 'cp-1': [], 'node-1': ['kruise-needs-v1alpha2'], 'node-2': ['containerd-2-config'], '(cluster)': ['kind-too-old-for-containerd-2'] });
    expect(d.report.local.kindVersion).toBe('0.26.0');
    expect(d.report.nodes[1]?.facts?.cri).toMatchObject({ v1: true, v1alpha2: false, runtimeVersion: 'v2.0.5' });
    expect(d.report.nodes[1]?.facts?.containerd).toMatchObject({ configVersion: 3 });
    const config = d.report.nodes[2]?.findings[0];
    expect(config?.severity).toBe('error');
    expect(config?.title).toBe(`config.toml has 3 setting(s) that containerd ${PACKAGE_VERSIONS.containerd20} (the package's candidate) no longer takes`);
    expect(config?.detail).toContain('runtime_type `io.containerd.runtime.v1.linux` (the runtime v1 shim) (/etc/containerd/config.toml:11): removed');
    expect(config?.detail).toContain('containerd 1.x cannot read version 3');
    expect(d.report.cluster.findings[0]?.title).toBe('kind v0.26.0 on this machine cannot load images into nodes with containerd 2.x (node-1)');
    // Without kind on the PATH the cluster finding goes; the nodes' stay.
    const noKind = await doctor(f.fleet.inventoryFile, [], { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' });
    expect(noKind.findings['(cluster)']).toBeUndefined();
  });
});
