/**
 * One slipway at a time on a node, against real nodes and real processes: a second run, a
 * resume or a rollback of nodes a live run holds is refused with the holder's name (exit 5),
 * `slipway runs` shows the live run as running, a lock left by a killed run is taken over, and
 * two resumes of one run started together apply each step once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useFleet } from '../fleet/fixture.js';
import { CLI, events, slipway } from '../support/cli.js';
import { until } from '../support/wait.js';

const f = useFleet({ nodes: 2 });
let work: string;
let counter = 0;
const stateDir = () => path.join(work, 'state');
const env = () => ({ SLIPWAY_STATE_DIR: stateDir() });

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-locks-'));
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

/** Both workers at once; `slow` logs each apply, then takes `seconds` (or waits for `<dir>/release` on the node). */
async function writePlaybook(seconds: number | 'until-released', gate = false): Promise<{ file: string; dir: string }> {
  const n = ++counter;
  const dir = `/var/lib/locks-${n}`;
  const wait = seconds === 'until-released' ? `until [ -e ${dir}/release ]; do sleep 0.1; done` : `sleep ${seconds}`;
  const file = path.join(work, `pb-${n}.yaml`);
  await fs.writeFile(
    file,
    `name: locks-${n}
hosts: workers
rolling: {batch: 2, maxFailed: 2, onFailure: continue}
steps:
  - id: mkdir
    uses: command
    with: {argv: [mkdir, -p, ${dir}], creates: ${dir}}
${gate ? `  - id: gate
    uses: command
    with: {argv: [sh, -c, 'test ! -e /var/lib/locks-blocked || { echo blocked >&2; exit 1; }']}
` : ''}  - id: slow
    uses: command
    with:
      argv: [sh, -c, 'echo slow >> ${dir}/applied.log && ${wait} && touch ${dir}/slow.done']
      creates: ${dir}/slow.done
`,
  );
  return { file, dir };
}

async function applied(node: string, dir: string): Promise<string[]> {
  return ((await f.fleet.node(node).readFile(`${dir}/applied.log`)) ?? '').trim().split('\n').filter(Boolean);
}

interface Running {
  child: ChildProcess;
  out: () => string;
  exit: Promise<number>;
}

/** Every process a test started: killed after it, so that a failed test leaves no run holding nodes. */
const started: Running[] = [];
afterEach(async () => {
  for (const r of started.splice(0)) {
    if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
    await r.exit;
  }
});

function start(args: string[]): Running {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1', ...env() } });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exit = new Promise<number>((resolve) => child.on('close', (c, sig) => resolve(c ?? (sig ? 128 : -1))));
  const running = { child, out: () => out, exit };
  started.push(running);
  return running;
}

const slowStarted = (r: Running) => () => events(r.out().split('\n').filter((l) => l.startsWith('{')).join('\n')).filter((e) => e.type === 'step.start' && e.step === 'slow').length === 2;

