/** The runner's policy in memory: batches, budget, stop, rollback order, resume, retries, exit codes. */
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import type { RunEvent } from '../../src/runner/events.js';
import { journalState } from '../../src/runner/journal-state.js';
import { computePlan } from '../../src/runner/plan.js';
import { rollbackRun } from '../../src/runner/rollback-run.js';
import { SecretValues } from '../../src/runner/redact.js';
import { exitCodeFor } from '../../src/runner/summary.js';
import { MemoryFleet, MemoryJournal, memoryFacts, memoryPlaybook, memoryStepTypes, runInMemory } from './memory.js';

const STEPS = `steps:
  - id: a
    uses: test.set
    with: {key: a, value: "1"}
  - id: b
    uses: test.set
    with: {key: b, value: "1"}
    checkpoint: true
  - id: c
    uses: test.set
    with: {key: c, value: "1"}
`;

const run = runInMemory;

const order = (events: RunEvent[]) =>
  events.filter((e) => e.type === 'batch.start' || e.type === 'node.end').map((e) => (e.type === 'batch.start' ? `batch ${e.batch}: ${e.hosts.join(',')}` : `${e.host} ${e.status}`));

describe('rolling runs in memory', () => {
  it('goes batch by batch (a ramp), every node done, exit 0', async () => {
    const fleet = new MemoryFleet(['n1', 'n2', 'n3', 'n4', 'n5']);
    const r = await run(fleet, `name: t\nrolling: {batch: [1, 2]}\n${STEPS}`);
    expect(r.summary).toMatchObject({ status: 'succeeded', exitCode: 0, total: { changed: 15, ok: 0, skipped: 0, failed: 0 } });
    expect(order(r.events)).toEqual(['batch 1: n1', 'n1 done', 'batch 2: n2,n3', 'n2 done', 'n3 done', 'batch 3: n4,n5', 'n4 done', 'n5 done']);
    for (const n of fleet.nodes) expect(n.log).toEqual(['apply a=1', 'apply b=1', 'apply c=1']);
  });

  it('the failure budget counts over the whole run: past it no new node starts; the rest is pending (exit 1)', async () => {
    const fleet = new MemoryFleet(['n1', 'n2', 'n3', 'n4']);
    fleet.node('n1').failures.set('b', 1);
    fleet.node('n2').failures.set('b', 1);
    const r = await run(fleet, `name: t\nrolling: {batch: 1, maxFailed: 1, onFailure: continue}\n${STEPS}`);
    expect(order(r.events)).toEqual(['batch 1: n1', 'n1 failed', 'batch 2: n2', 'n2 failed']);
    expect(r.summary.stopped).toBe('failure budget exceeded: 2 node(s) failed, maxFailed allows 1');
    expect(r.summary.nodes).toMatchObject({ n1: { status: 'failed' }, n3: { status: 'pending' }, n4: { status: 'pending' } });
    expect(r.summary.exitCode).toBe(EXIT.stepFailed);
    expect(fleet.node('n1').log).toEqual(['apply a=1']); // left as it is (continue)
  });

  it('onFailure: rollback undoes, newest first, what came after the last checkpoint', async () => {
    const fleet = new MemoryFleet(['n1']);
    fleet.node('n1').failures.set('d', 1);
    const r = await run(fleet, `name: t\nrolling: {onFailure: rollback}\n${STEPS}  - id: d\n    uses: test.set\n    with: {key: d, value: "1"}\n`);
    expect(fleet.node('n1').log).toEqual(['apply a=1', 'apply b=1', 'apply c=1', 'undo c']);
    expect(r.events.find((e) => e.type === 'rollback.start')).toMatchObject({ to: 'checkpoint', steps: ['c'] });
    expect(r.summary.nodes.n1?.status).toBe('rolled-back');
    expect(fleet.node('n1').store.get('b')).toBe('1'); // the checkpoint's state stays
  });

  it('before any checkpoint, rollback goes back to the start', async () => {
    const fleet = new MemoryFleet(['n1']);
    fleet.node('n1').failures.set('b', 1);
    const r = await run(fleet, `name: t\nrolling: {onFailure: rollback}\n${STEPS}`);
    expect(r.events.find((e) => e.type === 'rollback.start')).toMatchObject({ to: 'start', steps: ['a'] });
    expect(fleet.node('n1').store.size).toBe(0);
  });

  it('retries a failed step, then goes on', async () => {
    const fleet = new MemoryFleet(['n1']);
    fleet.node('n1').failures.set('a', 2);
    const r = await run(fleet, `name: t\nsteps:\n  - id: a\n    uses: test.set\n    with: {key: a, value: "1"}\n    retries: 2\n`);
    expect(r.events.filter((e) => e.type === 'step.retry').map((e) => (e as { attempt: number }).attempt)).toEqual([1, 2]);
    expect(r.events.find((e) => e.type === 'step.done')).toMatchObject({ status: 'changed', attempts: 3 });
    expect(r.summary.exitCode).toBe(0);
  });

  it('an unreachable node is counted as unreachable (exit 3); an interrupt before a batch leaves it pending (exit 130)', async () => {
    const fleet = new MemoryFleet(['n1', 'n2']);
    fleet.node('n2').unreachable = true;
    const r = await run(fleet, `name: t\nrolling: {batch: 2, maxFailed: 1, onFailure: continue}\n${STEPS}`);
    expect(r.summary.nodes).toMatchObject({ n1: { status: 'done' }, n2: { status: 'unreachable' } });
    expect(r.summary.exitCode).toBe(EXIT.unreachable);
    const stop = new AbortController();
    stop.abort();
    const interrupted = await run(new MemoryFleet(['n1']), `name: t\n${STEPS}`, { stopSignal: stop.signal });
    expect(interrupted.summary).toMatchObject({ status: 'interrupted', exitCode: EXIT.interrupted, nodes: { n1: { status: 'pending' } } });
    expect(interrupted.summary.stopped).toBeUndefined(); // Ctrl-C: the operator's own
  });

  it('a stop with a reason (slipway stop) mid-node: the step in flight finishes, no new one starts, the reason is the summary\'s', async () => {
    const fleet = new MemoryFleet(['n1', 'n2']);
    const stop = new AbortController();
    const reason = 'stopped by slipway stop (ops, pid 42, at 2026-12-01 10:00:00)';
    const r = await run(fleet, `name: t\nrolling: {batch: 1}\n${STEPS}`, {
      stopSignal: stop.signal,
      listeners: [(e) => (e.type === 'step.start' && e.step === 'b' ? stop.abort(reason) : undefined)],
    });
    expect(fleet.node('n1').log).toEqual(['apply a=1', 'apply b=1']);
    expect(fleet.node('n2').log).toEqual([]);
    expect(r.summary).toMatchObject({ status: 'interrupted', exitCode: EXIT.interrupted, stopped: reason, nodes: { n1: { status: 'interrupted' }, n2: { status: 'pending' } } });
    expect(r.events.find((e) => e.type === 'node.end' && e.host === 'n1')).toMatchObject({ status: 'interrupted', error: reason });
  });

  it('resume re-checks steps done before and never applies them again; a started step is applied only if still needed', async () => {
    const fleet = new MemoryFleet(['n1']);
    fleet.node('n1').failures.set('c', 1);
    const journal = new MemoryJournal();
    const first = await run(fleet, `name: t\n${STEPS}`, { journal });
    expect(first.summary.nodes.n1?.status).toBe('failed');
    // Someone changes `a` by hand after the run: resume does not set it again (it was done).
    fleet.node('n1').store.set('a', 'by-hand');
    const state = journalState(journal.events);
    const resumed = await run(fleet, `name: t\n${STEPS}`, { journal, resume: { state, forced: false } });
    expect(resumed.summary.exitCode).toBe(0);
    expect(fleet.node('n1').log).toEqual(['apply a=1', 'apply b=1', 'apply c=1']);
    const done = resumed.events.filter((e) => e.type === 'step.done' && e.resumed);
    expect(done.map((e) => `${(e as { step: string }).step}:${(e as { status: string }).status}`)).toEqual(['a:skipped', 'b:ok']);
  });

  it('after a crash mid-step, resume applies the started step only if its check says it is still needed', async () => {
    for (const appliedBeforeCrash of [true, false]) {
      const fleet = new MemoryFleet(['n1']);
      const journal = new MemoryJournal();
      await run(fleet, `name: t\n${STEPS}`, { journal });
      // Cut the journal where the process died: c started, never ended.
      const cut = journal.events.findIndex((e) => e.type === 'step.start' && e.step === 'c');
      const crashed = new MemoryJournal();
      crashed.events.push(...journal.events.slice(0, cut + 1));
      if (!appliedBeforeCrash) fleet.node('n1').store.delete('c');
      fleet.node('n1').log.length = 0;
      const state = journalState(crashed.events);
      expect([...(state.nodes.get('n1')?.inFlight ?? [])]).toEqual(['c']);
      const resumed = await run(fleet, `name: t\n${STEPS}`, { journal: crashed, resume: { state, forced: false } });
      expect(resumed.summary.exitCode).toBe(0);
      expect(fleet.node('n1').log, `applied before the crash: ${appliedBeforeCrash}`).toEqual(appliedBeforeCrash ? [] : ['apply c=1']);
    }
  });

  it('exit codes: a failed rollback, then unreachable, then failed, then interrupted, then pending', () => {
    expect(exitCodeFor(['failed', 'rollback-failed', 'unreachable'], true)).toBe(EXIT.rollbackFailed);
    expect(exitCodeFor(['failed', 'unreachable'], true)).toBe(EXIT.unreachable);
    expect(exitCodeFor(['rolled-back', 'done'], true)).toBe(EXIT.stepFailed);
    expect(exitCodeFor(['pending', 'done'], true)).toBe(EXIT.interrupted);
    expect(exitCodeFor(['pending', 'done'], false)).toBe(EXIT.stepFailed);
    expect(exitCodeFor(['done'], false)).toBe(EXIT.ok);
  });
});

