/**
 * A Remote for reads that may share a round trip: commands issued in the same turn of the event
 * loop (the facts of several steps, read together) go to the host as one exec, per `become`.
 * Read-only commands without stdin; and a step's last change (ExecOptions.last), which leads the
 * reads issued after it (its convergence check, the next step's facts) in one exec: they run
 * after it, and anything else queued with it, or not batched (a socket, a write), waits until it
 * is done. Any other command goes straight through. A transport that cannot batch (local,
 * in-memory) runs each command as it comes.
 */
import type { Duplex } from 'node:stream';
import { CommandError } from '../errors.js';
import { canBatch, readFileArgv, readFileResult, writeFileArgv, writeFileResult, type BatchCommand, type BatchingTransport } from './batch.js';
import type { ExecOptions, ExecResult, Remote, WriteOptions } from './types.js';

interface Queued {
  command: BatchCommand;
  /** A change (ExecOptions.last): sent once, never merged with another command. */
  changes: boolean;
  become: boolean | undefined;
  signal: AbortSignal | undefined;
  resolve: (r: ExecResult) => void;
  reject: (e: unknown) => void;
}

export class BatchingRemote implements Remote {
  private queue: Queued[] = [];
  /** Changes (ExecOptions.last) sent and not yet answered. */
  private readonly changesInFlight = new Set<Promise<void>>();
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

  /** Commands of one turn do go as one exec (the transport can batch): a change runs before the reads queued after it. */
  get batches(): boolean {
    return this.batching !== undefined;
  }

  connect(): Promise<void> {
    return this.inner.connect?.() ?? Promise.resolve();
  }

  exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const changes = options.last === true;
    if (!this.batching) return this.inner.exec(argv, options);
    if (options.stdin !== undefined && !changes) return this.afterChanges(() => this.inner.exec(argv, options));
    const queued = new Promise<ExecResult>((resolve, reject) => {
      const signal = options.signal;
      if (signal?.aborted) return reject(interrupted(this.host, argv));
      const entry: Queued = {
        command: {
          argv,
          ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
          ...(changes ? { changes } : {}),
          ...(changes && options.stdin !== undefined ? { stdin: options.stdin } : {}),
        },
        changes,
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
    if (changes) {
      const settled = queued.then(
        () => undefined,
        () => undefined,
      );
      this.changesInFlight.add(settled);
      void settled.then(() => this.changesInFlight.delete(settled));
    }
    return queued;
  }

  /**
   * What does not go in a batch (a stream to a socket, a write, a command with stdin) waits for
   * the changes in flight: a read of the next step's facts over the runtime's socket, issued with
   * a step's last command, must not run before it (a CRI call before the runtime has started).
   */
  private async afterChanges<T>(send: () => Promise<T>): Promise<T> {
    if (this.changesInFlight.size > 0) await Promise.all([...this.changesInFlight]);
    return send();
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

  async writeFile(path: string, content: string, options: WriteOptions = {}): Promise<void> {
    if (!this.batching) return this.inner.writeFile(path, content, options);
    if (!options.last) return this.afterChanges(() => this.inner.writeFile(path, content, options));
    writeFileResult(this.host, path, await this.exec(writeFileArgv(path, options), { stdin: content, last: true }), options);
  }

  openUnixSocket(path: string): Promise<Duplex> {
    return this.afterChanges(() => this.inner.openUnixSocket(path));
  }

  private flush(): void {
    this.scheduled = false;
    const queued = this.queue.filter((q) => !q.signal?.aborted);
    this.queue = [];
    if (queued.some((q) => q.changes)) void this.sendInOrder(queued);
    else for (const group of byBecome(queued)) void this.send(group);
  }

  /**
   * Queued with a change: each change starts a segment. A segment's reads that share the
   * change's `become` go in its exec, after it; the rest are sent once it is done, so no read
   * issued after a change can run before it.
   */
  private async sendInOrder(queued: Queued[]): Promise<void> {
    let rest = queued;
    while (rest.length > 0) {
      const next = rest.findIndex((q, i) => i > 0 && q.changes);
      const segment = next < 0 ? rest : rest.slice(0, next);
      rest = next < 0 ? [] : rest.slice(next);
      const groups = byBecome(segment);
      const first = groups.find((g) => g.some((q) => q.changes));
      if (first) await this.send(first);
      await Promise.all(groups.filter((g) => g !== first).map((g) => this.send(g)));
    }
  }

  /**
   * One exec for the group. The same read asked twice (three steps that each look at one unit)
   * runs once and answers each asker: what it prints cannot differ within one batch.
   */
  private async send(group: Queued[]): Promise<void> {
    const become = group[0]?.become;
    const change = group.find((q) => q.changes);
    // A change in the batch: its own signal (the step's deadline) kills the exec, and it with it.
    const batchSignal = change?.signal ?? this.signal;
    const options: ExecOptions = { ...(become !== undefined ? { become } : {}), ...(batchSignal ? { signal: batchSignal } : {}) };
    const distinct = new Map<unknown, { command: BatchCommand; askers: Queued[] }>();
    for (const q of group) {
      // A change is its own entry: its key (the entry itself) matches no other.
      const key: unknown = q.changes ? q : JSON.stringify(q.command.argv);
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
      const { timeoutMs, stdin } = only.command;
      const execWith: ExecOptions = {
        ...options,
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        ...(stdin !== undefined ? { stdin } : {}),
        ...(signal ? { signal } : {}),
      };
      return this.inner.exec(only.command.argv, execWith).then(
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
      // The batch as a whole failed: each command's error names the command, not the batch.
      for (const q of group) q.reject(ownError(err, this.host, q.command.argv));
    }
  }
}

/** The queued commands by `become`, in the order they came. */
function byBecome(queued: readonly Queued[]): Queued[][] {
  const groups = new Map<string, Queued[]>();
  for (const q of queued) {
    const key = String(q.become);
    groups.set(key, [...(groups.get(key) ?? []), q]);
  }
  return [...groups.values()];
}

/** A batch's CommandError as one of its commands': the same outcome, that command's argv. */
function ownError(err: unknown, host: string, argv: readonly string[]): unknown {
  if (!(err instanceof CommandError)) return err;
  return new CommandError({
    host,
    argv,
    code: err.code,
    stdout: err.stdout,
    stderr: err.stderr,
    ...(err.signal ? { signal: err.signal } : {}),
    ...(err.timedOut ? { timedOut: true } : {}),
    ...(err.interrupted ? { interrupted: true } : {}),
  });
}

function interrupted(host: string, argv: readonly string[]): CommandError {
  return new CommandError({ host, argv, code: null, stdout: '', stderr: '', interrupted: true });
}
