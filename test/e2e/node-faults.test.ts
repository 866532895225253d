/**
 * A node whose sshd dies in the middle of a step: reported unreachable, counted against the
 * failure budget, listed as needing a rollback, and rolled back when it is back; the other
 * nodes are unaffected.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useFleet } from '../fleet/fixture.js';
import { events, slipway } from '../support/cli.js';

const f = useFleet({ nodes: 3 });
let work: string;
const env = () => ({ SLIPWAY_STATE_DIR: path.join(work, 'state') });

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-faults-'));
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

describe('node faults', () => {
  it('sshd dying mid-step: unreachable, counted, listed for rollback, rolled back when back', async () => {
    const pb = path.join(work, 'faults.yaml');
    await fs.writeFile(
      pb,
      `name: faults
hosts: workers
rolling: {batch: 3, maxFailed: 1, onFailure: rollback}
steps:
  - id: config
    uses: file.content
    with: {path: /etc/faults/config, content: "v2\\n"}
  - id: slow
    uses: command
    with: {argv: [sh, -c, 'if [ "$(hostname)" = node-2 ]; then sleep 20; fi']}
  - id: after
    uses: file.content
    with: {path: /etc/faults/after, content: "after\\n"}
`,
    );
    const node2 = f.fleet.node('node-2');
    const running = slipway(['run', pb, '-i', f.fleet.inventoryFile, '--output', 'json'], { env: env() });
    for (let i = 0; i < 200; i++) {
      if ((await node2.exec(['sh', '-c', 'ps -eo args | grep -c "^sleep 20" || true'])).stdout.trim() !== '0') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await node2.killSshd();
    const r = await running;
    expect(r.code).toBe(3);
    const evs = events(r.stdout);
    const summary = evs.at(-1) as unknown as { runId: string; nodes: Record<string, { status: string }>; stopped?: string };
    expect(summary.nodes).toMatchObject({ 'node-1': { status: 'done' }, 'node-2': { status: 'unreachable' }, 'node-3': { status: 'done' } });
    expect(summary.stopped).toBeUndefined(); // one failure is within maxFailed: 1
    const end = evs.find((e) => e.type === 'node.end' && e.host === 'node-2');
    expect(String(end?.error)).toContain(`needs rollback of config when it is back: slipway rollback ${summary.runId} --limit node-2`);
    // The other nodes were not affected.
    for (const n of ['node-1', 'node-3']) expect(await f.fleet.node(n).readFile('/etc/faults/after')).toBe('after\n');

    await node2.startSshd();
    expect(await node2.readFile('/etc/faults/config')).toBe('v2\n');
    const back = await slipway(['rollback', summary.runId, '--limit', 'node-2'], { env: env() });
    expect(back.code).toBe(0);
    expect(back.stdout).toContain('node-2: rolled-back');
    expect(await node2.readFile('/etc/faults/config')).toBeNull();
    const runs = await slipway(['runs'], { env: env() });
    expect(runs.stdout).toMatch(/done 2, rolled-back 1/);
  });
});
