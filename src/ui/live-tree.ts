/**
 * The live task tree on a terminal (listr2): run > batch > node > step. It only listens to
 * runner events; each task waits for its part of the run to happen.
 *
 * Every line says its state in words as well as with its symbol: `step: ok (...)`,
 * `step: changed (...)`, `step: skipped (...)`, `step: failed: <error, every line>`;
 * `node-1: done`, `node-1: failed`; a batch or node that never started says so and why.
 */
import { figures, Listr, ListrDefaultRendererLogLevels, ListrTaskState } from 'listr2';
import type { EventListener, NodeOutcome, RunEvent, RunStartEvent } from '../runner/events.js';

/** What the tree is drawn from: run.start, or run.resume for a resumed run. */
type RunShape = Pick<RunStartEvent, 'hosts' | 'batches' | 'steps' | 'window'>;

type Outcome =
  | { kind: 'ok' | 'changed'; summary: string }
  | { kind: 'skipped'; reason: string }
  | { kind: 'not-run'; why: string }
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

/** A listr2 task as far as the tree changes it: its title. */
interface Titled {
  title: string;
}

const NODE_STATUS: Record<NodeOutcome, string> = {
  done: 'done',
  failed: 'failed',
  unreachable: 'unreachable',
  'rolled-back': 'failed, rolled back to its last rollback point',
  'rollback-failed': 'failed, and its rollback failed too',
  pending: 'not finished',
  interrupted: 'interrupted',
  skipped: 'skipped by the operator',
};



export class LiveTree {
  private readonly steps = new Map<string, Deferred<Outcome>>();
  /** Settled true when the node starts, false when the run ends without it. */
  private readonly nodeStarted = new Map<string, Deferred<boolean>>();
  private readonly batchStarted = new Map<number, Deferred<boolean>>();
  private readonly stepTasks = new Map<string, Titled>();
  private readonly nodeTasks = new Map<string, Titled>();
  /** Each node's step list, to label the steps a failure left unrun. */
  private readonly stepLists = new Map<string, Listr<unknown>>();
  private readonly batchTasks = new Map<number, Titled>();
  private readonly nodeEnded = new Map<string, Deferred<boolean>>();
  private readonly batchEnded = new Map<number, Deferred<boolean>>();
  private readonly via = new Map<string, string>();
  /** A step's name on one host, when its host vars render it differently from run.start. */
  private readonly names = new Map<string, string>();
  private readonly nodeStatus = new Map<string, NodeOutcome>();
  private running: Promise<unknown> | undefined;
  private start: RunShape | undefined;
  private stopped: string | undefined;

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

  private nodeGate(host: string): Deferred<boolean> {
    let d = this.nodeStarted.get(host);
    if (!d) {
      d = new Deferred<boolean>();
      this.nodeStarted.set(host, d);
    }
    return d;
  }

  /** Settled at node.end (or at the summary): a failed step's task waits for it, so the node's
   *  final title (failed, rolled back, ...) is drawn before its task completes. */
  private nodeEnd(host: string): Deferred<boolean> {
    let d = this.nodeEnded.get(host);
    if (!d) {
      d = new Deferred<boolean>();
      this.nodeEnded.set(host, d);
    }
    return d;
  }

  /** Settled at batch.end (or at the summary): keeps the batch open until its title is final. */
  private batchEnd(batch: number): Deferred<boolean> {
    let d = this.batchEnded.get(batch);
    if (!d) {
      d = new Deferred<boolean>();
      this.batchEnded.set(batch, d);
    }
    return d;
  }

  private batchGate(batch: number): Deferred<boolean> {
    let d = this.batchStarted.get(batch);
    if (!d) {
      d = new Deferred<boolean>();
      this.batchStarted.set(batch, d);
    }
    return d;
  }

  private label(step: string, host?: string): string {
    const own = host !== undefined ? this.names.get(this.key(host, step)) : undefined;
    const s = this.start?.steps.find((x) => x.id === step);
    if (!s || s.name === s.uses) return step;
    return own ?? s.name;
  }

