/** The run report from a real (in-memory) run's events: the model, and its Markdown and HTML. */
import { describe, expect, it } from 'vitest';
import { aroundRun, snapshotName, type DoctorSnapshot } from '../../src/runner/doctor-store.js';
import type { RunEvent } from '../../src/runner/events.js';
import { journalState } from '../../src/runner/journal-state.js';
import { redactSecrets } from '../../src/runner/redact.js';
import { esc, nodeId, renderHtml } from '../../src/report/html.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { buildRunReport } from '../../src/report/model.js';
import { MemoryFleet, MemoryJournal, runInMemory } from '../runner/memory.js';

const PLAYBOOK = `name: report-test
rolling: {batch: 1, onFailure: rollback, maxFailed: 1}
steps:
  - id: cordon
    uses: test.cordon
    with: {cordoned: true}
    checkpoint: true
  - id: work
    name: Work on {{ node.name }}
    uses: test.set
    with: {key: work, value: "1"}
  - id: healthy
    uses: test.gate
  - id: uncordon
    uses: test.cordon
    with: {cordoned: false}
`;

/** The playbook run on the fleet as ops@bastion would, with a secret-looking extra var. */
async function runIt(fleet: MemoryFleet): Promise<RunEvent[]> {
  const { events } = await runInMemory(fleet, PLAYBOOK, {
    inputs: { playbookFile: '/pb/report-test.yaml', inventoryFile: '/inv/hosts.yaml', limit: undefined, extraVars: { token: '*****', zone: 'a' }, sshConfigFile: undefined },
    operator: { user: 'ops', host: 'bastion', cwd: '/srv/ops' },
  });
  return events;
}

