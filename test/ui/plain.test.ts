import { describe, expect, it } from 'vitest';
import type { RunStartEvent } from '../../src/runner/events.js';
import { formatPlainEvent } from '../../src/ui/plain.js';

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
