/**
 * The live task tree, as an operator sees it: `slipway run --output tree` on a real terminal
 * (a tmux pane, which applies every redraw), against real nodes. The final screen shows each
 * batch, node and step with its state in words, a failed step with its error (the command's
 * stderr included), the steps a failure left unrun, and batches that never started.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useFleet } from '../fleet/fixture.js';
import { events, slipway } from '../support/cli.js';
import { runInTerminal, startInTerminal } from '../support/terminal.js';

const f = useFleet({ nodes: 2 });
let work: string;
const env = () => ({ SLIPWAY_STATE_DIR: path.join(work, 'state'), HOME: path.join(work, 'home') });

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-tree-'));
  await fs.mkdir(path.join(work, 'home'));
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

async function writePlaybook(name: string, body: string): Promise<string> {
  const file = path.join(work, name);
  await fs.writeFile(file, body);
  return file;
}

/** The lines of the block that starts at the line matching `header`, down to the next line indented as much or less. */
function block(screen: string, header: RegExp): string[] {
  const lines = screen.split('\n');
  const start = lines.findIndex((l) => header.test(l));
  if (start < 0) throw new Error(`no line matches ${header} on the screen:\n${screen}`);
  const indent = (l: string) => l.length - l.trimStart().length;
  const depth = indent(lines[start] as string);
  const end = lines.findIndex((l, i) => i > start && l.trim() !== '' && indent(l) <= depth);
  const out = lines.slice(start, end < 0 ? undefined : end);
  while (out.length && out.at(-1)?.trim() === '') out.pop();
  return out;
}

/** The screen with the times it shows (`· 1.2s`, `after 3m05s`) as T, to compare the rest exactly. */
function timeless(screen: string): string {
  return screen.replace(/( · | after )\d+(\.\d)?s\b|( · | after )\d+m\d\ds\b/g, (m) => `${m.startsWith(' after') ? ' after' : ' ·'} T`);
}

/** The screen must be a settled tree: nothing left running, each line once, no fallback renderer. */
function expectSettled(screen: string): void {
  expect(screen).not.toMatch(/^\s*❯/m); // a "running" pointer
  expect(screen).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/); // spinner frames
  expect(screen).not.toContain('[STARTED]'); // the simple renderer: not on a terminal
  expect(screen).not.toMatch(/^\s+at /m);
  expect(screen).not.toContain('internal error');
}

