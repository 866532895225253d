/**
 * The benchmark: slipway against Ansible at its best and against two bare-ssh2 floors, on the
 * local fleet, the same 8-step remediation (bench/remediation.ts) from the same starting state
 * every round, the end state verified on every node. Per tool: wall time, orchestrator CPU and
 * peak RSS, CPU spent on the nodes, SSH execs and round trips per node, for a first run and a
 * no-op run; medians of rounds; ratios. Also `plan`, `validate` of 1,000 and 10,000 hosts, and
 * the CLI's start. Results in bench/results.json, a table on stdout (for bench/README.md).
 *
 *   npm run bench -- [--nodes 50] [--latency MS] [--rounds 3] [--quick] [--no-write] [--no-ansible] [--profile DIR] [--perf DIR]
 *
 * --latency: every node behind a proxy that delays each direction by half of it (see
 * latency-proxy.ts for why not tc netem). Ansible runs when `ansible-playbook` is installed.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { Fleet } from '../test/fleet/fleet.js';
import { sshdConfig } from '../test/fleet/seed.js';
import { CLI } from '../test/support/cli.js';
import { LatencyProxy } from './latency-proxy.js';
import { median, nodeCpuMs, sshExecs, timedRun, type ProcessCost } from './measure.js';
import { perfScript, perfTable, summarizePerfScript } from './perf-summary.js';
import { ansiblePlaybook, mainPid, seed, slipwayPlaybook, STEPS, verify } from './remediation.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '50' },
    latency: { type: 'string', default: '0' },
    rounds: { type: 'string', default: '3' },
    quick: { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    /** Leave Ansible out (at 200 nodes and more a round of it takes most of an hour here). */
    'no-ansible': { type: 'boolean', default: false },
    /** Write a V8 CPU profile of every slipway run into this folder (node --cpu-prof). */
    profile: { type: 'string' },
    /** Record every slipway run with `perf record -g` into this folder, and print where its CPU went (bench/perf-summary.ts). */
    perf: { type: 'string' },
  },
});
const quick = values.quick === true;
const nodes = quick ? 2 : Number(values.nodes);
const rounds = quick ? 1 : Number(values.rounds);
const latencyMs = Number(values.latency);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

type Tool = 'slipway' | 'ansible (linear)' | 'ansible (free)' | 'ssh2, one exec per step' | 'ssh2, one exec per node';
interface Pass extends ProcessCost {
  nodeCpuMs: number;
  execsPerNode: number;
  roundTripsPerNode: number;
}
const results = new Map<Tool, { first: Pass[]; noop: Pass[] }>();

async function hasAnsible(): Promise<boolean> {
  return timedRun('ansible-playbook', ['--version'], {}).then(() => true, () => false);
}