  /** The step's label, with the host its commands ran on when that is not the node (`on:`). */
  private who(host: string, step: string): string {
    const via = this.via.get(this.key(host, step));
    return `${this.label(step, host)}${via ? ` (on ${via})` : ''}`;
  }

  private onEvent(e: RunEvent): void {
    switch (e.type) {
      case 'run.start':
      case 'run.resume':
        this.start = e;
        this.running = this.build(e).run();
        break;
      case 'batch.start':
        this.batchGate(e.batch).settle(true);
        break;
      case 'node.start':
        this.nodeGate(e.host).settle(true);
        break;
      case 'step.start': {
        if (e.via) this.via.set(this.key(e.host, e.step), e.via);
        const own = e.name !== undefined && e.name !== this.label(e.step);
        if (own) this.names.set(this.key(e.host, e.step), e.name as string);
        const task = this.stepTasks.get(this.key(e.host, e.step));
        if (task && (e.via || own)) task.title = this.who(e.host, e.step);
        break;
      }
      case 'step.retry': {
        const task = this.stepTasks.get(this.key(e.host, e.step));
        if (task) task.title = `${this.who(e.host, e.step)}: retrying (attempt ${e.attempt} failed: ${firstLine(e.error)})`;
        break;
      }
      case 'step.done':
        this.deferred(e.host, e.step).settle(
          e.status === 'skipped' ? { kind: 'skipped', reason: e.summary } : { kind: e.status, summary: e.summary },
        );
        break;
      case 'step.failed':
        this.deferred(e.host, e.step).settle({ kind: 'failed', error: e.error });
        break;
      case 'rollback.start': {
        const task = this.nodeTasks.get(e.host);
        if (task) task.title = `${e.host}: rolling back ${e.steps.join(', ')}`;
        break;
      }
      case 'node.end': {
        this.nodeStatus.set(e.host, e.status);
        this.nodeGate(e.host).settle(true);
        const task = this.nodeTasks.get(e.host);
        const reason = e.status === 'pending' || e.status === 'interrupted' ? (e.error ? ` (${firstLine(e.error)})` : '') : '';
        if (task) task.title = `${e.host}: ${NODE_STATUS[e.status]}${reason}`;
        this.nodeEnd(e.host).settle(true);
        // Steps after a failure (or never started) are shown as not run.
        const why = e.status === 'done' ? 'not run' : `not run (node ${NODE_STATUS[e.status]})`;
        for (const s of this.start?.steps ?? []) this.deferred(e.host, s.id).settle({ kind: 'not-run', why });
        // A failed step ends its node's list: the steps after it never start; say why.
        for (const [i, t] of (this.stepLists.get(e.host)?.tasks ?? []).entries()) {
          const s = this.start?.steps[i];
          if (s && t.state === ListrTaskState.WAITING) t.title$ = `${this.label(s.id)}: ${why}`;
        }
        break;
      }
      case 'batch.end': {
        const hosts = this.start?.batches[e.batch - 1] ?? [];
        const failed = hosts.filter((h) => {
          const s = this.nodeStatus.get(h);
          return s !== undefined && s !== 'done';
        });
        const task = this.batchTasks.get(e.batch);
        if (task && failed.length) task.title = `${this.batchTitle(e.batch - 1, hosts)} (${failed.map((h) => `${h} ${NODE_STATUS[this.nodeStatus.get(h) ?? 'pending']}`).join('; ')})`;
        this.batchEnd(e.batch).settle(true);
        break;
      }
      case 'run.summary':
        this.stopped = e.stopped;
        for (const [i] of (this.start?.batches ?? []).entries()) {
          this.batchGate(i + 1).settle(false);
          this.batchEnd(i + 1).settle(false);
        }
        for (const host of this.start?.hosts ?? []) {
          this.nodeGate(host).settle(false);
          this.nodeEnd(host).settle(false);
          for (const s of this.start?.steps ?? []) this.deferred(host, s.id).settle({ kind: 'not-run', why: 'not run' });
        }
        break;
      default:
        break;
    }
  }