describe('rollback from the journal in memory', () => {
  it('refuses a step the playbook changed since: another type, or other parameters', async () => {
    const fleet = new MemoryFleet(['n1']);
    const journal = new MemoryJournal();
    await run(fleet, `name: t\n${STEPS}`, { journal });
    const state = journalState(journal.events);
    const changed = memoryPlaybook(`name: t\n${STEPS.replace('with: {key: c, value: "1"}', 'with: {key: c, value: "2"}')}`);
    const r = await rollbackRun({
      playbook: changed,
      inventory: fleet.inventory,
      hosts: fleet.inventory.hosts,
      extraVars: {},
      remotes: fleet.remotes,
      journal,
      state,
      to: 'start',
      listeners: [],
      stepTypes: memoryStepTypes,
      secrets: new SecretValues(),
    });
    expect(r).toMatchObject({ exitCode: EXIT.rollbackFailed, nodes: { n1: 'rollback-failed' } });
    const failed = journal.events.find((e) => e.type === 'rollback.step.failed') as { step: string; error: string } | undefined;
    expect(failed?.step).toBe('c');
    expect(failed?.error).toContain("step 'c' has other parameters now than when it was applied");
    expect(fleet.node('n1').log).not.toContain('undo c');
  });
});

describe('plan in memory', () => {
  it('checks every step and changes nothing; an unreachable node says so', async () => {
    const fleet = new MemoryFleet(['n1', 'n2']);
    fleet.node('n2').unreachable = true;
    const plan = await computePlan({ playbook: memoryPlaybook(`name: t\n${STEPS}`), inventory: fleet.inventory, hosts: fleet.inventory.hosts, extraVars: {}, remotes: fleet.remotes, stepTypes: memoryStepTypes, readFacts: memoryFacts, secrets: new SecretValues() });
    expect(plan.nodes[0]?.steps.map((s) => s.status)).toEqual(['change', 'change', 'change']);
    // test.set does not say what it leaves (no predict): the steps after it are decided at run time.
    expect(plan.nodes[0]?.steps.map((s) => s.decidedAfter)).toEqual([undefined, ['a'], ['a', 'b']]);
    expect(plan.nodes[1]).toMatchObject({ reachable: false, error: expect.stringContaining('connection refused') });
    expect(fleet.node('n1').log).toEqual([]);
  });

  it('predicts the rolling policy: after a batch with a node that would fail past the budget, later batches would not start', async () => {
    const fleet = new MemoryFleet(['n1', 'n2', 'n3']);
    fleet.node('n1').unreachable = true;
    const plan = (rolling: string) =>
      computePlan({ playbook: memoryPlaybook(`name: t\nrolling: ${rolling}\n${STEPS}`), inventory: fleet.inventory, hosts: fleet.inventory.hosts, extraVars: {}, remotes: fleet.remotes, stepTypes: memoryStepTypes, readFacts: memoryFacts, secrets: new SecretValues() });
    const serial = await plan('{batch: 1, maxFailed: 0, onFailure: continue}');
    expect(serial.nodes.map((n) => n.notStarted)).toEqual([undefined, 'failure budget exceeded: 1 node(s) failed, maxFailed allows 0', 'failure budget exceeded: 1 node(s) failed, maxFailed allows 0']);
    // n2 is still checked: what it would do once the budget allows.
    expect(serial.nodes[1]?.steps.map((s) => s.status)).toEqual(['change', 'change', 'change']);
    // n2 starts in the same batch as n1; only n3 comes after the budget is spent.
    expect((await plan('{batch: 2, maxFailed: 0, onFailure: continue}')).nodes.map((n) => n.notStarted !== undefined)).toEqual([false, false, true]);
    expect((await plan('{batch: 1, maxFailed: 1, onFailure: rollback}')).nodes.every((n) => n.notStarted === undefined)).toBe(true);
    expect((await plan('{batch: 1, maxFailed: 1, onFailure: stop}')).nodes.map((n) => n.notStarted)).toEqual([undefined, 'node n1 failed (onFailure: stop)', 'node n1 failed (onFailure: stop)']);
    // A window of 2: n2 is in flight when n1 fails; n3 would not be started.
    expect((await plan('{maxUnavailable: 2, maxFailed: 0, onFailure: continue}')).nodes.map((n) => n.notStarted !== undefined)).toEqual([false, false, true]);
    expect((await plan('{maxUnavailable: 1, maxFailed: 0, onFailure: continue}')).nodes.map((n) => n.notStarted !== undefined)).toEqual([false, true, true]);
  });

  it('shows step names with vars substituted, per node, in the plan and in the run\'s events', async () => {
    const fleet = new MemoryFleet(['n1', 'n2']);
    const yaml = `name: t\nvars: {v: "7"}\nsteps:\n  - id: a\n    name: Set a to {{ v }} on {{ node.name }}\n    uses: test.set\n    with: {key: a, value: "{{ v }}"}\n`;
    const plan = await computePlan({ playbook: memoryPlaybook(yaml), inventory: fleet.inventory, hosts: fleet.inventory.hosts, extraVars: {}, remotes: fleet.remotes, stepTypes: memoryStepTypes, readFacts: memoryFacts, secrets: new SecretValues() });
    expect(plan.nodes.map((n) => n.steps[0]?.name)).toEqual(['Set a to 7 on n1', 'Set a to 7 on n2']);
    const r = await run(fleet, yaml);
    const starts = r.events.flatMap((e) => (e.type === 'step.start' ? [e.name] : []));
    expect(starts).toEqual(['Set a to 7 on n1', 'Set a to 7 on n2']);
    const start = r.events.find((e) => e.type === 'run.start');
    expect(start?.type === 'run.start' && start.steps[0]?.name).toBe('Set a to {{ v }} on {{ node.name }}');
  });
});

