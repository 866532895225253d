/** The journal's group commit: lines written at once, fsync'd together, and a run that waits for them before touching a node. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/runner/events.js';
import { Journal, readJournal } from '../../src/runner/journal.js';
import { MemoryFleet, MemoryJournal, runInMemory } from './memory.js';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-journal-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const event = (host: string, i: number): RunEvent => ({ type: 'node.start', ts: `2026-12-01T10:00:${String(i).padStart(2, '0')}.000Z`, host });

describe('journal group commit', () => {
  it('twenty lanes that append and wait at the same moment share one fsync, which covers every line', async () => {
    const file = path.join(dir, 'group.ndjson');
    const sizesAtFsync: number[] = [];
    const j = new Journal(file, (fd, done) => {
      void fs.stat(file).then((st) => {
        sizesAtFsync.push(st.size);
        done(null);
      });
    });
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        j.append(event(`n${i}`, i));
        await j.sync();
      }),
    );
    expect(j.fsyncs).toBe(1);
    const size = (await fs.stat(file)).size;
    expect(sizesAtFsync).toEqual([size]); // the one fsync came after the last line was written
    j.close();
    expect((await readJournal(file)).events).toHaveLength(20);
  });

  it('a line appended while an fsync runs waits for the next one', async () => {
    const file = path.join(dir, 'next.ndjson');
    const pending: Array<() => void> = [];
    const j = new Journal(file, (_fd, done) => pending.push(() => done(null)));
    j.append(event('a', 1));
    const first = j.sync();
    await new Promise((r) => setImmediate(r)); // the fsync for line 1 has started
    expect(pending).toHaveLength(1);
    j.append(event('b', 2));
    let secondDone = false;
    const second = j.sync().then(() => (secondDone = true));
    pending.shift()?.(); // line 1's fsync ends: it does not cover line 2
    await first;
    await new Promise((r) => setImmediate(r));
    expect(secondDone).toBe(false);
    await new Promise((r) => setImmediate(r));
    expect(pending).toHaveLength(1);
    pending.shift()?.();
    await second;
    expect(j.fsyncs).toBe(2);
    j.close();
  });

  it('close fsyncs what is not on disk yet; a sync with nothing new makes no fsync', async () => {
    const file = path.join(dir, 'close.ndjson');
    const j = new Journal(file);
    await j.sync();
    expect(j.fsyncs).toBe(0);
    j.append(event('a', 1));
    j.close();
    expect(j.fsyncs).toBe(1);
    expect((await readJournal(file)).events).toHaveLength(1);
  });
});

describe('a run waits for its journal', () => {
  it('before each step touches a node and before each undo, the journal has synced every event before it', async () => {
    const timeline: string[] = [];
    class TimedJournal extends MemoryJournal {
      override append(e: RunEvent): void {
        super.append(e);
        if (e.type === 'step.start' || e.type === 'rollback.start') timeline.push(`${e.type} ${e.host}`);
      }
      async sync(): Promise<void> {
        await new Promise((r) => setTimeout(r, 2));
        timeline.push(`synced ${this.events.length}`);
      }
    }
    const fleet = new MemoryFleet(['n1', 'n2']);
    fleet.node('n2').failures.set('healthy', 1);
    for (const n of fleet.nodes) {
      const push = n.log.push.bind(n.log);
      n.log.push = (...items: string[]) => {
        timeline.push(...items.map((x) => `${x} on ${n.name}`));
        return push(...items);
      };
    }
    const journal = new TimedJournal();
    await runInMemory(fleet, `name: t\nrolling: {maxUnavailable: 2, onFailure: rollback, maxFailed: 1}\nsteps:\n  - id: a\n    uses: test.set\n    with: {key: a, value: "1"}\n  - id: gate\n    uses: test.gate\n`, { journal });
    // Every apply or undo on a node comes after a sync that followed its step.start / rollback.start.
    for (const [i, entry] of timeline.entries()) {
      const m = /^(apply|undo) .* on (n\d)$/.exec(entry);
      if (!m) continue;
      const announced = timeline.findLastIndex((x, k) => k < i && (x === `step.start ${m[2]}` || x === `rollback.start ${m[2]}`));
      expect(announced, `${entry}: ${timeline.join(' | ')}`).toBeGreaterThanOrEqual(0);
      expect(timeline.slice(announced + 1, i).some((x) => x.startsWith('synced')), `${entry}: ${timeline.join(' | ')}`).toBe(true);
    }
    expect(timeline.some((x) => x === 'undo a on n2')).toBe(true);
    expect(timeline.at(-1)).toMatch(/^synced \d+$/); // the summary too, before the run returns
  });
});
