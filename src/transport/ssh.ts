/**
 * SSH transport: one connection per host for the whole run (opened lazily, reused by every
 * step and probe, reopened after a loss), host keys verified against known_hosts, commands
 * quoted from argument vectors, sudo for `become`, streamlocal forwarding for unix sockets.
 */
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { NodeSSH } from 'node-ssh';
import type { Client, ClientChannel } from 'ssh2';
import { CommandError, displayArgv, EXIT, lastLines, SlipwayError, TransportError } from '../errors.js';
import type { InventoryHost } from '../inventory/types.js';
import {
  batchScript,
  parseBatch,
  readFileArgv,
  readFileResult,
  timeoutArg,
  writeFileArgv,
  writeFileResult,
  type BatchCommand,
  type BatchingTransport,
  type BatchOptions,
} from './batch.js';
import { shellJoin } from './quote.js';
import { LocalRemote } from './local.js';
import { connectLimiter, errorText, sshHandshake, type SshOptions } from './ssh-handshake.js';
import type { ExecOptions, ExecResult, Remote, RemoteFactory, WriteOptions } from './types.js';

export type { SshOptions } from './ssh-handshake.js';

/**
 * Shell that drops `timeout -k 5 0` from "$@" when the shell leads its process group: the group
 * is what a kill reaches (field 5 of /proc/PID/stat, read by builtins, after the command name's
 * closing parenthesis). Without /proc, or with a time limit, `timeout` stays.
 */
export const WITHOUT_TIMEOUT_0 =
  'if [ "$4" = 0 ] && read -r s 2>/dev/null </proc/$$/stat; then s=${s##*)}; s=${s# * * }; if [ "${s%% *}" = "$$" ]; then shift 4; fi; fi; ';

/**
 * `become` went wrong in sudo itself (a password is needed, the password was refused, the
 * user may not run the command), so the command never started. Not a command failure: its
 * exit code would be sudo's, not the command's.
 */
export class BecomeError extends SlipwayError {
  readonly host: string;
  /** `password-needed` and `password-refused` hold for every command; `refused` is about one. */
  readonly reason: 'password-needed' | 'password-refused' | 'refused';
  constructor(host: string, reason: BecomeError['reason'], message: string) {
    super(`${host}: ${message}`, { exitCode: EXIT.stepFailed });
    this.host = host;
    this.reason = reason;
  }
}

/**
 * One command through sudo. sudo prints `prompt` on stderr when it wants the password, and
 * only then is the password written to stdin (with NOPASSWD, or a rule that needs none, it
 * would reach the command instead). The shell sudo starts prints `started` on stderr before
 * it execs the command: until then every byte on stderr is sudo's, and a command that never
 * started is a sudo failure, not the command's exit code. The command's stdin follows
 * `started`.
 */
interface SudoSession {
  prompt: string;
  started: string;
  password: string | undefined;
}

export class SshRemote implements Remote, BatchingTransport {
  readonly host: string;
  private readonly target: InventoryHost;
  private readonly options: SshOptions;
  private ssh: NodeSSH | undefined;
  private connecting: Promise<NodeSSH> | undefined;
  private jumpClients: NodeSSH[] = [];
  private readonly inFlight = new Set<(err: Error) => void>();
  private closed = false;
  /** Kills sent for aborted commands; close() waits for them so none is lost. */
  private readonly pendingKills = new Set<Promise<void>>();
  /** Set when sudo wanted a password we do not have, or refused ours: become is not tried again. */
  private becomeRefused: BecomeError | undefined;

  constructor(target: InventoryHost, options: SshOptions = {}) {
    this.host = target.name;
    this.target = target;
    this.options = options;
  }

  // ------------------------------------------------------------------ connection

  private async connection(): Promise<Client> {
    if (this.closed) throw new TransportError(this.host, 'connection-lost', 'connection already closed');
    if (this.ssh?.isConnected() && this.ssh.connection) return this.ssh.connection;
    this.connecting ??= connectLimiter.run(() => this.open()).finally(() => {
      this.connecting = undefined;
    });
    const ssh = await this.connecting;
    if (!ssh.connection) throw new TransportError(this.host, 'connection-lost', 'connection closed while opening');
    return ssh.connection;
  }

  /** Opens the connection now (plan and run connect every node before touching any). */
  async connect(): Promise<void> {
    await this.connection();
  }

