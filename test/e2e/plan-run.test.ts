/**
 * plan shows what would change and changes nothing; run applies it with a journal; a second
 * run changes nothing. Against real OpenSSH nodes, through the built CLI.
 */
import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useFleet } from '../fleet/fixture.js';
import { planOutcomes, runOutcomes } from '../support/agreement.js';
import { events, slipway, why } from '../support/cli.js';
import { fileTree } from '../support/tree.js';

const f = useFleet({
  nodes: 3,
  seed: (name) => ({
    files: [
      // node-3 is already in the end state: it must be reported ok and not touched.
      ...(name === 'node-3'
        ? [
            { path: '/etc/slipway-demo/app.conf', content: 'mode = fast\nowner = node-3\n' },
            { path: '/etc/sysctl.d/99-k8s.conf', content: 'net.ipv4.ip_forward = 1\n' },
          ]
        : [{ path: '/etc/sysctl.d/99-k8s.conf', content: '# kubernetes\nnet.ipv4.ip_forward = 0\n' }]),
    ],
  }),
});

let work: string;
let playbook: string;
const env = () => ({ SLIPWAY_STATE_DIR: path.join(work, 'state') });

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-e2e-'));
  playbook = path.join(work, 'playbook.yaml');
  await fs.writeFile(
    playbook,
    `name: e2e-basic
hosts: workers
vars:
  mode: fast
rolling:
  batch: 2
steps:
  - id: app-config
    uses: file.content
    with:
      path: /etc/slipway-demo/app.conf
      content: "mode = {{ mode }}\\nowner = {{ node.name }}\\n"
      mode: "0644"
  - id: ip-forward
    uses: file.line
    with:
      path: /etc/sysctl.d/99-k8s.conf
      regexp: '^net\\.ipv4\\.ip_forward'
      line: net.ipv4.ip_forward = 1
      state: present
  - id: marker
    uses: command
    with:
      argv: [sh, -c, 'echo done > /var/lib/slipway-demo.marker']
      creates: /var/lib/slipway-demo.marker
  - id: only-docker
    uses: command
    when: {fact: runtime.name, equals: docker}
    with:
      argv: [touch, /etc/docker-only]
`,
  );
});

afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

