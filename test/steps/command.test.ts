import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CommandError } from '../../src/errors.js';
import { commandStep, paramsSchema, type CommandParams } from '../../src/steps/command.js';
import type { ExecOptions, ExecResult, Remote } from '../../src/transport/types.js';
import { LocalRemote } from '../../src/transport/local.js';
import { contextFor, lifecycle, snapshot, tempDir, CommandOnlyRemote } from './helpers.js';

describe('command check', () => {
  const argv = ['kubeadm', 'upgrade', 'node'];

  it('always runs without a guard', () => {
    expect(commandStep.check({ argv }, { checkExitCode: null, createsExists: null })).toEqual({
      status: 'change',
      summary: 'runs `kubeadm upgrade node` (no check: always runs)',
    });
  });

  it('is ok when the check command passes, a change otherwise', () => {
    const params: CommandParams = { argv, check: ['test', '-f', '/done'] };
    expect(commandStep.check(params, { checkExitCode: 0, createsExists: null })).toEqual({
      status: 'ok',
      summary: 'check `test -f /done` passed',
    });
    expect(commandStep.check(params, { checkExitCode: 1, createsExists: null })).toEqual({
      status: 'change',
      summary: 'runs `kubeadm upgrade node` (check `test -f /done` exited 1)',
    });
  });

  it('is ok when the created path exists', () => {
    const params: CommandParams = { argv, creates: '/etc/kubernetes/kubelet.conf' };
    expect(commandStep.check(params, { checkExitCode: null, createsExists: true }).status).toBe('ok');
    expect(commandStep.check(params, { checkExitCode: null, createsExists: false })).toEqual({
      status: 'change',
      summary: 'runs `kubeadm upgrade node` (/etc/kubernetes/kubelet.conf does not exist)',
    });
  });

  it('with both guards, is ok only when both say done', () => {
    const params: CommandParams = { argv, check: ['true'], creates: '/x' };
    expect(commandStep.check(params, { checkExitCode: 0, createsExists: true }).status).toBe('ok');
    expect(commandStep.check(params, { checkExitCode: 0, createsExists: false }).status).toBe('change');
    expect(commandStep.check(params, { checkExitCode: 2, createsExists: true }).status).toBe('change');
  });

  it('is an action, not a state, only without a guard', () => {
    expect(commandStep.alwaysChanges?.({ argv })).toBe(true);
    expect(commandStep.alwaysChanges?.({ argv, check: ['true'] })).toBe(false);
    expect(commandStep.alwaysChanges?.({ argv, creates: '/x' })).toBe(false);
  });

  it('declares its params strictly', () => {
    expect(paramsSchema).toMatchObject({ additionalProperties: false, required: ['argv'] });
    expect(paramsSchema.properties).toMatchObject({ argv: { minItems: 1 } });
  });
});

/** A Remote that records what it is asked to run, for what the step passes along. */
class RecordingRemote extends CommandOnlyRemote {
  readonly host = 'rec';
  readonly calls: { argv: readonly string[]; options: ExecOptions | undefined }[] = [];
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    this.calls.push({ argv, options });
    return Promise.resolve({ code: 1, stdout: '', stderr: '' });
  }
  override run(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    this.calls.push({ argv, options });
    return Promise.resolve({ code: 0, stdout: '', stderr: '' });
  }
}

describe('command through a remote', () => {
  it('passes argv untouched, with become, timeout and signal, to check, apply and undo', async () => {
    const remote = new RecordingRemote();
    const ctx = contextFor(remote, 1234);
    const params: CommandParams = { argv: ['a', '$(b)'], check: ['c'], creates: '/p q', become: true, undo: ['d'] };
    const facts = await commandStep.facts(ctx, params);
    expect(facts).toEqual({ checkExitCode: 1, createsExists: false });
    const undo = await commandStep.apply(ctx, params, facts);
    expect(undo).toEqual({ undo: ['d'] });
    await commandStep.rollback(ctx, params, undo);
    expect(remote.calls.map((c) => c.argv)).toEqual([['c'], ['test', '-e', '/p q'], ['a', '$(b)'], ['d']]);
    for (const [i, call] of remote.calls.entries()) {
      // The command itself is apply's last command: the convergence check may share its exec.
      const last = i === 2 ? { last: true } : {};
      expect(call.options).toEqual({ become: true, timeoutMs: 1234, signal: ctx.signal, ...last });
    }
  });

  it('leaves become to the host when the step does not say', async () => {
    const remote = new RecordingRemote();
    const ctx = contextFor(remote);
    await commandStep.apply(ctx, { argv: ['x'] }, { checkExitCode: null, createsExists: null });
    expect(remote.calls[0]?.options).not.toHaveProperty('become');
  });
});

describe('command on the local machine', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const ctx = contextFor(new LocalRemote());
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('slipway-command-'));
  });
  afterEach(() => cleanup());

  it('runs until `creates` exists, then is ok; rollback runs undo', async () => {
    const marker = join(dir, 'upgraded');
    const params: CommandParams = {
      argv: ['sh', '-c', 'echo "$1" >> "$2"', 'sh', 'ran', marker],
      creates: marker,
      undo: ['rm', '--', marker],
    };
    const { first, undo, second } = await lifecycle(commandStep, ctx, params, marker);
    expect(first.status === 'change' && first.summary).toContain('does not exist');
    expect(second).toEqual({ status: 'ok', summary: `${marker} exists` });
    // Ran once: the second apply saw the guard and did nothing.
    expect(await readFile(marker, 'utf8')).toBe('ran\n');
    await commandStep.rollback(ctx, params, undo);
    expect(await snapshot(marker)).toBeNull();
  });

  it('uses a check command as its guard', async () => {
    const conf = join(dir, 'conf');
    await writeFile(conf, 'a\n');
    const params: CommandParams = {
      argv: ['sh', '-c', 'echo b >> "$1"', 'sh', conf],
      check: ['grep', '-qx', 'b', conf],
    };
    const { undo } = await lifecycle(commandStep, ctx, params, conf);
    expect(undo).toEqual({});
    expect(await readFile(conf, 'utf8')).toBe('a\nb\n');
    await commandStep.rollback(ctx, params, undo);
    expect(await readFile(conf, 'utf8')).toBe('a\nb\n');
  });

  it('fails with the command, its exit code and output', async () => {
    const params: CommandParams = { argv: ['sh', '-c', 'echo nope >&2; exit 4'] };
    const err = await commandStep.apply(ctx, params, await commandStep.facts(ctx, params)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect(err).toMatchObject({ code: 4, stderr: 'nope\n' });
  });

  it('stops a command that outlives the step timeout', async () => {
    const quick = contextFor(new LocalRemote({ killGraceMs: 100 }), 200);
    const params: CommandParams = { argv: ['sleep', '30'] };
    await expect(commandStep.apply(quick, params, await commandStep.facts(quick, params))).rejects.toMatchObject({ timedOut: true });
  });
});