  private async open(): Promise<NodeSSH> {
    const t = this.target;
    let sock: Duplex | undefined;
    let hopHost: string | undefined;
    for (const hop of t.proxyJump) {
      const hopTarget: InventoryHost = { ...t, name: `${hop.host}:${hop.port}`, address: hop.host, port: hop.port, user: hop.user ?? t.user, proxyJump: [] };
      const hopSsh = await sshHandshake(this.host, hopTarget, this.options, sock, hopHost, true);
      this.jumpClients.push(hopSsh);
      sock = undefined;
      const next = t.proxyJump[t.proxyJump.indexOf(hop) + 1];
      const [dstHost, dstPort] = next ? [next.host, next.port] : [t.address, t.port];
      sock = await new Promise<Duplex>((resolve, reject) => {
        hopSsh.connection?.forwardOut('127.0.0.1', 0, dstHost, dstPort, (err, stream) => (err ? reject(err) : resolve(stream)));
      }).catch((err: unknown) => {
        throw new TransportError(this.host, 'unreachable', `jump host ${hop.host}:${hop.port} cannot reach ${dstHost}:${dstPort}: ${errorText(err)}`, { cause: err });
      });
      hopHost = `${hop.host}:${hop.port}`;
    }
    const ssh = await sshHandshake(this.host, t, this.options, sock, hopHost, false);
    this.ssh = ssh;
    const conn = ssh.connection;
    conn?.on('close', () => this.failInFlight(new TransportError(this.host, 'connection-lost', 'connection lost')));
    conn?.on('error', (err) => this.failInFlight(new TransportError(this.host, 'connection-lost', `connection lost: ${errorText(err)}`, { cause: err })));
    return ssh;
  }

  private failInFlight(err: Error): void {
    for (const fail of [...this.inFlight]) fail(err);
    this.ssh = undefined;
  }

  async close(): Promise<void> {
    if (this.pendingKills.size) {
      await Promise.race([Promise.all([...this.pendingKills]), new Promise((r) => setTimeout(r, 5000))]);
    }
    this.closed = true;
    this.ssh?.dispose();
    for (const j of this.jumpClients) j.dispose();
    this.ssh = undefined;
    this.jumpClients = [];
  }

  // ------------------------------------------------------------------ commands

  private becomes(options: ExecOptions): boolean {
    return (options.become ?? this.target.become) && this.target.user !== 'root';
  }

  /**
   * Every command runs as `sh -c 'print MARKER PID; exec "$@"' MARKER timeout ... argv`: the
   * marker line (stripped from stderr) says the command started and gives the PID of
   * coreutils `timeout`, which leads the command's own process group. Killing that group is
   * how an abort or a second Ctrl-C stops the command on the node (closing an SSH channel
   * does not). `timeout 0` sets up the group without a time limit; when the shell leads its
   * group already (sshd starts a session's command with setsid, and a login shell execs a
   * simple command), `timeout 0` has nothing to do, and the shell drops it: a process less.
   */
  private command(argv: readonly string[], options: ExecOptions): { line: string; marker: string; sudo?: SudoSession } {
    const nonce = randomBytes(8).toString('hex');
    const marker = `slipway-started-${nonce}`;
    const limit = options.timeoutMs !== undefined ? timeoutArg(options.timeoutMs) : '0';
    // Without stdin the command reads /dev/null, so the channel's stdin need not be closed: one
    // message (and on a slow link one round trip) less per command.
    const start = options.stdin === undefined ? 'exec "$@" </dev/null' : 'exec "$@"';
    const wrapped = ['sh', '-c', `printf "%s %s\\n" "$0" "$$" >&2; ${WITHOUT_TIMEOUT_0}${start}`, marker, 'timeout', '-k', '5', limit, ...argv];
    if (!this.becomes(options)) return { line: shellJoin(wrapped), marker };
    const sudo: SudoSession = { prompt: `[slipway-sudo-${nonce}] password:`, started: marker, password: this.options.sudoPassword };
    // -k: never lean on cached credentials, so sudo behaves the same for every command.
    const auth = sudo.password !== undefined ? ['-k', '-S', '-p', sudo.prompt] : ['-n'];
    return { line: shellJoin(['sudo', ...auth, '--', ...wrapped]), marker, sudo };
  }

  /** Kills a command's process group on the node (best effort: the host may be gone). */
  private killRemote(pid: number, options: ExecOptions): void {
    const become = options.become ?? this.target.become;
    const done = this.exec(['kill', '-KILL', '--', `-${pid}`], { become, timeoutMs: 10_000 }).then(
      () => undefined,
      () => undefined,
    );
    this.pendingKills.add(done);
    void done.finally(() => this.pendingKills.delete(done));
  }