describe('plan and run', () => {
  it('plan shows changes with diffs and changes nothing on any node', async () => {
    const before = await Promise.all(f.fleet.nodes.map((n) => fileTree(n)));
    const r = await slipway(['plan', playbook, '-i', f.fleet.inventoryFile], { env: env() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('node-1: 3 step(s) would change');
    expect(r.stdout).toContain('node-3: 1 step(s) would change'); // only the marker
    expect(r.stdout).toMatch(/\+net\.ipv4\.ip_forward = 1/);
    expect(r.stdout).toMatch(/-net\.ipv4\.ip_forward = 0/);
    expect(r.stdout).toContain('+owner = node-1');
    expect(r.stdout).toMatch(/only-docker: skipped: when: runtime\.name/);
    expect(r.stdout).not.toContain('cp-1'); // hosts: workers
    const after = await Promise.all(f.fleet.nodes.map((n) => fileTree(n)));
    expect(after).toEqual(before);
    expect(existsSync(path.join(work, 'state'))).toBe(false); // plan records no run
  });

  it('plan --output json is data', async () => {
    const r = await slipway(['plan', playbook, '-i', f.fleet.inventoryFile, '--output', 'json'], { env: env() });
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as { batches: string[][]; nodes: Array<{ host: string; steps: Array<{ id: string; status: string }> }> };
    expect(plan.batches).toEqual([['node-1', 'node-2'], ['node-3']]);
    const n3 = plan.nodes.find((n) => n.host === 'node-3');
    expect(n3?.steps.map((s) => s.status)).toEqual(['ok', 'ok', 'change', 'skip']);
  });

  it('run applies the plan, journals each step, and reports counts', async () => {
    const r = await slipway(['run', playbook, '-i', f.fleet.inventoryFile, '--output', 'json'], { env: env() });
    expect(r.code).toBe(0);
    const evs = events(r.stdout);
    const summary = evs.at(-1) as unknown as { type: string; runId: string; total: Record<string, number>; nodes: Record<string, Record<string, number | string>> };
    expect(summary.type).toBe('run.summary');
    expect(summary.total).toEqual({ ok: 2, changed: 7, skipped: 3, failed: 0 });
    expect(summary.nodes['node-3']).toMatchObject({ ok: 2, changed: 1, skipped: 1, failed: 0, status: 'done' });
    expect(await f.fleet.node('node-1').readFile('/etc/slipway-demo/app.conf')).toBe('mode = fast\nowner = node-1\n');
    expect(await f.fleet.node('node-2').readFile('/etc/sysctl.d/99-k8s.conf')).toBe('# kubernetes\nnet.ipv4.ip_forward = 1\n');
    expect(await f.fleet.node('node-3').readFile('/etc/slipway-demo/app.conf')).toBe('mode = fast\nowner = node-3\n');
    expect(await f.fleet.node('cp-1').readFile('/etc/slipway-demo/app.conf')).toBeNull();

    // Batches ran in order: no step of node-3 before node-1 and node-2 finished.
    const firstNode3 = evs.findIndex((e) => e.type === 'step.start' && e.host === 'node-3');
    const lastBatch1 = evs.findLastIndex((e) => e.type === 'node.end' && (e.host === 'node-1' || e.host === 'node-2'));
    expect(firstNode3).toBeGreaterThan(lastBatch1);

    // The journal: every step.done has a step.start before it, undo records for changes, no secrets.
    const runId = summary.runId;
    const journal = (await fs.readFile(path.join(work, 'state', 'runs', runId, 'journal.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const [i, e] of journal.entries()) {
      if (e.type !== 'step.done') continue;
      const start = journal.findIndex((s) => s.type === 'step.start' && s.host === e.host && s.step === e.step);
      expect(start).toBeGreaterThanOrEqual(0);
      expect(start).toBeLessThan(i);
      if (e.status === 'changed') expect(e.undo).toBeDefined();
    }
    expect(existsSync(path.join(work, 'state', 'runs', runId, 'playbook.resolved.yaml'))).toBe(true);
    expect(existsSync(path.join(work, 'state', 'runs', runId, 'inventory.resolved.yaml'))).toBe(true);
  });

  it('a second run changes nothing', async () => {
    const before = await Promise.all(f.fleet.nodes.map((n) => fileTree(n)));
    const r = await slipway(['run', playbook, '-i', f.fleet.inventoryFile, '--output', 'plain'], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/succeeded: 9 ok, 0 changed, 3 skipped, 0 failed/);
    expect(r.stdout).not.toMatch(/ changed(:|$)/m);
    const after = await Promise.all(f.fleet.nodes.map((n) => fileTree(n)));
    expect(after).toEqual(before);
  });

  it('slipway runs lists both runs with their outcome', async () => {
    const r = await slipway(['runs'], { env: env() });
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\n');
    expect(rows).toHaveLength(3);
    expect(rows[1]).toContain('e2e-basic');
    expect(rows[1]).toContain('succeeded');
    expect(rows[2]).toContain('0 changed');
  });

  it("the demo playbook: the plan says per node and step what the run (on kubespray's hosts.yaml of the same fleet) then does; a plan after it has nothing to change", async () => {
    const demo = ['playbooks/demo.yaml', '-i', f.fleet.inventoryFile, '--output', 'json'];
    const p = await slipway(['plan', ...demo], { env: env() });
    expect(p.code, why(p)).toBe(0);
    const planned = JSON.parse(p.stdout) as Parameters<typeof planOutcomes>[0];
    expect(Object.values(planOutcomes(planned)).flatMap((steps) => Object.values(steps))).toContain('change');
    const r = await slipway(['run', 'playbooks/demo.yaml', '-i', await f.fleet.writeKubesprayInventory(), '--output', 'json'], { env: env() });
    expect(r.code, why(r)).toBe(0);
    expect(runOutcomes(events(r.stdout), planned)).toEqual(planOutcomes(planned));
    const again = JSON.parse((await slipway(['plan', ...demo], { env: env() })).stdout) as Parameters<typeof planOutcomes>[0];
    for (const steps of Object.values(planOutcomes(again))) expect(Object.values(steps).every((o) => o === 'ok' || o === 'skip')).toBe(true);
  });
});
