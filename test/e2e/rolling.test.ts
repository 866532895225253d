/**
 * The rolling policy on real nodes: ramp batches, control plane first, a failure budget over
 * the whole run (not per batch), the three failure modes, and pauses between batches.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { useFleet } from '../fleet/fixture.js';
import { events, slipway } from '../support/cli.js';

const f = useFleet({ nodes: 6 });
let work: string;
let counter = 0;

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-rolling-'));
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

type Ev = Record<string, unknown> & { type: string };

/** Runs a playbook made of a rolling block and steps; returns exit code and events. */
async function runWith(rolling: string, steps: string, hosts = 'workers', extra: string[] = []): Promise<{ code: number; evs: Ev[]; stderr: string; stdout: string }> {
  const file = path.join(work, `pb-${++counter}.yaml`);
  await fs.writeFile(file, `name: rolling-${counter}\nhosts: ${hosts}\nvars:\n  n: "${counter}"\nrolling:\n${rolling}\nsteps:\n${steps}`);
  const r = await slipway(['run', file, '-i', f.fleet.inventoryFile, '--output', 'json', ...extra], { env: { SLIPWAY_STATE_DIR: path.join(work, 'state') } });
  return { code: r.code, evs: r.stdout.trim() ? events(r.stdout) : [], stderr: r.stderr, stdout: r.stdout };
}

const failOn = (hosts: string[]) => `  - id: maybe-fail
    uses: command
    with: {argv: [sh, -c, 'case "$(hostname)" in ${hosts.join('|')}) echo "broken on purpose" >&2; exit 1;; esac']}
`;
const mark = (id: string, extra = '') => `  - id: ${id}
    uses: file.content
    with: {path: "/var/lib/rolling/{{ n }}/${id}", content: "${id}\\n"}${extra}
`;
const summaryOf = (evs: Ev[]) => evs.at(-1) as unknown as { type: string; exitCode: number; stopped?: string; nodes: Record<string, { status: string }> };
const batchesOf = (evs: Ev[]) => evs.filter((e) => e.type === 'batch.start').map((e) => e.hosts as string[]);

describe('batches', () => {
  it('ramps: a canary, then 2, then 50% of the nodes', async () => {
    const { code, evs } = await runWith('  batch: [1, 2, "50%"]', mark('a'));
    expect(code).toBe(0);
    expect(batchesOf(evs)).toEqual([['node-1'], ['node-2', 'node-3'], ['node-4', 'node-5', 'node-6']]);
  });

  it('puts the control plane first, one node at a time', async () => {
    const { code, evs } = await runWith('  batch: 3\n  serialFirst: [control_plane]', mark('a'), 'all');
    expect(code).toBe(0);
    expect(batchesOf(evs)).toEqual([['cp-1'], ['node-1', 'node-2', 'node-3'], ['node-4', 'node-5', 'node-6']]);
  });
});

