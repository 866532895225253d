/**
 * The bundled playbook cri-dockerd.yaml (field note 2: Kubekey ran its cri-dockerd module on
 * containerd nodes and failed there) on real fleet nodes whose runtime is containerd, through the
 * built CLI: plan and run show every step skipped with the reason naming the runtime, exit 0,
 * and nothing on any node changes.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectSamePlanOnKubespray } from '../support/kubespray.js';
import { useFleet } from '../fleet/fixture.js';
import { planOutcomes, runOutcomes } from '../support/agreement.js';
import { events, slipway, why } from '../support/cli.js';
import { fileTree } from '../support/tree.js';

const PLAYBOOK = 'playbooks/cri-dockerd.yaml';
const STEPS = ['install-cri-dockerd', 'cri-dockerd-socket', 'cri-dockerd-service', 'verify-cri-dockerd'];
const HOSTS = ['cp-1', 'node-1', 'node-2'];
const REASON = "when: runtime.name is 'containerd', not 'docker'";

// base: the Debian containerd package on every node (installed, not running); no Docker anywhere.
const f = useFleet({ nodes: 2 });

let work: string;
beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-cri-dockerd-'));
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});
const cli = (args: string[]) => slipway(args, { env: { SLIPWAY_STATE_DIR: path.join(work, 'state') } });
const trees = () => Promise.all(f.fleet.nodes.map((n) => fileTree(n)));

describe('cri-dockerd on containerd nodes', () => {
  it('the nodes run containerd, not Docker', async () => {
    for (const h of HOSTS) {
      const r = await f.fleet.node(h).exec(['sh', '-c', 'command -v containerd; command -v dockerd; command -v cri-dockerd; true']);
      expect(r.stdout, h).toBe('/usr/bin/containerd\n');
    }
  });

  it('plan shows every step skipped with the runtime in the reason, on every node, and changes nothing', async () => {
    const before = await trees();
    const r = await cli(['plan', PLAYBOOK, '-i', f.fleet.inventoryFile]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const h of HOSTS) {
      expect(r.stdout).toContain([`${h}: nothing to change`, ...STEPS.map((id) => `  - ${id}: skipped: ${REASON}`)].join('\n'));
    }
    expect(r.stdout).not.toMatch(/^\s+[~✓✗]/m);
    expect(r.stdout).toContain('plan: 0 change(s) on 0 of 3 node(s); nothing was changed');
    expect(await trees()).toEqual(before);
  });

  it("plans the same on kubespray's hosts.yaml as on the fleet's inventory", async () => {
    await expectSamePlanOnKubespray(f.fleet, PLAYBOOK, [], { SLIPWAY_STATE_DIR: path.join(work, 'state') });
  });

  it('run skips every step visibly, exits 0 and changes nothing, as the plan said; so does a second run', async () => {
    const planned = JSON.parse((await cli(['plan', PLAYBOOK, '-i', f.fleet.inventoryFile, '--output', 'json'])).stdout) as Parameters<typeof planOutcomes>[0];
    for (const output of ['plain', 'json']) {
      const before = await trees();
      // The second run on kubespray's hosts.yaml: the same nodes, the same outcome.
      const inventory = output === 'json' ? await f.fleet.writeKubesprayInventory() : f.fleet.inventoryFile;
      const r = await cli(['run', PLAYBOOK, '-i', inventory, '--output', output]);
      expect(r.code, why(r)).toBe(0);
      if (output === 'plain') {
        for (const h of HOSTS) for (const id of STEPS) expect(r.stdout).toContain(`[${h}] ${id} skipped: ${REASON}\n`);
        expect(r.stdout).toMatch(/succeeded: 0 ok, 0 changed, 12 skipped, 0 failed/);
      } else {
        const evs = events(r.stdout);
        expect(runOutcomes(evs, planned)).toEqual(planOutcomes(planned));
        const done = evs.filter((e) => e.type === 'step.done');
        expect(done).toHaveLength(HOSTS.length * STEPS.length);
        for (const e of done) expect(e).toMatchObject({ status: 'skipped', summary: REASON });
        expect(evs.some((e) => e.type === 'step.failed')).toBe(false);
        const summary = evs.at(-1) as unknown as { type: string; nodes: Record<string, { status: string; skipped: number }> };
        expect(summary.type).toBe('run.summary');
        for (const h of HOSTS) expect(summary.nodes[h]).toMatchObject({ status: 'done', skipped: STEPS.length });
      }
      expect(await trees()).toEqual(before);
    }
  });
});
