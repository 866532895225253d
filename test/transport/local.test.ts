import { lstat, mkdir, readFile, readdir, readlink, stat, symlink, writeFile, chmod } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CommandError } from '../../src/errors.js';
import { LocalRemote } from '../../src/transport/local.js';
import { tempDir } from '../steps/helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('slipway-local-'));
});
afterEach(() => cleanup());

const remote = new LocalRemote({ killGraceMs: 200 });

/** Running, as opposed to gone or a zombie nobody has reaped yet. */
async function alive(pid: number): Promise<boolean> {
  const status = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (status === null) return false;
  return !/^\d+ \(.*\) [ZX] /.test(status);
}

describe('LocalRemote.exec and run', () => {
  it('is called local and runs argv without a shell', async () => {
    expect(remote.host).toBe('local');
    const result = await remote.exec(['printf', '%s|', '$(echo no)', 'a b', '*']);
    expect(result).toEqual({ code: 0, stdout: '$(echo no)|a b|*|', stderr: '' });
  });

  it('resolves with a non-zero code from exec and throws CommandError from run', async () => {
    const argv = ['sh', '-c', 'echo out; echo oops >&2; exit 3'];
    expect(await remote.exec(argv)).toEqual({ code: 3, stdout: 'out\n', stderr: 'oops\n' });
    const err = await remote.run(argv).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect(err).toMatchObject({ host: 'local', code: 3, stdout: 'out\n', stderr: 'oops\n', timedOut: false });
    expect((err as Error).message).toContain('exited with code 3');
  });

  it('feeds stdin and closes it; without stdin the command reads EOF', async () => {
    expect((await remote.run(['cat'], { stdin: 'line one\nline two\n' })).stdout).toBe('line one\nline two\n');
    expect((await remote.run(['cat'])).stdout).toBe('');
  });

  it('reports a missing program the way a shell does', async () => {
    const result = await remote.exec(['slipway-no-such-program']);
    expect(result.code).toBe(127);
    expect(result.stderr).toContain('command not found');
  });

  it('kills the whole process group on timeout and says so', async () => {
    const pidFile = join(dir, 'child.pid');
    const started = Date.now();
    const err = await remote
      .run(['sh', '-c', `sleep 30 & echo $! > ${pidFile}; wait`], { timeoutMs: 300 })
      .catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(err).toBeInstanceOf(CommandError);
    expect(err).toMatchObject({ timedOut: true });
    expect((err as Error).message).toContain('timed out');
    const grandchild = Number(await readFile(pidFile, 'utf8'));
    await new Promise((r) => setTimeout(r, 100));
    expect(await alive(grandchild)).toBe(false);
    // exec cannot report a timeout as an exit code either.
    await expect(remote.exec(['sleep', '30'], { timeoutMs: 100 })).rejects.toMatchObject({ timedOut: true });
  });

  it('escalates to SIGKILL when SIGTERM is ignored', async () => {
    const err = await remote.run(['sh', '-c', "trap '' TERM; sleep 30"], { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ timedOut: true });
  });

  it('stops the command when the signal aborts, and says it was interrupted', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('second Ctrl-C')), 100);
    const started = Date.now();
    const err = await remote.run(['sleep', '30'], { signal: controller.signal }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(err).toBeInstanceOf(CommandError);
    expect(err).toMatchObject({ signal: 'SIGTERM', timedOut: false });
    expect((err as CommandError).interrupted).toBe(true);
    expect((err as CommandError).message).toContain('was interrupted');
    // Already aborted: nothing starts.
    const marker = join(dir, 'ran');
    await expect(remote.exec(['touch', marker], { signal: controller.signal })).rejects.toBeInstanceOf(CommandError);
    expect(await readdir(dir)).toEqual([]);
  });

  it('reports death by a foreign signal as 128 + n from exec and by name from run', async () => {
    expect((await remote.exec(['sh', '-c', 'kill -9 $$'])).code).toBe(137);
    await expect(remote.run(['sh', '-c', 'kill -9 $$'])).rejects.toMatchObject({ signal: 'SIGKILL', code: null });
  });

  it('uses the given working directory, environment and host name', async () => {
    const other = new LocalRemote({ host: 'operator', cwd: dir, env: { PATH: process.env.PATH, SLIPWAY_X: 'y' } });
    expect(other.host).toBe('operator');
    expect((await other.run(['sh', '-c', 'pwd; echo $SLIPWAY_X'])).stdout).toBe(`${dir}\ny\n`);
    await expect(other.run(['false'])).rejects.toThrow(/^operator: command `false` exited with code 1/);
  });
});

