/**
 * Facts read ahead (src/runner/facts-ahead.ts) through a remote that batches: how many execs a
 * node costs, and that a read made before a step changed the node is never used after it.
 */
import { describe, expect, it } from 'vitest';
import { FactsAhead } from '../../src/runner/facts-ahead.js';
import { MemoryFleet, planInMemory, runInMemory } from './memory.js';

const FIVE = `name: five
hosts: workers
steps:
${['a', 'b', 'c', 'd', 'e'].map((k) => `  - {id: ${k}, uses: test.set, with: {key: ${k}, value: "1"}}`).join('\n')}
`;

/** A playbook of these step lines, on the workers. */
const playbook = (name: string, steps: string[]) => `name: ${name}\nhosts: workers\nsteps:\n${steps.join('\n')}\n`;
const SET = (k: string, extra = '') => `  - {id: ${k}, uses: test.set, ${extra}with: {key: ${k}, value: "1"}}`;
const BUMP = '  - {id: r, uses: test.bump, with: {key: count}}';

function batchingFleet(names: string[]): MemoryFleet {
  const fleet = new MemoryFleet(names);
  for (const n of fleet.nodes) n.batching = true;
  return fleet;
}

describe('facts read ahead, on a remote that batches', () => {
  it('a node with nothing to do is checked in one exec: every step on its host', async () => {
    const fleet = batchingFleet(['n1', 'n2']);
    for (const n of fleet.nodes) for (const k of 'abcde') n.store.set(k, '1');
    const r = await runInMemory(fleet, FIVE);
    expect(r.summary.exitCode).toBe(0);
    for (const n of fleet.nodes) expect(n.execs).toEqual([['get a', 'get b', 'get c', 'get d', 'get e']]);
  });

  it('a changing step costs one exec: its last command, then its convergence read with the next step\'s facts', async () => {
    const fleet = batchingFleet(['n1']);
    const r = await runInMemory(fleet, FIVE);
    expect(r.summary.exitCode).toBe(0);
    expect(fleet.node('n1').execs).toEqual([
      ['get a', 'get b', 'get c', 'get d', 'get e'],
      ['set a 1', 'get a', 'get b'],
      ['set b 1', 'get b', 'get c'],
      ['set c 1', 'get c', 'get d'],
      ['set d 1', 'get d', 'get e'],
      ['set e 1', 'get e'],
    ]);
    const done = r.events.flatMap((e) => (e.type === 'step.done' ? [e.status] : []));
    expect(done).toEqual(['changed', 'changed', 'changed', 'changed', 'changed']);
  });

  it('a last command that fails: the reads that went with it are not used, the retry reads the node again', async () => {
    const fleet = batchingFleet(['n1']);
    const n = fleet.node('n1');
    n.failures.set('a', 1);
    const r = await runInMemory(fleet, FIVE.replace('{key: a, value: "1"}', '{key: a, value: "1"}, retries: 1'));
    expect(r.summary.exitCode).toBe(0);
    expect(n.log.slice(0, 1)).toEqual(['apply a=1']);
    expect(n.execs.slice(0, 4)).toEqual([['get a', 'get b', 'get c', 'get d', 'get e'], ['set a 1', 'get a', 'get b'], ['get a'], ['set a 1', 'get a', 'get b']]);
    const retries = r.events.filter((e) => e.type === 'step.retry');
    expect(retries).toHaveLength(1);
  });

  it('a step that sends more after its last command is read again after apply, not from what went with the last one', async () => {
    const fleet = batchingFleet(['n1']);
    const n = fleet.node('n1');
    const r = await runInMemory(
      fleet,
      playbook('then', ['  - {id: a, uses: test.set, with: {key: a, value: "1", then: b}}', SET('b')]),
    );
    expect(r.summary.exitCode).toBe(0);
    // a's own 'set b 1' came after the reads that went with its last command: read again, b is already done.
    expect(n.execs).toEqual([['get a', 'get b'], ['set a 1', 'get a', 'get b'], ['set b 1'], ['get a', 'get b']]);
    const done = r.events.flatMap((e) => (e.type === 'step.done' ? [`${e.step}:${e.status}`] : []));
    expect(done).toEqual(['a:changed', 'b:ok']);
  });

  it("a next step on another host (on:) is not read with the last command: its read waits until that command is done", async () => {
    const fleet = batchingFleet(['n1', 'cp']);
    fleet.inventory.groups['cp'] = ['cp'];
    const n1 = fleet.node('n1');
    n1.delayMs = 30; // the last command takes a while
    // What n1 was like each time cp was read for step b.
    const seen: string[] = [];
    const cpStore = fleet.node('cp').store;
    const has = cpStore.has.bind(cpStore);
    cpStore.has = (k: string) => {
      if (k === 'b') seen.push(n1.store.get('a') ?? 'unset');
      return has(k);
    };
    const r = await runInMemory(
      fleet,
      playbook('on', [SET('a'), SET('b', 'on: cp, ')]),
      { hosts: fleet.inventory.hosts.filter((h) => h.name === 'n1') },
    );
    expect(r.summary.exitCode).toBe(0);
    expect(n1.execs).toEqual([['get a'], ['set a 1', 'get a']]);
    // cp is not read at the start (the first read takes n1's steps only), nor with a's last command.
    expect(fleet.node('cp').execs).toEqual([['get b'], ['set b 1', 'get b']]);
    expect(seen).toEqual(['1', '1']);
  });

  it.each([
    {
      // Only the restart changed the node so far: every step after it is read with it.
      when: 'only actions changed the node so far, every step left',
      steps: [BUMP, SET('b'), SET('c')],
      execs: [['get count', 'get b', 'get c'], ['set count 1', 'get b', 'get c'], ['set c 1', 'get c']],
    },
    {
      when: 'after a state step changed the node, the next step only',
      steps: [SET('a'), BUMP, SET('b'), SET('c')],
      execs: [['get a', 'get count', 'get b', 'get c'], ['set a 1', 'get a', 'get count'], ['set count 1', 'get b'], ['get c'], ['set c 1', 'get c']],
    },
  ])('a step that always changes the node (a restart) reads with its last command: $when', async ({ steps, execs }) => {
    const fleet = batchingFleet(['n1']);
    const n = fleet.node('n1');
    n.store.set('b', '1');
    const r = await runInMemory(fleet, playbook('bump', steps));
    expect(r.summary.exitCode).toBe(0);
    expect(n.store.get('count')).toBe('1');
    expect(n.execs).toEqual(execs);
  });

  it('after a step changes the node, the steps after it read it again: a step made redundant is not applied', async () => {
    // c sets what a already set: read at the start (before a), c would say change.
    const fleet = batchingFleet(['n1']);
    const r = await runInMemory(
      fleet,
      `name: twice
hosts: workers
steps:
  - {id: a, uses: test.set, with: {key: k, value: "1"}}
  - {id: b, uses: test.set, with: {key: other, value: "1"}}
  - {id: c, uses: test.set, with: {key: k, value: "1"}}
`,
    );
    expect(r.summary.exitCode).toBe(0);
    expect(fleet.node('n1').log).toEqual(['apply k=1', 'apply other=1']);
    const done = r.events.filter((e) => e.type === 'step.done').map((e) => (e.type === 'step.done' ? `${e.step}:${e.status}` : ''));
    expect(done).toEqual(['a:changed', 'b:changed', 'c:ok']);
  });

  it('a read ahead that failed is read again by the step itself, and the run decides on that', async () => {
    const fleet = batchingFleet(['n1']);
    const n = fleet.node('n1');
    for (const k of 'abcde') n.store.set(k, '1');
    n.store.set('c', '0');
    n.failBatches = 1; // the first read: every step on the node
    const r = await runInMemory(fleet, FIVE);
    expect(r.summary.exitCode).toBe(0);
    expect(n.log).toEqual(['apply c=1']);
    // Each step whose read ahead failed reads the node itself; c's last command carries its own read and d's.
    expect(n.execs).toEqual([['get a', 'get b', 'get c', 'get d', 'get e'], ['get a'], ['get b'], ['get c'], ['set c 1', 'get c', 'get d'], ['get e']]);
  });

  it('a plan reads every step of a node in one exec', async () => {
    const fleet = batchingFleet(['n1', 'n2']);
    fleet.node('n2').store.set('c', '1');
    const plan = await planInMemory(fleet, FIVE);
    expect(plan.nodes.find((n) => n.host === 'n2')?.steps.map((s) => s.status)).toEqual(['change', 'change', 'ok', 'change', 'change']);
    for (const n of fleet.nodes) expect(n.execs).toEqual([['get a', 'get b', 'get c', 'get d', 'get e']]);
  });

  it('without batching every read is its own exec, and the run does the same', async () => {
    const fleet = new MemoryFleet(['n1']);
    const r = await runInMemory(fleet, FIVE);
    expect(r.summary.exitCode).toBe(0);
    expect(fleet.node('n1').log).toEqual(['apply a=1', 'apply b=1', 'apply c=1', 'apply d=1', 'apply e=1']);
    expect(fleet.node('n1').execs.every((e) => e.length === 1)).toBe(true);
  });
});

