/**
 * The CLI turns V8's optimizing compiler off (src/cli/tiering.ts), checked in node processes of
 * their own (V8's flags are the process's): a function run hot is optimized by default, and is not
 * once the module, or the bundled CLI that imports it first, has run; a --max-opt given to node wins.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('V8 tiering in slipway', () => {
  let dir = '';
  let probe = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'slipway-tiering-'));
    probe = path.join(dir, 'probe.mjs');
    // %GetOptimizationStatus: bit 4 is "optimized" (TurboFan). Synchronous recompilation, so the
    // answer does not depend on a background thread's timing. The CLI, imported, prints its version.
    await writeFile(
      probe,
      [
        "process.argv.push('--version');",
        'if (process.env.TIERING) await import(process.env.TIERING);',
        'function hot(x) { return (x * 2 + 1) | 0; }',
        'let s = 0;',
        'for (let i = 0; i < 2e6; i++) s += hot(i);',
        "console.log((%GetOptimizationStatus(hot) & 16) !== 0 ? 'optimized' : 'not optimized');",
      ].join('\n'),
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const probeRun = async (module: string | undefined, nodeFlags: string[] = []) => {
    const env = { ...process.env, ...(module ? { TIERING: path.join(root, module) } : {}) };
    const { stdout } = await run(process.execPath, ['--allow-natives-syntax', '--no-concurrent-recompilation', ...nodeFlags, probe], { env });
    return stdout.trim().split('\n').at(-1);
  };

  it('a hot function is optimized by default, and is not once the tiering module has run', async () => {
    expect(await probeRun(undefined)).toBe('optimized');
    expect(await probeRun('dist/src/cli/tiering.js')).toBe('not optimized');
  });

  it('the bundled CLI sets it before it does anything (npm test builds it first)', async () => {
    expect(await probeRun('dist/cli/main.js')).toBe('not optimized');
  });

  it('a --max-opt given to node itself wins', async () => {
    expect(await probeRun('dist/src/cli/tiering.js', ['--max-opt=4'])).toBe('optimized');
  });
});
