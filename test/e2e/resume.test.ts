/**
 * resume and rollback from the journal, and Ctrl-C: a failed or interrupted run continues
 * where it stopped without redoing finished work; changed inputs are refused; a torn journal
 * line is tolerated; `slipway rollback` undoes journaled changes.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useFleet } from '../fleet/fixture.js';
import { CLI, events, slipway, why } from '../support/cli.js';

const f = useFleet({ nodes: 3 });
let work: string;
let stateDir: string;
let counter = 0;
const env = () => ({ SLIPWAY_STATE_DIR: stateDir });

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-resume-'));
  stateDir = path.join(work, 'state');
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

type Ev = Record<string, unknown> & { type: string };

/** A step that appends to an apply log on the node each time it is applied. */
const counted = (id: string, dir: string) => `  - id: ${id}
    uses: command
    with:
      argv: [sh, -c, 'echo ${id} >> ${dir}/applied.log && touch ${dir}/${id}.done']
      creates: ${dir}/${id}.done
`;

async function writePlaybook(body: string): Promise<{ file: string; dir: string }> {
  const n = ++counter;
  const dir = `/var/lib/resume-${n}`;
  const file = path.join(work, `pb-${n}.yaml`);
  await fs.writeFile(file, body.replaceAll('$DIR', dir).replace('$NAME', `resume-${n}`));
  return { file, dir };
}

async function applyLog(node: string, dir: string): Promise<string[]> {
  const text = (await f.fleet.node(node).readFile(`${dir}/applied.log`)) ?? '';
  return text.trim().split('\n').filter(Boolean);
}

function runIdOf(stdout: string): string {
  const start = events(stdout).find((e) => e.type === 'run.start' || e.type === 'run.summary');
  return String(start?.runId);
}

