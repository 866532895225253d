/**
 * The operator's own machine as a `Remote`: `on: local` steps (kubectl with the local
 * kubeconfig) and tests. Commands are spawned from their argument vector, no shell involved.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants, type Stats } from 'node:fs';
import { lstat, mkdir, open, readFile, realpath, rename, stat, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { constants as osConstants } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Duplex } from 'node:stream';
import { BackupMismatchError, CommandError, SlipwayError } from '../errors.js';
import { sudoWrap } from './quote.js';
import type { ExecOptions, ExecResult, Remote, WriteOptions } from './types.js';

export interface LocalRemoteOptions {
  /** Name in messages and the journal. Defaults to `local`. */
  host?: string;
  /** Working directory of commands. Defaults to this process's. */
  cwd?: string;
  /** Environment of commands. Defaults to this process's. */
  env?: NodeJS.ProcessEnv;
  /** Run commands through `sudo -n` unless an exec call says otherwise. */
  become?: boolean;
  /** After a timeout or abort, how long the process group gets between SIGTERM and SIGKILL. */
  killGraceMs?: number;
}

/** What a finished process left behind, before it is turned into a result or an error. */
interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  aborted: boolean;
}

export class LocalRemote implements Remote {
  readonly host: string;
  readonly #cwd: string | undefined;
  readonly #env: NodeJS.ProcessEnv | undefined;
  readonly #become: boolean;
  readonly #killGraceMs: number;

  constructor(options: LocalRemoteOptions = {}) {
    this.host = options.host ?? 'local';
    this.#cwd = options.cwd;
    this.#env = options.env;
    this.#become = options.become ?? false;
    this.#killGraceMs = options.killGraceMs ?? 2000;
  }

