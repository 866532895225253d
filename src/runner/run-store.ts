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
import { journalState, nodeTally, type RunJournalState } from './journal-state.js';
import { liveOwnerOf, type LockOwner } from './node-locks.js';
import { processSecrets, redactSecrets } from './redact.js';

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
  // Owner only: undo records in the journal hold file contents as they were.
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await fs.chmod(dir, 0o700);
  const hide = <T>(data: T): T => processSecrets.redactData(redactSecrets(data));
  await fs.writeFile(path.join(dir, 'playbook.resolved.yaml'), stringify(hide(resolved.playbook)), { mode: 0o600 });
  await fs.writeFile(path.join(dir, 'inventory.resolved.yaml'), stringify(hide(resolved.inventory)), { mode: 0o600 });
  return { id, dir, journalFile: path.join(dir, 'journal.ndjson') };
}

export function runDirOf(id: string): RunDir {
  const dir = path.join(runsDir(), id);
  return { id, dir, journalFile: path.join(dir, 'journal.ndjson') };
}

/** Every run's id, oldest first (ids sort by time). */
export async function allRunIds(): Promise<string[]> {
  const dir = runsDir();
  if (!existsSync(dir)) return [];
  return (await fs.readdir(dir)).filter((id) => existsSync(path.join(dir, id, 'journal.ndjson'))).sort();
}

/** The newest run. */
export async function latestRunId(): Promise<string | undefined> {
  return (await allRunIds()).at(-1);
}

export interface RunListing {
  id: string;
  playbook: string;
  started: string;
  status: string;
  hosts: number;
  /** Nodes by outcome: done 3, failed 1, rolled-back 1, pending 2. */
  nodes: string;
  counts: string;
}

/** How a run stands, in words: a live process writing its journal means under way, not interrupted. */
export function runOutcome(state: RunJournalState, owner: LockOwner | undefined): string {
  if (owner) return `running (slipway ${owner.command}, pid ${owner.pid})`;
  return state.unfinished ? 'interrupted (resume it)' : (state.summary?.status ?? '?');
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
      out.push({ id, playbook: '?', started: '?', status: 'unreadable journal', hosts: 0, nodes: '', counts: '' });
      continue;
    }
    const start = events.find((e): e is RunStartEvent => e.type === 'run.start');
    if (!start) continue;
    const state = journalState(events);
    const status = runOutcome(state, await liveOwnerOf(path.join(dir, id)));
    const lastSummary = events.findLast((e): e is RunSummaryEvent => e.type === 'run.summary');
    const counts = lastSummary
      ? `${lastSummary.total.ok} ok, ${lastSummary.total.changed} changed, ${lastSummary.total.skipped} skipped, ${lastSummary.total.failed} failed`
      : '';
    out.push({ id, playbook: start.playbookName, started: start.ts, status, hosts: start.hosts.length, nodes: nodeTally(state), counts });
  }
  return out;
}