describe('node locks', () => {
  it('refuses a second run, a resume and a rollback while a run holds the nodes; runs shows it running', async () => {
    // Held until the test releases it: the checks below never race the run's end.
    const { file, dir } = await writePlaybook('until-released');
    const first = start(['run', file, '-i', f.fleet.inventoryFile, '--output', 'json']);
    await until('the slow step on both nodes', slowStarted(first));
    const runId = String(events(first.out()).find((e) => e.type === 'run.start')?.runId);

    const second = await slipway(['run', file, '-i', f.fleet.inventoryFile, '--output', 'plain'], { env: env() });
    expect(second.code, second.stdout + second.stderr).toBe(5);
    expect(second.stderr).toMatch(
      new RegExp(`^slipway: node-1, node-2 are held by run ${runId} \\(slipway run, pid ${first.child.pid}, since [0-9: -]+\\)\\. .*\`slipway runs\` shows it as running\\n$`),
    );
    expect(second.stdout).toBe('');

    const list = await slipway(['runs'], { env: env() });
    expect(list.stdout).toMatch(new RegExp(`${runId} .* running \\(slipway run, pid ${first.child.pid}\\)`));
    const listed = JSON.parse((await slipway(['runs', '--output', 'json'], { env: env() })).stdout) as Array<{ id: string; status: string }>;
    expect(listed).toHaveLength(1); // the refused run left no run behind
    expect(listed[0]).toMatchObject({ id: runId, status: 'running', owner: { command: 'run', pid: first.child.pid }, hosts: 2 });

    const resume = await slipway(['resume', runId, '--output', 'plain'], { env: env() });
    expect(resume.code).toBe(5);
    expect(resume.stderr).toMatch(new RegExp(`^slipway: run ${runId} is still running \\(run ${runId} \\(slipway run, pid ${first.child.pid}, `));
    const rollback = await slipway(['rollback', runId], { env: env() });
    expect(rollback.code).toBe(5);
    expect(rollback.stderr).toContain(`run ${runId} is still running`);

    for (const n of ['node-1', 'node-2']) await f.fleet.node(n).writeFile(`${dir}/release`, '');
    expect(await first.exit).toBe(0);
    for (const n of ['node-1', 'node-2']) expect(await applied(n, dir), n).toEqual(['slow']);
    const after = JSON.parse((await slipway(['runs', '--output', 'json'], { env: env() })).stdout) as Array<{ id: string; status: string }>;
    expect(after.find((r) => r.id === runId)?.status).toBe('succeeded');
    expect((await fs.readdir(path.join(stateDir(), 'locks'))).filter((x) => x.endsWith('.lock'))).toEqual([]);
  }, 60_000);

  it('a lock left by a killed run is stale: runs says interrupted, and resume takes the nodes over', async () => {
    const { file, dir } = await writePlaybook(2);
    const first = start(['run', file, '-i', f.fleet.inventoryFile, '--output', 'json']);
    await until('the slow step on both nodes', slowStarted(first));
    const runId = String(events(first.out()).find((e) => e.type === 'run.start')?.runId);
    first.child.kill('SIGKILL');
    await first.exit;
    expect((await fs.readdir(path.join(stateDir(), 'locks'))).filter((x) => x.endsWith('.lock'))).toHaveLength(2); // left behind
    const list = await slipway(['runs'], { env: env() });
    expect(list.stdout).toMatch(new RegExp(`${runId} .* interrupted \\(resume it\\)`));
    // The killed step started and never finished: resume applies it again where it is not done
    // (a command that outlived its orchestrator has had the time to finish by now).
    await new Promise((r) => setTimeout(r, 3000));
    const before = await Promise.all(['node-1', 'node-2'].map(async (n) => ({ done: (await f.fleet.node(n).readFile(`${dir}/slow.done`)) !== null, log: await applied(n, dir) })));
    const resumed = await slipway(['resume', runId, '--output', 'plain'], { env: env() });
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    for (const [i, n] of ['node-1', 'node-2'].entries()) {
      const was = before[i] as { done: boolean; log: string[] };
      expect(await f.fleet.node(n).readFile(`${dir}/slow.done`), n).toBe('');
      expect(await applied(n, dir), n).toEqual(was.done ? was.log : [...was.log, 'slow']);
    }
    expect((await fs.readdir(path.join(stateDir(), 'locks'))).filter((x) => x.endsWith('.lock'))).toEqual([]);
  }, 60_000);

  it('two resumes of one run started together: one resumes, the other is refused, each step is applied once', async () => {
    const { file, dir } = await writePlaybook(4, true);
    for (const n of ['node-1', 'node-2']) await f.fleet.node(n).writeFile('/var/lib/locks-blocked', 'x');
    const failed = await slipway(['run', file, '-i', f.fleet.inventoryFile, '--output', 'json'], { env: env() });
    expect(failed.code).toBe(1);
    const runId = String(events(failed.stdout).find((e) => e.type === 'run.start')?.runId);
    for (const n of ['node-1', 'node-2']) await f.fleet.node(n).run(['rm', '/var/lib/locks-blocked']);

    const a = start(['resume', runId, '--output', 'plain']);
    const b = start(['resume', runId, '--output', 'plain']);
    const codes = await Promise.all([a.exit, b.exit]);
    expect([...codes].sort(), a.out() + b.out()).toEqual([0, 5]);
    const refused = codes[0] === 5 ? a.out() : b.out();
    expect(refused).toMatch(new RegExp(`run ${runId} (is still running|\\(slipway resume, pid \\d+)`));
    for (const n of ['node-1', 'node-2']) expect(await applied(n, dir), n).toEqual(['slow']);
  }, 60_000);
});

