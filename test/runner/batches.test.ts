import { describe, expect, it } from 'vitest';
import type { InventoryHost } from '../../src/inventory/types.js';
import { batchSize, failureBudget, planBatches } from '../../src/runner/batches.js';
import { makeHost } from '../inventory/make-host.js';

const host = (name: string, groups: string[] = ['workers']): InventoryHost => makeHost(name, { groups: ['all', ...groups] });
const workers = Array.from({ length: 10 }, (_, i) => host(`w${i + 1}`));

describe('rolling batches', () => {
  it('sizes by count and percentage (at least one node)', () => {
    expect(batchSize(3, 10)).toBe(3);
    expect(batchSize('25%', 10)).toBe(3);
    expect(batchSize('1%', 10)).toBe(1);
    expect(batchSize('100%', 10)).toBe(10);
  });

  it('ramps and repeats the last size', () => {
    const b = planBatches(workers, { batch: [1, 2, '30%'], serialFirst: [] });
    expect(b.map((x) => x.length)).toEqual([1, 2, 3, 3, 1]);
    expect(b.flat()).toEqual(workers.map((w) => w.name));
  });

  it('puts serialFirst groups first, one at a time, then the rest', () => {
    const hosts = [host('cp-1', ['control_plane']), ...workers.slice(0, 3), host('cp-2', ['control_plane'])];
    expect(planBatches(hosts, { batch: 2, serialFirst: ['control_plane'] })).toEqual([['cp-1'], ['cp-2'], ['w1', 'w2'], ['w3']]);
  });

  it('counts the failure budget over the whole run', () => {
    expect(failureBudget(0, 10)).toBe(0);
    expect(failureBudget(2, 10)).toBe(2);
    expect(failureBudget('25%', 10)).toBe(2);
    expect(failureBudget('10%', 5)).toBe(0);
  });
});
