/**
 * Runs on disk: `.slipway/runs/<id>/` with journal.ndjson, the resolved playbook and
 * inventory (secrets redacted), and the summary.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import type { RunEvent, RunStartEvent, RunSummaryEvent } from './events.js';
import { readJournal } from './journal.js';
import { redactSecrets } from './redact.js';

export function stateDir(): string {
  return path.resolve(process.env.SLIPWAY_STATE_DIR ?? '.slipway');
}

export function runsDir(): string {
  return path.join(stateDir(), 'runs');
}

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export interface RunDir {
  id: string;
  dir: string;
  journalFile: string;
}

export async function createRunDir(id: string, resolved: { playbook: unknown; inventory: unknown }): Promise<RunDir> {
  const dir = path.join(runsDir(), id);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await fs.writeFile(path.join(dir, 'playbook.resolved.yaml'), stringify(redactSecrets(resolved.playbook)), { mode: 0o600 });
  await fs.writeFile(path.join(dir, 'inventory.resolved.yaml'), stringify(redactSecrets(resolved.inventory)), { mode: 0o600 });
  return { id, dir, journalFile: path.join(dir, 'journal.ndjson') };
}

export interface RunListing {
  id: string;
  playbook: string;
  started: string;
  status: string;
  hosts: number;
  counts: string;
}

export async function listRuns(): Promise<RunListing[]> {
  const dir = runsDir();
  if (!existsSync(dir)) return [];
  const ids = (await fs.readdir(dir)).sort();
  const out: RunListing[] = [];
  for (const id of ids) {
    const journal = path.join(dir, id, 'journal.ndjson');
    if (!existsSync(journal)) continue;
    let events: RunEvent[] = [];
    try {
      events = (await readJournal(journal)).events;
    } catch {
      out.push({ id, playbook: '?', started: '?', status: 'unreadable', hosts: 0, counts: '' });
      continue;
    }
    const start = events.find((e): e is RunStartEvent => e.type === 'run.start');
    const summary = events.findLast((e): e is RunSummaryEvent => e.type === 'run.summary');
    const status = summary ? summary.status : 'interrupted (no summary: resume it)';
    const counts = summary
      ? `${summary.total.ok} ok, ${summary.total.changed} changed, ${summary.total.skipped} skipped, ${summary.total.failed} failed`
      : '';
    out.push({ id, playbook: start?.playbookName ?? '?', started: start?.ts ?? '?', status, hosts: start?.hosts.length ?? 0, counts });
  }
  return out;
}