describe('slipway stop', () => {
  it('from a second process stops a run after the step in flight (the same as one Ctrl-C); resume finishes it, nothing done twice', async () => {
    const n = ++counter;
    const dir = `/var/lib/stop-${n}`;
    const file = path.join(work, `pb-${n}.yaml`);
    await fs.writeFile(
      file,
      `name: stop-${n}
hosts: workers
rolling: {batch: 1}
steps:
  - id: slow
    uses: command
    with:
      argv: [sh, -c, 'mkdir -p ${dir} && echo slow >> ${dir}/applied.log && until [ -e ${dir}/release ]; do sleep 0.1; done && touch ${dir}/slow.done']
      creates: ${dir}/slow.done
  - id: after
    uses: command
    with: {argv: [touch, ${dir}/after.done], creates: ${dir}/after.done}
`,
    );
    const run = start(['run', file, '-i', f.fleet.inventoryFile, '--output', 'json']);
    const evs = () => events(run.out().split('\n').filter((l) => l.startsWith('{')).join('\n'));
    await until('the slow step on node-1', () => evs().some((e) => e.type === 'step.start' && e.step === 'slow'));
    const runId = String(evs().find((e) => e.type === 'run.start')?.runId);

    // node-1's step is held until the stop has reached the run: then it may finish.
    const stopping = slipway(['stop', '--wait'], { env: env() });
    await until('the run to take the stop request', () => run.out().includes('slipway: stopped by slipway stop ('));
    await f.fleet.node('node-1').writeFile(`${dir}/release`, '');
    const stop = await stopping;
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toContain(`run ${runId}: stop requested; no new step starts, the steps in flight finish (slipway run, pid ${run.child.pid})`);
    expect(stop.stdout).toContain(`run ${runId} stopped; continue it with: slipway resume ${runId}`);
    expect(await run.exit).toBe(130);
    // Within one step: node-1's slow step finished, nothing after it started, node-2 never began.
    const done = evs().filter((e) => e.type === 'step.done').map((e) => `${String(e.host)} ${String(e.step)}`);
    expect(done).toEqual(['node-1 slow']);
    const summary = evs().at(-1) as { type: string; status: string; stopped?: string; nodes: Record<string, { status: string }> };
    expect(summary).toMatchObject({ type: 'run.summary', status: 'interrupted', nodes: { 'node-1': { status: 'interrupted' }, 'node-2': { status: 'pending' } } });
    expect(summary.stopped).toMatch(/^stopped by slipway stop \(\S+, pid \d+, at [0-9: -]+\)$/);
    expect(run.out()).toContain('slipway: stopped by slipway stop (');

    // Nothing left to stop now: bad input, named.
    const again = await slipway(['stop', runId], { env: env() });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`run ${runId} is not under way`);

    await f.fleet.node('node-2').exec(['sh', '-c', `mkdir -p ${dir} && touch ${dir}/release`]);
    const resumed = await slipway(['resume', runId, '--output', 'json'], { env: env() });
    expect(resumed.code, resumed.stderr).toBe(0);
    const rs = events(resumed.stdout);
    expect(rs.filter((e) => e.type === 'step.done' && e.status === 'changed').map((e) => `${String(e.host)} ${String(e.step)}`)).toEqual(['node-1 after', 'node-2 slow', 'node-2 after']);
    for (const node of ['node-1', 'node-2']) expect(await applied(node, dir), node).toEqual(['slow']);
  }, 60_000);
});
