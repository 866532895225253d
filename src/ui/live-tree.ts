/**
 * The live task tree on a terminal (listr2): run > batch > node > step. It only listens to
 * runner events; each step task waits for its step's outcome.
 */
import { Listr } from 'listr2';
import type { EventListener, RunEvent, RunStartEvent } from '../runner/events.js';

type Outcome =
  | { kind: 'ok' | 'changed'; summary: string }
  | { kind: 'skipped'; reason: string }
  | { kind: 'failed'; error: string };

class Deferred<T> {
  promise: Promise<T>;
  resolve!: (v: T) => void;
  settled = false;
  constructor() {
    this.promise = new Promise<T>((r) => (this.resolve = r));
  }
  settle(v: T): void {
    if (this.settled) return;
    this.settled = true;
    this.resolve(v);
  }
}


// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- room for renderer options
export interface LiveTreeOptions {}

export class LiveTree {
  private readonly steps = new Map<string, Deferred<Outcome>>();
  private readonly nodeStarted = new Map<string, Deferred<void>>();
  private running: Promise<unknown> | undefined;
  private start: RunStartEvent | undefined;

  constructor(private readonly options: LiveTreeOptions = {}) {
    void this.options;
  }

  readonly listener: EventListener = (e: RunEvent) => this.onEvent(e);

  /** Resolves when the tree has rendered its last state. */
  async done(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  private key(host: string, step: string): string {
    return `${host}\u0000${step}`;
  }

  private deferred(host: string, step: string): Deferred<Outcome> {
    const k = this.key(host, step);
    let d = this.steps.get(k);
    if (!d) {
      d = new Deferred<Outcome>();
      this.steps.set(k, d);
    }
    return d;
  }

  private onEvent(e: RunEvent): void {
    switch (e.type) {
      case 'run.start':
        this.start = e;
        this.running = this.build(e).run();
        break;
      case 'node.start':
        this.nodeGate(e.host).settle();
        break;
      case 'step.done':
        this.deferred(e.host, e.step).settle(
          e.status === 'skipped' ? { kind: 'skipped', reason: e.summary } : { kind: e.status, summary: e.summary },
        );
        break;
      case 'step.failed':
        this.deferred(e.host, e.step).settle({ kind: 'failed', error: e.error });
        break;
      case 'node.end':
        // Steps after a failure (or never started) are shown as not run.
        this.nodeGate(e.host).settle();
        for (const s of this.start?.steps ?? []) {
          this.deferred(e.host, s.id).settle({ kind: 'skipped', reason: e.status === 'done' ? 'not run' : `not run (node ${e.status})` });
        }
        break;
      case 'run.summary':
        for (const host of this.start?.hosts ?? []) {
          this.nodeGate(host).settle();
          for (const s of this.start?.steps ?? []) this.deferred(host, s.id).settle({ kind: 'skipped', reason: 'not run' });
        }
        break;
      default:
        break;
    }
  }

  private nodeGate(host: string): Deferred<void> {
    let d = this.nodeStarted.get(host);
    if (!d) {
      d = new Deferred<void>();
      this.nodeStarted.set(host, d);
    }
    return d;
  }

  private build(start: RunStartEvent): Listr<unknown> {
    const stepTask = (host: string, s: RunStartEvent['steps'][number]) => ({
      title: s.name === s.uses ? s.id : s.name,
      task: async (_ctx: unknown, task: { title: string; skip(message?: string): void }) => {
        const outcome = await this.deferred(host, s.id).promise;
        const label = s.name === s.uses ? s.id : s.name;
        switch (outcome.kind) {
          case 'ok':
          case 'changed':
            task.title = `${label}: ${outcome.kind}${outcome.summary ? ` (${outcome.summary})` : ''}`;
            return;
          case 'skipped':
            task.skip(`${label}: skipped (${outcome.reason})`);
            return;
          case 'failed':
            throw new Error(`${label}: ${outcome.error.split('\n')[0]}`);
        }
      },
    });
    return new Listr<unknown>(
      start.batches.map((hosts, i) => ({
        title: `batch ${i + 1}/${start.batches.length}: ${hosts.join(', ')}`,
        task: (_ctx, batchTask) =>
          batchTask.newListr(
            hosts.map((host) => ({
              title: host,
              task: async (_c, nodeTask) => {
                await this.nodeGate(host).promise;
                return nodeTask.newListr(
                  start.steps.map((s) => stepTask(host, s)),
                  { concurrent: false, exitOnError: true },
                );
              },
            })),
            { concurrent: true, exitOnError: false },
          ),
      })),
      {
        concurrent: false,
        exitOnError: false,
        // listr2 picks the simple renderer itself when the output is not a terminal.
        renderer: 'default',
        fallbackRenderer: 'simple',
        rendererOptions: { collapseSubtasks: false, collapseSkips: false, showErrorMessage: true },
      },
    );
  }
}
