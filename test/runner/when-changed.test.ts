/**
 * `when: {changed: [...]}`: a step (a restart) that runs only when an earlier step changed the
 * node in this run: in a run, in a plan (what would change), and on resume, where a change made
 * in an earlier pass, or a step that pass left mid-way, still counts.
 */
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/runner/events.js';
import { journalState } from '../../src/runner/journal-state.js';
import type { FactsReader } from '../../src/runner/lane.js';
import { MemoryFleet, MemoryJournal, memoryFacts, planInMemory, runInMemory } from './memory.js';

/** Set a, restart (count) when a changed, set c. */
const HANDLER = `name: handler
hosts: workers
steps:
  - {id: a, uses: test.set, with: {key: a, value: "1"}}
  - {id: restart, uses: test.bump, with: {key: count}, when: {changed: a}}
  - {id: c, uses: test.set, with: {key: c, value: "1"}}
`;

const outcomes = (events: RunEvent[]) =>
  events.flatMap((e) => (e.type === 'step.done' ? [`${e.step}:${e.status}${e.status === 'skipped' ? ` (${e.summary})` : ''}`] : []));

describe('when: {changed: ...}', () => {
  it('runs the step when the earlier step changed the node, and skips it with the reason when it did not', async () => {
    const fleet = new MemoryFleet(['n1']);
    const n = fleet.node('n1');
    const first = await runInMemory(fleet, HANDLER);
    expect(outcomes(first.events)).toEqual(['a:changed', 'restart:changed', 'c:changed']);
    expect(n.store.get('count')).toBe('1');
    const again = await runInMemory(fleet, HANDLER);
    expect(again.summary.exitCode).toBe(0);
    expect(outcomes(again.events)).toEqual(['a:ok', 'restart:skipped (when: a did not change the node)', 'c:ok']);
    expect(n.store.get('count')).toBe('1');
  });

  it('reads nothing from the node for a condition on changes alone, so a no-op node costs no fact probe', async () => {
    const fleet = new MemoryFleet(['n1']);
    for (const n of fleet.nodes) n.batching = true;
    await runInMemory(fleet, HANDLER);
    let probes = 0;
    const counting: FactsReader = (...args) => {
      probes++;
      return memoryFacts(...args);
    };
    const n = fleet.node('n1');
    n.execs.length = 0;
    await runInMemory(fleet, HANDLER, { readFacts: counting });
    expect(probes).toBe(0);
    expect(n.execs.flat().filter((c) => c.startsWith('set'))).toEqual([]);
  });

  it('a plan shows the step as a change when the earlier step would change the node, else as skipped', async () => {
    const fleet = new MemoryFleet(['n1']);
    const before = await planInMemory(fleet, HANDLER);
    expect(before.nodes[0]?.steps.map((s) => s.status)).toEqual(['change', 'change', 'change']);
    await runInMemory(fleet, HANDLER);
    const after = await planInMemory(fleet, HANDLER);
    expect(after.nodes[0]?.steps[1]).toMatchObject({ id: 'restart', status: 'skip', reason: 'when: a would not change the node' });
  });

  it('on resume, a change made in the earlier pass still counts: the restart that pass did not reach is made', async () => {
    const fleet = new MemoryFleet(['n1']);
    const n = fleet.node('n1');
    n.failures.set('count', 1); // the restart fails once: the node stops after a changed it
    const journal = new MemoryJournal();
    const first = await runInMemory(fleet, HANDLER, { journal });
    expect(outcomes(first.events)).toEqual(['a:changed']);
    expect(n.store.get('count')).toBeUndefined();
    const resumed = await runInMemory(fleet, HANDLER, { journal, resume: { state: journalState(journal.events), forced: false } });
    expect(resumed.summary.exitCode).toBe(0);
    expect(outcomes(resumed.events).slice(-3)).toEqual(['a:ok', 'restart:changed', 'c:changed']);
    expect(n.store.get('count')).toBe('1');
  });

  it('on resume after a crash mid-step, the step cut short counts as a change: it may have made it', async () => {
    const fleet = new MemoryFleet(['n1']);
    const n = fleet.node('n1');
    const full = new MemoryJournal();
    await runInMemory(fleet, HANDLER, { journal: full });
    // The process died during a, after a was set on the node: the journal ends at a's step.start.
    const crashed = new MemoryJournal();
    crashed.events.push(...full.events.slice(0, full.events.findIndex((e) => e.type === 'step.start' && e.step === 'a') + 1));
    n.store.delete('count');
    n.store.delete('c');
    const resumed = await runInMemory(fleet, HANDLER, { journal: crashed, resume: { state: journalState(crashed.events), forced: false } });
    expect(resumed.summary.exitCode).toBe(0);
    expect(outcomes(resumed.events).slice(-3)).toEqual(['a:ok', 'restart:changed', 'c:changed']);
    expect(n.store.get('count')).toBe('1');
  });
});
