/**
 * A node's step facts read ahead, so that several steps' reads share one round trip per host
 * (src/transport/batching-remote.ts): a plan reads a node in one exec, a run checks a node where
 * nothing needs doing in two, and a step's convergence check goes with the next step's facts.
 *
 * A read ahead is only good while the node is as it was when it was read: once a step starts to
 * change the node, every read ahead is dropped, and the steps after it read the node again.
 * How far ahead it reads: every step left when nothing changed since the last read (the steps
 * will probably find nothing to do either); right after a change, and at the start of a run, the
 * step at hand and the next (a run is there to change nodes, the steps after a change usually
 * change the node too, and each read costs the node a process). A plan reads every step at once.
 */
export interface AheadStep {
  /** The step's position in the playbook: the key of its read. */
  index: number;
}

export class FactsAhead<S extends AheadStep> {
  private readonly reads = new Map<number, Promise<unknown>>();
  private changedSinceRead: boolean;

  /** `expectChanges`: start by reading only the step at hand and the next (a run), not all (a plan). */
  constructor(
    private readonly read: (step: S) => Promise<unknown>,
    expectChanges = false,
  ) {
    this.changedSinceRead = expectChanges;
  }

  /** Starts the reads of these steps now, in one turn of the event loop. */
  start(steps: readonly S[]): void {
    for (const s of steps) {
      if (this.reads.has(s.index)) continue;
      const p = this.read(s);
      p.catch(() => undefined); // a failed read ahead is read again by the step itself
      this.reads.set(s.index, p);
    }
    this.changedSinceRead = false;
  }

  /** The step's facts: read ahead, or read now with as many of `rest` as the policy says. */
  take(step: S, rest: () => readonly S[]): Promise<unknown> {
    if (!this.reads.has(step.index)) {
      const after = rest();
      this.start(this.changedSinceRead ? [step, ...after.slice(0, 1)] : [step, ...after]);
    }
    const p = this.reads.get(step.index) as Promise<unknown>;
    this.reads.delete(step.index);
    return p;
  }

  /** A step is about to change the node: every read ahead is stale. */
  changed(): void {
    this.reads.clear();
    this.changedSinceRead = true;
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
