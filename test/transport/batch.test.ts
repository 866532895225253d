/**
 * Several commands in one exec (src/transport/batch.ts): the script is run by a real POSIX
 * shell here, and every command must get back exactly what it would have printed on its own.
 * BatchingRemote: which calls share an exec, and which go straight through.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CommandError } from '../../src/errors.js';
import { batchScript, parseBatch, readFileArgv, type BatchCommand, type BatchingTransport } from '../../src/transport/batch.js';
import { BatchingRemote } from '../../src/transport/batching-remote.js';
import type { ExecOptions, ExecResult, Remote } from '../../src/transport/types.js';

const run = promisify(execFile);

/** Runs the batch with /bin/sh as an SSH exec would, and parses it. */
async function batch(commands: BatchCommand[]): Promise<Array<ExecResult | Error>> {
  const nonce = '0123456789abcdef';
  const started = Date.now();
  const r = await run('sh', ['-c', batchScript(commands, nonce)]).then(
    (x) => ({ code: 0, stdout: x.stdout, stderr: x.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
  return parseBatch(commands, nonce, r, 'local', Date.now() - started);
}

async function alone(argv: readonly string[]): Promise<ExecResult> {
  return run(argv[0] as string, argv.slice(1)).then(
    (x) => ({ code: 0, stdout: x.stdout, stderr: x.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

describe('batch script', () => {
  it('gives each command its own stdout, stderr and exit code, byte for byte', async () => {
    const commands: string[][] = [
      ['printf', 'one\ntwo\n'],
      ['printf', 'no newline at the end'],
      ['printf', ''],
      ['sh', '-c', 'echo out; echo err >&2; exit 3'],
      ['printf', '\n\n\nslipway-batch-ffff 0\n'],
      ['printf', '%s|', 'a b', "it's", '$(touch /nonexistent/x)', '*', '"q"'],
      ['sh', '-c', 'printf "%s" "$1"', 'sh', 'line\n\n'],
      ['cat'],
      ['false'],
    ];
    const results = await batch(commands.map((argv) => ({ argv })));
    for (const [i, argv] of commands.entries()) {
      const own = argv[0] === 'cat' ? { code: 0, stdout: '', stderr: '' } : await alone(argv);
      expect(results[i], argv.join(' ')).toEqual(own);
    }
  });

  it('a missing command exits 127 and the commands after it still run', async () => {
    const [missing, after] = await batch([{ argv: ['no-such-command-here'] }, { argv: ['echo', 'after'] }]);
    expect((missing as ExecResult).code).toBe(127);
    expect(after).toEqual({ code: 0, stdout: 'after\n', stderr: '' });
  });

  it("a command over its time limit is a timeout; the others are not held up by it", async () => {
    const [slow, next] = await batch([{ argv: ['sleep', '5'], timeoutMs: 300 }, { argv: ['echo', 'next'], timeoutMs: 10_000 }]);
    expect(slow).toBeInstanceOf(CommandError);
    expect((slow as CommandError).timedOut).toBe(true);
    expect(next).toEqual({ code: 0, stdout: 'next\n', stderr: '' });
  });

  it('reads a file, and says a missing one is missing', async () => {
    const [present, missing] = await batch([{ argv: readFileArgv('/etc/hostname') }, { argv: readFileArgv('/nonexistent/file') }]);
    expect((present as ExecResult).code).toBe(0);
    expect((missing as ExecResult).code).toBe(3);
  });

  it('commands a killed batch did not finish get an error of their own', () => {
    const nonce = 'abc';
    const commands = [{ argv: ['a'] }, { argv: ['b'] }];
    const cut = { code: 137, stdout: '\nslipway-batch-abc 0\nfirst\nslipway-batch-abc-rc 0 0\n\nslipway-batch-abc 1\npart', stderr: '' };
    const [a, b] = parseBatch(commands, nonce, cut, 'node-1', 10);
    expect(a).toEqual({ code: 0, stdout: 'first', stderr: '' });
    expect(b).toBeInstanceOf(CommandError);
    expect((b as CommandError).stdout).toBe('part');
  });
});

/** A remote that batches, recording what went through which way. */
class Recorder implements Remote, BatchingTransport {
  readonly host = 'node-1';
  readonly calls: string[] = [];
  failBatch: Error | undefined;
  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    this.calls.push(`exec ${argv.join(' ')}${options.stdin !== undefined ? ' <stdin' : ''}${options.become ? ' (become)' : ''}`);
    return { code: 0, stdout: argv.join(' '), stderr: '' };
  }
  async execBatch(commands: readonly BatchCommand[], options: { become?: boolean } = {}): Promise<Array<ExecResult | Error>> {
    this.calls.push(`batch ${commands.map((c) => c.argv.join(' ')).join(', ')}${options.become ? ' (become)' : ''}`);
    if (this.failBatch) throw this.failBatch;
    return commands.map((c) => ({ code: 0, stdout: c.argv.join(' '), stderr: '' }));
  }
  run = this.exec;
  readFile = async () => null;
  writeFile = async () => undefined;
  openUnixSocket = () => Promise.reject(new Error('none'));
}

describe('BatchingRemote', () => {
  it('sends the commands of one turn as one exec per become, stdin and lone commands straight through', async () => {
    const inner = new Recorder();
    const remote = new BatchingRemote(inner);
    const results = await Promise.all([
      remote.exec(['a']),
      remote.exec(['b']),
      remote.exec(['c'], { become: true }),
      remote.exec(['d'], { stdin: 'x' }),
      remote.exec(['e'], { become: true }),
    ]);
    expect(results.map((r) => r.stdout)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(inner.calls).toEqual(['exec d <stdin', 'batch a, b', 'batch c, e (become)']);
    inner.calls.length = 0;
    await remote.exec(['later']);
    expect(inner.calls).toEqual(['exec later']);
  });

  it('the same command asked twice in one turn runs once and answers both', async () => {
    const inner = new Recorder();
    const remote = new BatchingRemote(inner);
    const show = ['systemctl', 'show', '--', 'kubelet'];
    const [a, b, c] = await Promise.all([remote.exec(show), remote.exec(['other']), remote.exec(show)]);
    expect([a.stdout, b.stdout, c.stdout]).toEqual(['systemctl show -- kubelet', 'other', 'systemctl show -- kubelet']);
    expect(inner.calls).toEqual(['batch systemctl show -- kubelet, other']);
    inner.calls.length = 0;
    await Promise.all([remote.exec(show), remote.exec(show)]);
    expect(inner.calls).toEqual(['exec systemctl show -- kubelet']);
  });

  it('reads files in the batch, and a batch that fails fails each of its commands', async () => {
    const inner = new Recorder();
    const remote = new BatchingRemote(inner);
    inner.failBatch = new Error('connection lost');
    const both = await Promise.allSettled([remote.readFile('/etc/a'), remote.exec(['b'])]);
    expect(both.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(inner.calls[0]).toMatch(/^batch sh -c .* \/etc\/a, b$/);
  });

  it("a command whose own signal aborts is dropped from the batch; the others' results stand", async () => {
    const inner = new Recorder();
    const remote = new BatchingRemote(inner);
    const abort = new AbortController();
    const dropped = remote.exec(['x'], { signal: abort.signal });
    const kept = remote.exec(['y']);
    const kept2 = remote.exec(['z']);
    abort.abort();
    await expect(dropped).rejects.toMatchObject({ interrupted: true });
    expect((await kept).stdout).toBe('y');
    expect((await kept2).stdout).toBe('z');
    expect(inner.calls).toEqual(['batch y, z']);
  });
});