describe('the live tree on a terminal', () => {
  it('shows every batch, a finished one in a line, and the failed node open: each step in words, the failed one with its error', async () => {
    const pb = await writePlaybook(
      'tree.yaml',
      `name: live-tree
hosts: workers
rolling:
  batch: 1
  onFailure: continue
  maxFailed: 2
steps:
  - id: conf
    name: Write app config
    uses: file.content
    with: {path: /etc/live-tree.conf, content: "owner = {{ node.name }}\\n"}
  - id: already
    uses: command
    with: {argv: ["true"], check: ["true"]}
  - id: docker-only
    name: Only with docker
    uses: command
    when: {fact: runtime.name, equals: docker}
    with: {argv: ["true"]}
  - id: on-cp
    name: Marker for {{ node.name }} on the control plane
    uses: command
    on: control_plane
    with: {argv: [touch, "/var/lib/tree-for-{{ node.name }}"], creates: "/var/lib/tree-for-{{ node.name }}"}
  - id: boom
    name: Fail on node-2
    uses: command
    when: {var: node.name, equals: node-2}
    with: {argv: [sh, -c, 'echo "kaboom from $(hostname)" >&2; exit 7']}
  - id: after
    uses: command
    with: {argv: ["true"]}
`,
    );
    const r = await runInTerminal(['run', pb, '-i', f.fleet.inventoryFile, '--output', 'tree'], { env: env(), cols: 160, rows: 60 });
    expect(r.code, r.screen).toBe(1);
    expectSettled(r.screen);

    // Batches in order, each once, a finished one in one line; the failed one says which node failed.
    const batchLines = timeless(r.screen).split('\n').filter((l) => /batch \d\/\d/.test(l));
    expect(batchLines).toEqual(['✔ batch 1/2: node-1 done · T', '⚠ batch 2/2: node-2 failed · T']);
    expect(timeless(r.screen).split('\n')[0]).toMatch(/^run \S+: live-tree: failed · 1\/2 nodes done · 1 failed · T · failed 1 of 2 allowed$/);

    // The failed node stays open: each step with its state in words, the failed one with its error.
    const node2 = block(timeless(r.screen), /node-2: failed · T$/).map((l) => l.trim());
    expect(node2).toEqual([
      '✖ node-2: failed · T',
      '✔ Write app config: changed (create /etc/live-tree.conf) · T',
      '✔ already: ok (check `true` passed) · T',
      "↓ Only with docker: skipped (when: runtime.name is 'containerd', not 'docker')",
      '✔ Marker for node-2 on the control plane (on cp-1): changed (ran `touch /var/lib/tree-for-node-2`) · T',
      '✖ Fail on node-2: failed after T: command `sh -c echo "kaboom from $(hostname)" >&2; exit 7` exited with code 7:',
      // The error's detail: the command's stderr, from the node itself.
      'kaboom from node-2',
      '◼ after: not run (node failed)',
    ]);

    // The closing summary (stderr, on the same terminal) after the tree.
    expect(r.screen).toMatch(/^run \S+: failed: 2 ok, 5 changed, 3 skipped, 1 failed$/m);
    expect(r.screen).toMatch(/^ {2}node-2: failed$/m);
    expect(r.screen).toMatch(/^journal: .*journal\.ndjson$/m);

    // What the tree says happened, happened.
    expect(await f.fleet.node('cp-1').readFile('/var/lib/tree-for-node-2')).toBe('');
    expect(await f.fleet.node('node-2').readFile('/etc/live-tree.conf')).toBe('owner = node-2\n');
  });

  it('shows a batch that never started, and why', async () => {
    const pb = await writePlaybook(
      'stop.yaml',
      `name: live-tree-stop
hosts: all
rolling:
  batch: 1
  onFailure: stop
steps:
  - id: fail-first
    name: Fail on the first node
    uses: command
    retries: 1
    with: {argv: [sh, -c, 'echo "no luck" >&2; exit 3']}
  - id: never
    name: Never reached
    uses: command
    with: {argv: ["true"]}
`,
    );
    const r = await runInTerminal(['run', pb, '-i', f.fleet.inventoryFile, '--limit', 'cp-1,node-1', '--output', 'tree'], { env: env(), cols: 160, rows: 40 });
    expect(r.code, r.screen).toBe(1);
    expectSettled(r.screen);
    expect(block(timeless(r.screen), /batch 1\/2/).map((l) => l.trim())).toEqual([
      '⚠ batch 1/2: cp-1 failed · T',
      '✖ cp-1: failed · T',
      '✖ Fail on the first node: failed after T: command `sh -c echo "no luck" >&2; exit 3` exited with code 3:',
      'no luck',
      '◼ Never reached: not run (node failed)',
    ]);
    expect(r.screen).toMatch(/^↓ batch 2\/2: node-1: not started: node cp-1 failed \(onFailure: stop\)$/m);
    expect(r.screen).toMatch(/^stopped: node cp-1 failed \(onFailure: stop\)$/m);
  });

  it('Ctrl-C once stops after the step in flight: exit 130, the resume hint, a closed journal; resume finishes', async () => {
    const pb = await writePlaybook(
      'ctrl-c.yaml',
      `name: live-tree-ctrl-c
hosts: workers
rolling: {batch: 1}
steps:
  - id: slow
    name: Slow step
    uses: command
    with: {argv: [sh, -c, 'sleep 2; touch /var/lib/ctrl-c.slow'], creates: /var/lib/ctrl-c.slow}
  - id: after
    uses: command
    with: {argv: [touch, /var/lib/ctrl-c.after], creates: /var/lib/ctrl-c.after}
`,
    );
    const t = await startInTerminal(['run', pb, '-i', f.fleet.inventoryFile, '--output', 'tree'], { env: env(), cols: 160, rows: 40 });
    const node1 = f.fleet.node('node-1');
    for (let i = 0; i < 200; i++) {
      if ((await node1.exec(['sh', '-c', 'ps -eo args | grep -c "^sleep 2" || true'])).stdout.trim() !== '0') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await t.press('C-c');
    const r = await t.done();
    expect(r.code, r.screen).toBe(130);
    expect(r.screen).toContain('slipway: stopping after the steps in flight (Ctrl-C again to kill them)');
    expect(r.screen).not.toContain('Interrupted.'); // listr2's own handler
    const runId = /^run (\S+): interrupted:/m.exec(r.screen)?.[1];
    expect(runId, r.screen).toBeDefined();
    expect(r.screen).toContain(`resume with: slipway resume ${runId}`);
    // The step in flight finished and was journaled; nothing else started; the journal is closed.
    const journal = events(await fs.readFile(path.join(work, 'state', 'runs', runId as string, 'journal.ndjson'), 'utf8'));
    expect(journal.filter((e) => e.type === 'step.start').map((e) => `${String(e.host)} ${String(e.step)}`)).toEqual(['node-1 slow']);
    expect(journal.find((e) => e.type === 'step.done' && e.step === 'slow'), JSON.stringify(journal) + r.screen).toMatchObject({ host: 'node-1', status: 'changed' });
    expect(journal.at(-1)).toMatchObject({ type: 'run.summary', status: 'interrupted', exitCode: 130 });
    expect(await node1.readFile('/var/lib/ctrl-c.slow')).toBe('');
    expect(await node1.readFile('/var/lib/ctrl-c.after')).toBeNull();

    const resumed = await slipway(['resume', runId as string, '--output', 'plain'], { env: env() });
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    for (const n of ['node-1', 'node-2']) expect(await f.fleet.node(n).readFile('/var/lib/ctrl-c.after'), n).toBe('');
  });

  it('shows control bytes from the playbook and from a node escaped, never raw', async () => {
    const pb = await writePlaybook(
      'escapes.yaml',
      `name: "tree \\e[2J\\e]0;owned\\a"
hosts: node-1
steps:
  - id: noisy
    name: "Noisy \\e[31mred"
    uses: command
    with: {argv: [sh, -c, 'printf "bad\\033[2Jclear\\n" >&2; exit 4']}
`,
    );
    const r = await runInTerminal(['run', pb, '-i', f.fleet.inventoryFile, '--output', 'tree'], { env: env(), cols: 160, rows: 40 });
    expect(r.code, r.screen).toBe(1);
    // Had they reached the terminal raw, tmux would have acted on them: no literal text left.
    expect(r.screen).toContain('Noisy \\x1b[31mred: failed');
    expect(r.screen).toContain('bad\\x1b[2Jclear');

    const plain = await slipway(['run', pb, '-i', f.fleet.inventoryFile, '--output', 'plain'], { env: env() });
    expect(plain.code).toBe(1);
    expect(plain.stdout).toContain('bad\\x1b[2Jclear');
    expect(plain.stdout + plain.stderr).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    const json = await slipway(['run', pb, '-i', f.fleet.inventoryFile, '--output', 'json'], { env: env() });
    expect(json.stdout + json.stderr).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(events(json.stdout)[0]).toMatchObject({ type: 'run.start', playbookName: 'tree \x1b[2J\x1b]0;owned\x07' }); // the data, as JSON

    const bad = await writePlaybook('escapes-bad.yaml', 'name: x\nsteps:\n  - uses: "sys\\e[2Jtemd"\n');
    const v = await slipway(['validate', bad], { env: env() });
    expect(v.code).toBe(2);
    expect(v.stderr).toContain("unknown step type 'sys\\x1b[2Jtemd'");
    expect(v.stderr).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
  });
});
