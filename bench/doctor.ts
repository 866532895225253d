/**
 * Benchmark: `slipway doctor` on a fleet profile of N workers (every fact of every node, the
 * cluster's through kubectl, the rules). Wall time and the CLI's own CPU, median of rounds.
 *
 *   npm run bench:doctor -- [--nodes 50] [--rounds 3] [--profile kubelet-1.26-flags]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Fleet } from '../test/fleet/fleet.js';
import { isProfileName } from '../test/fleet/profiles.js';
import { CLI } from '../test/support/cli.js';

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '50' }, rounds: { type: 'string', default: '3' }, profile: { type: 'string', default: 'kubelet-1.26-flags' } } });
const nodes = Number(values.nodes);
const rounds = Number(values.rounds);
const profileArg = values.profile ?? 'kubelet-1.26-flags';
if (!isProfileName(profileArg)) throw new Error(`unknown profile ${profileArg}`);
const profile = profileArg;

/** Wall time, the CLI's own CPU (user + system, from bash's `time`), and how many nodes had findings. */
function timedDoctor(inventory: string): Promise<{ wallMs: number; cpuMs: number; findings: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const line = [process.execPath, CLI, 'doctor', '-i', inventory, '--target-version', '1.27.16', '--output', 'json'].map((w) => `'${w}'`).join(' ');
    const child = spawn('bash', ['-c', `TIMEFORMAT='cpu %U %S'; time ${line}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('close', (code) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0 && code !== 1) return reject(new Error(`doctor exited ${code}: ${err.slice(-2000)}`));
      const cpu = /cpu ([\d.]+) ([\d.]+)/.exec(err);
      const report = JSON.parse(out) as { summary: { withFindings: string[] } };
      resolve({ wallMs, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : NaN, findings: report.summary.withFindings.length });
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-bench-doctor-'));
  const fleet = await Fleet.up({ dir: path.join(work, 'fleet'), nodes, profile });
  const walls: number[] = [];
  const cpus: number[] = [];
  let findings = 0;
  try {
    for (let i = 0; i < rounds; i++) {
      const r = await timedDoctor(fleet.inventoryFile);
      walls.push(r.wallMs);
      cpus.push(r.cpuMs);
      findings = r.findings;
    }
  } finally {
    await fleet.down();
    await fs.rm(work, { recursive: true, force: true });
  }
  console.log(`doctor: ${nodes} workers + cp-1 (profile ${profile}), ${findings} node(s) with findings, median of ${rounds}`);
  console.log(`  wall ${(median(walls) / 1000).toFixed(2)} s   (${walls.map((x) => (x / 1000).toFixed(2)).join(', ')})`);
  console.log(`  slipway's own CPU ${(median(cpus) / 1000).toFixed(2)} s   (${cpus.map((x) => (x / 1000).toFixed(2)).join(', ')})`);
}

main().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