describe('cordons a run leaves', () => {
  const CORDON = `steps:
  - id: cordon
    uses: test.cordon
    with: {cordoned: true}
  - id: work
    uses: test.set
    with: {key: work, value: "1"}
  - id: uncordon
    uses: test.cordon
    with: {cordoned: false}
`;

  it('a node that ends done is not listed; one left cordoned by a failed step is, with the run that cordoned it', async () => {
    const fleet = new MemoryFleet(['n1', 'n2']);
    fleet.node('n2').failures.set('work', 1);
    const r = await run(fleet, `name: t\nrolling: {batch: 2, maxFailed: 1, onFailure: continue}\n${CORDON}`);
    expect(r.summary.nodes).toMatchObject({ n1: { status: 'done' }, n2: { status: 'failed' } });
    expect(r.summary.cordoned).toEqual({ n2: { node: 'k8s', cordoned: true, by: 'run-1' } });
    expect(r.events.find((e) => e.type === 'step.done' && e.host === 'n1' && e.step === 'uncordon')).toMatchObject({ cordon: { cordoned: false } });
    // slipway runs RUN_ID reads the same from the journal.
    expect(journalState(r.events).nodes.get('n2')?.cordon).toEqual({ node: 'k8s', cordoned: true, by: 'run-1' });
  });

  it('a rollback that uncordons takes the node off the list', async () => {
    const fleet = new MemoryFleet(['n1']);
    fleet.node('n1').failures.set('work', 1);
    const r = await run(fleet, `name: t\nrolling: {onFailure: rollback}\n${CORDON}`);
    expect(r.summary.nodes.n1?.status).toBe('rolled-back');
    expect(r.events.find((e) => e.type === 'rollback.step.done' && e.step === 'cordon')).toMatchObject({ cordon: { cordoned: false } });
    expect(r.summary.cordoned).toBeUndefined();
    expect(fleet.node('n1').store.has('cordon')).toBe(false);
  });

  it('an interrupt after the cordon leaves the node listed as cordoned by the run', async () => {
    const fleet = new MemoryFleet(['n1']);
    const stop = new AbortController();
    const r = await run(fleet, `name: t\n${CORDON}`, { stopSignal: stop.signal, listeners: [(e) => (e.type === 'step.start' && e.step === 'work' ? stop.abort() : undefined)] });
    expect(r.summary).toMatchObject({ status: 'interrupted', cordoned: { n1: { node: 'k8s', cordoned: true, by: 'run-1' } } });
  });

  it("a node cordoned before the run stays cordoned, listed as not slipway's, also when the run succeeds", async () => {
    const fleet = new MemoryFleet(['n1']);
    fleet.node('n1').store.set('cordon', '-');
    const r = await run(fleet, `name: t\n${CORDON}`);
    expect(r.summary.status).toBe('succeeded');
    expect(r.events.filter((e) => e.type === 'step.done' && e.step !== 'work').map((e) => (e.type === 'step.done' ? e.status : ''))).toEqual(['ok', 'ok']);
    expect(r.summary.cordoned).toEqual({ n1: { node: 'k8s', cordoned: true } });
    expect(fleet.node('n1').store.get('cordon')).toBe('-');
  });
});