describe('LocalRemote.readFile', () => {
  it('reads a file and returns null when it (or a parent) does not exist', async () => {
    await writeFile(join(dir, 'a'), 'hello\n');
    expect(await remote.readFile(join(dir, 'a'))).toBe('hello\n');
    expect(await remote.readFile(join(dir, 'missing'))).toBeNull();
    expect(await remote.readFile(join(dir, 'a', 'below-a-file'))).toBeNull();
  });

  it('throws on anything else', async () => {
    await expect(remote.readFile(dir)).rejects.toMatchObject({ code: 'EISDIR' });
  });
});

describe('LocalRemote.writeFile', () => {
  it('creates a file with the given mode, leaving no temp file behind', async () => {
    const path = join(dir, 'new.conf');
    await remote.writeFile(path, 'x = 1\n', { mode: 0o640 });
    expect(await readFile(path, 'utf8')).toBe('x = 1\n');
    expect((await stat(path)).mode & 0o7777).toBe(0o640);
    expect(await readdir(dir)).toEqual(['new.conf']);
  });

  it('defaults a new file to 0644 whatever the umask', async () => {
    const path = join(dir, 'plain');
    await remote.writeFile(path, '');
    expect((await stat(path)).mode & 0o7777).toBe(0o644);
  });

  it('replaces the file by rename (new inode) and keeps its mode when none is given', async () => {
    const path = join(dir, 'f');
    await writeFile(path, 'old');
    await chmod(path, 0o600);
    const before = await stat(path);
    await remote.writeFile(path, 'new');
    const after = await stat(path);
    expect(await readFile(path, 'utf8')).toBe('new');
    expect(after.ino).not.toBe(before.ino);
    expect(after.mode & 0o7777).toBe(0o600);
  });

  it('writes through a symlink to its target, keeping the link', async () => {
    await mkdir(join(dir, 'real'));
    const target = join(dir, 'real', 'config.toml');
    await writeFile(target, 'old');
    const link = join(dir, 'link.toml');
    await symlink(target, link);
    await remote.writeFile(link, 'new');
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe(target);
    expect(await readFile(target, 'utf8')).toBe('new');
  });

  it('refuses to replace a directory and cleans up on failure', async () => {
    await mkdir(join(dir, 'sub'));
    await expect(remote.writeFile(join(dir, 'sub'), 'x')).rejects.toThrow(/not a regular file/);
    expect(await readdir(dir)).toEqual(['sub']);
  });

  it('creates missing parent directories (a drop-in directory, say)', async () => {
    await remote.writeFile(join(dir, 'nope', 'deeper', 'f'), 'x');
    expect(await readFile(join(dir, 'nope', 'deeper', 'f'), 'utf8')).toBe('x');
  });

  it.runIf(process.getuid?.() === 0)('sets the owner (user or user:group) and keeps it on later writes', async () => {
    const path = join(dir, 'owned');
    await remote.writeFile(path, 'a', { owner: 'nobody', mode: 0o2750 });
    let info = await stat(path);
    expect(info.uid).not.toBe(0);
    expect(info.mode & 0o7777).toBe(0o2750);
    const uid = info.uid;
    await remote.writeFile(path, 'b');
    info = await stat(path);
    expect(info.uid).toBe(uid);
    expect(info.mode & 0o7777).toBe(0o2750);
    await remote.writeFile(path, 'c', { owner: '0:0' });
    expect((await stat(path)).uid).toBe(0);
  });
});

describe('LocalRemote.openUnixSocket', () => {
  it('connects to a unix socket and streams both ways', async () => {
    const path = join(dir, 's.sock');
    const server = createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      const stream = await remote.openUnixSocket(path);
      const echoed = new Promise<string>((resolve) => stream.once('data', (d: Buffer) => resolve(d.toString())));
      stream.write('ping');
      expect(await echoed).toBe('ping');
      stream.destroy();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('rejects when nothing listens', async () => {
    await expect(remote.openUnixSocket(join(dir, 'none.sock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
