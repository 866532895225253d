/**
 * The run journal: `journal.ndjson`, one event a line, append-only. Each line is written and
 * fsync'd before the runner goes on, so after a crash the journal says exactly which steps
 * had started and which had finished. Reading tolerates a torn last line.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import fs from 'node:fs/promises';
import type { RunEvent } from './events.js';
import { redactSecrets } from './redact.js';

export class Journal {
  private fd: number | undefined;
  constructor(readonly file: string) {}

  open(): void {
    this.fd ??= openSync(this.file, 'a', 0o600);
  }

  /** Appends one event and flushes it to disk before returning. */
  append(event: RunEvent): void {
    this.open();
    const line = `${JSON.stringify(redactSecrets(event))}\n`;
    writeSync(this.fd as number, line);
    fsyncSync(this.fd as number);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
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
