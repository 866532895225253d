/** The live tree's layout from real (in-memory) runs: it fits the terminal at any fleet size and says where the run stands. */
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/runner/events.js';
import { layoutTree } from '../../src/ui/tree/layout.js';
import { applyTreeEvent, newTreeModel, type TreeModel } from '../../src/ui/tree/model.js';
import { MemoryFleet, runInMemory } from '../runner/memory.js';

const STEPS = `steps:
  - id: cordon
    uses: test.cordon
    with: {cordoned: true}
    checkpoint: true
  - id: a
    name: Set a on {{ node.name }}
    uses: test.set
    with: {key: a, value: "1"}
  - id: b
    uses: test.set
    with: {key: b, value: "1"}
  - id: gate
    uses: test.gate
  - id: uncordon
    uses: test.cordon
    with: {cordoned: false}
`;

/** Runs the playbook on `n` nodes and lays the tree out after every event. */
async function frames(n: number, rolling: string, opts: { rows: number; cols: number; failing?: string[]; delayMs?: number }): Promise<{ events: RunEvent[]; frames: Array<{ after: RunEvent; lines: string[]; done: number }> }> {
  const names = Array.from({ length: n }, (_, i) => `node-${i + 1}`);
  const fleet = new MemoryFleet(names);
  for (const f of opts.failing ?? []) fleet.node(f).failures.set('healthy', 1);
  for (const node of fleet.nodes) node.delayMs = opts.delayMs ?? 0;
  const out: Array<{ after: RunEvent; lines: string[]; done: number }> = [];
  let model: TreeModel | undefined;
  const { events } = await runInMemory(fleet, `name: tree\nrolling: ${rolling}\n${STEPS}`, {
    listeners: [
      (e) => {
        if (e.type === 'run.start' || e.type === 'run.resume') model = newTreeModel(e);
        else if (model) applyTreeEvent(model, e);
        if (model) out.push({ after: e, lines: layoutTree(model, { now: Date.parse(e.ts), rows: opts.rows, cols: opts.cols }), done: [...model.nodes.values()].filter((x) => x.state === 'done').length });
      },
    ],
  });
  return { events, frames: out };
}

/** The header: one line, or two when the counts do not fit beside the run's name. */
function head(lines: string[]): string {
  return (lines[0] ?? '').includes('nodes done') ? (lines[0] as string) : `${lines[0]} ·${(lines[1] ?? '').slice(1)}`;
}

