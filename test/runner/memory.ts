/**
 * An in-memory fleet for runner tests: nodes as key-value stores, remotes that reach them (or
 * fail as unreachable), a step type `test.set` that sets a key (failing a given number of times
 * first), a journal that keeps events in memory. No SSH, no processes: the runner's policy
 * (batches, budget, resume, rollback, exit codes, retries) runs in milliseconds.
 */
import type { Duplex } from 'node:stream';
import { SlipwayError, TransportError } from '../../src/errors.js';
import { parseNodeFacts } from '../../src/facts/node.js';
import type { Inventory } from '../../src/inventory/types.js';
import { parsePlaybook } from '../../src/playbook/load.js';
import { stepTypeList } from '../../src/playbook/step-types.js';
import type { Playbook } from '../../src/playbook/types.js';
import type { EventJournal } from '../../src/runner/event-sink.js';
import type { RunEvent } from '../../src/runner/events.js';
import { SecretValues } from '../../src/runner/redact.js';
import { computePlan, type Plan } from '../../src/runner/plan.js';
import { runPlaybook, type RunOptions, type RunResult } from '../../src/runner/run.js';
import type { FactsReader } from '../../src/runner/lane.js';
import type { AnyStepType, CheckResult, StepType } from '../../src/steps/types.js';
import type { BatchCommand, BatchingTransport } from '../../src/transport/batch.js';
import type { ExecResult, Remote, RemoteFactory } from '../../src/transport/types.js';
import { makeHost, makeInventory } from '../inventory/make-host.js';

export class MemoryNode {
  readonly store = new Map<string, string>();
  /** Every apply and rollback, in order: `apply a=1`, `undo a`. */
  readonly log: string[] = [];
  unreachable = false;
  /** key -> how many more applies of it fail. */
  readonly failures = new Map<string, number>();
  /** How long each apply takes (a slow node). */
  delayMs = 0;
  /** Each apply waits for this first (a node held until the test lets it go). */
  hold: Promise<void> | undefined;
  /** Remotes to this node take several commands in one exec (execBatch), as SSH does. */
  batching = false;
  /** How many more batches fail as a whole (the connection dropped mid-batch). */
  failBatches = 0;
  /** Each exec the node answered, as the commands it carried (one, or a batch). */
  readonly execs: string[][] = [];
  constructor(readonly name: string) {}
}

/** Answers `get KEY`, `set KEY VALUE`, `unset KEY` (and anything else with exit 0). */
class MemoryRemote implements Remote {
  constructor(readonly node: MemoryNode) {}
  get host(): string {
    return this.node.name;
  }
  protected reach(): void {
    if (this.node.unreachable) throw new TransportError(this.node.name, 'unreachable', `cannot connect to ${this.node.name}: connection refused`);
  }
  async connect(): Promise<void> {
    this.reach();
  }
  async exec(argv: readonly string[]): Promise<ExecResult> {
    this.node.execs.push([argv.join(' ')]);
    return this.answer(argv);
  }
  protected async answer(argv: readonly string[]): Promise<ExecResult> {
    this.reach();
    const [verb, key = '', value = ''] = argv;
    const { node } = this;
    if (verb === 'get') return node.store.has(key) ? { code: 0, stdout: node.store.get(key) as string, stderr: '' } : { code: 1, stdout: '', stderr: '' };
    if (verb === 'set') {
      const left = node.failures.get(key) ?? 0;
      if (left > 0) {
        node.failures.set(key, left - 1);
        return { code: 1, stdout: '', stderr: `cannot set ${key}` };
      }
      if (node.hold) await node.hold;
      if (node.delayMs) await new Promise((r) => setTimeout(r, node.delayMs));
      node.log.push(`apply ${key}=${value}`);
      node.store.set(key, value);
    }
    if (verb === 'undo') {
      node.log.push(`undo ${key}`);
      if (argv.length === 2) node.store.delete(key);
      else node.store.set(key, value);
    }
    return { code: 0, stdout: '', stderr: '' };
  }
  async run(argv: readonly string[]): Promise<ExecResult> {
    const r = await this.exec(argv);
    if (r.code !== 0) throw new SlipwayError(`${this.host}: ${r.stderr}`);
    return r;
  }
  async readFile(): Promise<string | null> {
    this.reach();
    return null;
  }
  async writeFile(): Promise<void> {
    this.reach();
  }
  openUnixSocket(): Promise<Duplex> {
    return Promise.reject(new Error('no sockets in memory'));
  }
}