  /**
   * Runs argv and resolves with its exit code. A command that cannot be started resolves like
   * a shell would report it (127 not found, 126 not executable); one killed by a signal it did
   * not get from us resolves with 128 + the signal number. A timeout throws CommandError with
   * `timedOut`; an abort throws CommandError with the signal that stopped it and `interrupted`
   * set (as the SSH transport does).
   */
  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const finished = await this.#spawn(argv, options);
    if (finished.aborted || finished.timedOut) throw this.#commandError(argv, finished);
    return { code: exitCodeOf(finished), stdout: finished.stdout, stderr: finished.stderr };
  }

  async run(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const finished = await this.#spawn(argv, options);
    if (finished.aborted || finished.timedOut || finished.code !== 0) throw this.#commandError(argv, finished);
    return { code: 0, stdout: finished.stdout, stderr: finished.stderr };
  }

  async readFile(path: string): Promise<string | null> {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return null;
      throw err;
    }
  }

  /**
   * Atomic write: a temp file in the target's directory, written, given its mode and owner,
   * fsync'd, then renamed over the target, and the directory fsync'd. Without `mode` or
   * `owner` the existing file's are kept (a new file gets 0644 and the caller's owner).
   * A symlink is followed: its target is replaced, the link stays.
   */
  async writeFile(path: string, content: string, options: WriteOptions = {}): Promise<void> {
    if (options.backup) {
      // `cp -p`, as on a node: the same bytes, mode, owner and times.
      await this.run(['cp', '-p', '--', path, options.backup.path]);
      const saved = await readFile(options.backup.path, 'utf8');
      if (createHash('sha256').update(saved, 'utf8').digest('hex') !== options.backup.sha256) {
        throw new BackupMismatchError(this.host, path, saved);
      }
    }
    const target = await resolveSymlink(path);
    const existing = await statOrNull(target);
    if (existing && !existing.isFile()) {
      throw new SlipwayError(`${this.host}: cannot write ${path}: it exists and is not a regular file`);
    }
    const mode = options.mode ?? (existing ? existing.mode & 0o7777 : 0o644);
    const dir = dirname(target);
    await mkdir(dir, { recursive: true });
    const temp = join(dir, `.${basename(target)}.slipway-${randomBytes(6).toString('hex')}.tmp`);

    // Created private, so nobody reads the content before its final mode and owner are set.
    const handle = await open(temp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
    let renamed = false;
    try {
      try {
        await handle.writeFile(content, 'utf8');
        if (options.owner !== undefined) {
          // chown resolves names the way the system does (user, user:group, numeric ids).
          await this.run(['chown', '--', options.owner, temp]);
        } else if (existing) {
          const mine = await handle.stat();
          if (mine.uid !== existing.uid || mine.gid !== existing.gid) {
            await handle.chown(existing.uid, existing.gid).catch((err: unknown) => {
              throw new SlipwayError(`${this.host}: cannot keep the owner of ${path}`, { cause: err });
            });
          }
        }
        // After chown, which clears setuid/setgid bits.
        await handle.chmod(mode);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, target);
      renamed = true;
      await syncDirectory(dir);
    } finally {
      if (!renamed) await unlink(temp).catch(() => undefined);
    }
  }

  openUnixSocket(path: string): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      const onError = (err: Error): void => reject(err);
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        resolve(socket);
      });
    });
  }

  #commandError(argv: readonly string[], finished: Finished): CommandError {
    return new CommandError({
      host: this.host,
      argv,
      code: finished.code,
      signal: finished.signal,
      stdout: finished.stdout,
      stderr: finished.stderr,
      timedOut: finished.timedOut,
      interrupted: finished.aborted,
    });
  }

  #spawn(argv: readonly string[], options: ExecOptions): Promise<Finished> {
    if (argv.length === 0) return Promise.reject(new TypeError('cannot run an empty argument vector'));
    const signal = options.signal;
    if (signal?.aborted) {
      return Promise.resolve({ code: null, signal: null, stdout: '', stderr: 'not started', timedOut: false, aborted: true });
    }

    const become = options.become ?? this.#become;
    const full = become ? sudoWrap(argv, { auth: 'non-interactive' }) : [...argv];
    const [file, ...args] = full as [string, ...string[]];

    return new Promise((resolve) => {
      // detached: the child leads its own process group, so a timeout kills its children too.
      const child = spawn(file, args, {
        cwd: this.#cwd,
        env: this.#env,
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let timedOut = false;
      let aborted = false;
      let spawnError: NodeJS.ErrnoException | undefined;
      let graceTimer: NodeJS.Timeout | undefined;

      const killGroup = (): void => {
        if (graceTimer) return;
        signalGroup(child.pid, 'SIGTERM');
        graceTimer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), this.#killGraceMs);
        graceTimer.unref();
      };
      const timer =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true;
              killGroup();
            }, options.timeoutMs);
      const onAbort = (): void => {
        aborted = true;
        killGroup();
      };
      signal?.addEventListener('abort', onAbort, { once: true });

      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      // The command may exit without reading its stdin; that is not our failure.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.stdin ?? '');

      child.once('error', (err: NodeJS.ErrnoException) => {
        spawnError = err;
      });
      child.once('close', (code, sig) => {
        if (timer) clearTimeout(timer);
        if (graceTimer) clearTimeout(graceTimer);
        signal?.removeEventListener('abort', onAbort);
        const out = Buffer.concat(stdout).toString('utf8');
        const err = Buffer.concat(stderr).toString('utf8');
        if (spawnError) {
          // Report it as a shell would: the caller sees the same thing locally and over SSH.
          const notFound = spawnError.code === 'ENOENT';
          resolve({
            code: notFound ? 127 : 126,
            signal: null,
            stdout: out,
            stderr: `${err}${file}: ${notFound ? 'command not found' : spawnError.message}\n`,
            timedOut: false,
            aborted,
          });
          return;
        }
        resolve({ code, signal: sig, stdout: out, stderr: err, timedOut, aborted });
      });
    });
  }
}

function exitCodeOf(finished: Finished): number {
  if (finished.code !== null) return finished.code;
  const number = finished.signal ? signalNumber(finished.signal) : undefined;
  return 128 + (number ?? 0);
}

function signalNumber(name: NodeJS.Signals): number | undefined {
  return (osConstants.signals as Partial<Record<string, number>>)[name];
}

function signalGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, sig);
  } catch {
    // Already gone.
  }
}

function isErrno(err: unknown, code: string): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === code;
}

async function statOrNull(path: string): Promise<Stats | null> {
  try {
    return await stat(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
}

async function resolveSymlink(path: string): Promise<string> {
  try {
    const info = await lstat(path);
    return info.isSymbolicLink() ? await realpath(path) : path;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return path;
    throw err;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, fsConstants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
