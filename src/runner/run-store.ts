/**
 * Runs on disk: `.slipway/runs/<id>/` with journal.ndjson, the resolved playbook and
 * inventory (secrets redacted), and the summary.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import type { Counts, NodeOutcome, RunEvent, RunStartEvent, RunSummaryEvent } from './events.js';
import { readJournal } from './journal.js';
import { journalState, nodeOutcomes, type RunJournalState } from './journal-state.js';
import { msBetween } from '../time-text.js';
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

export type RunStatus = 'running' | 'interrupted' | 'succeeded' | 'failed';

export interface RunListing {
  id: string;
  playbook: string;
  started: string;
  /** The journal's last event. */
  ended: string;
  durationMs: number;
  status: RunStatus | 'unreadable';
  /** The live process that runs it now (status running). */
  owner?: { command: LockOwner['command']; pid: number };
  hosts: number;
  /** Nodes by outcome. */
  nodes: Partial<Record<NodeOutcome, number>>;
  /** The last pass's step counts (absent when it did not finish). */
  counts?: Counts;
}

/** How a run stands: a live process writing its journal means running, not interrupted. */
export function runStatus(state: RunJournalState, owner: LockOwner | undefined): RunStatus {
  if (owner) return 'running';
  if (state.unfinished) return 'interrupted';
  return state.summary?.status === 'succeeded' ? 'succeeded' : state.summary?.status === 'interrupted' ? 'interrupted' : 'failed';
}

/** A run's status in words: `running (slipway run, pid 4242)`, `interrupted (resume it)`. */
export function outcomeText(r: Pick<RunListing, 'status' | 'owner'>): string {
  if (r.status === 'running' && r.owner) return `running (slipway ${r.owner.command}, pid ${r.owner.pid})`;
  return r.status === 'interrupted' ? 'interrupted (resume it)' : r.status;
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
      out.push({ id, playbook: '?', started: '?', ended: '?', durationMs: 0, status: 'unreadable', hosts: 0, nodes: {} });
      continue;
    }
    const start = events.find((e): e is RunStartEvent => e.type === 'run.start');
    if (!start) continue;
    const state = journalState(events);
    const owner = await liveOwnerOf(path.join(dir, id));
    const lastSummary = events.findLast((e): e is RunSummaryEvent => e.type === 'run.summary');
    const ended = events.at(-1)?.ts ?? start.ts;
    out.push({
      id,
      playbook: start.playbookName,
      started: start.ts,
      ended,
      durationMs: msBetween(start.ts, ended),
      status: runStatus(state, owner),
      ...(owner ? { owner: { command: owner.command, pid: owner.pid } } : {}),
      hosts: start.hosts.length,
      nodes: nodeOutcomes(state),
      ...(lastSummary && !state.unfinished ? { counts: lastSummary.total } : {}),
    });
  }
  return out;
}
