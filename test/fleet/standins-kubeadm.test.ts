/**
 * The kubeadm stand-in's `upgrade plan`, run as a node would run it (its version is the
 * default v1.26.15 when not baked in by the package): kubeadm's refusals with kubeadm's texts and
 * exit 1 (cmd/kubeadm/app/phases/upgrade/policy.go), its table when the upgrade may go on; and
 * kubeadm.upgrade's check reading that refusal as it comes.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeadmUpgradeStep } from '../../src/steps/kubeadm/upgrade.js';

const run = promisify(execFile);
const KUBEADM = path.join(import.meta.dirname, 'standins', 'kubeadm.mjs');
let api: string;

beforeAll(async () => {
  api = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-kubeadm-'));
  await fs.mkdir(path.join(api, 'kubelet'));
});
afterAll(async () => {
  await fs.rm(api, { recursive: true, force: true });
});

async function cluster(version: string, kubelets: Record<string, string>): Promise<void> {
  await fs.writeFile(path.join(api, 'kubeadm-config.json'), JSON.stringify({ kubernetesVersion: version }));
  await fs.rm(path.join(api, 'kubelet'), { recursive: true, force: true });
  await fs.mkdir(path.join(api, 'kubelet'));
  for (const [node, v] of Object.entries(kubelets)) await fs.writeFile(path.join(api, 'kubelet', `${node}.json`), JSON.stringify({ node, version: v }));
}

async function kubeadm(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run(process.execPath, [KUBEADM, ...args], { env: { ...process.env, FLEET_APISERVER_DIR: api } });
    return { code: 0, out: `${r.stdout}${r.stderr}` };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: `${e.stdout}${e.stderr}` };
  }
}

describe('kubeadm upgrade plan (stand-in)', () => {
  it('refuses a target that skips a minor, and one past its own minor, as fatal', async () => {
    await cluster('v1.26.15', { 'node-1': 'v1.26.15' });
    const r = await kubeadm('upgrade', 'plan', 'v1.28.0');
    expect(r.code).toBe(1);
    expect(r.out).toContain('[upgrade/version] FATAL: the --version argument is invalid due to these fatal errors:');
    expect(r.out).toContain('- Specified version to upgrade to "v1.28.0" is too high; kubeadm can upgrade only 1 minor version at a time');
    expect(r.out).toContain('- Specified version to upgrade to "v1.28.0" is at least one minor release higher than the kubeadm minor release (28 > 26). Such an upgrade is not supported');
  });

  it('refuses a patch newer than kubeadm itself, and too old kubelets, as errors --force would bypass', async () => {
    await cluster('v1.26.15', {});
    const newer = await kubeadm('upgrade', 'plan', 'v1.26.20');
    expect(newer.code).toBe(1);
    expect(newer.out).toContain('Specified version to upgrade to "v1.26.20" is higher than the kubeadm version "v1.26.15". Upgrade kubeadm first using the tool you used to install kubeadm');
    expect(newer.out).toContain('Can be bypassed if you pass the --force flag');
    await cluster('v1.25.16', { 'node-1': 'v1.24.17', 'node-2': 'v1.25.16' });
    const old = await kubeadm('upgrade', 'plan', 'v1.26.15');
    expect(old.code).toBe(1);
    expect(old.out).toContain('There are kubelets in this cluster that are too old that have these versions [v1.24.17]');
    // kubeadm.upgrade's check fails with kubeadm's own reason, read from that output.
    const at = (v: string) => ({ 'kube-apiserver': v, 'kube-controller-manager': v, 'kube-scheduler': v });
    expect(kubeadmUpgradeStep.check({ mode: 'apply', version: '1.26.15' }, { kubeadm: 'v1.26.15', manifests: at('v1.25.16'), flagsEnv: null, plan: { code: old.code, output: old.out } })).toEqual({
      status: 'fail',
      reason: 'kubeadm upgrade plan v1.26.15 refuses: There are kubelets in this cluster that are too old that have these versions [v1.24.17]',
    });
  });

  it('shows the table when the upgrade may go on, and says so when there is nothing to do', async () => {
    await cluster('v1.25.16', { 'node-1': 'v1.25.16' });
    const r = await kubeadm('upgrade', 'plan', 'v1.26.15');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^kubelet {5}node-1 {4}v1\.25\.16 {3}v1\.26\.15$/m);
    expect(r.out).toMatch(/^kube-apiserver +- +v1\.25\.16 +v1\.26\.15$/m);
    expect(r.out).toContain('kubeadm upgrade apply v1.26.15');
    await cluster('v1.26.15', { 'node-1': 'v1.26.15' });
    expect((await kubeadm('upgrade', 'plan', 'v1.26.15')).out).toContain("Awesome, you're up-to-date! Enjoy!");
  });
});