async function main(): Promise<void> {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-bench-'));
  if (values.perf) await fs.mkdir(path.resolve(values.perf), { recursive: true });
  const fleet = await Fleet.up({ dir: path.join(work, 'fleet'), nodes });
  const workers = fleet.nodes.filter((n) => n.name !== 'cp-1');
  // sshd at DEBUG1 logs each exec request: how the execs are counted.
  for (const n of workers) {
    await n.writeFile('/etc/ssh/sshd_config', sshdConfig(n.port).replace('LogLevel INFO', 'LogLevel DEBUG1'));
    await n.stopSshd();
    await n.startSshd();
  }
  const proxies = new Map(fleet.nodes.map((n) => [n.name, new LatencyProxy(n.port, latencyMs)]));
  for (const p of proxies.values()) await p.start();
  const inventory = await benchInventory(fleet, proxies);
  const ansible = !values['no-ansible'] && (await hasAnsible());
  const state = path.join(work, 'state');
  const env = { SLIPWAY_STATE_DIR: state };
  const extra: Record<string, unknown> = {};
  try {
    // --quick (the smoke test) runs Ansible's free strategy only: linear differs by one setting (ANSIBLE_STRATEGY).
    const ansibleTools: Tool[] = quick ? ['ansible (free)'] : ['ansible (linear)', 'ansible (free)'];
    const tools: Tool[] = ['slipway', ...(ansible ? ansibleTools : []), 'ssh2, one exec per step', 'ssh2, one exec per node'];
    for (let round = 0; round < rounds; round++) {
      for (const tool of tools) {
        const slot = `${tool.replace(/[^a-z0-9]+/g, '-')}-${round}`.replace(/-+/g, '-');
        const pids = await Promise.all(workers.map((n) => seed(n, slot)));
        const r = results.get(tool) ?? { first: [], noop: [] };
        results.set(tool, r);
        for (const pass of ['first', 'noop'] as const) {
          r[pass].push(await measured(workers, proxies, () => runTool(tool, slot, pass, inventory, fleet.dir, work, env)));
          for (const [i, n] of workers.entries()) {
            const why = await verify(n, slot, { before: pids[i] as string, restarted: pass === 'first' });
            if (why) throw new Error(`${tool} (${pass} run): ${n.name}: ${why}`);
            pids[i] = await mainPid(n, slot);
          }
        }
      }
      // slipway plan, on a fresh starting state.
      const slot = `plan-${round}`;
      await Promise.all(workers.map((n) => seed(n, slot)));
      const pb = path.join(work, `${slot}.yaml`);
      await fs.writeFile(pb, slipwayPlaybook(slot));
      (extra.plan as ProcessCost[] | undefined) ?? (extra.plan = []);
      (extra.plan as ProcessCost[]).push(await timedRun(process.execPath, [CLI, 'plan', pb, '-i', inventory], env));
    }
    extra.validate = await validateCosts(work, env);
    const starts: ProcessCost[] = [];
    for (let i = 0; i < 5; i++) starts.push(await timedRun(process.execPath, [CLI, '--version'], env));
    extra.cliStartMs = median(starts.map((s) => s.wallMs));
  } finally {
    for (const p of proxies.values()) await p.stop();
    await fleet.down();
    await fs.rm(work, { recursive: true, force: true });
  }
  report(ansible, extra);
}

async function benchInventory(fleet: Fleet, proxies: Map<string, LatencyProxy>): Promise<string> {
  const hosts: Record<string, unknown> = {};
  const groups: Record<string, { hosts: Record<string, null> }> = {};
  for (const n of fleet.nodes) {
    hosts[n.name] = { ansible_host: '127.0.0.1', ansible_port: proxies.get(n.name)?.port };
    for (const g of n.record.groups) (groups[g] ??= { hosts: {} }).hosts[n.name] = null;
  }
  const file = path.join(fleet.dir, 'inventory.bench.yaml');
  const vars = { ansible_user: 'root', ansible_ssh_private_key_file: './id_ed25519', slipway_known_hosts: './known_hosts.bench' };
  await fs.writeFile(file, stringify({ all: { hosts, vars, children: groups } }, { nullStr: '' }));
  const known = fleet.nodes.map((n) => `[127.0.0.1]:${proxies.get(n.name)?.port} ${n.record.hostPublicKey.trim()}`);
  await fs.writeFile(path.join(fleet.dir, 'known_hosts.bench'), `${known.join('\n')}\n`);
  return file;
}

/** The perf recordings of slipway's runs (--perf), in the order they ran. */
const perfFiles: string[] = [];

let floorOnce: Promise<string> | undefined;
/**
 * bench/floor.ts as one JavaScript module (esbuild; the npm packages stay imports), under
 * node_modules/.cache so that they resolve from the project's node_modules.
 */
function compiledFloor(): Promise<string> {
  floorOnce ??= (async () => {
    const outfile = path.join(root, 'node_modules', '.cache', 'slipway-bench', 'floor.mjs');
    const { build } = await import('esbuild');
    await build({ entryPoints: [path.join(root, 'bench', 'floor.ts')], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile, logLevel: 'error' });
    return outfile;
  })();
  return floorOnce;
}

