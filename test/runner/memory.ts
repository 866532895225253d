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
import type { FactsReader } from '../../src/runner/lane.js';
import type { AnyStepType, CheckResult, StepType } from '../../src/steps/types.js';
import type { ExecResult, Remote, RemoteFactory } from '../../src/transport/types.js';
import { makeHost, makeInventory } from '../inventory/make-host.js';

export class MemoryNode {
  readonly store = new Map<string, string>();
  /** Every apply and rollback, in order: `apply a=1`, `undo a`. */
  readonly log: string[] = [];
  unreachable = false;
  /** key -> how many more applies of it fail. */
  readonly failures = new Map<string, number>();
  constructor(readonly name: string) {}
}

/** Answers `get KEY`, `set KEY VALUE`, `unset KEY` (and anything else with exit 0). */
class MemoryRemote implements Remote {
  constructor(readonly node: MemoryNode) {}
  get host(): string {
    return this.node.name;
  }
  private reach(): void {
    if (this.node.unreachable) throw new TransportError(this.node.name, 'unreachable', `cannot connect to ${this.node.name}: connection refused`);
  }
  async connect(): Promise<void> {
    this.reach();
  }
  async exec(argv: readonly string[]): Promise<ExecResult> {
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

interface SetParams {
  key: string;
  value: string;
}

export const setStep: StepType<SetParams, { current: string | undefined }, { previous: string | null }> = {
  kind: 'test.set',
  description: 'Set a key of an in-memory node.',
  paramsSchema: { type: 'object', required: ['key', 'value'], properties: { key: { type: 'string' }, value: { type: 'string' } } },
  async facts(ctx, p) {
    const r = await ctx.remote.exec(['get', p.key]);
    return { current: r.code === 0 ? r.stdout : undefined };
  },
  check(p, f): CheckResult {
    return f.current === p.value ? { status: 'ok', summary: `${p.key} is ${p.value}` } : { status: 'change', summary: `set ${p.key} to ${p.value}` };
  },
  async apply(ctx, p, f) {
    await ctx.remote.run(['set', p.key, p.value]);
    return { previous: f.current ?? null };
  },
  async rollback(ctx, p, undo) {
    await ctx.remote.run(undo.previous === null ? ['undo', p.key] : ['undo', p.key, undo.previous]);
  },
};

export const memoryStepTypes = (kind: string): AnyStepType | undefined => (kind === 'test.set' ? setStep : undefined);

export class MemoryFleet {
  readonly nodes: MemoryNode[];
  readonly inventory: Inventory;
  constructor(names: string[]) {
    this.nodes = names.map((n) => new MemoryNode(n));
    this.inventory = makeInventory(names.map((n) => makeHost(n, { groups: ['all', 'workers'] })), ['workers']);
  }
  node(name: string): MemoryNode {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }
  get remotes(): RemoteFactory {
    return {
      node: (host) => new MemoryRemote(this.node(host.name)),
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

/** A playbook of `test.set` steps, loaded as from a file. */
export function memoryPlaybook(yaml: string): Playbook {
  return parsePlaybook('memory.yaml', yaml, { stepTypes: stepTypeList([{ kind: 'test.set', paramsSchema: setStep.paramsSchema }]) });
}
