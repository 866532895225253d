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

  /** Runs `lane` for the nodes of each batch, all of a batch at once, batch after batch. */
  async runBatches(batches: readonly string[][], lane: (host: string) => Promise<void>): Promise<void> {
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
      await Promise.all(batch.map(lane));
      this.deps.emit({ type: 'batch.end', batch: i + 1 });
    }
  }
}