async function runTool(tool: Tool, slot: string, pass: 'first' | 'noop', inventory: string, fleetDir: string, work: string, env: Record<string, string>): Promise<ProcessCost> {
  if (tool === 'slipway') {
    const pb = path.join(work, `${slot}.yaml`);
    await fs.writeFile(pb, slipwayPlaybook(slot));
    const profile = values.profile ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(values.profile)] : [];
    const args = [...profile, CLI, 'run', pb, '-i', inventory, '--output', 'plain'];
    if (!values.perf) return timedRun(process.execPath, args, env);
    // perf's own cost lands in the figures of these runs: read the breakdown, not the seconds.
    const data = path.join(path.resolve(values.perf), `${slot}-${pass}.data`);
    perfFiles.push(data);
    return timedRun('perf', ['record', '-q', '-F', '999', '-g', '-o', data, process.execPath, '--perf-basic-prof', ...args], env);
  }
  if (tool.startsWith('ssh2')) {
    const mode = tool.endsWith('node') ? 'node' : 'step';
    // The floor compiled to JavaScript (as the CLI is), so that neither pays for a transpiler.
    return timedRun(process.execPath, [await compiledFloor(), '--inventory', inventory, '--slot', slot, '--mode', mode], env, root);
  }
  const apb = path.join(work, `${slot}.ansible.yaml`);
  await fs.writeFile(apb, ansiblePlaybook(slot));
  const aenv = {
    ANSIBLE_HOST_KEY_CHECKING: 'True',
    ANSIBLE_SSH_ARGS: `-o UserKnownHostsFile=${path.join(fleetDir, 'known_hosts.bench')} -o ControlMaster=auto -o ControlPersist=60s`,
    ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
    ANSIBLE_PIPELINING: 'True',
    ANSIBLE_STDOUT_CALLBACK: 'minimal',
    ANSIBLE_STRATEGY: tool.includes('free') ? 'free' : 'linear',
  };
  // Ansible resolves ansible_ssh_private_key_file against the working directory.
  return timedRun('ansible-playbook', [apb, '-i', inventory, '-f', String(nodes + 1)], aenv, fleetDir);
}

async function measured(workers: Fleet['nodes'], proxies: Map<string, LatencyProxy>, run: () => Promise<ProcessCost>): Promise<Pass> {
  const cpu0 = workers.reduce((t, n) => t + nodeCpuMs(n), 0);
  const execs0 = (await Promise.all(workers.map(sshExecs))).reduce((a, b) => a + b, 0);
  for (const p of proxies.values()) p.resetStats();
  const cost = await run();
  const cpu1 = workers.reduce((t, n) => t + nodeCpuMs(n), 0);
  const execs1 = (await Promise.all(workers.map(sshExecs))).reduce((a, b) => a + b, 0);
  const trips = workers.reduce((t, n) => t + (proxies.get(n.name)?.stats.roundTrips ?? 0), 0);
  return { ...cost, nodeCpuMs: cpu1 - cpu0, execsPerNode: (execs1 - execs0) / workers.length, roundTripsPerNode: trips / workers.length };
}

