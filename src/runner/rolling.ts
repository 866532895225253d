/**
 * The rolling policy while a run goes: batches in order, the pause or confirmation between
 * them, the failure budget over the whole run, and why the run stopped early.
 */
import { sleepUnlessAborted } from '../sleep.js';
import type { RollingPolicy } from '../playbook/types.js';
import { failureBudget } from './batches.js';
import type { EventInput, NodeOutcome } from './events.js';
import { FAILED_OUTCOMES } from './summary.js';

export interface RollingDeps {
  emit: (e: EventInput) => void;
  /** Asked before each batch after the first with `pause: confirm`; false stops the run. */
  confirm?: (batch: number, hosts: string[]) => Promise<boolean>;
  /** First abort (Ctrl-C, `slipway stop`): no new node starts. */
  stopSignal?: AbortSignal;
  sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
}

export class RollingControl {
  private failedNodes = 0;
  private reason: string | undefined;
  private readonly budget: number;

  constructor(
    private readonly policy: RollingPolicy,
    total: number,
    private readonly deps: RollingDeps,
  ) {
    this.budget = failureBudget(policy.maxFailed, total);
  }

  /** Why no new node may start, if none may. */
  get stopReason(): string | undefined {
    return this.reason;
  }

  get interrupted(): boolean {
    return this.deps.stopSignal?.aborted === true;
  }

  /** Why the run was interrupted: the stop signal's reason when it gives one (`slipway stop`), else the operator's Ctrl-C. */
  get interruptReason(): string | undefined {
    if (!this.interrupted) return undefined;
    const reason: unknown = this.deps.stopSignal?.reason;
    return typeof reason === 'string' ? reason : undefined;
  }

  stopRequested(): boolean {
    return this.reason !== undefined || this.interrupted;
  }

  /** A node ended: a failed one counts against the budget (or stops the run with onFailure: stop). */
  noteNodeEnd(host: string, status: NodeOutcome): void {
    if (!FAILED_OUTCOMES.includes(status)) return;
    this.failedNodes++;
    if (this.policy.onFailure === 'stop') this.reason ??= `node ${host} failed (onFailure: stop)`;
    else if (this.failedNodes > this.budget) this.reason ??= `failure budget exceeded: ${this.failedNodes} node(s) failed, maxFailed allows ${this.budget}`;
  }

  /**
   * Runs `lane` for the nodes of each batch, all of a batch at once, batch after batch; with
   * `maxUnavailable`, a batch of several nodes is a window instead (see runWindow).
   */
  async runBatches(batches: readonly string[][], lane: (host: string) => Promise<void>, window?: WindowLimits): Promise<void> {
    for (const [i, batch] of batches.entries()) {
      if (this.stopRequested()) return;
      if (i > 0 && this.policy.pause !== 0) {
        this.deps.emit({ type: 'batch.pause', batch: i + 1, pause: this.policy.pause });
        if (this.policy.pause === 'confirm') {
          const go = this.deps.confirm ? await this.deps.confirm(i + 1, batch) : false;
          if (!go) {
            this.reason = `the operator did not confirm batch ${i + 1}`;
            return;
          }
        } else {
          await (this.deps.sleep ?? sleepUnlessAborted)(this.policy.pause * 1000, this.deps.stopSignal);
          if (this.stopRequested()) return;
        }
      }
      this.deps.emit({ type: 'batch.start', batch: i + 1, hosts: batch });
      if (window && batch.length > 1) await this.runWindow(batch, lane, window);
      else await Promise.all(batch.map(lane));
      this.deps.emit({ type: 'batch.end', batch: i + 1 });
    }
  }

  /**
   * A window: at most `max` nodes in flight, a new one started as soon as one ends, in order;
   * with a per-key limit, at most `perMax` of one key (a zone) at once, a node whose key is full
   * letting the next one of another key go first. No new node once the run must stop.
   */
  async runWindow(hosts: readonly string[], lane: (host: string) => Promise<void>, window: WindowLimits): Promise<void> {
    const waiting = [...hosts];
    const inFlight = new Map<string, Promise<string>>();
    const keyCount = new Map<string | undefined, number>();
    const keyOf = (h: string) => window.keyOf?.(h);
    const fits = (h: string) => window.keyOf === undefined || (keyCount.get(keyOf(h)) ?? 0) < window.perMax;
    for (;;) {
      while (!this.stopRequested() && inFlight.size < window.max) {
        const next = waiting.findIndex(fits);
        if (next < 0) break;
        const [host] = waiting.splice(next, 1) as [string];
        keyCount.set(keyOf(host), (keyCount.get(keyOf(host)) ?? 0) + 1);
        inFlight.set(host, lane(host).then(() => host));
      }
      if (inFlight.size === 0) return;
      const ended = await Promise.race(inFlight.values());
      inFlight.delete(ended);
      keyCount.set(keyOf(ended), (keyCount.get(keyOf(ended)) ?? 1) - 1);
    }
  }
}

/** The window of a `maxUnavailable` run: how many nodes at once, and per key (a zone). */
export interface WindowLimits {
  max: number;
  /** The key a node's per-key limit counts under (undefined: nodes without a value, which share one). */
  keyOf?: (host: string) => string | undefined;
  perMax: number;
}
