/**
 * A Remote for reads that may share a round trip: commands issued in the same turn of the event
 * loop (the facts of several steps, read together) go to the host as one exec, per `become`.
 * Only for read-only commands without stdin; anything else goes straight through. A transport
 * that cannot batch (local, in-memory) runs each command as it comes.
 */
import type { Duplex } from 'node:stream';
import { CommandError } from '../errors.js';
import { canBatch, readFileArgv, readFileResult, type BatchCommand, type BatchingTransport } from './batch.js';
import type { ExecOptions, ExecResult, Remote } from './types.js';

interface Queued {
  command: BatchCommand;
  become: boolean | undefined;
  signal: AbortSignal | undefined;
  resolve: (r: ExecResult) => void;
  reject: (e: unknown) => void;
}

export class BatchingRemote implements Remote {
  private queue: Queued[] = [];
  private scheduled = false;
  private readonly batching: (Remote & BatchingTransport) | undefined;

  /** `signal` kills a batch in flight (the run's kill switch); a command's own signal only drops its result. */
  constructor(
    private readonly inner: Remote,
    private readonly signal?: AbortSignal,
  ) {
    this.batching = canBatch(inner) ? (inner as Remote & BatchingTransport) : undefined;
  }

  get host(): string {
    return this.inner.host;
  }

  connect(): Promise<void> {
    return this.inner.connect?.() ?? Promise.resolve();
  }

  exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    if (!this.batching || options.stdin !== undefined) return this.inner.exec(argv, options);
    return new Promise<ExecResult>((resolve, reject) => {
      const signal = options.signal;
      if (signal?.aborted) return reject(interrupted(this.host, argv));
      const entry: Queued = {
        command: { argv, ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}) },
        become: options.become,
        signal,
        resolve,
        reject,
      };
      signal?.addEventListener('abort', () => reject(interrupted(this.host, argv)), { once: true });
      this.queue.push(entry);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  async run(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const r = await this.exec(argv, options);
    if (r.code !== 0) throw new CommandError({ host: this.host, argv, code: r.code, stdout: r.stdout, stderr: r.stderr });
    return r;
  }

  async readFile(path: string): Promise<string | null> {
    if (!this.batching) return this.inner.readFile(path);
    return readFileResult(this.host, path, await this.exec(readFileArgv(path)));
  }

  writeFile(path: string, content: string, options?: { mode?: number; owner?: string }): Promise<void> {
    return this.inner.writeFile(path, content, options);
  }

  openUnixSocket(path: string): Promise<Duplex> {
    return this.inner.openUnixSocket(path);
  }

  private flush(): void {
    this.scheduled = false;
    const queued = this.queue.filter((q) => !q.signal?.aborted);
    this.queue = [];
    const groups = new Map<string, Queued[]>();
    for (const q of queued) {
      const key = String(q.become);
      groups.set(key, [...(groups.get(key) ?? []), q]);
    }
    for (const group of groups.values()) void this.send(group);
  }

  /**
   * One exec for the group. The same command asked twice (three steps that each look at one
   * unit) runs once and answers each asker: what it prints cannot differ within one batch.
   */
  private async send(group: Queued[]): Promise<void> {
    const become = group[0]?.become;
    const options: ExecOptions = { ...(become !== undefined ? { become } : {}), ...(this.signal ? { signal: this.signal } : {}) };
    const distinct = new Map<string, { command: BatchCommand; askers: Queued[] }>();
    for (const q of group) {
      const key = JSON.stringify(q.command.argv);
      const seen = distinct.get(key);
      if (!seen) distinct.set(key, { command: q.command, askers: [q] });
      else {
        seen.askers.push(q);
        const [a, b] = [seen.command.timeoutMs, q.command.timeoutMs];
        // Each asker's own deadline still holds (it races the step's); the command gets the longest.
        seen.command = { argv: seen.command.argv, ...(a !== undefined && b !== undefined ? { timeoutMs: Math.max(a, b) } : {}) };
      }
    }
    const commands = [...distinct.values()];
    const answer = (i: number, r: ExecResult | Error | undefined) => {
      for (const q of commands[i]?.askers ?? []) {
        if (r === undefined || r instanceof Error) q.reject(r ?? interrupted(this.host, q.command.argv));
        else q.resolve(r);
      }
    };
    if (commands.length === 1) {
      const [only] = commands as [{ command: BatchCommand; askers: Queued[] }];
      const own = only.askers.length === 1 ? only.askers[0]?.signal : undefined;
      const signal = own ?? this.signal;
      const limits = only.command.timeoutMs !== undefined ? { timeoutMs: only.command.timeoutMs } : {};
      return this.inner.exec(only.command.argv, { ...options, ...limits, ...(signal ? { signal } : {}) }).then(
        (r) => answer(0, r),
        (e: unknown) => answer(0, e instanceof Error ? e : new Error(String(e))),
      );
    }
    try {
      const results = await (this.batching as BatchingTransport).execBatch(
        commands.map((c) => c.command),
        options,
      );
      commands.forEach((_, i) => answer(i, results[i]));
    } catch (err) {
      for (const q of group) q.reject(err);
    }
  }
}

function interrupted(host: string, argv: readonly string[]): CommandError {
  return new CommandError({ host, argv, code: null, stdout: '', stderr: '', interrupted: true });
}
