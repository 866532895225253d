/**
 * The remote a step's apply runs on in a run. Its last command (ExecOptions.last) goes through
 * the lane's batching remote for the host, and the reads that check the step (with the next
 * step's facts) are issued in the same turn: they share that command's exec and run after it, so
 * a changing step costs one exec, not its commands and then a read. A command sent after the
 * last one means those reads may be stale: `readsHold` says whether they can stand as the
 * step's convergence check.
 */
import type { Duplex } from 'node:stream';
import type { ExecOptions, ExecResult, Remote, WriteOptions } from '../transport/types.js';

export class ConvergingRemote implements Remote {
  private sentLast = false;
  private sentAfterLast = false;

  /** `batched`: the same host's BatchingRemote; `onLast`: issues the reads, synchronously. */
  constructor(
    private readonly inner: Remote,
    private readonly batched: Remote,
    private readonly onLast: () => void,
  ) {}

  get host(): string {
    return this.inner.host;
  }

  /** The last command was sent. */
  get lastSent(): boolean {
    return this.sentLast;
  }

  /** The reads issued with the last command saw the node as apply left it: nothing was sent after it. */
  get readsHold(): boolean {
    return this.sentLast && !this.sentAfterLast;
  }

  private route<T>(last: boolean | undefined, send: (remote: Remote) => Promise<T>): Promise<T> {
    if (this.sentLast) {
      this.sentAfterLast = true;
      return send(this.inner);
    }
    if (!last) return send(this.inner);
    const sent = send(this.batched);
    this.sentLast = true;
    this.onLast();
    return sent;
  }

  connect(): Promise<void> {
    return this.inner.connect?.() ?? Promise.resolve();
  }
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    return this.route(options?.last, (r) => r.exec(argv, options));
  }
  run(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    return this.route(options?.last, (r) => r.run(argv, options));
  }
  /** A read: it changes nothing, whenever it comes. */
  readFile(path: string): Promise<string | null> {
    return this.inner.readFile(path);
  }
  writeFile(path: string, content: string, options?: WriteOptions): Promise<void> {
    return this.route(options?.last, (r) => r.writeFile(path, content, options));
  }
  /** A stream may change the node (a CRI call): after the last command, the reads are stale. */
  openUnixSocket(path: string): Promise<Duplex> {
    if (this.sentLast) this.sentAfterLast = true;
    return this.inner.openUnixSocket(path);
  }
}