describe('the run report', () => {
  it('carries inputs, outcome, budget, a lane per node with its steps, the rollback, the cordon left, and what to run next', async () => {
    const fleet = new MemoryFleet(['n1', 'n2', 'n3']);
    fleet.node('n2').failures.set('healthy', 1); // n2 never passes its gate: rolled back to its cordon
    const events = await runIt(fleet);
    const r = buildRunReport(events, { generated: '2026-12-01T12:00:00.000Z' });

    expect(r).toMatchObject({ runId: 'run-1', status: 'failed', exitCode: 1, playbook: { name: 'report-test', file: expect.any(String) }, inputs: { extraVars: { token: '*****', zone: 'a' } } });
    expect(r.passes).toEqual([expect.objectContaining({ kind: 'run', operator: { user: 'ops', host: 'bastion', cwd: '/srv/ops' }, status: 'failed' })]);
    expect(r.budget).toEqual({ maxFailed: 1, onFailure: 'rollback', failedNodes: 1 });
    expect(r.nodesByOutcome).toEqual({ done: ['n1', 'n3'], 'rolled-back': ['n2'] });
    expect(r.nodes.map((n) => n.host)).toEqual(['n1', 'n2', 'n3']);

    const n1 = r.nodes[0]!;
    expect(n1.bars.map((b) => [b.step, b.status])).toEqual([['cordon', 'changed'], ['work', 'changed'], ['healthy', 'ok'], ['uncordon', 'changed']]);
    expect(n1.bars[1]?.name).toBe('Work on n1');
    expect(n1.bars[2]?.waits).toEqual([expect.objectContaining({ for: 'healthy in the store' })]);
    for (const b of n1.bars) expect(Date.parse(b.end!)).toBeGreaterThanOrEqual(Date.parse(b.start));

    const n2 = r.nodes[1]!;
    expect(n2.status).toBe('rolled-back');
    expect(n2.bars.map((b) => [b.step, b.status])).toEqual([['cordon', 'changed'], ['work', 'changed'], ['healthy', 'failed']]);
    expect(n2.notRun).toEqual(['uncordon']);
    expect(n2.rollbacks).toEqual([expect.objectContaining({ to: 'checkpoint', status: 'rolled-back', steps: [{ step: 'work', undone: true }] })]);
    expect(n2.cordon).toMatchObject({ cordoned: true, by: 'run-1' });
    expect(r.cordoned).toEqual({ n2: expect.objectContaining({ by: 'run-1' }) });
    expect(r.next).toEqual(['slipway resume run-1', 'slipway rollback run-1']);

    const gate = r.steps.find((s) => s.id === 'healthy')!;
    expect(gate).toMatchObject({ ok: 2, failed: 1, notRun: 0 });
    expect(r.steps.find((s) => s.id === 'uncordon')).toMatchObject({ changed: 2, notRun: 1 });
    // No field of a node's record reads as a secret's name (the report is redacted by key when written).
    expect(redactSecrets(r.nodes)).toEqual(r.nodes);
  });

  it('as Markdown: the inputs, every node, the failed node with its rollback and cordon, the commands', async () => {
    const fleet = new MemoryFleet(['n1', 'n2']);
    fleet.node('n2').failures.set('healthy', 1);
    const md = renderMarkdown(buildRunReport(await runIt(fleet), { generated: '2026-12-01T12:00:00.000Z' }));
    expect(md).toMatch(/^# slipway run run-1: report-test: failed$/m);
    expect(md).toContain('| Extra vars | token=*****, zone=a |');
    expect(md).toMatch(/\| Passes \| run \d{4}-\d\d-\d\d \d\d:\d\d:\d\d by ops@bastion in \/srv\/ops: failed \|/);
    expect(md).toContain('| Failure budget | 1 of 1 node(s) allowed to fail used (onFailure: rollback) |');
    expect(md).toMatch(/^\| n2 \| rolled-back \| [\d.]+s \| /m);
    expect(md).toContain('### n2: rolled-back');
    expect(md).toMatch(/Rollback at .* to its last rollback point: rolled-back; undid work\./);
    expect(md).toContain('Left cordoned: cordoned by this run.');
    expect(md).toContain('slipway rollback run-1');
    expect(md).not.toContain('### n1'); // a node that is done and changed no file needs no section
  });

  it('as HTML: one file, no script or remote resource, a lane per node with a bar per step, the failed node marked', async () => {
    const fleet = new MemoryFleet(['n1', 'n2', 'n<3>']);
    fleet.node('n2').failures.set('healthy', 1);
    const html = renderHtml(buildRunReport(await runIt(fleet), { generated: '2026-12-01T12:00:00.000Z' }));
    expect(html).not.toMatch(/<script|<link|src=|url\(http/i);
    const lanes = [...html.matchAll(/<div class="lane( failed)?" data-host="([^"]+)" data-status="([^"]+)">(.*?)<\/div><\/div>/g)];
    expect(lanes.map((m) => [m[2], m[3], Boolean(m[1])])).toEqual([['n1', 'done', false], ['n2', 'rolled-back', true], ['n&lt;3&gt;', 'done', false]]);
    const bars = (lane: string) => [...lane.matchAll(/class="bar (\w+)"[^>]*data-step="(\w+)" data-status/g)].map((m) => `${m[2]}:${m[1]}`);
    expect(bars(lanes[1]![4]!)).toEqual(['cordon:changed', 'work:changed', 'healthy:failed']);
    expect(lanes[1]![4]).toContain('class="bar rollback"');
    expect(html).toContain(`<details class="node failed" id="${nodeId('n2')}" data-status="rolled-back" open>`);
    expect(nodeId('n<3>')).toBe('node-n_3c3_3e');
    expect(esc(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it("a package a step upgraded: its versions before and after, in the node's record and both renderings", async () => {
    const events = (await runIt(new MemoryFleet(['n1']))).map((e) =>
      // As pkg.install's step.done carries them (its check's `versions`).
      e.type === 'step.done' && e.step === 'work' ? { ...e, versions: [{ name: 'containerd', from: '1.4.13~ds1-1', to: '1.6.20~ds1-1' }] } : e,
    );
    const r = buildRunReport(events, { generated: '2026-12-01T12:00:00.000Z' });
    expect(r.nodes[0]?.versions).toEqual([{ name: 'containerd', from: '1.4.13~ds1-1', to: '1.6.20~ds1-1', step: 'work' }]);
    expect(renderMarkdown(r)).toMatch(/^\| n1 \| done \| .* \| containerd 1\.4\.13~ds1-1 → 1\.6\.20~ds1-1 \|/m);
    expect(renderMarkdown(r)).toContain('- containerd 1.4.13~ds1-1 → 1.6.20~ds1-1 (work)');
    expect(renderHtml(r)).toContain('Versions: containerd 1.4.13~ds1-1 → 1.6.20~ds1-1 (work)');
  });

  it('a resumed run: a pass per resume, steps done before marked re-checked', async () => {
    const fleet = new MemoryFleet(['n1']);
    fleet.node('n1').failures.set('healthy', 1);
    const events = await runIt(fleet);
    // Resume the same journal: n1 rolled back to its checkpoint, so work runs again.
    const journal = new MemoryJournal();
    journal.events.push(...events);
    await runInMemory(fleet, PLAYBOOK, { journal, operator: { user: 'ops2', host: 'bastion', cwd: '/srv/ops' }, resume: { state: journalState(events), forced: false } });
    const r = buildRunReport(journal.events, { generated: '2026-12-01T12:00:00.000Z' });
    expect(r.passes.map((p) => [p.kind, p.operator?.user, p.status])).toEqual([['run', 'ops', 'failed'], ['resume', 'ops2', 'succeeded']]);
    expect(r.status).toBe('succeeded');
    expect(r.next).toEqual([]);
    const bars = r.nodes[0]!.bars.filter((b) => b.passNumber === 2);
    expect(bars.map((b) => [b.step, b.status, b.resumed === true])).toEqual([['cordon', 'ok', true], ['work', 'changed', false], ['healthy', 'ok', false], ['uncordon', 'changed', false]]);
    expect(r.cordoned).toEqual({});
  });
});

describe('the report at 200 nodes', () => {
  it('stays one readable file: a lane a node in one line, per step its counts with the nodes folded behind them', async () => {
    const fleet = new MemoryFleet(Array.from({ length: 200 }, (_, i) => `n${i + 1}`));
    for (const n of ['n7', 'n150']) fleet.node(n).failures.set('healthy', 1);
    const { events } = await runInMemory(fleet, PLAYBOOK.replace('rolling: {batch: 1, onFailure: rollback, maxFailed: 1}', 'rolling: {maxUnavailable: 20, onFailure: rollback, maxFailed: 5}'));
    const r = buildRunReport(events, { generated: '2026-12-01T12:00:00.000Z' });
    expect(r.nodesByOutcome['rolled-back']).toEqual(['n7', 'n150']);
    const html = renderHtml(r);
    expect(html.length).toBeLessThan(1_500_000);
    expect(html.match(/<div class="lane/g)).toHaveLength(200);
    expect(html.match(/<details class="node/g)).toHaveLength(200);
    // Only the failed nodes' details are open; per step one row, its 200 nodes folded in a <details>.
    expect(html.match(/<details class="node[^>]* open>/g)).toHaveLength(2);
    expect(html.match(/<details class="step"/g)).toHaveLength(4);
    expect(r.steps.find((s) => s.id === 'healthy')).toMatchObject({ ok: 198, failed: 2 });
    const md = renderMarkdown(r);
    expect(md.match(/^\| n\d+ \|/gm)).toHaveLength(200);
    expect(md.match(/^### n\d+: /gm)).toHaveLength(2); // sections only for the nodes that need them
  });
});

describe("doctor's verdicts around a run", () => {
  const snap = (ts: string, hosts: string[]): DoctorSnapshot => ({ ts, inventory: 'h.yaml', target: '1.27.16', nodes: hosts.map((host) => ({ host, reachable: true, findings: [] })) });
  const all = [snap('2026-12-01T09:00:00.000Z', ['n1']), snap('2026-12-01T09:30:00.000Z', ['n1', 'x']), snap('2026-12-01T09:45:00.000Z', ['x']), snap('2026-12-01T10:30:00.000Z', ['n1']), snap('2026-12-01T10:40:00.000Z', ['n1'])];
  const byName = new Map(all.map((s, i) => [snapshotName(s.ts, 100 + i), s]));

  it("the last before the start and the first after the end that saw the run's nodes, cut to them; only those nearest are read", async () => {
    const read: string[] = [];
    const load = async (name: string) => {
      read.push(name);
      return byName.get(name);
    };
    const around = await aroundRun([...byName.keys()].reverse(), load, ['n1', 'n2'], '2026-12-01T10:00:00.000Z', '2026-12-01T10:20:00.000Z');
    expect(around.before?.ts).toBe('2026-12-01T09:30:00.000Z'); // 09:45 saw only x
    expect(around.before?.nodes.map((n) => n.host)).toEqual(['n1']);
    expect(around.after?.ts).toBe('2026-12-01T10:30:00.000Z');
    expect(read.map((n) => byName.get(n)?.ts)).toEqual(['2026-12-01T09:45:00.000Z', '2026-12-01T09:30:00.000Z', '2026-12-01T10:30:00.000Z']);
    expect(await aroundRun([...byName.keys()], load, ['n9'], '2026-12-01T10:00:00.000Z', '2026-12-01T10:20:00.000Z')).toEqual({});
  });
});
