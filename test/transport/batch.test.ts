/**
 * Several commands in one exec (src/transport/batch.ts): the script is run by a real POSIX
 * shell here, and every command must get back exactly what it would have printed on its own.
 * BatchingRemote: which calls share an exec, and which go straight through.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, chown, lstat, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackupMismatchError, CommandError } from '../../src/errors.js';
import { batchScript, parseBatch, readFileArgv, writeFileArgv, writeFileResult, type BatchCommand, type BatchingTransport } from '../../src/transport/batch.js';
import { BatchingRemote } from '../../src/transport/batching-remote.js';
import type { ExecOptions, ExecResult, Remote } from '../../src/transport/types.js';

const run = promisify(execFile);

/** Runs a command locally with the given stdin; a non-zero exit is a result, not a throw. */
async function runWithStdin(cmd: string, args: string[], stdin: string): Promise<ExecResult> {
  const child = run(cmd, args);
  // A script that fails before it reads its stdin (mkdir under a file) closes the pipe: that
  // EPIPE is the failure its exit code reports, as sshd discards the bytes over SSH.
  child.child.stdin?.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
  child.child.stdin?.end(stdin);
  return child.then(
    (x) => ({ code: 0, stdout: x.stdout, stderr: x.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

/** Runs the batch with /bin/sh as an SSH exec would, and parses it. */
async function batch(commands: BatchCommand[]): Promise<Array<ExecResult | Error>> {
  const nonce = '0123456789abcdef';
  const started = Date.now();
  const stdin = commands.find((c) => c.stdin !== undefined)?.stdin;
  const r = await runWithStdin('sh', ['-c', batchScript(commands, nonce)], stdin ?? '');
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

  it("reads a file in the batch's own shell, as readFileArgv's command does alone: contents, a missing file, an unreadable one", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slipway-batch-'));
    try {
      const odd = join(dir, "it's $(odd) name\n");
      await writeFile(odd, 'a\n\0b');
      const reads = [odd, join(dir, 'missing'), dir].map((p) => readFileArgv(p));
      const script = batchScript(reads.map((argv) => ({ argv })), 'ab');
      expect(script).not.toMatch(/exec cat/); // no `sh -c` of its own: one process a read less
      expect(batchScript([{ argv: ['true'] }], 'ab')).not.toContain('slipway_rc'); // its helper only where a read needs it
      const inBatch = await batch(reads.map((argv) => ({ argv })));
      for (const [i, argv] of reads.entries()) expect(inBatch[i], argv[4]).toEqual(await alone(argv));
      // With a time limit, the read is a command of its own again, under coreutils timeout.
      expect(batchScript([{ argv: readFileArgv(odd), timeoutMs: 1000 }], 'ab')).toMatch(/timeout -k 5 1 sh -c/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a change leads the reads: they run after it, and it alone reads the exec\'s stdin (a file written)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slipway-batch-'));
    try {
      const path = join(dir, 'sub', 'f.conf');
      const [write, read, cat] = await batch([
        { argv: writeFileArgv(path, { mode: 0o600 }), stdin: 'max_pods = 110\n', changes: true },
        { argv: readFileArgv(path) },
        { argv: ['cat'] },
      ]);
      expect(write).toEqual({ code: 0, stdout: '', stderr: '' });
      expect(read).toEqual({ code: 0, stdout: 'max_pods = 110\n', stderr: '' });
      expect(cat).toEqual({ code: 0, stdout: '', stderr: '' }); // a read's stdin is /dev/null
      expect(await readFile(path, 'utf8')).toBe('max_pods = 110\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a change stays in the batch's process group (killing the exec kills it); a read with a time limit gets a group of its own", async () => {
    const group = ['sh', '-c', 'cut -d" " -f5 /proc/$$/stat'];
    const [change, read] = await batch([{ argv: group, changes: true, timeoutMs: 60_000 }, { argv: group, timeoutMs: 60_000 }]);
    const own = (await readFile('/proc/self/stat', 'utf8')).split(' ')[4];
    expect((change as ExecResult).stdout.trim()).toBe(own);
    expect((read as ExecResult).stdout.trim()).not.toBe(own);
  });

  it("a command without a time limit runs with no timeout process of its own, in the batch's group", async () => {
    // The parent's name, and the process group (field 5 of /proc/PID/stat).
    const whereAmI = ['sh', '-c', 'echo "$(cat /proc/$PPID/comm) $(cut -d" " -f5 /proc/$$/stat)"'];
    const [read, change] = await batch([{ argv: whereAmI }, { argv: whereAmI, changes: true }]);
    const own = (await readFile('/proc/self/stat', 'utf8')).split(' ')[4];
    for (const r of [read, change]) expect((r as ExecResult).stdout.trim()).toBe(`sh ${own}`);
  });

  it('a batch with two commands that read stdin is refused', () => {
    expect(() => batchScript([{ argv: ['a'], stdin: 'x' }, { argv: ['b'], stdin: 'y' }], 'ab')).toThrow(/at most one/);
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
  /** How long each batch takes; `done` records when each ended. */
  delayMs = 0;
  readonly done: string[] = [];
  async execBatch(commands: readonly BatchCommand[], options: { become?: boolean } = {}): Promise<Array<ExecResult | Error>> {
    const shown = (c: BatchCommand) => `${c.changes ? 'change ' : ''}${c.argv.join(' ')}${c.stdin !== undefined ? ' <stdin' : ''}`;
    const call = `batch ${commands.map(shown).join(', ')}${options.become ? ' (become)' : ''}`;
    this.calls.push(call);
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    this.done.push(call);
    if (this.failBatch) throw this.failBatch;
    return commands.map((c) => ({ code: 0, stdout: c.argv.join(' '), stderr: '' }));
  }
  run = this.exec;
  readFile = async () => null;
  writeFile = async (path: string) => {
    this.calls.push(`write ${path}`);
  };
  openUnixSocket = (path: string) => {
    this.calls.push(`socket ${path}`);
    this.done.push(`socket ${path}`);
    return Promise.reject(new Error('none'));
  };
}

/** Runs writeFileArgv's script with /bin/sh, the contents on stdin, as an SSH exec would. */
async function written(path: string, content: string, options: Parameters<typeof writeFileArgv>[1] = {}): Promise<ExecResult> {
  const [cmd, ...args] = writeFileArgv(path, options);
  return runWithStdin(cmd as string, args, content);
}

describe('writing a file (writeFileArgv, what every node runs)', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-write-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const mode = async (p: string) => (await stat(p)).mode & 0o7777;

  it('a new file, in directories that do not exist yet, gets the contents byte for byte and mode 0644', async () => {
    const p = join(dir, 'a', 'b', 'new.conf');
    const content = 'line one\n\u00e9\u0000binary\r\nno newline';
    expect((await written(p, content)).code).toBe(0);
    expect(await readFile(p, 'utf8')).toBe(content);
    expect(await mode(p)).toBe(0o644);
    expect(await readdir(join(dir, 'a', 'b'))).toEqual(['new.conf']); // no temp file left
  });

  it("an existing file keeps its mode and owner unless told; a mode and an owner given are set", async () => {
    const p = join(dir, 'kept.conf');
    await writeFile(p, 'old\n');
    await chmod(p, 0o640);
    await chown(p, 1, 1);
    expect((await written(p, 'new\n')).code).toBe(0);
    expect(await readFile(p, 'utf8')).toBe('new\n');
    expect(await mode(p)).toBe(0o640);
    expect(((await stat(p)).uid)).toBe(1);
    expect((await written(p, 'newer\n', { mode: 0o600, owner: '0:0' })).code).toBe(0);
    expect(await mode(p)).toBe(0o600);
    expect(((await stat(p)).uid)).toBe(0);
  });

  it("through a symlink: the link's target is replaced, the link stays", async () => {
    const target = join(dir, 'real.conf');
    const link = join(dir, 'link.conf');
    await writeFile(target, 'old\n');
    await symlink(target, link);
    expect((await written(link, 'via link\n')).code).toBe(0);
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe(target);
    expect(await readFile(target, 'utf8')).toBe('via link\n');
  });

  it('with a backup: copies the file first (bytes, mode, times), checks the copy holds what was read, then writes', async () => {
    const p = join(dir, 'app.conf');
    const old = 'max_pods = 100\n\u00e9\n';
    await writeFile(p, old);
    await chmod(p, 0o640);
    await utimes(p, new Date('2024-01-02T03:04:05Z'), new Date('2024-01-02T03:04:05Z'));
    const backup = { path: `${p}.bak`, sha256: createHash('sha256').update(old, 'utf8').digest('hex') };
    const r = await written(p, 'max_pods = 110\n', { backup });
    expect(r.code, r.stderr).toBe(0);
    expect(await readFile(p, 'utf8')).toBe('max_pods = 110\n');
    expect(await readFile(backup.path, 'utf8')).toBe(old);
    expect((await stat(backup.path)).mode & 0o7777).toBe(0o640);
    expect((await stat(backup.path)).mtime.toISOString()).toBe('2024-01-02T03:04:05.000Z');
    expect(() => writeFileResult('node-1', p, r, { backup })).not.toThrow();
  });

  it('with a backup of a file that changed since it was read: backed up, not written, and the copy comes back', async () => {
    const p = join(dir, 'app.conf');
    await writeFile(p, 'edited by hand\n');
    const backup = { path: `${p}.bak`, sha256: createHash('sha256').update('what the step read\n', 'utf8').digest('hex') };
    const r = await written(p, 'the new content\n', { backup });
    expect(r.code).toBe(75);
    expect(r.stdout).toBe('edited by hand\n');
    expect(await readFile(p, 'utf8')).toBe('edited by hand\n');
    expect(await readFile(backup.path, 'utf8')).toBe('edited by hand\n');
    expect(() => writeFileResult('node-1', p, r, { backup })).toThrow(BackupMismatchError);
    expect(() => writeFileResult('node-1', p, r, { backup })).toThrow(expect.objectContaining({ backupContent: 'edited by hand\n' }) as Error);
    // Without a backup asked, exit 75 is a failed write like any other.
    expect(() => writeFileResult('node-1', p, r)).toThrow(CommandError);
  });

  it('with a backup of a file that is gone: the write fails, nothing is written', async () => {
    const p = join(dir, 'gone.conf');
    const r = await written(p, 'new\n', { backup: { path: `${p}.bak`, sha256: '0'.repeat(64) } });
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBe(75);
    expect(await readdir(dir)).toEqual([]);
  });

  it('a write that cannot be made fails and leaves nothing behind', async () => {
    await writeFile(join(dir, 'file'), 'x');
    const r = await written(join(dir, 'file', 'under-a-file.conf'), 'never');
    expect(r.code).not.toBe(0);
    expect(await readdir(dir)).toEqual(['file']);
  });
});

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

  it('a last command leads the reads issued after it in one exec; a read of another become waits until it is done', async () => {
    const inner = new Recorder();
    inner.delayMs = 20;
    const remote = new BatchingRemote(inner);
    const results = await Promise.all([
      remote.run(['set', 'a'], { last: true }),
      remote.exec(['get', 'a']),
      remote.exec(['get', 'b'], { become: true }),
      remote.exec(['get', 'a']),
    ]);
    expect(results.map((r) => r.stdout)).toEqual(['set a', 'get a', 'get b', 'get a']);
    expect(inner.calls).toEqual(['batch change set a, get a', 'exec get b (become)']);
    // The become read was sent only once the change's exec had ended.
    expect(inner.done).toEqual(['batch change set a, get a']);
  });

  it('a socket, a write or a command with stdin issued after a last command wait until its exec is done', async () => {
    const inner = new Recorder();
    inner.delayMs = 20;
    const remote = new BatchingRemote(inner);
    const change = remote.run(['systemctl', 'start', 'crio'], { last: true });
    const read = remote.exec(['systemctl', 'show', 'crio']);
    const socket = remote.openUnixSocket('/run/crio/crio.sock').catch(() => 'refused');
    const write = remote.writeFile('/etc/x', 'plain');
    const stdin = remote.exec(['cat'], { stdin: 'x' });
    await Promise.all([change, read, socket, write, stdin]);
    expect(inner.calls).toEqual(['batch change systemctl start crio, systemctl show crio', 'socket /run/crio/crio.sock', 'write /etc/x', 'exec cat <stdin']);
    // The socket was opened once the change's batch had ended.
    expect(inner.done.slice(0, 2)).toEqual(['batch change systemctl start crio, systemctl show crio', 'socket /run/crio/crio.sock']);
    // Nothing in flight: straight through, at once.
    inner.calls.length = 0;
    await remote.openUnixSocket('/run/x.sock').catch(() => undefined);
    expect(inner.calls).toEqual(['socket /run/x.sock']);
  });

  it('a last command is never merged with the same command, and a second change starts an exec of its own', async () => {
    const inner = new Recorder();
    const remote = new BatchingRemote(inner);
    await Promise.all([
      remote.run(['touch', 'm'], { last: true }),
      remote.exec(['stat', 'm']),
      remote.run(['touch', 'm'], { last: true }),
      remote.exec(['stat', 'm']),
    ]);
    expect(inner.calls).toEqual(['batch change touch m, stat m', 'batch change touch m, stat m']);
  });

  it('a last write goes in the batch with its contents on stdin; alone, a last command goes straight through with its options', async () => {
    const inner = new Recorder();
    const remote = new BatchingRemote(inner);
    await Promise.all([remote.writeFile('/etc/x', 'new', { mode: 0o644, last: true }), remote.readFile('/etc/x')]);
    expect(inner.calls).toHaveLength(1);
    expect(inner.calls[0]).toMatch(/^batch change sh -c .*mktemp.* \/etc\/x 0644  <stdin, sh -c .* \/etc\/x$/s);
    inner.calls.length = 0;
    await remote.run(['systemctl', 'restart', 'kubelet'], { last: true, become: true });
    await remote.writeFile('/etc/y', 'plain');
    expect(inner.calls).toEqual(['exec systemctl restart kubelet (become)', 'write /etc/y']);
  });

  it("a batch that fails as a whole: a change's error names the change, not the batch", async () => {
    const inner = new Recorder();
    const remote = new BatchingRemote(inner);
    inner.failBatch = new CommandError({ host: 'node-1', argv: ['sh', '-c', 'the whole batch'], code: null, stdout: '', stderr: '', interrupted: true });
    const [change, read] = await Promise.allSettled([remote.run(['apt-get', 'install', 'x'], { last: true }), remote.exec(['dpkg', '-l'])]);
    expect(change.status === 'rejected' && change.reason).toMatchObject({ argv: ['apt-get', 'install', 'x'], interrupted: true });
    expect(read.status === 'rejected' && read.reason).toMatchObject({ argv: ['dpkg', '-l'], interrupted: true });
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