async function validateCosts(work: string, env: Record<string, string>): Promise<Record<string, ProcessCost>> {
  const out: Record<string, ProcessCost> = {};
  for (const n of quick ? [1000] : [1000, 10_000]) {
    const lines = ['all:', '  children:', '    workers:', '      hosts:'];
    for (let i = 0; i < n; i++) lines.push(`        node-${i}: {ansible_host: 10.${i >> 16}.${(i >> 8) & 255}.${i & 255}}`);
    const file = path.join(work, `hosts-${n}.yaml`);
    await fs.writeFile(file, `${lines.join('\n')}\n`);
    out[String(n)] = await timedRun(process.execPath, [CLI, 'validate', path.join(root, 'playbooks/demo.yaml'), '-i', file], env);
  }
  return out;
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function report(ansible: boolean, extra: Record<string, unknown>): void {
  const rows: string[] = [];
  const summary: Record<string, unknown> = {};
  for (const [tool, r] of results) {
    const m = (xs: Pass[], k: keyof Pass) => median(xs.map((x) => x[k]));
    const row = {
      firstWallMs: m(r.first, 'wallMs'),
      noopWallMs: m(r.noop, 'wallMs'),
      orchestratorCpuMs: m(r.first, 'cpuMs'),
      peakRssMb: m(r.first, 'peakRssMb'),
      nodeCpuMs: m(r.first, 'nodeCpuMs'),
      execsPerNode: m(r.first, 'execsPerNode'),
      noopExecsPerNode: m(r.noop, 'execsPerNode'),
      roundTripsPerNode: m(r.first, 'roundTripsPerNode'),
      noopRoundTripsPerNode: m(r.noop, 'roundTripsPerNode'),
      rounds: r,
    };
    summary[tool] = row;
    rows.push(`| ${tool} | ${s(row.firstWallMs)} | ${s(row.noopWallMs)} | ${s(row.orchestratorCpuMs)} | ${row.peakRssMb.toFixed(0)} MB | ${s(row.nodeCpuMs)} | ${row.execsPerNode.toFixed(1)} (no-op ${row.noopExecsPerNode.toFixed(1)}) | ${row.roundTripsPerNode.toFixed(0)} (no-op ${row.noopRoundTripsPerNode.toFixed(0)}) |`);
  }
  const sw = summary.slipway as { firstWallMs: number; orchestratorCpuMs: number } | undefined;
  const ratio = (tool: Tool) => {
    const other = summary[tool] as { firstWallMs: number; orchestratorCpuMs: number } | undefined;
    return sw && other ? { wall: sw.firstWallMs / other.firstWallMs, cpu: sw.orchestratorCpuMs / other.orchestratorCpuMs } : undefined;
  };
  const bestAnsible = (['ansible (linear)', 'ansible (free)'] as Tool[]).map((t) => [t, summary[t] as { firstWallMs: number } | undefined] as const).filter(([, v]) => v).sort((a, b) => (a[1]?.firstWallMs ?? 0) - (b[1]?.firstWallMs ?? 0))[0];
  const ratios = { 'slipway / floor (exec per step)': ratio('ssh2, one exec per step'), 'slipway / floor (exec per node)': ratio('ssh2, one exec per node'), ...(bestAnsible ? { [`slipway / ${bestAnsible[0]}`]: ratio(bestAnsible[0]) } : {}) };
  const machine = { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? '?', memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version, kernel: os.release() };
  const out = { date: new Date().toISOString(), machine, nodes, latencyMs, rounds, steps: STEPS, ansible, tools: summary, ratios, ...extra };
  console.log(`benchmark: ${nodes} worker nodes, ${STEPS} steps, ${latencyMs} ms round trip, median of ${rounds} round(s); ${machine.cpus} x ${machine.cpu}`);
  console.log('| tool | wall, first run | wall, no-op run | orchestrator CPU | peak RSS | CPU on the nodes | SSH execs per node | round trips per node |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
  for (const [k, v] of Object.entries(ratios)) if (v) console.log(`${k}: wall ${v.wall.toFixed(2)}x, orchestrator CPU ${v.cpu.toFixed(2)}x`);
  const plan = extra.plan as ProcessCost[] | undefined;
  if (plan?.length) console.log(`slipway plan: ${s(median(plan.map((p) => p.wallMs)))} wall, ${s(median(plan.map((p) => p.cpuMs)))} CPU`);
  for (const [n, c] of Object.entries((extra.validate as Record<string, ProcessCost>) ?? {})) console.log(`validate, ${n} hosts: ${s(c.wallMs)} wall, ${s(c.cpuMs)} CPU, ${c.peakRssMb.toFixed(0)} MB`);
  console.log(`CLI start (slipway --version): ${(extra.cliStartMs as number).toFixed(0)} ms`);
  if (perfFiles.length) {
    console.log(`where slipway's CPU went (perf record -g; the runs' own figures above include perf's cost):`);
    console.log(perfTable(perfFiles.map((f) => ({ label: path.basename(f, '.data'), summary: summarizePerfScript(perfScript(f)) }))));
  }
  if (!values['no-write'] && !quick) void saveResults(`${nodes} nodes, ${latencyMs} ms${ansible ? '' : ', without Ansible'}`, out);
}

/** bench/results.json: the latest result of each configuration (nodes, latency), kept side by side. */
async function saveResults(key: string, out: unknown): Promise<void> {
  const file = path.join(root, 'bench/results.json');
  const all = JSON.parse(await fs.readFile(file, 'utf8').catch(() => '{}')) as Record<string, unknown>;
  all[key] = out;
  await fs.writeFile(file, `${JSON.stringify(all, null, 2)}\n`);
}

main().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
