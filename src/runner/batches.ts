/**
 * Rolling batches: which nodes go together. Pure.
 * - `serialFirst` groups: their nodes first, one at a time (control plane before workers).
 * - `batch`: a count, a percentage of the remaining nodes, or a ramp whose last size repeats.
 * - `maxUnavailable`: the rest in one window (runner/rolling.ts runs it a few nodes at a time).
 */
import type { InventoryHost } from '../inventory/types.js';
import type { RollingPolicy } from '../playbook/types.js';

export function batchSize(spec: number | string, total: number): number {
  if (typeof spec === 'number') return Math.max(1, Math.floor(spec));
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(spec.trim());
  if (pct) return Math.max(1, Math.ceil((Number(pct[1]) / 100) * total));
  const n = Number(spec);
  return Number.isFinite(n) && n >= 1 ? Math.floor(n) : 1;
}

/** A node of a `serialFirst` group: it goes alone, before the batches or the window. */
export function goesFirst(host: InventoryHost, rolling: Pick<RollingPolicy, 'serialFirst'>): boolean {
  return rolling.serialFirst.some((g) => host.groups.includes(g));
}

export function planBatches(hosts: InventoryHost[], rolling: Pick<RollingPolicy, 'batch' | 'serialFirst' | 'maxUnavailable'>): string[][] {
  const first = hosts.filter((h) => goesFirst(h, rolling));
  const rest = hosts.filter((h) => !first.includes(h));
  const batches: string[][] = first.map((h) => [h.name]);
  // A window (maxUnavailable): the rest is one group, taken a few at a time as nodes end.
  if (rolling.maxUnavailable !== undefined) return rest.length ? [...batches, rest.map((h) => h.name)] : batches;
  const sizes = Array.isArray(rolling.batch) ? rolling.batch : [rolling.batch];
  let i = 0;
  let k = 0;
  while (i < rest.length) {
    const spec = sizes[Math.min(k, sizes.length - 1)] ?? 1;
    const size = batchSize(spec, rest.length);
    batches.push(rest.slice(i, i + size).map((h) => h.name));
    i += size;
    k++;
  }
  return batches;
}

/** The failure budget over the whole run: how many nodes may fail before no new node starts. */
export function failureBudget(maxFailed: number | string, total: number): number {
  if (typeof maxFailed === 'number') return Math.max(0, Math.floor(maxFailed));
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(maxFailed.trim());
  if (pct) return Math.floor((Number(pct[1]) / 100) * total);
  return Math.max(0, Math.floor(Number(maxFailed) || 0));
}
