/**
 * A Remote whose every command carries the step's abort signal and the time left before the
 * step's deadline, so a step's timeout kills its remote commands without each step type
 * having to thread limits through.
 */
import type { Duplex } from 'node:stream';
import { CommandError } from '../errors.js';
import type { ExecOptions, ExecResult, Remote, WriteOptions } from '../transport/types.js';

export class DeadlineRemote implements Remote {
  constructor(
    private readonly inner: Remote,
    private readonly signal: AbortSignal,
    private readonly deadline: number,
  ) {}

  get host(): string {
    return this.inner.host;
  }

  private limits(options: ExecOptions = {}, argv: readonly string[]): ExecOptions {
    const left = this.deadline - Date.now();
    if (left <= 0) throw new CommandError({ host: this.host, argv, code: null, stdout: '', stderr: '', timedOut: true });
    const timeoutMs = Math.min(options.timeoutMs ?? left, left);
    return { ...options, timeoutMs, signal: options.signal ?? this.signal };
  }

  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    return this.inner.exec(argv, this.limits(options, argv));
  }
  run(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    return this.inner.run(argv, this.limits(options, argv));
  }
  readFile(path: string): Promise<string | null> {
    return this.inner.readFile(path);
  }
  writeFile(path: string, content: string, options?: WriteOptions): Promise<void> {
    return this.inner.writeFile(path, content, options);
  }
  openUnixSocket(path: string): Promise<Duplex> {
    return this.inner.openUnixSocket(path);
  }
}
