/** What resume and rollback start from: a run's journal, and the inputs it was started with. */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { InputError } from '../errors.js';
import type { RunEvent } from '../runner/events.js';
import { readJournal } from '../runner/journal.js';
import { journalState, type RunJournalState } from '../runner/journal-state.js';
import { REDACTED } from '../runner/redact.js';
import { latestRunId, runDirOf, type RunDir } from '../runner/run-store.js';
import { loadRunInputs, type LoadedInputs } from './inputs.js';

export interface OpenedRun {
  runId: string;
  runDir: RunDir;
  state: RunJournalState;
  /** The journal's events, oldest first (a torn last line left out). */
  events: RunEvent[];
  tornTail: boolean;
}

/** Loads a run's journal (the latest run when no id is given). */
export async function openRun(runIdArg: string | undefined): Promise<OpenedRun> {
  const runId = runIdArg ?? (await latestRunId());
  if (!runId) throw new InputError('no runs yet: nothing to resume or roll back');
  const runDir = runDirOf(runId);
  let contents;
  try {
    contents = await readJournal(runDir.journalFile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new InputError(`no run '${runId}' (no ${runDir.journalFile}); \`slipway runs\` lists them`);
    throw new InputError(`run ${runId}: ${(err as Error).message}`);
  }
  let state: RunJournalState;
  try {
    state = journalState(contents.events);
  } catch (err) {
    throw new InputError(`run ${runId}: ${(err as Error).message}`);
  }
  return { runId, runDir, state, events: contents.events, tornTail: contents.tornTail };
}

async function fileHash(file: string): Promise<string> {
  return createHash('sha256').update(await fs.readFile(file)).digest('hex');
}

/** Re-reads the run's playbook and inventory; refuses when they changed, unless forced. */
export async function reloadInputs(
  state: RunJournalState,
  extra: Record<string, unknown>,
  force: boolean,
  runId: string,
): Promise<{ loaded: LoadedInputs; extraVars: Record<string, unknown>; changed: string[] }> {
  const inputs = state.start.inputs;
  const extraVars = { ...inputs.extraVars, ...extra };
  const missing = Object.entries(extraVars).filter(([, v]) => v === REDACTED).map(([k]) => k);
  if (missing.length) throw new InputError(`run ${runId} was started with secret extra vars (${missing.join(', ')}); give them again: ${missing.map((k) => `-e ${k}=...`).join(' ')}`);
  const changed: string[] = [];
  const playbookHash = await fileHash(inputs.playbookFile).catch(() => 'missing');
  const inventoryHash = await fileHash(inputs.inventoryFile).catch(() => 'missing');
  if (playbookHash !== state.start.playbookHash) changed.push(`playbook ${inputs.playbookFile}${playbookHash === 'missing' ? ' is gone' : ' changed'}`);
  if (inventoryHash !== state.start.inventoryHash) changed.push(`inventory ${inputs.inventoryFile}${inventoryHash === 'missing' ? ' is gone' : ' changed'}`);
  if (changed.length && !force) {
    throw new InputError(`run ${runId}: the ${changed.join(' and the ')} since the run started, so going on could apply a different runbook than the journal recorded. Check the changes, then pass --force to go on anyway`);
  }
  const loaded = await loadRunInputs(inputs, extraVars);
  return { loaded, extraVars, changed };
}