describe('FactsAhead', () => {
  const steps = [0, 1, 2, 3].map((index) => ({ index }));
  const rest = (i: number) => () => steps.slice(i + 1);

  /** A FactsAhead whose reads are recorded per turn of the event loop (what one batch would carry). */
  function recording(expectChanges: boolean) {
    const reads: number[][] = [];
    let turn: number[] = [];
    const ahead = new FactsAhead<{ index: number }>(async (s) => {
      if (turn.length === 0) queueMicrotask(() => (reads.push(turn), (turn = [])));
      turn.push(s.index);
      return s.index;
    }, expectChanges);
    return { ahead, reads };
  }

  it('a plan reads every step left when nothing changed; after a change, the step at hand and the next', async () => {
    const { ahead, reads } = recording(false);
    expect(await ahead.take(steps[0]!, rest(0))).toBe(0);
    expect(await ahead.take(steps[1]!, rest(1))).toBe(1); // read with 0
    ahead.changed();
    expect(await ahead.take(steps[2]!, rest(2))).toBe(2);
    expect(reads).toEqual([[0, 1, 2, 3], [2, 3]]);
  });

  it("a run starts with every step on the first step's host; after a change, the step at hand and the next; then every step left", async () => {
    const { ahead, reads } = recording(true);
    const sameHost = (i: number) => () => steps.slice(i + 1, 2); // steps 0 and 1 on one host, 2 and 3 on another
    await ahead.take(steps[0]!, rest(0), sameHost(0));
    ahead.changed();
    await ahead.take(steps[1]!, rest(1), sameHost(1));
    await ahead.take(steps[3]!, rest(3), sameHost(3));
    expect(reads).toEqual([[0, 1], [1, 2], [3]]);
  });

  it('a read made before a change is not handed out after it', async () => {
    let version = 0;
    const ahead = new FactsAhead<{ index: number }>(async () => version);
    await ahead.take(steps[0]!, rest(0)); // reads 1, 2, 3 ahead at version 0
    version = 1;
    ahead.changed();
    expect(await ahead.after(steps[0]!, steps[1])).toBe(1);
    expect(await ahead.take(steps[1]!, rest(1))).toBe(1);
    expect(await ahead.take(steps[2]!, rest(2))).toBe(1);
  });
});