/** A remote that batches: several commands, one exec, each answered in order. */
class BatchingMemoryRemote extends MemoryRemote implements BatchingTransport {
  async execBatch(commands: readonly BatchCommand[]): Promise<Array<ExecResult | Error>> {
    this.reach();
    this.node.execs.push(commands.map((c) => c.argv.join(' ')));
    if (this.node.failBatches > 0) {
      this.node.failBatches--;
      throw new Error('the batch was cut off');
    }
    const results: Array<ExecResult | Error> = [];
    for (const c of commands) results.push(await this.answer(c.argv));
    return results;
  }
}

interface SetParams {
  key: string;
  value: string;
  /** After its last command, apply sets this key too (a step that sends more after its last command). */
  then?: string;
}

export const setStep: StepType<SetParams, { current: string | undefined }, { previous: string | null }> = {
  kind: 'test.set',
  description: 'Set a key of an in-memory node.',
  paramsSchema: { type: 'object', required: ['key', 'value'], properties: { key: { type: 'string' }, value: { type: 'string' }, then: { type: 'string' } } },
  async facts(ctx, p) {
    const r = await ctx.remote.exec(['get', p.key]);
    return { current: r.code === 0 ? r.stdout : undefined };
  },
  check(p, f): CheckResult {
    return f.current === p.value ? { status: 'ok', summary: `${p.key} is ${p.value}` } : { status: 'change', summary: `set ${p.key} to ${p.value}` };
  },
  async apply(ctx, p, f) {
    await ctx.remote.run(['set', p.key, p.value], { last: true });
    if (p.then !== undefined) await ctx.remote.run(['set', p.then, '1']);
    return { previous: f.current ?? null };
  },
  async rollback(ctx, p, undo) {
    await ctx.remote.run(undo.previous === null ? ['undo', p.key] : ['undo', p.key, undo.previous]);
  },
};

interface CordonParams {
  cordoned: boolean;
}
type CordonFacts = { cordoned: boolean; by: string | undefined };

/**
 * `test.cordon`: a cordon as kube.cordon / kube.uncordon keep it, in the node's store (`cordon`:
 * the run that cordoned it, or `-` for someone else); uncordons only its own; reports its state.
 */
export const cordonStep: StepType<CordonParams, CordonFacts, { previous: string | null }> = {
  kind: 'test.cordon',
  description: 'Cordon or uncordon an in-memory node.',
  paramsSchema: { type: 'object', required: ['cordoned'], properties: { cordoned: { type: 'boolean' } } },
  async facts(ctx) {
    const r = await ctx.remote.exec(['get', 'cordon']);
    return r.code === 0 ? { cordoned: true, by: r.stdout === '-' ? undefined : r.stdout } : { cordoned: false, by: undefined };
  },
  cordonState: (f) => ({ node: 'k8s', cordoned: f.cordoned, ...(f.by ? { by: f.by } : {}) }),
  check(p, f): CheckResult {
    if (p.cordoned) return f.cordoned ? { status: 'ok', summary: 'cordoned' } : { status: 'change', summary: 'cordon' };
    return f.cordoned && f.by ? { status: 'change', summary: 'uncordon' } : { status: 'ok', summary: f.cordoned ? 'stays cordoned' : 'schedulable' };
  },
  async apply(ctx, p, f) {
    if (p.cordoned) await ctx.remote.run(['set', 'cordon', ctx.runId ?? 'slipway']);
    else await ctx.remote.run(['undo', 'cordon']);
    return { previous: f.cordoned ? (f.by ?? '-') : null };
  },
  async rollback(ctx, _p, undo) {
    await ctx.remote.run(undo.previous === null ? ['undo', 'cordon'] : ['undo', 'cordon', undo.previous]);
  },
};

/** `test.gate`: waits for `healthy` in the node's store (set while it waits: the node comes back), or fails. */
export const gateStep: StepType<Record<string, never>, { healthy: boolean }, Record<string, never>> = {
  kind: 'test.gate',
  description: 'A health gate on an in-memory node.',
  paramsSchema: { type: 'object' },
  gate: true,
  async facts(ctx) {
    return { healthy: (await ctx.remote.exec(['get', 'healthy'])).code === 0 };
  },
  check: (_p, f): CheckResult => (f.healthy ? { status: 'ok', summary: 'healthy' } : { status: 'change', summary: 'wait to be healthy' }),
  async apply(ctx) {
    ctx.waiting?.('healthy in the store');
    await ctx.remote.run(['set', 'healthy', '1']); // fails as set does when told to: the node never comes back
    return {};
  },
  async rollback() {
    throw new Error('a gate has nothing to undo');
  },
};