describe('resume', () => {
  it('continues a failed run where it stopped and never redoes finished steps', async () => {
    const { file, dir } = await writePlaybook(`name: $NAME
hosts: workers
rolling: {batch: 1, maxFailed: 0}
steps:
  - id: mkdir
    uses: command
    with: {argv: [mkdir, -p, $DIR], creates: $DIR}
${counted('one', '$DIR')}  - id: gate
    uses: command
    with: {argv: [sh, -c, 'test ! -e /var/lib/blocked || { echo "blocked by /var/lib/blocked" >&2; exit 1; }']}
${counted('two', '$DIR')}`);
    await f.fleet.node('node-2').writeFile('/var/lib/blocked', 'x');
    const first = await slipway(['run', file, '-i', f.fleet.inventoryFile, '--output', 'json'], { env: env() });
    expect(first.code).toBe(1);
    const s1 = events(first.stdout).at(-1) as unknown as { nodes: Record<string, { status: string }> };
    expect(s1.nodes).toMatchObject({ 'node-1': { status: 'done' }, 'node-2': { status: 'failed' }, 'node-3': { status: 'pending' } });
    const runId = runIdOf(first.stdout);

    await f.fleet.node('node-2').run(['rm', '/var/lib/blocked']);
    const resumed = await slipway(['resume', '--output', 'json'], { env: env() }); // latest run by default
    expect(resumed.code).toBe(0);
    const evs = events(resumed.stdout);
    expect(evs[0]).toMatchObject({ type: 'run.resume', runId });
    // node-1 was done: all its steps re-checked, none applied.
    const n1 = evs.filter((e) => e.host === 'node-1' && e.type === 'step.done');
    expect(n1.every((e) => e.status !== 'changed')).toBe(true);
    expect(n1.filter((e) => e.resumed)).toHaveLength(4);
    expect(evs.some((e) => e.host === 'node-1' && e.type === 'step.start')).toBe(false);
    // Exactly one apply of each step on each node, across both passes.
    for (const node of ['node-1', 'node-2', 'node-3']) expect(await applyLog(node, dir)).toEqual(['one', 'two']);
    const runs = await slipway(['runs'], { env: env() });
    expect(runs.stdout).toMatch(new RegExp(`${runId}.*succeeded.*done 3`));
  });

  it('--limit resumes only some nodes; --skip gives a node up, journaled, and the run ends without it', async () => {
    // The gate fails until a flag file is there: node-1 has it, node-2 and node-3 get it later.
    const { file, dir } = await writePlaybook(`name: $NAME
hosts: workers
rolling: {batch: 3, maxFailed: 2, onFailure: continue}
steps:
${counted('one', '$DIR')}  - id: gate
    uses: command
    with: {argv: [sh, -c, 'mkdir -p $DIR && test -e $DIR/go || { echo "not ready" >&2; exit 1; }']}
${counted('two', '$DIR')}`);
    for (const n of ['node-1', 'node-2', 'node-3']) await f.fleet.node(n).exec(['mkdir', '-p', dir]);
    await f.fleet.node('node-1').writeFile(`${dir}/go`, '');
    const first = await slipway(['run', file, '-i', f.fleet.inventoryFile, '--output', 'json'], { env: env() });
    expect(first.code).toBe(1);
    const runId = runIdOf(first.stdout);
    for (const n of ['node-2', 'node-3']) await f.fleet.node(n).writeFile(`${dir}/go`, '');

    const limited = await slipway(['resume', runId, '--limit', 'node-2', '--output', 'json'], { env: env() });
    expect(limited.code, why(limited)).toBe(1); // node-3 is still not done: the run is not
    const evs = events(limited.stdout);
    expect(evs.filter((e) => e.type === 'node.start').map((e) => e.host)).toEqual(['node-2']);
    expect((evs.at(-1) as unknown as { nodes: Record<string, { status: string }> }).nodes).toMatchObject({
      'node-1': { status: 'done' },
      'node-2': { status: 'done' },
      'node-3': { status: 'failed' },
    });
    expect(await applyLog('node-3', dir)).toEqual(['one']);

    const bad = await slipway(['resume', runId, '--skip', 'node-9'], { env: env() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--skip: node-9 is not a node of this run');
    const skipped = await slipway(['resume', runId, '--skip', 'node-3', '--output', 'json'], { env: env() });
    expect(skipped.code, why(skipped)).toBe(0);
    const sevs = events(skipped.stdout);
    expect(sevs.find((e) => e.type === 'node.skipped')).toMatchObject({ host: 'node-3', reason: expect.stringMatching(/^skipped by slipway resume --skip \(\S+, [0-9: -]+\)$/) });
    // The others are re-checked as every resume does; node-3 is not touched.
    expect(sevs.filter((e) => e.type === 'node.start').map((e) => e.host)).toEqual(['node-1', 'node-2']);
    expect(sevs.filter((e) => e.type === 'step.done' && e.status === 'changed')).toEqual([]);
    expect(sevs.at(-1)).toMatchObject({ type: 'run.summary', status: 'succeeded', nodes: { 'node-3': { status: 'skipped' } } });
    expect(await applyLog('node-3', dir)).toEqual(['one']); // left as it was
    const listed = await slipway(['runs', runId], { env: env() });
    expect(listed.stdout).toMatch(/node-3\s+skipped\s+1\/\d\s+\S+\s+(\S+\s+)?left as it is after gate \(failed\)\s+skipped by slipway resume --skip/);

  });

  it('refuses when the playbook changed since the run, naming it; --force overrides', async () => {
    const { file } = await writePlaybook(`name: $NAME
hosts: node-1
steps:
  - id: gate
    uses: command
    with: {argv: [sh, -c, 'test -e /var/lib/open-gate']}
`);
    const first = await slipway(['run', file, '-i', f.fleet.inventoryFile, '--output', 'json'], { env: env() });
    expect(first.code).toBe(1);
    const runId = runIdOf(first.stdout);
    await fs.appendFile(file, '# edited\n');
    const refused = await slipway(['resume', runId], { env: env() });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`playbook ${file} changed since the run started`);
    expect(refused.stderr).toContain('--force');
    await f.fleet.node('node-1').writeFile('/var/lib/open-gate', '');
    const forced = await slipway(['resume', runId, '--force', '--output', 'plain'], { env: env() });
    expect(forced.code).toBe(0);
    expect(forced.stderr).toContain('(--force)');
  });

  it('tolerates a torn last journal line after a crash', async () => {
    const { file } = await writePlaybook(`name: $NAME
hosts: node-3
steps:
  - id: gate
    uses: command
    with: {argv: [sh, -c, 'test -e /var/lib/gate-3']}
`);
    const first = await slipway(['run', file, '-i', f.fleet.inventoryFile, '--output', 'json'], { env: env() });
    const runId = runIdOf(first.stdout);
    await fs.appendFile(path.join(stateDir, 'runs', runId, 'journal.ndjson'), '{"ts":"2026-01-01T00:00:00Z","type":"step.st');
    await f.fleet.node('node-3').writeFile('/var/lib/gate-3', '');
    const resumed = await slipway(['resume', runId, '--output', 'plain'], { env: env() });
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain('cut short by a crash');
  });

  it('says so when there is nothing to resume, and names unknown runs', async () => {
    const ok = await writePlaybook(`name: $NAME\nhosts: node-1\nsteps:\n  - {id: t, uses: command, with: {argv: ["true"], creates: /}}\n`);
    const r = await slipway(['run', ok.file, '-i', f.fleet.inventoryFile, '--output', 'json'], { env: env() });
    const again = await slipway(['resume', runIdOf(r.stdout)], { env: env() });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already succeeded');
    const none = await slipway(['resume', 'no-such-run'], { env: env() });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("no run 'no-such-run'");
  });
});

describe('rollback command', () => {
  it('undoes journaled changes newest first, to the checkpoint or to the start', async () => {
    const { file, dir } = await writePlaybook(`name: $NAME
hosts: [node-1, node-2]
steps:
  - id: a
    uses: file.content
    with: {path: $DIR/a, content: "a\\n"}
    checkpoint: true
  - id: b
    uses: file.line
    with: {path: /etc/hosts, line: "10.0.0.1 slipway-test", state: present}
`);
    const hostsBefore = await f.fleet.node('node-1').readFile('/etc/hosts');
    const r = await slipway(['run', file, '-i', f.fleet.inventoryFile, '--output', 'json'], { env: env() });
    expect(r.code).toBe(0);
    const runId = runIdOf(r.stdout);
    const back = await slipway(['rollback', runId, '--limit', 'node-1'], { env: env() });
    expect(back.code).toBe(0);
    expect(back.stdout).toContain('node-1: rolled-back');
    expect(await f.fleet.node('node-1').readFile('/etc/hosts')).toBe(hostsBefore);
    expect(await f.fleet.node('node-1').readFile(`${dir}/a`)).toBe('a\n'); // before the checkpoint: kept
    expect(await f.fleet.node('node-2').readFile('/etc/hosts')).toContain('slipway-test'); // not in --limit
    const toStart = await slipway(['rollback', runId, '--limit', 'node-1', '--to', 'start'], { env: env() });
    expect(toStart.code).toBe(0);
    expect(await f.fleet.node('node-1').readFile(`${dir}/a`)).toBeNull();
    const nothing = await slipway(['rollback', runId, '--limit', 'node-1', '--to', 'start'], { env: env() });
    expect(nothing.stdout).toContain('node-1: nothing to undo');
    const runs = await slipway(['runs'], { env: env() });
    expect(runs.stdout).toMatch(new RegExp(`${runId}.*rolled-back 1`));
  });
});

describe('Ctrl-C', () => {
  it('once: finishes the steps in flight, journals, stops, and says how to resume', async () => {
    const { file, dir } = await writePlaybook(`name: $NAME
hosts: workers
rolling: {batch: 1}
steps:
  - id: mkdir
    uses: command
    with: {argv: [mkdir, -p, $DIR], creates: $DIR}
  - id: slow
    uses: command
    with: {argv: [sh, -c, 'sleep 1; touch $DIR/slow.done'], creates: $DIR/slow.done}
${counted('after', '$DIR')}`);
    const child = spawn(process.execPath, [CLI, 'run', file, '-i', f.fleet.inventoryFile, '--output', 'json'], { env: { ...process.env, ...env() } });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('"step":"slow"') && out.includes('"type":"step.start"') && !child.killed) child.kill('SIGINT');
    });
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    expect(code).toBe(130);
    expect(err).toContain('stopping after the steps in flight');
    const evs = events(out);
    const s = evs.at(-1) as unknown as { status: string; nodes: Record<string, { status: string }> };
    expect(s.status).toBe('interrupted');
    expect(evs.find((e) => e.type === 'step.done' && e.host === 'node-1' && e.step === 'slow')).toBeDefined(); // finished
    expect(s.nodes['node-1']?.status).toBe('interrupted');
    expect(s.nodes['node-2']?.status).toBe('pending');
    expect(await f.fleet.node('node-1').readFile(`${dir}/slow.done`)).toBe('');
    const resumed = await slipway(['resume', '--output', 'json'], { env: env() });
    expect(resumed.code).toBe(0);
    for (const node of ['node-1', 'node-2', 'node-3']) expect(await applyLog(node, dir)).toEqual(['after']);
  });

  it('twice: kills the remote commands in flight and journals them as interrupted', async () => {
    const { file } = await writePlaybook(`name: $NAME
hosts: node-2
steps:
  - id: long
    uses: command
    with: {argv: [sleep, "41"]}
`);
    const child = spawn(process.execPath, [CLI, 'run', file, '-i', f.fleet.inventoryFile, '--output', 'json'], { env: { ...process.env, ...env() } });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const node = f.fleet.node('node-2');
    for (let i = 0; i < 100; i++) {
      if ((await node.exec(['sh', '-c', 'ps -eo args | grep -c "^sleep 41" || true'])).stdout.trim() !== '0') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGINT');
    // A second press, as a person makes one (one press delivered twice comes within ms).
    await new Promise((r) => setTimeout(r, 400));
    child.kill('SIGINT');
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    expect(code).toBe(130);
    const failed = events(out).find((e) => e.type === 'step.failed');
    expect(failed).toMatchObject({ host: 'node-2', step: 'long', kind: 'interrupted' });
    let left = '';
    for (let i = 0; i < 50; i++) {
      left = (await node.exec(['sh', '-c', 'ps -eo args | grep -c "^sleep 41" || true'])).stdout.trim();
      if (left === '0') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(left).toBe('0');
  });
});
