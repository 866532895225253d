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

  private async send(group: Queued[]): Promise<void> {
    const become = group[0]?.become;
    const options: ExecOptions = { ...(become !== undefined ? { become } : {}), ...(this.signal ? { signal: this.signal } : {}) };
    if (group.length === 1) {
      const [only] = group as [Queued];
      const limits = only.command.timeoutMs !== undefined ? { timeoutMs: only.command.timeoutMs } : {};
      const signal = only.signal ?? this.signal;
      return this.inner.exec(only.command.argv, { ...options, ...limits, ...(signal ? { signal } : {}) }).then(only.resolve, only.reject);
    }
    try {
      const results = await (this.batching as BatchingTransport).execBatch(
        group.map((q) => q.command),
        options,
      );
      group.forEach((q, i) => {
        const r = results[i];
        if (r === undefined || r instanceof Error) q.reject(r ?? interrupted(this.host, q.command.argv));
        else q.resolve(r);
      });
    } catch (err) {
      for (const q of group) q.reject(err);
    }
  }
}

function interrupted(host: string, argv: readonly string[]): CommandError {
  return new CommandError({ host, argv, code: null, stdout: '', stderr: '', interrupted: true });
}
