import { describe, expect, it } from 'vitest';
import type { RunStartEvent } from '../../src/runner/events.js';
import { formatPlainEvent, plainListener } from '../../src/ui/plain.js';
import { MemoryFleet, runInMemory } from '../runner/memory.js';

const start = (extra: Partial<RunStartEvent>): RunStartEvent => ({
  type: 'run.start',
  ts: '2026-12-01T10:00:00.000Z',
  runId: 'r1',
  inputs: { playbookFile: 'p.yaml', inventoryFile: 'h.yaml', limit: undefined, extraVars: {}, sshConfigFile: undefined },
  playbook: 'p.yaml',
  playbookName: 'p',
  inventory: 'h.yaml',
  hosts: ['a', 'b', 'c'],
  batches: [['a'], ['b', 'c']],
  steps: [],
  playbookHash: 'x',
  inventoryHash: 'y',
  ...extra,
});

describe('plain lines', () => {
  it('say how the nodes go: in batches, or a window', () => {
    expect(formatPlainEvent(start({}))).toBe('run r1: p on 3 node(s) in 2 batch(es)');
    expect(formatPlainEvent(start({ batches: [['a', 'b', 'c']], window: 2 }))).toBe('run r1: p on 3 node(s) at most 2 at a time');
  });

  it('say a node was given up, and by whom', () => {
    expect(formatPlainEvent({ type: 'node.skipped', ts: '', host: 'a', reason: 'skipped by slipway resume --skip (ops, 2026-12-01 10:00:00)' })).toBe(
      '[a] skipped: skipped by slipway resume --skip (ops, 2026-12-01 10:00:00)',
    );
  });
});

describe('plain lines of a run (CI logs)', () => {
  it('carry what the tree shows: durations, waits, progress, where a rollback took a node and its cordon', async () => {
    const fleet = new MemoryFleet(['n1', 'n2']);
    fleet.node('n1').failures.set('healthy', 1);
    const lines: string[] = [];
    await runInMemory(
      fleet,
      `name: t
rolling: {batch: 1, onFailure: rollback, maxFailed: 1}
steps:
  - id: cordon
    uses: test.cordon
    with: {cordoned: true}
    checkpoint: true
  - id: a
    uses: test.set
    with: {key: a, value: "1"}
  - id: gate
    uses: test.gate
`,
      { runId: 'r1', listeners: [plainListener((l) => lines.push(l))] },
    );
    const t = (l: string) => l.replace(/\d+(\.\d)?s\b/g, 'T');
    expect(lines.map(t)).toEqual([
      'run r1: t on 2 node(s) in 2 batch(es)',
      'batch 1: n1',
      '[n1] cordon changed: cordon (T)',
      '[n1] a changed: set a to 1 (T)',
      '[n1] gate waiting for healthy in the store',
      '[n1] gate FAILED (step): n1: cannot set healthy',
      '[n1] rolling back to its last rollback point: a (step \'gate\': n1: cannot set healthy)',
      '[n1] a undone',
      '[n1] rolled back to its last rollback point; undid a; left cordoned by this run',
      '[n1] node rolled-back after T (0/2 nodes done, 1 not done)',
      'batch 2: n2',
      '[n2] cordon changed: cordon (T)',
      '[n2] a changed: set a to 1 (T)',
      '[n2] gate waiting for healthy in the store',
      '[n2] gate ok: healthy (T)',
      '[n2] node done after T (1/2 nodes done, 1 not done)',
      'run r1 failed: 1 ok, 4 changed, 0 skipped, 1 failed (T)',
    ]);
  });
});