describe('health gates', () => {
  const GATED = `steps:
  - id: work
    uses: test.set
    with: {key: work, value: "1"}
  - id: healthy
    uses: test.gate
  - id: after
    uses: test.set
    with: {key: after, value: "1"}
`;

  it('a gate that passes after waiting is ok, not changed, and leaves nothing to undo', async () => {
    const fleet = new MemoryFleet(['n1']);
    const r = await run(fleet, `name: t\n${GATED}`);
    const gate = r.events.find((e) => e.type === 'step.done' && e.step === 'healthy');
    expect(gate).toMatchObject({ status: 'ok', summary: 'healthy' });
    expect(gate && 'undo' in gate ? gate.undo : undefined).toBeUndefined();
    expect(r.summary.nodes.n1).toMatchObject({ ok: 1, changed: 2, status: 'done' });
  });

  it('a node that does not pass its gate has failed: the next node does not start, the rollback skips the gate', async () => {
    const fleet = new MemoryFleet(['n1', 'n2']);
    fleet.node('n1').failures.set('healthy', 1);
    const r = await run(fleet, `name: t\nrolling: {batch: 1, onFailure: rollback}\n${GATED}`);
    expect(order(r.events)).toEqual(['batch 1: n1', 'n1 rolled-back']);
    expect(r.events.find((e) => e.type === 'rollback.start')).toMatchObject({ steps: ['work'] });
    expect(fleet.node('n2').log).toEqual([]);
    expect(r.summary.nodes.n2?.status).toBe('pending');
  });
});

