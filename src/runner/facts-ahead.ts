/**
 * A node's step facts read ahead, so that several steps' reads share one round trip per host
 * (src/transport/batching-remote.ts): a plan reads a node in one exec, a run checks a node where
 * nothing needs doing in one, and a step's convergence check goes with the next step's facts.
 *
 * A read ahead is only good while the node is as it was when it was read: once a step starts to
 * change the node, every read ahead is dropped, and the steps after it read the node again.
 * How far ahead it reads:
 * - at the start of a run: every step left on the first step's host, up to the first step on
 *   another (a node with nothing to do is then checked in one exec; a read on another host, a
 *   control plane's kubectl, waits until it is needed);
 * - when nothing changed since the last read: every step left (the steps will probably find
 *   nothing to do either);
 * - right after a change: the step at hand and the next (the steps after a change usually
 *   change the node too, and each read costs the node a process);
 * - a plan: every step at once.
 * What reading the whole host at the start costs a node that does change: its first exec reads
 * the steps after the first change too, and they are read again; it adds no exec and no round
 * trip, only the reads' processes on the node (bench/README.md, 2026-12-03, has the figures).
 */
export interface AheadStep {
  /** The step's position in the playbook: the key of its read. */
  index: number;
}

export class FactsAhead<S extends AheadStep> {
  private readonly reads = new Map<number, Promise<unknown>>();
  private moment: 'start' | 'changed' | 'settled';

  /** `startsARun`: the first read takes the first step's host, not every step (a plan). */
  constructor(
    private readonly read: (step: S) => Promise<unknown>,
    startsARun = false,
  ) {
    this.moment = startsARun ? 'start' : 'settled';
  }

  /** Starts the reads of these steps now, in one turn of the event loop. */
  start(steps: readonly S[]): void {
    for (const s of steps) {
      if (this.reads.has(s.index)) continue;
      const p = this.read(s);
      p.catch(() => undefined); // a failed read ahead is read again by the step itself
      this.reads.set(s.index, p);
    }
    this.moment = 'settled';
  }

  /**
   * The step's facts: read ahead, or read now with as many of `rest` as the policy says
   * (`sameHost`: the steps of `rest` on the step's host, up to the first on another).
   */
  take(step: S, rest: () => readonly S[], sameHost: () => readonly S[] = rest): Promise<unknown> {
    if (!this.reads.has(step.index)) {
      const alongside = this.moment === 'changed' ? rest().slice(0, 1) : this.moment === 'start' ? sameHost() : rest();
      this.start([step, ...alongside]);
    }
    const p = this.reads.get(step.index) as Promise<unknown>;
    this.reads.delete(step.index);
    return p;
  }

  /** A step is about to change the node: every read ahead is stale. */
  changed(): void {
    this.reads.clear();
    this.moment = 'changed';
  }

  /** The node changed: every read ahead is dropped, and these steps are read again now, in one round trip. */
  readAgain(steps: readonly S[]): void {
    this.reads.clear();
    this.start(steps);
  }

  /** Reads `step` again now that it changed the node, with `next` (when there is one) in the same round trip. */
  after(step: S, next: S | undefined): Promise<unknown> {
    this.readAgain(next ? [step, next] : [step]);
    const p = this.reads.get(step.index) as Promise<unknown>;
    this.reads.delete(step.index);
    return p;
  }
}
