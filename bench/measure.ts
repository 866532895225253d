/**
 * What the benchmark measures of one tool's run: wall time, the orchestrator's CPU and peak RSS
 * (GNU time around the process), the CPU its work cost on the nodes (every process of a node:
 * its own and its reaped children's time, before and after), and the SSH execs it opened on
 * them (sshd at LogLevel DEBUG1 logs each exec request).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { FleetNode } from '../test/fleet/node.js';

export interface ProcessCost {
  wallMs: number;
  cpuMs: number;
  peakRssMb: number;
}

/** Runs `cmd` under GNU time; rejects on a non-zero exit with the end of its stderr. */
export function timedRun(cmd: string, args: string[], env: Record<string, string>, cwd?: string): Promise<ProcessCost> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', '@@time %U %S %M', cmd, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...(cwd ? { cwd } : {}) });
    let err = '';
    let out = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    // Kept for a failure's message only (Ansible says what failed on stdout).
    child.stdout.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-3000)));
    child.on('close', (code) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      const m = /@@time ([\d.]+) ([\d.]+) (\d+)/.exec(err);
      if (code !== 0 || !m) return reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${out}${err.slice(-3000)}`));
      resolve({ wallMs, cpuMs: (Number(m[1]) + Number(m[2])) * 1000, peakRssMb: Number(m[3]) / 1024 });
    });
  });
}

const TICK_MS = 10; // USER_HZ = 100 on Linux

/** CPU spent by the node's processes so far (own + reaped children), in ms. */
export function nodeCpuMs(node: FleetNode): number {
  let ticks = 0;
  for (const p of node.processes()) {
    try {
      const stat = readFileSync(`/proc/${p.hostPid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime, stime, cutime, cstime: fields 14-17 of proc(5), 12-15 after the comm.
      ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    } catch {
      /* exited */
    }
  }
  return ticks * TICK_MS;
}

/** Exec requests sshd logged on the node so far. */
export async function sshExecs(node: FleetNode): Promise<number> {
  const log = (await node.readFile('/var/log/sshd.log')) ?? '';
  return (log.match(/req exec/g) ?? []).length;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? ((s[Math.floor((s.length - 1) / 2)] as number) + (s[Math.ceil((s.length - 1) / 2)] as number)) / 2 : NaN;
}
