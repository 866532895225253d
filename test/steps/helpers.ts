import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InventoryHost } from '../../src/inventory/types.js';
import { expect } from 'vitest';
import type { CheckResult, StepContext, StepType } from '../../src/steps/types.js';
import { CommandError } from '../../src/errors.js';
import type { ExecOptions, ExecResult, Remote, WriteOptions } from '../../src/transport/types.js';

export function testNode(name = 'node-1'): InventoryHost {
  return {
    name,
    address: '127.0.0.1',
    port: 22,
    user: 'root',
    identityFiles: [],
    become: false,
    proxyJump: [],
    knownHostsFile: undefined,
    groups: ['all'],
    vars: {},
  };
}

export function contextFor(remote: Remote, timeoutMs = 10_000): StepContext {
  return { node: testNode(), remote, signal: new AbortController().signal, timeoutMs };
}

/** A fresh temp directory; `cleanup` removes it. */
export async function tempDir(prefix = 'slipway-test-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** What a file looks like on disk, to tell "nothing changed" apart from "rewritten the same". */
export interface FileSnapshot {
  bytes: Buffer;
  mode: number;
  mtimeMs: number;
  ino: number;
}

export async function snapshot(path: string): Promise<FileSnapshot | null> {
  try {
    const [bytes, info] = await Promise.all([readFile(path), stat(path)]);
    return { bytes, mode: info.mode & 0o7777, mtimeMs: info.mtimeMs, ino: info.ino };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * The contract every step type keeps, driven for real: check says change -> apply -> check
 * says ok -> apply again changes nothing on disk -> rollback. Returns what each stage saw.
 */
export async function lifecycle<P, F, U>(
  step: StepType<P, F, U>,
  ctx: StepContext,
  params: P,
  watch: string,
): Promise<{ first: CheckResult; undo: U; second: CheckResult; afterApply: FileSnapshot | null }> {
  const first = step.check(params, await step.facts(ctx, params));
  expect(first.status).toBe('change');
  const undo = await step.apply(ctx, params, await step.facts(ctx, params));
  expect(JSON.parse(JSON.stringify(undo))).toEqual(undo);
  const afterApply = await snapshot(watch);
  const second = step.check(params, await step.facts(ctx, params));
  expect(second.status).toBe('ok');

  // Some filesystems keep coarse mtimes; wait so a rewrite would show.
  await new Promise((r) => setTimeout(r, 20));
  const again = await step.apply(ctx, params, await step.facts(ctx, params));
  expect(await snapshot(watch)).toEqual(afterApply);
  // An apply that did nothing has nothing to undo.
  await step.rollback(ctx, params, again);
  expect(await snapshot(watch)).toEqual(afterApply);
  return { first, undo, second, afterApply };
}

/** A unified diff: file headers, then hunks. */
export function expectUnifiedDiff(diff: string | undefined, oldName: string, newName: string): void {
  expect(diff).toBeDefined();
  const lines = (diff ?? '').split('\n');
  expect(lines[0]).toBe(`--- ${oldName}`);
  expect(lines[1]).toBe(`+++ ${newName}`);
  expect(lines[2]).toMatch(/^@@ -\d+(,\d+)? \+\d+(,\d+)? @@$/);
}

/**
 * A fake host that only runs commands: file transfer and sockets are not part of the test. `run`
 * is `exec` that throws a CommandError on a non-zero exit, as the real transports' is.
 */
export abstract class CommandOnlyRemote implements Remote {
  abstract readonly host: string;
  abstract exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  async run(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    const r = await this.exec(argv, options);
    if (r.code !== 0) throw new CommandError({ host: this.host, argv, ...r });
    return r;
  }
  readFile(_path: string): Promise<string | null> {
    return Promise.resolve(null);
  }
  writeFile(_path: string, _content: string, _options?: WriteOptions): Promise<void> {
    return Promise.resolve();
  }
  openUnixSocket(): never {
    throw new Error('not here');
  }
}
