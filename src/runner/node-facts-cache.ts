/**
 * A lane's node facts for `when:`: read once and kept until the lane says the node changed. A
 * read asks the node for what the asking step needs and what the lane's later steps will (one
 * probe script either way), so that a lane whose steps change nothing reads its node once.
 */
import type { NodeFacts } from '../facts/node.js';
import type { FactProbe } from '../facts/registry.js';

export type ProbeReader = (probes: ReadonlySet<FactProbe>) => Promise<NodeFacts>;

export class NodeFactsCache {
  private probes = new Set<FactProbe>();
  private facts: Promise<NodeFacts> | undefined;

  constructor(private readonly read: ProbeReader) {}

  /**
   * The facts with `needed` read; when they must be read now, `ahead` is read with them. A read
   * that fails with `ahead` in it is made again with what is needed alone: a later step's probe
   * (a runtime that does not answer) must not fail a step that does not read it.
   */
  get(needed: ReadonlySet<FactProbe>, ahead: ReadonlySet<FactProbe> = new Set()): Promise<NodeFacts> {
    if (this.facts && [...needed].every((p) => this.probes.has(p))) return this.facts;
    const all = new Set([...this.probes, ...needed, ...ahead]);
    const alone = new Set([...this.probes, ...needed]);
    this.probes = all;
    const reading = this.read(all).catch((err: unknown) => {
      if (alone.size === all.size) throw err;
      if (this.facts === reading) this.probes = alone;
      return this.read(alone);
    });
    // A failed read is not kept: the next step asks the node again.
    reading.catch(() => {
      if (this.facts === reading) this.clear();
    });
    this.facts = reading;
    return reading;
  }

  /** The node changed (or may have): the next read asks it again, for what is needed from then on. */
  clear(): void {
    this.facts = undefined;
    this.probes = new Set();
  }
}