describe('the live tree layout', () => {
  it('a 20-node run fits 50 rows and 100 columns in every frame, with the header counts right', async () => {
    const { frames: all } = await frames(20, '{batch: [1, 2, 5], maxFailed: 3, onFailure: rollback}', { rows: 50, cols: 100, failing: ['node-4', 'node-9'] });
    expect(all.length).toBeGreaterThan(200);
    for (const f of all) {
      expect(f.lines.length, f.lines.join('\n')).toBeLessThanOrEqual(50);
      for (const l of f.lines) expect(l.length).toBeLessThanOrEqual(100);
      expect(head(f.lines)).toContain(`${f.done}/20 nodes done`);
    }
    // When node-9 (batch 4 of 6) has failed and been rolled back, and its batch goes on:
    const mid = all.find((f) => f.after.type === 'node.end' && f.after.host === 'node-9') as (typeof all)[number];
    expect(head(mid.lines)).toMatch(/^run run-1: tree · \d+\/20 nodes done · \d+ in flight · 2 failed · 7 pending · \d+\.\ds · failed 2 of 3 allowed$/);
    // Finished batches: one line each; the failed node under one stays open, with its rollback and cordon.
    expect(mid.lines).toContainEqual(expect.stringMatching(/^✔ batch 1\/6: node-1 done · \d+\.\ds$/));
    expect(mid.lines).toContainEqual(expect.stringMatching(/^✔ batch 2\/6: 2 nodes done · /));
    expect(mid.lines).toContainEqual(expect.stringMatching(/^⚠ batch 3\/6: 4 done, 1 rolled-back \(node-4\) · /));
    expect(mid.lines).toContainEqual(expect.stringMatching(/^ {2}✖ node-4: failed, rolled back to its last rollback point \(undid b, a\), left cordoned by this run/));
    expect(mid.lines).toContainEqual(expect.stringMatching(/^ {4}✖ gate: failed after \d+\.\ds: cannot set healthy$/));
    // The running batch: its failed node open, the ones in flight open with their steps.
    expect(mid.lines).toContainEqual(expect.stringMatching(/^⠋ batch 4\/6: \d\/5 done, \d in flight · /));
    expect(mid.lines).toContainEqual(expect.stringMatching(/^ {2}✖ node-9: failed, rolled back/));
    // The batches not started yet: counted on one line.
    expect(mid.lines.at(-1)).toBe('◻ batches 5-6/6: 7 nodes: pending');
    const last = all.at(-1) as (typeof all)[number];
    expect(head(last.lines)).toMatch(/^run run-1: tree: failed · 18\/20 nodes done · 2 failed · /);
  });

  it('a window of 200 nodes: done ones merge into one line, those waiting for a slot are counted, every frame fits 40 rows', async () => {
    const { frames: all } = await frames(200, '{maxUnavailable: 8, maxFailed: 10, onFailure: continue}', { rows: 40, cols: 120, failing: ['node-30', 'node-31', 'node-150'] });
    let sawMerged = false;
    for (const f of all) {
      expect(f.lines.length).toBeLessThanOrEqual(40);
      if (f.lines.some((l) => /^ {2}✔ \d+ done: node-1, /.test(l))) sawMerged = true;
    }
    expect(sawMerged).toBe(true);
    const mid = all.find((f) => f.after.type === 'node.start' && f.after.host === 'node-100');

    expect(mid?.lines.some((l) => /^ {2}◻ \d+ waiting for a slot: node-\d+, /.test(l))).toBe(true);
    expect(mid?.lines[1]).toMatch(/^. 200 nodes, at most 8 at a time: \d+\/200 done, \d+ in flight · /);
    expect(mid?.lines.some((l) => l.includes('✖ node-30: failed'))).toBe(true);
  });

  it('on a tiny terminal it counts what it cannot show instead of cutting it off', async () => {
    const { frames: all } = await frames(30, '{maxUnavailable: 10, maxFailed: 30, onFailure: continue}', { rows: 8, cols: 80, failing: ['node-1', 'node-2', 'node-3', 'node-4', 'node-5', 'node-6', 'node-7'] });
    for (const f of all) expect(f.lines.length).toBeLessThanOrEqual(8);
    const last = all.at(-1) as (typeof all)[number];
    expect(last.lines.join('\n')).toMatch(/… \d+ more node\(s\) in flight or failed, not shown|… \d+ more line\(s\)/);
  });

  it('a running step shows its time and what it waits for; tenses read right', () => {
    const model = newTreeModel({ type: 'run.start', ts: '2026-12-01T10:00:00.000Z', runId: 'r', inputs: { playbookFile: 'p', inventoryFile: 'h', limit: undefined, extraVars: {}, sshConfigFile: undefined }, playbook: 'p', playbookName: 'pb', inventory: 'h', hosts: ['n1'], batches: [['n1']], steps: [{ id: 'drain', name: 'kube.drain', uses: 'kube.drain' }, { id: 'stop', name: 'Stop kubelet', uses: 'systemd.service' }], playbookHash: 'x', inventoryHash: 'y', budget: { maxFailed: 0, onFailure: 'stop' } });
    applyTreeEvent(model, { type: 'batch.start', ts: '2026-12-01T10:00:00.000Z', batch: 1, hosts: ['n1'] });
    applyTreeEvent(model, { type: 'node.start', ts: '2026-12-01T10:00:00.000Z', host: 'n1' });
    applyTreeEvent(model, { type: 'step.start', ts: '2026-12-01T10:00:01.000Z', host: 'n1', step: 'drain', index: 0, name: 'kube.drain' });
    applyTreeEvent(model, { type: 'step.wait', ts: '2026-12-01T10:00:02.000Z', host: 'n1', step: 'drain', index: 0, for: 'evictions, up to 5m: blocked by PodDisruptionBudget default/web' });
    const lines = layoutTree(model, { now: Date.parse('2026-12-01T10:05:01.000Z'), rows: 20, cols: 200 });
    expect(lines).toEqual([
      'run r: pb · 0/1 nodes done · 1 in flight · 5m01s · onFailure: stop',
      '⠋ batch 1/1: 0/1 done, 1 in flight · 5m01s',
      '  ⠋ n1 · 5m01s',
      '    ⠋ drain · 5m00s · waiting for evictions, up to 5m: blocked by PodDisruptionBudget default/web',
      '    ◻ Stop kubelet',
    ]);
    applyTreeEvent(model, { type: 'step.done', ts: '2026-12-01T10:05:03.000Z', host: 'n1', step: 'drain', index: 0, status: 'changed', summary: 'drain node n1: cordon, evict 2 pods', durationMs: 302_000, attempts: 1 });
    applyTreeEvent(model, { type: 'step.start', ts: '2026-12-01T10:05:03.000Z', host: 'n1', step: 'stop', index: 1, name: 'Stop kubelet' });
    applyTreeEvent(model, { type: 'step.done', ts: '2026-12-01T10:05:04.000Z', host: 'n1', step: 'stop', index: 1, status: 'changed', summary: 'stopped kubelet', durationMs: 1000, attempts: 1 });
    applyTreeEvent(model, { type: 'node.end', ts: '2026-12-01T10:05:04.000Z', host: 'n1', status: 'done' });
    applyTreeEvent(model, { type: 'batch.end', ts: '2026-12-01T10:05:04.000Z', batch: 1 });
    applyTreeEvent(model, { type: 'run.summary', ts: '2026-12-01T10:05:04.000Z', runId: 'r', status: 'succeeded', exitCode: 0, total: { ok: 0, changed: 2, skipped: 0, failed: 0 }, nodes: { n1: { ok: 0, changed: 2, skipped: 0, failed: 0, status: 'done' } } });
    expect(layoutTree(model, { now: Date.parse('2026-12-01T11:00:00.000Z'), rows: 20, cols: 200 })).toEqual([
      'run r: pb: succeeded · 1/1 nodes done · 5m04s · onFailure: stop',
      '✔ batch 1/1: n1 done · 5m04s',
    ]);
  });
});