describe('a window instead of batches (maxUnavailable)', () => {
  /** The most nodes in flight at once, from node.start and node.end; and each moment's set. */
  function inFlight(events: RunEvent[]): { max: number; moments: string[][] } {
    const now = new Set<string>();
    const moments: string[][] = [];
    let max = 0;
    for (const e of events) {
      if (e.type === 'node.start') now.add(e.host);
      else if (e.type === 'node.end') now.delete(e.host);
      else continue;
      max = Math.max(max, now.size);
      moments.push([...now].sort());
    }
    return { max, moments };
  }
  const ONE = 'steps:\n  - id: a\n    uses: test.set\n    with: {key: a, value: "1"}\n';

  it('at most 2 in flight; a new node starts as soon as one ends, so a slow node holds back no one', async () => {
    const fleet = new MemoryFleet(['n1', 'n2', 'n3', 'n4', 'n5', 'n6']);
    // n1 is held until the last of the others has ended: the order below does not depend on timing.
    let release = (): void => undefined;
    fleet.node('n1').hold = new Promise<void>((resolve) => (release = resolve));
    for (const n of ['n2', 'n3', 'n4', 'n5', 'n6']) fleet.node(n).delayMs = 10;
    const letN1Go = (e: RunEvent): void => (e.type === 'node.end' && e.host === 'n6' ? release() : undefined);
    const r = await run(fleet, `name: t\nrolling: {maxUnavailable: 2}\n${ONE}`, { listeners: [letN1Go] });
    expect(r.summary.status).toBe('succeeded');
    const { max, moments } = inFlight(r.events);
    expect(max).toBe(2);
    // n1 is still going while all the others pass through the other slot, one after another.
    const ends = r.events.filter((e) => e.type === 'node.end').map((e) => (e.type === 'node.end' ? e.host : ''));
    expect(ends).toEqual(['n2', 'n3', 'n4', 'n5', 'n6', 'n1']);
    // No idle slot while nodes wait: after each end with nodes still waiting, two are in flight again.
    const starts = r.events.filter((e) => e.type === 'node.start').length;
    expect(starts).toBe(6);
    expect(moments.filter((m) => m.length === 2).length).toBeGreaterThanOrEqual(5);
    expect(r.events.filter((e) => e.type === 'batch.start')).toHaveLength(1);
  });

  it('a percentage of the nodes; the failure budget still stops new nodes', async () => {
    const fleet = new MemoryFleet(['n1', 'n2', 'n3', 'n4']);
    fleet.node('n1').failures.set('a', 1);
    const r = await run(fleet, `name: t\nrolling: {maxUnavailable: "50%", maxFailed: 0, onFailure: continue}\n${ONE}`);
    expect(inFlight(r.events).max).toBe(2);
    expect(r.summary.nodes).toMatchObject({ n1: { status: 'failed' }, n2: { status: 'done' }, n3: { status: 'pending' }, n4: { status: 'pending' } });
  });

  it('per zone (an inventory var): never two nodes of one zone at once; the next of another zone goes first', async () => {
    const zones = { n1: 'a', n2: 'a', n3: 'b', n4: 'b', n5: 'c' };
    const fleet = new MemoryFleet(Object.keys(zones), Object.fromEntries(Object.entries(zones).map(([n, z]) => [n, { zone: z }])));
    for (const n of fleet.nodes) n.delayMs = 10;
    const r = await run(fleet, `name: t\nrolling: {maxUnavailable: 3, maxUnavailablePer: {var: zone, max: 1}}\n${ONE}`);
    expect(r.summary.status).toBe('succeeded');
    const { max, moments } = inFlight(r.events);
    expect(max).toBe(3);
    for (const m of moments) {
      const z = m.map((h) => zones[h as keyof typeof zones]);
      expect(new Set(z).size, m.join(',')).toBe(z.length);
    }
    const firstStarts = r.events.filter((e) => e.type === 'node.start').slice(0, 3).map((e) => (e.type === 'node.start' ? e.host : ''));
    expect(firstStarts).toEqual(['n1', 'n3', 'n5']);
  });

  it('batch and maxUnavailable together are bad input, at the line', () => {
    expect(() => memoryPlaybook(`name: t\nrolling:\n  batch: 2\n  maxUnavailable: 2\n${ONE}`)).toThrow(/memory\.yaml:3:\d+: .*rolling.*must be batch or maxUnavailable, not both/);
    expect(() => memoryPlaybook(`name: t\nrolling:\n  maxUnavailablePer: {var: zone}\n${ONE}`)).toThrow(/maxUnavailable/);
    expect(() => memoryPlaybook(`name: t\nrolling:\n  maxUnavailable: 2\n  maxUnavailablePer: {max: 1}\n${ONE}`)).toThrow(/one of var, label or groups/);
  });
});

