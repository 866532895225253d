/**
 * Plan against run: what a plan said of each node and step (change / ok / skip / fail, or not
 * reached), and what the following run did, in the same words, so a test can assert they agree.
 */

interface PlanLike {
  nodes: Array<{ host: string; reachable: boolean; notStarted?: string; steps: Array<{ id: string; status: string }> }>;
}
type Event = Record<string, unknown> & { type: string };

export type Outcome = 'change' | 'ok' | 'skip' | 'fail' | 'unreached' | 'error';
export type Outcomes = Record<string, Record<string, Outcome>>;

/** The plan's prediction per node and step; a node the run would not start reaches none. */
export function planOutcomes(plan: PlanLike): Outcomes {
  return Object.fromEntries(
    plan.nodes.map((n) => [n.host, Object.fromEntries(n.steps.map((s) => [s.id, n.notStarted !== undefined ? 'unreached' : (s.status as Outcome)]))]),
  );
}

const RUN_WORD: Record<string, Outcome> = { changed: 'change', ok: 'ok', skipped: 'skip' };

/**
 * What the run did per node and step, for the steps the plan names: its step.done status or
 * step.failed; a step the run never ended is `unreached`. The first pass only (a rollback's
 * events are not steps).
 */
export function runOutcomes(events: Event[], plan: PlanLike): Outcomes {
  const out: Outcomes = {};
  for (const n of plan.nodes) {
    const mine = events.filter((e) => e.host === n.host);
    out[n.host] = Object.fromEntries(
      n.steps.map((s) => {
        const done = mine.find((e) => e.type === 'step.done' && e.step === s.id);
        if (done) return [s.id, RUN_WORD[String(done.status)] ?? 'error'];
        return [s.id, mine.some((e) => e.type === 'step.failed' && e.step === s.id) ? 'fail' : 'unreached'];
      }),
    );
  }
  return out;
}
