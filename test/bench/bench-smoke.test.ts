/**
 * The benchmark's smoke test: `npm run bench -- --quick` (2 nodes, 1 round) runs every tool it
 * compares on a real fleet, verifies the end state each leaves on every node, and prints the
 * table; so the benchmark cannot rot between the times someone runs it for its figures.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

function bench(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'bench/run.ts'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

describe('npm run bench -- --quick', () => {
  it('runs slipway, Ansible (free; linear differs only by its strategy setting) and both ssh2 floors to the same verified end state, and reports each', async () => {
    const r = await bench(['--quick', '--latency', '20']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/^benchmark: 2 worker nodes, 8 steps, 20 ms round trip/m);
    for (const tool of ['slipway', 'ansible \\(free\\)', 'ssh2, one exec per step', 'ssh2, one exec per node']) {
      expect(r.out, tool).toMatch(new RegExp(`^\\| ${tool} \\| [\\d.]+ s \\| [\\d.]+ s \\| [\\d.]+ s \\| \\d+ MB \\| [\\d.]+ s \\| [\\d.]+ \\(no-op [\\d.]+\\) \\| \\d+ \\(no-op \\d+\\) \\|$`, 'm'));
    }
    // The floors' counts are what they are by construction: the counting itself is checked.
    expect(r.out).toMatch(/^\| ssh2, one exec per step \| .* \| 8\.0 \(no-op 8\.0\) \|/m);
    expect(r.out).toMatch(/^\| ssh2, one exec per node \| .* \| 1\.0 \(no-op 1\.0\) \|/m);
    // slipway's, exec by exec in bench/README.md: the first read, then one exec for each of the
    // 7 steps that change something, its last command carrying its check and the next step's
    // facts (the line's backup goes with its write, the daemon-reload with the enable; the last
    // step finds the unit running): 8; a no-op run reads every step in one exec, and its restart (a
    // handler, `when: {changed: ...}`) finds nothing changed (1). Each tool's run is verified to
    // restart the unit in the first run and not in the no-op run (its main PID).
    expect(r.out).toMatch(/^\| slipway \| .* \| 8\.0 \(no-op 1\.0\) \|/m);
    expect(r.out).toMatch(/^slipway \/ floor \(exec per step\): wall [\d.]+x, orchestrator CPU [\d.]+x$/m);
    expect(r.out).toMatch(/^validate, 1000 hosts: /m);
    expect(r.out).toMatch(/^CLI start \(slipway --version\): \d+ ms$/m);
  }, 240_000);
});
