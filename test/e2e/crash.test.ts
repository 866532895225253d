/**
 * Crash safety: the orchestrator is killed with SIGKILL at random moments of a run over 8
 * nodes, again and again; each time, `slipway resume` brings every node to the playbook's end
 * state, no step is applied twice when its check said it was done, and every journal reads.
 * (`bench/crash-loop.sh` runs the same loop 200 times.)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJournal } from '../../src/runner/journal.js';
import { journalState } from '../../src/runner/journal-state.js';
import { useFleet } from '../fleet/fixture.js';
import { CLI, slipway, why } from '../support/cli.js';
import { crashPlaybook, verifyEndState } from '../support/crash.js';

const ITERATIONS = Number(process.env.SLIPWAY_CRASH_ITERATIONS ?? 12);
const f = useFleet({ nodes: 8 });
let work: string;

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-crash-'));
  await fs.writeFile(path.join(work, 'crash.yaml'), crashPlaybook());
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

/** Starts a run and SIGKILLs it after `delayMs` (or lets it finish if it is faster). */
function runAndKill(args: string[], env: Record<string, string>, delayMs: number): Promise<{ killed: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: 'ignore' });
    let killed = false;
    const timer = setTimeout(() => {
      killed = child.kill('SIGKILL');
    }, delayMs);
    child.on('close', () => {
      clearTimeout(timer);
      resolve({ killed });
    });
  });
}

describe('crash safety', () => {
  it(`resumes to the end state after SIGKILL at random moments (${ITERATIONS} times)`, { timeout: Math.max(600_000, ITERATIONS * 10_000) }, async () => {
    let kills = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const stateDir = path.join(work, `state-${i}`);
      const env = { SLIPWAY_STATE_DIR: stateDir };
      const args = ['run', path.join(work, 'crash.yaml'), '-i', f.fleet.inventoryFile, '-e', `iter=${i}`, '--output', 'json'];
      // Anywhere from before the first connection to the middle of the last batch.
      const delay = 150 + Math.floor(Math.random() * 1800);
      const { killed } = await runAndKill(args, env, delay);
      if (killed) kills++;
      // Resume until the run succeeds; a kill may have come before run.start was written.
      const runsDir = path.join(stateDir, 'runs');
      const ids = await fs.readdir(runsDir).catch(() => [] as string[]);
      let journalFile: string | undefined;
      if (ids.length === 0 || !(await fs.stat(path.join(runsDir, ids[0] as string, 'journal.ndjson')).catch(() => null))) {
        const r = await slipway(args, { env });
        expect(r.code, why(r)).toBe(0);
        // A kill between creating the run folder and the first journal line leaves a folder
        // without a journal (nothing ran); the run that counts is the one with a journal.
        const withJournal = [];
        for (const id of (await fs.readdir(runsDir)).sort()) {
          if (await fs.stat(path.join(runsDir, id, 'journal.ndjson')).catch(() => null)) withJournal.push(id);
        }
        journalFile = path.join(runsDir, withJournal.at(-1) as string, 'journal.ndjson');
      } else {
        journalFile = path.join(runsDir, ids[0] as string, 'journal.ndjson');
        const contents = await readJournal(journalFile);
        const hasStart = contents.events.some((e) => e.type === 'run.start');
        const r = hasStart ? await slipway(['resume', ids[0] as string, '--output', 'json'], { env }) : await slipway(args, { env });
        expect(r.code, `iteration ${i} (killed after ${delay} ms): ${r.stderr}`).toBe(0);
      }
      const contents = await readJournal(journalFile);
      const state = journalState(contents.events);
      expect(state.unfinished).toBe(false);
      expect(state.summary?.status).toBe('succeeded');
      await verifyEndState(f.fleet, i);
      if (ITERATIONS > 20 && (i + 1) % 20 === 0) console.log(`crash loop: ${i + 1}/${ITERATIONS} iterations ended in the end state (${kills} kills so far)`);
    }
    // The random delays must actually have interrupted runs, or the test proves nothing.
    expect(kills).toBeGreaterThanOrEqual(Math.ceil(ITERATIONS / 2));
  });
});
