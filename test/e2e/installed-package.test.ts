/**
 * slipway as an operator installs it: `npm pack`, then a global install into a temporary
 * prefix, then the installed `slipway` run from an unrelated directory lists the bundled
 * playbooks and plans one by name against a fleet node. The package holds the CLI, the
 * playbooks and the schemas; no tests, benchmark or fleet.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useFleet } from '../fleet/fixture.js';
import { realContainerdVersion } from '../fleet/packages/catalog.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const f = useFleet({ nodes: 2, profile: 'containerd-1.4' });

let work: string;
let tarball: string;
let bin: string;
beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-install-'));
  // dist/ is built by the test command already; --ignore-scripts keeps it as it is for the other tests.
  const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, maxBuffer: 16 << 20 });
  tarball = path.join(work, (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]?.filename ?? '');
  const prefix = path.join(work, 'prefix');
  await run('npm', ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: work, maxBuffer: 16 << 20 });
  bin = path.join(prefix, 'bin', 'slipway');
}, 300_000);
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

async function installed(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const elsewhere = path.join(work, 'elsewhere');
  await fs.mkdir(elsewhere, { recursive: true });
  try {
    const r = await run(bin, args, { cwd: elsewhere, env: { ...process.env, SLIPWAY_STATE_DIR: path.join(elsewhere, '.slipway') }, maxBuffer: 16 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('the installed package', () => {
  it('holds the CLI, playbooks and schemas, and no tests', async () => {
    const files = (await run('tar', ['tzf', tarball])).stdout.split('\n').filter(Boolean);
    expect(files).toContain('package/dist/cli/main.js');
    expect(files).toContain('package/dist/precompiled-validators.cjs');
    expect(files).toContain('package/playbooks/containerd-cri-v1.yaml');
    expect(files).toContain('package/schemas/playbook.schema.json');
    expect(files.filter((p) => /^package\/(dist\/)?(test|bench|scripts)\//.test(p))).toEqual([]);
  });

  it('from another directory: lists the bundled playbooks and plans one by name', { timeout: 120_000 }, async () => {
    const list = await installed(['playbooks']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^containerd-cri-v1 /m);
    const plan = await installed(['plan', 'containerd-cri-v1', '-i', f.fleet.inventoryFile, '-e', `containerd_version=${await realContainerdVersion()}`]);
    expect(plan.code, `${plan.stdout}\n${plan.stderr}`).toBe(0);
    expect(plan.stdout).toMatch(/^plan: containerd-cri-v1 \(\S+\/lib\/node_modules\/slipway\/playbooks\/containerd-cri-v1\.yaml\)$/m);
    expect(plan.stdout).toContain('node-1: 7 step(s) would change');
  });
});