  private batchTitle(index: number, hosts: string[]): string {
    const total = this.start?.batches.length ?? 0;
    const window = this.start?.window;
    // The last batch of a maxUnavailable run is a window: nodes start as others end.
    if (window !== undefined && index === total - 1 && hosts.length > 1) return `${hosts.length} nodes, at most ${window} at a time: ${hosts.join(', ')}`;
    return `batch ${index + 1}/${total}: ${hosts.join(', ')}`;
  }

  private notStarted(): string {
    return `not started${this.stopped ? `: ${this.stopped}` : ''}`;
  }

  private build(start: RunShape): Listr<unknown> {
    const stepTask = (host: string, s: RunStartEvent['steps'][number]) => ({
      title: this.label(s.id),
      task: async (_ctx: unknown, task: { title: string; skip(message?: string): void }) => {
        this.stepTasks.set(this.key(host, s.id), task);
        const outcome = await this.deferred(host, s.id).promise;
        const who = this.who(host, s.id);
        switch (outcome.kind) {
          case 'ok':
          case 'changed':
            task.title = `${who}: ${outcome.kind}${outcome.summary ? ` (${outcome.summary})` : ''}`;
            return;
          case 'skipped':
            task.skip(`${who}: skipped (${outcome.reason})`);
            return;
          case 'not-run':
            task.skip(`${who}: ${outcome.why}`);
            return;
          case 'failed': {
            await this.nodeEnd(host).promise;
            // Every line: the first says what failed, the next ones why (the command's stderr).
            const error = outcome.error.startsWith(`${host}: `) ? outcome.error.slice(host.length + 2) : outcome.error;
            throw new Error(`${who}: failed: ${error.trimEnd()}`);
          }
        }
      },
    });
    return new Listr<unknown>(
      start.batches.map((hosts, i) => ({
        title: this.batchTitle(i, hosts),
        task: async (_ctx: unknown, batchTask) => {
          this.batchTasks.set(i + 1, batchTask);
          if (!(await this.batchGate(i + 1).promise)) {
            batchTask.skip(`${this.batchTitle(i, hosts)}: ${this.notStarted()}`);
            return;
          }
          // A title-less task is not drawn: it keeps the batch open until batch.end.
          const untilBatchEnd = { task: async () => void (await this.batchEnd(i + 1).promise) };
          return batchTask.newListr(
            [untilBatchEnd, ...hosts.map((host) => ({
              title: host,
              task: async (_c: unknown, nodeTask: typeof batchTask) => {
                this.nodeTasks.set(host, nodeTask);
                if (!(await this.nodeGate(host).promise)) {
                  nodeTask.skip(`${host}: ${this.notStarted()}`);
                  return;
                }
                // A failed step fails its node (and the batch shows it); the steps after it do not start.
                const list = nodeTask.newListr(
                  start.steps.map((s) => stepTask(host, s)),
                  { concurrent: false, exitOnError: true },
                );
                this.stepLists.set(host, list);
                return list;
              },
            }))],
            { concurrent: true, exitOnError: false },
          );
        },
      })),
      {
        concurrent: false,
        exitOnError: false,
        // listr2 picks the simple renderer itself when the output is not a terminal.
        renderer: 'default',
        fallbackRenderer: 'simple',
        // listr2's own SIGINT handler would end the process (exit 127) mid-step; Ctrl-C is the
        // CLI's: finish the steps in flight, journal, and stop (exit 130).
        registerSignalListeners: false,
        rendererOptions: {
          collapseSubtasks: false,
          collapseSkips: true,
          collapseErrors: true,
          showSkipMessage: true,
          showErrorMessage: true,
          // A node whose step failed is failed: a cross, not listr2's default pointer (which reads as "running").
          icon: { [ListrDefaultRendererLogLevels.FAILED_WITH_FAILED_SUBTASKS]: figures.cross },
        },
      },
    );
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? '';
}
