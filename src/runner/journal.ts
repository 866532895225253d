/**
 * The run journal: `journal.ndjson`, one event a line, append-only. Each line is written (to
 * the file, so a killed process loses none) as the event happens; `sync()` resolves once every
 * line written before it is on disk (fsync). The runner awaits it before a step touches a node
 * and before an undo, so after a crash the journal says exactly which steps had started and
 * which had finished. The fsyncs of every lane that waits at the same moment are one (group
 * commit), done off the event loop: one fsync per event stalled every lane (~19 % of a
 * 50-node run's event-loop time). Reading tolerates a torn last line.
 */
import { closeSync, fsync, fsyncSync, openSync, writeSync } from 'node:fs';
import fs from 'node:fs/promises';
import type { RunEvent } from './events.js';
import { redactSecrets } from './redact.js';

type Fsync = (fd: number, done: (err: NodeJS.ErrnoException | null) => void) => void;

export class Journal {
  private fd: number | undefined;
  /** Lines written, and lines known to be on disk. */
  private written = 0;
  private synced = 0;
  private flushing: Promise<void> | undefined;
  /** How many fsyncs were made (for tests and the benchmark). */
  fsyncs = 0;
  constructor(
    readonly file: string,
    private readonly fsyncFn: Fsync = fsync,
  ) {}

  open(): void {
    this.fd ??= openSync(this.file, 'a', 0o600);
  }

  /** Appends one event; it is on disk once a later `sync()` resolves. */
  append(event: RunEvent): void {
    this.open();
    writeSync(this.fd as number, `${JSON.stringify(redactSecrets(event))}\n`);
    this.written++;
  }

  /** Resolves when every line appended so far is on disk. */
  async sync(): Promise<void> {
    const want = this.written;
    while (this.synced < want) {
      // One fsync at a time; callers that come while it runs share the next one.
      this.flushing ??= this.flush();
      await this.flushing;
    }
  }

  private flush(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      // Let every lane that is about to wait append first: they all share this fsync.
      setImmediate(() => {
        const upTo = this.written;
        if (this.fd === undefined) {
          // Closed meanwhile: close() fsync'd every line (a waiter must not spin on it).
          this.synced = this.written;
          this.flushing = undefined;
          resolve();
          return;
        }
        this.fsyncs++;
        this.fsyncFn(this.fd, (err) => {
          this.flushing = undefined;
          if (err) reject(err);
          else {
            this.synced = Math.max(this.synced, upTo);
            resolve();
          }
        });
      });
    });
  }

  /** Closes the file; what is written and not yet on disk is fsync'd first. */
  close(): void {
    if (this.fd === undefined) return;
    if (this.synced < this.written) {
      fsyncSync(this.fd);
      this.fsyncs++;
      this.synced = this.written;
    }
    closeSync(this.fd);
    this.fd = undefined;
  }
}

export interface JournalContents {
  events: RunEvent[];
  /** A last line cut short by a crash (ignored). */
  tornTail: boolean;
}

export async function readJournal(file: string): Promise<JournalContents> {
  const text = await fs.readFile(file, 'utf8');
  const lines = text.split('\n');
  const events: RunEvent[] = [];
  let tornTail = false;
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      events.push(JSON.parse(line) as RunEvent);
    } catch (err) {
      // Only the last line can be torn (a crash during a write); anything else is damage.
      const isLast = lines.slice(i + 1).every((l) => !l.trim());
      if (isLast) tornTail = true;
      else throw new Error(`${file}:${i + 1}: unreadable journal line: ${(err as Error).message}`);
    }
  });
  return { events, tornTail };
}
