/**
 * The node facts `when:` reads in a run: read once with what the later steps' `when:`s read,
 * kept while the steps find nothing to do, read again after a step changed the node.
 */
import { describe, expect, it } from 'vitest';
import type { FactProbe } from '../../src/facts/registry.js';
import type { FactsReader } from '../../src/runner/lane.js';
import { NodeFactsCache } from '../../src/runner/node-facts-cache.js';
import { MemoryFleet, memoryFacts, runInMemory } from './memory.js';

const PLAYBOOK = `name: t
steps:
  - id: a
    uses: test.set
    with: {key: a, value: "1"}
    when: {fact: hostname, equals: n1}
  - id: b
    uses: test.set
    with: {key: b, value: "1"}
    when: {fact: hostname, equals: n1}
  - id: c
    uses: test.set
    with: {key: c, value: "1"}
    when: {fact: kubelet.flags, exists: false}
  - id: d
    uses: test.set
    with: {key: d, value: "1"}
    when: {fact: hostname, equals: n1}
`;

function countingReader(): { reader: FactsReader; reads: string[][] } {
  const reads: string[][] = [];
  return {
    reads,
    reader: async (remote, probes, limits) => {
      reads.push([remote.host, ...[...probes].sort()]);
      return memoryFacts(remote, probes, limits);
    },
  };
}

describe("a run's `when:` facts", () => {
  it('are read again after each step that changed the node, with what the steps from there on read', async () => {
    const fleet = new MemoryFleet(['n1']);
    const { reader, reads } = countingReader();
    const r = await runInMemory(fleet, PLAYBOOK, { readFacts: reader });
    expect(r.summary.total).toMatchObject({ changed: 4, failed: 0 });
    // a (first read, c's kubelet with it), b (a changed), c (b changed), d (c changed; no later step reads kubelet).
    expect(reads).toEqual([['n1', 'kubelet', 'node'], ['n1', 'kubelet', 'node'], ['n1', 'kubelet', 'node'], ['n1', 'node']]);
  });

  it('are read once per node when no step changes anything', async () => {
    const fleet = new MemoryFleet(['n1', 'n2']);
    await runInMemory(fleet, PLAYBOOK);
    const { reader, reads } = countingReader();
    const r = await runInMemory(fleet, PLAYBOOK, { readFacts: reader });
    expect(r.summary.total).toMatchObject({ changed: 0, failed: 0 });
    expect(reads.sort()).toEqual([['n1', 'kubelet', 'node'], ['n2', 'kubelet', 'node']]);
  });
});

describe('NodeFactsCache', () => {
  const facts = (n: number) => memoryFacts({ host: `read-${n}` } as never, new Set(), {});

  it('does not keep a read that failed', async () => {
    let n = 0;
    const cache = new NodeFactsCache(async () => {
      n++;
      if (n === 1) throw new Error('connection reset');
      return facts(n);
    });
    await expect(cache.get(new Set(['node']))).rejects.toThrow('connection reset');
    expect((await cache.get(new Set(['node']))).hostname).toBe('read-2');
    expect((await cache.get(new Set(['node']))).hostname).toBe('read-2');
    cache.clear();
    expect((await cache.get(new Set(['node']))).hostname).toBe('read-3');
  });

  it('reads again what is needed alone when the read with later steps\' probes fails', async () => {
    const asked: string[][] = [];
    const cache = new NodeFactsCache(async (p: ReadonlySet<FactProbe>) => {
      asked.push([...p].sort());
      if (p.has('cri')) throw new Error('the runtime does not answer');
      return facts(asked.length);
    });
    expect((await cache.get(new Set(['node']), new Set(['node', 'cri']))).hostname).toBe('read-2');
    expect(asked).toEqual([['cri', 'node'], ['node']]);
    // The step that needs cri gets its own failure.
    await expect(cache.get(new Set(['cri']))).rejects.toThrow('the runtime does not answer');
  });
});