/** `test.bump`: an action, not a state (as a restart is): adds one to a counter key on every run. */
export const bumpStep: StepType<{ key: string }, { count: number }, Record<string, never>> = {
  kind: 'test.bump',
  description: 'Add one to a counter of an in-memory node, every time.',
  paramsSchema: { type: 'object', required: ['key'], properties: { key: { type: 'string' } } },
  alwaysChanges: () => true,
  async facts(ctx, p) {
    const r = await ctx.remote.exec(['get', p.key]);
    return { count: r.code === 0 ? Number(r.stdout) : 0 };
  },
  check: (p): CheckResult => ({ status: 'change', summary: `bump ${p.key}` }),
  async apply(ctx, p, f) {
    await ctx.remote.run(['set', p.key, String(f.count + 1)], { last: true });
    return {};
  },
  async rollback() {
    return undefined;
  },
};

const MEMORY_TYPES: AnyStepType[] = [setStep, cordonStep, gateStep, bumpStep];
export const memoryStepTypes = (kind: string): AnyStepType | undefined => MEMORY_TYPES.find((t) => t.kind === kind);

export class MemoryFleet {
  readonly nodes: MemoryNode[];
  readonly inventory: Inventory;
  constructor(names: string[], vars: Record<string, Record<string, unknown>> = {}) {
    this.nodes = names.map((n) => new MemoryNode(n));
    this.inventory = makeInventory(names.map((n) => makeHost(n, { groups: ['all', 'workers'], vars: vars[n] ?? {} })), ['workers']);
  }
  node(name: string): MemoryNode {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }
  get remotes(): RemoteFactory {
    return {
      node: (host) => {
        const node = this.node(host.name);
        return node.batching ? new BatchingMemoryRemote(node) : new MemoryRemote(node);
      },
      local: () => {
        throw new Error('no local machine in memory');
      },
      close: async () => undefined,
    };
  }
}

/** Facts of an in-memory node: what `when:` reads (a hostname, nothing installed). */
export const memoryFacts: FactsReader = async (remote) => {
  await remote.connect?.();
  return parseNodeFacts(`hostname=${remote.host}\n`);
};

export class MemoryJournal implements EventJournal {
  readonly events: RunEvent[] = [];
  append(event: RunEvent): void {
    this.events.push(event);
  }
}

/** A playbook of `test.set` and `test.cordon` steps, loaded as from a file. */
export function memoryPlaybook(yaml: string): Playbook {
  return parsePlaybook('memory.yaml', yaml, { stepTypes: stepTypeList(MEMORY_TYPES.map((t) => ({ kind: t.kind, paramsSchema: t.paramsSchema }))) });
}

/**
 * Runs a playbook of memory steps on the fleet, as `slipway run` would (run id `run-1`, no
 * pauses); `extra` overrides any option (a journal to continue, listeners, resume, operator).
 * Returns the summary and every event journaled.
 */
export async function runInMemory(fleet: MemoryFleet, yaml: string, extra: Partial<RunOptions> = {}): Promise<RunResult & { events: RunEvent[] }> {
  const journal = (extra.journal as MemoryJournal | undefined) ?? new MemoryJournal();
  const result = await runPlaybook({
    ...engineInput(fleet, yaml),
    runId: 'run-1',
    journal,
    inputs: { playbookFile: 'memory.yaml', inventoryFile: 'hosts.yaml', limit: undefined, extraVars: {}, sshConfigFile: undefined },
    inventoryHash: 'x',
    listeners: [],
    sleep: async () => undefined,
    ...extra,
  });
  return { ...result, events: journal.events };
}

/** The plan of a playbook of memory steps on the fleet, as `slipway plan` would compute it. */
export function planInMemory(fleet: MemoryFleet, yaml: string): Promise<Plan> {
  return computePlan(engineInput(fleet, yaml));
}

/** What plan and run both take: the playbook on the fleet, with the memory step types and facts. */
function engineInput(fleet: MemoryFleet, yaml: string) {
  return {
    playbook: memoryPlaybook(yaml),
    inventory: fleet.inventory,
    hosts: fleet.inventory.hosts,
    extraVars: {},
    remotes: fleet.remotes,
    stepTypes: memoryStepTypes,
    readFacts: memoryFacts,
    secrets: new SecretValues(),
  };
}