describe('failure budget and modes', () => {
  it('counts failures over the whole run, not per batch (maxFailed 1, continue)', async () => {
    // One failure in batch 1 and one in batch 2: each batch alone is within budget, the run is not.
    const slowOnNode4 = `  - id: slow
    uses: command
    with: {argv: [sh, -c, 'if [ "$(hostname)" = node-4 ]; then sleep 1; fi']}
`;
    const { code, evs } = await runWith('  batch: 2\n  maxFailed: 1\n  onFailure: continue', slowOnNode4 + failOn(['node-1', 'node-3']) + mark('after'));
    expect(code).toBe(1);
    const s = summaryOf(evs);
    expect(s.stopped).toMatch(/failure budget exceeded: 2 node\(s\) failed, maxFailed allows 1/);
    expect(s.nodes).toMatchObject({
      'node-1': { status: 'failed' },
      'node-2': { status: 'done' },
      'node-3': { status: 'failed' },
      'node-5': { status: 'pending' },
      'node-6': { status: 'pending' },
    });
    // node-4 was in flight when node-3 failed: it finished its current step, then stopped.
    expect(s.nodes['node-4']?.status).toBe('pending');
    const n4 = evs.filter((e) => e.host === 'node-4' && e.type === 'step.done').map((e) => e.step);
    expect(n4).toContain('slow');
    expect(n4).not.toContain('after');
    expect(evs.some((e) => e.type === 'node.start' && (e.host === 'node-5' || e.host === 'node-6'))).toBe(false);
  });

  it('onFailure: stop ends the run at the first failed node', async () => {
    const slowOnNode2 = `  - id: slow
    uses: command
    with: {argv: [sh, -c, 'if [ "$(hostname)" = node-2 ]; then sleep 1; fi']}
`;
    const { code, evs } = await runWith('  batch: 2\n  maxFailed: 3\n  onFailure: stop', slowOnNode2 + failOn(['node-1']) + mark('after'));
    expect(code).toBe(1);
    const s = summaryOf(evs);
    expect(s.stopped).toContain('node node-1 failed (onFailure: stop)');
    expect(batchesOf(evs)).toHaveLength(1);
    // node-2 was in its slow step when node-1 failed: it finished that step, then stopped.
    const n2 = evs.filter((e) => e.host === 'node-2' && e.type === 'step.done').map((e) => e.step);
    expect(n2).toEqual(['slow']);
    expect(s.nodes['node-2']?.status).toBe('pending');
    expect(s.nodes['node-3']?.status).toBe('pending');
  });

  it('onFailure: continue goes on while within the budget', async () => {
    const { code, evs } = await runWith('  batch: 3\n  maxFailed: "40%"\n  onFailure: continue', failOn(['node-2', 'node-5']) + mark('after'));
    expect(code).toBe(1);
    const s = summaryOf(evs);
    expect(s.stopped).toBeUndefined();
    expect(Object.values(s.nodes).filter((n) => n.status === 'done')).toHaveLength(4);
  });

  it('onFailure: rollback takes the failed node back to its last checkpoint', async () => {
    const steps =
      mark('kept', '\n    checkpoint: true') +
      mark('undone') +
      failOn(['node-2']);
    const { code, evs } = await runWith('  batch: 2\n  maxFailed: 1\n  onFailure: rollback', steps);
    expect(code).toBe(1);
    const s = summaryOf(evs);
    expect(s.nodes['node-2']?.status).toBe('rolled-back');
    expect(s.nodes['node-1']?.status).toBe('done');
    expect(s.nodes['node-6']?.status).toBe('done'); // within budget: the run went on
    const rb = evs.find((e) => e.type === 'rollback.start');
    expect(rb).toMatchObject({ host: 'node-2', to: 'checkpoint', steps: ['undone'] });
    const n2 = f.fleet.node('node-2');
    expect(await n2.readFile(`/var/lib/rolling/${counter}/kept`)).toBe('kept\n');
    expect(await n2.readFile(`/var/lib/rolling/${counter}/undone`)).toBeNull();
    expect(await f.fleet.node('node-1').readFile(`/var/lib/rolling/${counter}/undone`)).toBe('undone\n');
  });

  it('a failed rollback is recorded, shown, and exits 4', async () => {
    // The undo of `break-me` runs a command that fails.
    const steps = `  - id: break-me
    uses: command
    with: {argv: ["true"], undo: [sh, -c, 'echo cannot undo >&2; exit 7']}
` + failOn(['node-1']);
    const { code, evs, stdout } = await runWith('  batch: 1\n  onFailure: rollback', steps);
    expect(code).toBe(4);
    expect(evs.find((e) => e.type === 'rollback.step.failed')).toMatchObject({ host: 'node-1', step: 'break-me' });
    expect(String(evs.find((e) => e.type === 'rollback.step.failed')?.error)).toContain('cannot undo');
    expect(summaryOf(evs).nodes['node-1']?.status).toBe('rollback-failed');
    expect(stdout).toContain('rollback-failed');
  });
});

