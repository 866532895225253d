/**
 * The live tree of a 20-node run on a 50-row terminal (a tmux pane): every snapshot while it runs
 * fits the screen (nothing scrolls off into the terminal's history, which is what a tree taller
 * than the screen leaves behind), says where the run stands in its header, and at the end shows
 * the outcome with every node accounted for.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useFleet } from '../fleet/fixture.js';
import { startInTerminal } from '../support/terminal.js';

const f = useFleet({ nodes: 20 });
let work: string;
beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-tree-scale-'));
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

const PLAYBOOK = `name: scale
hosts: workers
rolling: {maxUnavailable: 5, maxFailed: 2, onFailure: continue}
steps:
  - id: conf
    name: Write the config of {{ node.name }}
    uses: file.content
    with: {path: /etc/scale.conf, content: "node = {{ node.name }}\\n"}
  - id: work
    name: Slow work
    uses: command
    with: {argv: [sh, -c, 'sleep 1; touch /var/lib/scale.done'], creates: /var/lib/scale.done}
  - id: boom
    uses: command
    when: {var: node.name, equals: node-7}
    with: {argv: [sh, -c, 'echo "no space left on device" >&2; exit 1']}
  - id: after
    uses: command
    with: {argv: ["true"]}
`;

describe('the live tree of a 20-node run', () => {
  it('fits a 50-row terminal in every snapshot, with the counts in its header', async () => {
    const pb = path.join(work, 'scale.yaml');
    await fs.writeFile(pb, PLAYBOOK);
    const t = await startInTerminal(['run', pb, '-i', f.fleet.inventoryFile, '--output', 'tree'], { env: { SLIPWAY_STATE_DIR: path.join(work, 'state') }, cols: 110, rows: 50 });
    const snapshots: string[] = [];
    try {
      await t.waitFor(/nodes done/, 30_000);
      for (;;) {
        const screen = await t.screen();
        snapshots.push(screen);
        if (/^run \S+: scale: (failed|succeeded)\b/m.test(screen)) break;
        if (snapshots.length > 400) throw new Error(`the run did not end; the screen shows:\n${screen}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    } catch (err) {
      await t.close();
      throw err;
    }
    const end = await t.done();
    expect(end.code, end.screen).toBe(1);
    const running = snapshots.filter((s) => / in flight/.test(s));
    expect(running.length, snapshots.at(-1)).toBeGreaterThan(3);
    for (const s of running) {
      // The pane's history is empty: the tree never grew past the screen.
      expect(s.split('\n').length, s).toBeLessThanOrEqual(50);
      expect(header(s), s).toMatch(/^run \S+: scale · \d+\/20 nodes done · \d+ in flight · (\d+ failed · )?(\d+ pending · )?\d+(\.\d)?s · failed \d of 2 allowed$/);
      expect(s).toMatch(/^. 20 nodes, at most 5 at a time: \d+\/20 done, \d+ in flight · /m);
    }
    // While nodes wait for a slot they are counted, not listed one a line.
    expect(running.some((s) => /^ {2}◻ \d+ waiting for a slot: node-/m.test(s))).toBe(true);
    // The slow step shows its time as it runs.
    expect(running.some((s) => /^ {4}[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Slow work · \d\.\ds$/m.test(s))).toBe(true);

    // At the end: one line for the run's window, node-7 open with its error, the summary below.
    expect(header(end.screen)).toMatch(/^run \S+: scale: failed · 19\/20 nodes done · 1 failed · /);
    expect(end.screen).toMatch(/^⚠ 20 nodes, at most 5 at a time: 19 done, 1 failed \(node-7\) · /m);
    expect(end.screen).toMatch(/^ {2}✖ node-7: failed · /m);
    expect(end.screen).toMatch(/^ {4}✖ boom: failed after \d+\.\ds: command `sh -c echo "no space left on device" >&2; exit 1` exited with code 1:$/m);
    expect(end.screen).toMatch(/^ {6}no space left on device$/m);
    expect(end.screen).toMatch(/^ {4}◼ after: not run \(node failed\)$/m);
    expect(end.screen).toMatch(/^report: .*report\.html/m);
    // For the README (SLIPWAY_TREE_SNAPSHOT=FILE): a snapshot halfway through.
    if (process.env.SLIPWAY_TREE_SNAPSHOT) await fs.writeFile(process.env.SLIPWAY_TREE_SNAPSHOT, `${running[Math.floor(running.length / 2)]}\n`);
  }, 180_000);
});

/** The tree's header: its first line, with the counts' line when they did not fit beside it. */
function header(screen: string): string {
  const [first = '', second = ''] = screen.split('\n');
  return first.includes('nodes done') ? first : `${first} · ${second.trim()}`;
}