describe('resume of some nodes, and nodes given up', () => {
  it('a pass over some nodes sums up the whole run; a skipped node is journaled, left alone, and counts for nothing', async () => {
    const fleet = new MemoryFleet(['n1', 'n2', 'n3']);
    fleet.node('n2').failures.set('b', 1);
    fleet.node('n3').failures.set('b', 5);
    const journal = new MemoryJournal();
    const yaml = `name: t\nrolling: {batch: 3, maxFailed: 2, onFailure: continue}\n${STEPS}`;
    const first = await run(fleet, yaml, { journal });
    expect(first.summary.nodes).toMatchObject({ n1: { status: 'done' }, n2: { status: 'failed' }, n3: { status: 'failed' } });

    // resume --limit n2: n2 goes on; n3 is not run and stays failed; the run is not done (exit 1).
    const only = fleet.inventory.hosts.filter((h) => h.name === 'n2');
    const second = await run(fleet, yaml, { journal, hosts: only, resume: { state: journalState(journal.events), forced: false } });
    expect(second.summary.nodes).toMatchObject({ n1: { status: 'done' }, n2: { status: 'done' }, n3: { status: 'failed' } });
    expect(second.summary.exitCode).toBe(EXIT.stepFailed);
    expect(fleet.node('n3').log).toEqual(['apply a=1']);

    // resume --skip n3: recorded, nothing run on it, and the run succeeds without it.
    const third = await run(fleet, yaml, { journal, hosts: [], resume: { state: journalState(journal.events), forced: false, skip: ['n3'], skipReason: 'skipped by slipway resume --skip (ops)' } });
    expect(third.events.filter((e) => e.type === 'node.skipped')).toEqual([expect.objectContaining({ host: 'n3', reason: 'skipped by slipway resume --skip (ops)' })]);
    expect(third.summary).toMatchObject({ status: 'succeeded', exitCode: 0, nodes: { n1: { status: 'done' }, n2: { status: 'done' }, n3: { status: 'skipped' } } });
    expect(fleet.node('n3').log).toEqual(['apply a=1']);
    expect(journalState(journal.events).nodes.get('n3')).toMatchObject({ status: 'skipped', error: 'skipped by slipway resume --skip (ops)' });
  });
});
