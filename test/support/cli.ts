/** Runs the built slipway CLI (dist/) as a child process, as an operator would. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(root, 'dist/cli/main.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function slipway(args: string[], options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number; onSpawn?: (pid: number) => void } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? root,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid) options.onSpawn?.(child.pid);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
}

/** Parses NDJSON output (`--output json`). */
export function events(stdout: string): Array<Record<string, unknown> & { type: string }> {
  return stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown> & { type: string });
}

/**
 * What an assertion on an exit code says when it fails: stderr, and from NDJSON output the
 * steps that failed, the nodes that ended with an error and the rollbacks that failed.
 */
export function why(r: { stderr: string; stdout?: string }): string {
  const lines = (r.stdout ?? '').split('\n').flatMap((l) => {
    if (!l.startsWith('{')) return [];
    try {
      const e = JSON.parse(l) as { type?: string; host?: string; step?: string; status?: string; error?: string };
      if (e.type === 'step.failed') return [`${e.host ?? ''} ${e.step ?? ''} failed: ${e.error ?? ''}`];
      if (e.type === 'node.end' && e.error) return [`${e.host ?? ''} ${e.status ?? ''}: ${e.error}`];
      if (e.type === 'rollback.end' && e.status !== 'rolled-back') return [`${e.host ?? ''} ${e.status ?? ''}`];
    } catch {
      // not an event line
    }
    return [];
  });
  return [r.stderr.trim(), ...lines].filter(Boolean).join('\n');
}