  /** Why sudo did not start `argv`, from what sudo printed before giving up. */
  private becomeError(argv: readonly string[], sudo: SudoSession, said: string, code: number | null, promptsAnswered: number): BecomeError {
    const user = this.target.user;
    const text = lastLines(said.split(sudo.prompt).join('').replace(/\n{2,}/g, '\n').trim(), 3);
    if (sudo.password === undefined && /password is required/i.test(text)) {
      return new BecomeError(this.host, 'password-needed', `sudo needs a password for '${user}' to become root (ansible_become): set SLIPWAY_BECOME_PASSWORD or pass -K (--ask-become-pass)`);
    }
    if (sudo.password !== undefined && promptsAnswered > 0 && /incorrect password|try again|no password was provided|authentication failure/i.test(text)) {
      return new BecomeError(
        this.host,
        'password-refused',
        `sudo refused the become password for '${user}' (from SLIPWAY_BECOME_PASSWORD or -K); it is not offered again in this run (${text.split('\n').at(-1)})`,
      );
    }
    return new BecomeError(this.host, 'refused', `sudo as '${user}' did not run \`${displayArgv(argv)}\`: ${text || `sudo exited with code ${code}`}`);
  }

  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    if (argv.length === 0) throw new SlipwayError('empty command');
    // After sudo refused the password (or wanted one we do not have), do not ask it again:
    // each try is a failed login on the node, and enough of them lock the account.
    if (this.becomeRefused && this.becomes(options)) throw this.becomeRefused;
    const conn = await this.connection();
    const { line: command, marker, sudo } = this.command(argv, options);
    const started = Date.now();

