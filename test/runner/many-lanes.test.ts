/**
 * Many nodes at once share the run's abort signals: no warning about "too many listeners" is
 * printed, and each lane listens on the run's signal once (its steps on a signal of the lane's).
 */
import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { withLaneSignal } from '../../src/runner/lane.js';
import { computePlan } from '../../src/runner/plan.js';
import { MemoryFleet, memoryFacts, memoryPlaybook, memoryStepTypes, runInMemory } from './memory.js';

const warnings: Error[] = [];
const onWarning = (w: Error) => warnings.push(w);
afterEach(() => {
  process.off('warning', onWarning);
  warnings.length = 0;
});

const YAML = `name: many
rolling: {maxUnavailable: 30}
steps:
  - id: a
    uses: test.set
    with: {key: a, value: "1"}
  - id: gate
    uses: test.gate
`;

describe('30 nodes in flight at once', () => {
  it('run and plan: every lane listens on the one signal, and Node warns about none', async () => {
    process.on('warning', onWarning);
    const fleet = new MemoryFleet(Array.from({ length: 30 }, (_, i) => `n${i + 1}`));
    for (const n of fleet.nodes) n.delayMs = 20; // all of them in their step at the same time
    const { summary } = await runInMemory(fleet, YAML);
    expect(summary.status).toBe('succeeded');
    await computePlan({ playbook: memoryPlaybook(YAML), inventory: fleet.inventory, hosts: fleet.inventory.hosts, extraVars: {}, remotes: fleet.remotes, stepTypes: memoryStepTypes, readFacts: memoryFacts });
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
  });
});

describe('withLaneSignal', () => {
  it("the lane's signal aborts with the run's, for the same reason; the run's keeps one listener a lane, and none after", async () => {
    const run = new AbortController();
    let inLane: AbortSignal | undefined;
    let release: () => void = () => undefined;
    const lane = withLaneSignal(run.signal, async (signal) => {
      inLane = signal;
      for (let i = 0; i < 20; i++) signal.addEventListener('abort', () => undefined); // the lane's steps
      await new Promise<void>((r) => (release = r));
      return 'done';
    });
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(1);
    run.abort('stopped by the operator');
    expect(inLane?.aborted).toBe(true);
    expect(inLane?.reason).toBe('stopped by the operator');
    release();
    expect(await lane).toBe('done');
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
  });

  it("a run's signal already aborted gives an aborted lane signal; a lane that throws leaves no listener", async () => {
    const run = new AbortController();
    run.abort();
    expect(await withLaneSignal(run.signal, async (s) => s.aborted)).toBe(true);
    const live = new AbortController();
    await expect(withLaneSignal(live.signal, async () => Promise.reject(new Error('node failed')))).rejects.toThrow('node failed');
    expect(getEventListeners(live.signal, 'abort')).toHaveLength(0);
  });

  it("in a run of 30 lanes in flight, the run's kill signal has at most one listener a lane", async () => {
    const fleet = new MemoryFleet(Array.from({ length: 30 }, (_, i) => `n${i + 1}`));
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    for (const n of fleet.nodes) n.hold = held;
    const kill = new AbortController();
    const running = runInMemory(fleet, YAML, { killSignal: kill.signal });
    // Every lane is in its first step's apply, held.
    while (fleet.nodes.some((n) => !n.execs.some((e) => e.some((c) => c.startsWith('set a'))))) await new Promise((r) => setTimeout(r, 5));
    const listening = getEventListeners(kill.signal, 'abort').length;
    release();
    const { summary } = await running;
    expect(summary.status).toBe('succeeded');
    expect(listening).toBeGreaterThan(0);
    expect(listening).toBeLessThanOrEqual(30);
  });
});
