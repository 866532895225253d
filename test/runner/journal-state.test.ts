import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/runner/events.js';
import { Journal, readJournal } from '../../src/runner/journal.js';
import { journalState } from '../../src/runner/journal-state.js';
import { changesToUndo } from '../../src/runner/rollback.js';

const ts = '2026-11-23T00:00:00.000Z';
const start: RunEvent = {
  ts,
  type: 'run.start',
  runId: 'r1',
  inputs: { playbookFile: 'p.yaml', inventoryFile: 'i.yaml', limit: undefined, extraVars: {}, sshConfigFile: undefined },
  playbook: 'p.yaml',
  playbookName: 'p',
  inventory: 'i.yaml',
  hosts: ['n1', 'n2'],
  batches: [['n1', 'n2']],
  steps: [],
  playbookHash: 'x',
  inventoryHash: 'y',
};
const done = (host: string, step: string, index: number, status: 'ok' | 'changed', checkpoint = false): RunEvent => ({
  ts,
  type: 'step.done',
  host,
  step,
  index,
  status,
  summary: '',
  durationMs: 1,
  attempts: 1,
  ...(status === 'changed' ? { undo: { step } } : {}),
  ...(checkpoint ? { checkpoint: true } : {}),
});

describe('journal state', () => {
  it('tracks done steps, in-flight steps, applied changes and the last checkpoint', () => {
    const s = journalState([
      start,
      { ts, type: 'step.start', host: 'n1', step: 'a', index: 0 },
      done('n1', 'a', 0, 'changed', true),
      { ts, type: 'step.start', host: 'n1', step: 'b', index: 1 },
      done('n1', 'b', 1, 'ok'),
      { ts, type: 'step.start', host: 'n1', step: 'c', index: 2 },
      done('n1', 'c', 2, 'changed'),
      { ts, type: 'step.start', host: 'n1', step: 'd', index: 3 },
    ]);
    const n1 = s.nodes.get('n1');
    expect([...(n1?.done ?? [])]).toEqual(['a', 'b', 'c']);
    expect([...(n1?.inFlight ?? [])]).toEqual(['d']);
    expect(n1?.applied.map((a) => a.step)).toEqual(['a', 'c']);
    expect(n1?.lastCheckpoint).toBe(0);
    expect(s.unfinished).toBe(true);
    expect(changesToUndo(n1!, { to: 'checkpoint' }).map((c) => c.step)).toEqual(['c']);
    expect(changesToUndo(n1!, { to: 'start' }).map((c) => c.step)).toEqual(['c', 'a']);
  });

  it('keeps the steps whose last attempt failed until they are done (they may have changed the node part-way)', () => {
    const failed = (step: string, index: number): RunEvent => ({ ts, type: 'step.failed', host: 'n1', step, index, kind: 'step', error: 'boom', durationMs: 1, attempts: 1 });
    const s = journalState([start, { ts, type: 'step.start', host: 'n1', step: 'a', index: 0 }, failed('a', 0), { ts, type: 'step.start', host: 'n1', step: 'b', index: 1 }, failed('b', 1), done('n1', 'b', 1, 'changed')]);
    const n1 = s.nodes.get('n1');
    expect([...(n1?.failed ?? [])]).toEqual(['a']);
    expect([...(n1?.inFlight ?? [])]).toEqual([]);
  });

  it('forgets changes that were rolled back', () => {
    const s = journalState([
      start,
      done('n2', 'a', 0, 'changed'),
      done('n2', 'b', 1, 'changed', true),
      { ts, type: 'rollback.step.done', host: 'n2', step: 'b', index: 1 },
      { ts, type: 'rollback.end', host: 'n2', status: 'rolled-back' },
    ]);
    const n2 = s.nodes.get('n2');
    expect(n2?.applied.map((a) => a.step)).toEqual(['a']);
    expect(n2?.lastCheckpoint).toBe(-1);
    expect(n2?.done.has('b')).toBe(false);
    expect(n2?.status).toBe('rolled-back');
  });

  it('writes one fsync-ed line an event and reads back a torn tail', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-journal-'));
    const file = path.join(dir, 'journal.ndjson');
    const j = new Journal(file);
    j.append(start);
    j.append({ ts, type: 'node.start', host: 'n1' });
    j.close();
    await fs.appendFile(file, '{"ts":"x","type":"step.st');
    const r = await readJournal(file);
    expect(r.events.map((e) => e.type)).toEqual(['run.start', 'node.start']);
    expect(r.tornTail).toBe(true);
    await fs.writeFile(file, '{"broken\n{"ts":"x","type":"node.start","host":"n1"}\n');
    await expect(readJournal(file)).rejects.toThrow(/:1: unreadable journal line/);
    await fs.rm(dir, { recursive: true });
  });

  it('keeps secrets out of the journal', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-journal-'));
    const file = path.join(dir, 'journal.ndjson');
    const j = new Journal(file);
    const withSecret = { ...start, inputs: { playbookFile: 'p.yaml', inventoryFile: 'i.yaml', limit: undefined, sshConfigFile: undefined, extraVars: { registry_password: 'hunter2', version: '1.2' } } };
    j.append(withSecret as RunEvent);
    j.close();
    const text = await fs.readFile(file, 'utf8');
    expect(text).not.toContain('hunter2');
    expect(text).toContain('"registry_password":"<redacted>"');
    expect(text).toContain('"version":"1.2"');
    await fs.rm(dir, { recursive: true });
  });
});