    return new Promise<ExecResult>((resolve, reject) => {
      let channel: ClientChannel | undefined;
      let settled = false;
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let localTimer: NodeJS.Timeout | undefined;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        this.inFlight.delete(onLost);
        if (localTimer) clearTimeout(localTimer);
        options.signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const onLost = (e: Error) => finish(() => reject(e instanceof TransportError ? new TransportError(this.host, e.failure, `${e.failure === 'connection-lost' ? 'connection lost' : e.message} while running \`${argv.join(' ')}\``, { cause: e }) : e));
      let remotePid: number | undefined;
      const kill = () => {
        if (remotePid !== undefined) this.killRemote(remotePid, options);
        try {
          channel?.signal('KILL');
        } catch {
          /* channel gone */
        }
        channel?.close();
      };
      const onAbort = () => {
        kill();
        finish(() =>
          reject(new CommandError({ host: this.host, argv, code: null, signal: 'SIGKILL', stdout: text(out), stderr: text(err), interrupted: true })),
        );
      };
      this.inFlight.add(onLost);
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.timeoutMs !== undefined) {
        // The remote `timeout` kills the command; this catches a host that stopped answering.
        localTimer = setTimeout(() => {
          kill();
          finish(() => reject(new CommandError({ host: this.host, argv, code: null, stdout: text(out), stderr: text(err), timedOut: true })));
        }, options.timeoutMs + 10_000);
      }
      conn.exec(command, (e, ch) => {
        if (e) return finish(() => reject(new TransportError(this.host, 'connection-lost', `cannot open a session: ${errorText(e)}`, { cause: e })));
        channel = ch;
        // stderr is the wrapper's (and sudo's) until the command has started: the marker line.
        let preamble: Buffer | undefined = Buffer.alloc(0);
        let promptsAnswered = 0;
        ch.on('data', (b: Buffer) => out.push(b));
        ch.stderr.on('data', (b: Buffer) => {
          if (!preamble) return err.push(b);
          preamble = Buffer.concat([preamble, b]);
          const at = preamble.indexOf(`${marker} `);
          const eol = at >= 0 ? preamble.indexOf('\n', at) : -1;
          if (eol >= 0) {
            remotePid = Number(preamble.subarray(at + marker.length + 1, eol).toString('latin1'));
            const before = preamble.subarray(0, at);
            const rest = preamble.subarray(eol + 1);
            if (!sudo && before.length) err.push(before);
            if (rest.length) err.push(rest);
            preamble = undefined;
            if (sudo) ch.end(options.stdin ?? '');
            if (options.signal?.aborted) kill();
            return;
          }
          if (!sudo) return;
          const prompts = occurrences(preamble, sudo.prompt);
          if (prompts > promptsAnswered) {
            promptsAnswered = prompts;
            // Asked again means the password was wrong: never try it twice.
            if (prompts === 1 && sudo.password !== undefined) ch.write(`${sudo.password}\n`);
            else ch.end();
          }
        });
        let exitCode: number | null = null;
        let exitSignal: string | null = null;
        ch.on('exit', (code: number | null, signal?: string) => {
          exitCode = code;
          exitSignal = signal ?? null;
        });
        ch.on('close', () => {
          if (!sudo && preamble?.length) err.unshift(preamble); // the wrapper itself failed
          const stdout = text(out);
          const stderr = text(err);
          const elapsed = Date.now() - started;
          if (sudo && preamble && (exitCode !== null || exitSignal)) {
            const error = this.becomeError(argv, sudo, preamble.toString('utf8'), exitCode, promptsAnswered);
            if (error.reason !== 'refused') this.becomeRefused = error;
            return finish(() => reject(error));
          }
          if (options.timeoutMs !== undefined && (exitCode === 124 || exitCode === 137) && elapsed >= options.timeoutMs) {
            return finish(() => reject(new CommandError({ host: this.host, argv, code: exitCode, stdout, stderr, timedOut: true })));
          }
          if (exitCode === null) {
            if (exitSignal) return finish(() => reject(new CommandError({ host: this.host, argv, code: null, signal: `SIG${exitSignal}`, stdout, stderr })));
            return; // the connection dropped: onLost reports it
          }
          finish(() => resolve({ code: exitCode as number, stdout, stderr }));
        });
        if (!sudo && options.stdin !== undefined) ch.end(options.stdin);
      });
    });
  }

  async run(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const r = await this.exec(argv, options);
    if (r.code !== 0) throw new CommandError({ host: this.host, argv, code: r.code, stdout: r.stdout, stderr: r.stderr });
    return r;
  }

  async readFile(path: string): Promise<string | null> {
    return readFileResult(this.host, path, await this.exec(readFileArgv(path)));
  }

  /** Commands in one exec (src/transport/batch.ts); each gets its own result. */
  async execBatch(commands: readonly BatchCommand[], options: BatchOptions = {}): Promise<Array<ExecResult | Error>> {
    const nonce = randomBytes(8).toString('hex');
    const stdin = commands.find((c) => c.stdin !== undefined)?.stdin;
    // The commands run one after another: the batch may take as long as all their limits together.
    const limits = commands.map((c) => c.timeoutMs);
    const timeoutMs = limits.every((t) => t !== undefined) ? (limits as number[]).reduce((a, b) => a + b, 0) : undefined;
    const started = Date.now();
    const batch = await this.exec(['sh', '-c', batchScript(commands, nonce)], {
      ...(options.become !== undefined ? { become: options.become } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      ...(stdin !== undefined ? { stdin } : {}),
    });
    return parseBatch(commands, nonce, batch, this.host, Date.now() - started);
  }

  async writeFile(path: string, content: string, options: WriteOptions = {}): Promise<void> {
    writeFileResult(this.host, path, await this.exec(writeFileArgv(path, options), { stdin: content }), options);
  }

  async openUnixSocket(path: string): Promise<Duplex> {
    const conn = await this.connection();
    return new Promise<Duplex>((resolve, reject) => {
      conn.openssh_forwardOutStreamLocal(path, (err, stream) => {
        if (err) reject(new SlipwayError(`${this.host}: cannot open unix socket ${path} over SSH: ${errorText(err)}`, { cause: err }));
        else resolve(stream);
      });
    });
  }
}

function occurrences(haystack: Buffer, needle: string): number {
  let count = 0;
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + needle.length)) count++;
  return count;
}

function text(chunks: Buffer[]): string {
  return Buffer.concat(chunks).toString('utf8');
}

/** SSH to the nodes (one pooled connection a host), and the local machine: what the CLI runs with. */
export function sshRemotes(options: SshOptions = {}): RemoteFactory {
  const pool = new ConnectionPool(options);
  let local: LocalRemote | undefined;
  return {
    node: (host) => pool.get(host),
    local: () => (local ??= new LocalRemote()),
    close: () => pool.closeAll(),
  };
}

/** One connection per host for the whole run. */
export class ConnectionPool {
  private readonly remotes = new Map<string, SshRemote>();
  constructor(private readonly options: SshOptions = {}) {}

  get(host: InventoryHost): SshRemote {
    let r = this.remotes.get(host.name);
    if (!r) {
      r = new SshRemote(host, this.options);
      this.remotes.set(host.name, r);
    }
    return r;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.remotes.values()].map((r) => r.close()));
    this.remotes.clear();
  }
}