describe('pauses', () => {
  it('waits the given time between batches', async () => {
    const { code, evs } = await runWith('  batch: 3\n  pause: 1', mark('a'));
    expect(code).toBe(0);
    const pause = evs.find((e) => e.type === 'batch.pause');
    expect(pause).toMatchObject({ batch: 2, pause: 1 });
    const end1 = Date.parse(String(evs.find((e) => e.type === 'batch.end' && e.batch === 1)?.ts));
    const start2 = Date.parse(String(evs.find((e) => e.type === 'batch.start' && e.batch === 2)?.ts));
    expect(start2 - end1).toBeGreaterThanOrEqual(950);
  });

  it('refuses pause: confirm without a terminal, before touching anything', async () => {
    const { code, stderr, evs } = await runWith('  batch: 3\n  pause: confirm', mark('never'));
    expect(code).toBe(2);
    expect(stderr).toContain('"confirm"');
    expect(stderr).toContain('not a terminal');
    expect(evs).toEqual([]);
    expect(await f.fleet.node('node-1').readFile(`/var/lib/rolling/${counter}/never`)).toBeNull();
  });
});

describe('a window instead of batches (maxUnavailable)', () => {
  /** The nodes in flight after each node.start and node.end of the journal's order. */
  function moments(evs: Ev[]): string[][] {
    const now = new Set<string>();
    const out: string[][] = [];
    for (const e of evs) {
      if (e.type === 'node.start') now.add(String(e.host));
      else if (e.type === 'node.end') now.delete(String(e.host));
      else continue;
      out.push([...now].sort());
    }
    return out;
  }
  // Unequal speed: node-1 is slow, node-4 a little slow, the rest quick.
  const work = `  - id: work
    uses: command
    with: {argv: [sh, -c, 'case "$(hostname)" in node-1) sleep 6;; node-4) sleep 1.5;; *) sleep 0.3;; esac']}
`;

  it('maxUnavailable 2 over 6 nodes of unequal speed: never more than two in flight, no idle slot while nodes wait', async () => {
    const { code, evs } = await runWith('  maxUnavailable: 2', work);
    expect(code).toBe(0);
    expect(evs[0]).toMatchObject({ type: 'run.start', batches: [['node-1', 'node-2', 'node-3', 'node-4', 'node-5', 'node-6']], window: 2 });
    const m = moments(evs);
    expect(Math.max(...m.map((x) => x.length))).toBe(2);
    // No barrier: while slow node-1 holds one slot, other nodes pass through the second one.
    const ends = evs.filter((e) => e.type === 'node.end').map((e) => String(e.host));
    expect(ends.indexOf('node-1')).toBeGreaterThanOrEqual(3);
    // No idle slot: every node.end with nodes still waiting is followed at once by a node.start.
    const order = evs.filter((e) => e.type === 'node.start' || e.type === 'node.end').map((e) => `${e.type} ${String(e.host)}`);
    const starts = order.filter((x) => x.startsWith('node.start')).length;
    let waiting = 6 - 2;
    for (const [i, x] of order.entries()) {
      if (x.startsWith('node.end') && waiting > 0) {
        expect(order[i + 1], `after ${x}`).toMatch(/^node\.start /);
        waiting--;
      }
    }
    expect(starts).toBe(6);
  }, 60_000);

  it('per zone (an inventory var): never two nodes of one zone in flight at once', async () => {
    // The fleet's inventory with a zone on each host: node-1/2 in a, node-3/4 in b, node-5/6 in c.
    const inv = parse(await fs.readFile(f.fleet.inventoryFile, 'utf8')) as { all: { hosts: Record<string, Record<string, unknown>> } };
    const zoneOf = (h: string) => (['node-1', 'node-2'].includes(h) ? 'a' : ['node-3', 'node-4'].includes(h) ? 'b' : ['node-5', 'node-6'].includes(h) ? 'c' : 'cp');
    for (const [name, vars] of Object.entries(inv.all.hosts)) vars.zone = zoneOf(name);
    const zoned = path.join(path.dirname(f.fleet.inventoryFile), 'zones.yaml');
    await fs.writeFile(zoned, stringify(inv, { nullStr: '' }));
    const { code, evs } = await runWith('  maxUnavailable: 3\n  maxUnavailablePer: {var: zone, max: 1}', work, 'workers', ['-i', zoned]);
    expect(code).toBe(0);
    const m = moments(evs);
    expect(Math.max(...m.map((x) => x.length))).toBe(3);
    for (const x of m) expect(new Set(x.map(zoneOf)).size, x.join(',')).toBe(x.length);
    expect(evs.filter((e) => e.type === 'node.start').slice(0, 3).map((e) => String(e.host))).toEqual(['node-1', 'node-3', 'node-5']);
  }, 60_000);
});
