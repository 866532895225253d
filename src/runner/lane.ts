/**
 * One node's lane: its steps in order, in check mode (plan: nothing changes, what each step
 * would do is predicted) or apply mode (run and resume: every change journaled before and after
 * it happens). Both go the same way through `preflight:` steps, `when:`, `on:`, facts and vars;
 * what differs is what a step does once it applies: src/runner/lane-check.ts and lane-apply.ts.
 */
import { setMaxListeners } from 'node:events';
import type { NodeFacts } from '../facts/node.js';
import { probesFor, type FactProbe } from '../facts/registry.js';
import type { InventoryHost } from '../inventory/types.js';
import { conditionFacts, evaluateCondition, type StepChange, type StepChanges } from '../playbook/condition.js';
import type { Playbook, StepSpec } from '../playbook/types.js';
import { resolveStepParams, stepTitle, varsFor } from '../playbook/vars.js';
import type { AnyStepType } from '../steps/types.js';
import type { Remote } from '../transport/types.js';
import { BatchingRemote } from '../transport/batching-remote.js';
import type { FailureKind } from './events.js';
import { FactsAhead } from './facts-ahead.js';
import { NodeFactsCache } from './node-facts-cache.js';
import type { RemoteResolver } from './remotes.js';
import { checkStep, CheckRefused, classify, readStepFacts } from './step-exec.js';

/** Reads a node's facts, with the probes a condition needs. */
export type FactsReader = (remote: Remote, probes: ReadonlySet<FactProbe>, limits: { signal?: AbortSignal; timeoutMs?: number }) => Promise<NodeFacts>;

export interface LaneDeps {
  playbook: Playbook;
  node: InventoryHost;
  extraVars: Record<string, unknown>;
  resolver: RemoteResolver;
  stepTypes: (kind: string) => AnyStepType | undefined;
  readFacts: FactsReader;
  /** Aborted on a second Ctrl-C: commands in flight are killed. */
  killSignal: AbortSignal;
}

/** A step as the lane runs it on this node. */
export interface LaneStep {
  step: StepSpec;
  index: number;
  /** The step's name for this node, vars substituted. */
  title: string;
  type: AnyStepType;
  remote: Remote;
  /** The host the commands run on, when not the node (`on:`). */
  via: string | undefined;
  params: () => Record<string, unknown>;
  /** The step's facts: read ahead with other steps' (src/runner/facts-ahead.ts), or now. */
  facts(): Promise<unknown>;
  /**
   * The node as it is, for `when:` and what a mode checks beside a step's own facts: read once
   * with what the lane's later `when:`s read, and kept until a step changes the node
   * (src/runner/node-facts-cache.ts).
   */
  nodeFacts(probes: ReadonlySet<FactProbe>): Promise<NodeFacts>;
  /** Apply mode: the step is about to change the node (what was read ahead, and the node's facts, are stale). */
  changing(): void;
  /**
   * Apply mode: the step's facts after it changed the node, read with the next step's. `early`:
   * issued with the step's last command (src/runner/converging-remote.ts), before it has run, so
   * a next step on another host is left to read later (its read would not wait for that command).
   */
  readAfter(early?: boolean): Promise<unknown>;
  /**
   * Apply mode, a step that always changes the node (a restart): the next step's facts, read with
   * its last command, as readAfter's `early`; every step left on the host when only such steps
   * have changed the node so far (a node that has nothing else to do).
   */
  readNext(): void;
  /** The step's remote as its reads go: apply's last command goes through it, ahead of the reads. */
  batched: BatchingRemote;
}

/** What the mode does with each step once the lane has resolved it; it says whether to go on. */
export interface LaneMode {
  /** Before each step: a reason to end the node here (interrupted, budget), or undefined. */
  stopBefore?(step: StepSpec): boolean;
  /** How `when:` sees the node's facts (check mode: as the steps before will leave them). */
  view?(facts: NodeFacts): NodeFacts;
  /** A step is about to be looked at on the node (apply mode journals its start). */
  starting?(s: LaneStep): void;
  /** A step whose `when:` says it does not apply. */
  skipped(s: LaneStep, reason: string): void;
  /** A step that applies: check it (and in apply mode apply it); what it did, or `stop` to end the node. */
  applies(s: LaneStep): Promise<StepEnd>;
  /** A step that could not be run: the error, classified. Ends the node. */
  failed(s: { step: StepSpec; index: number; via?: string }, error: unknown, kind: FailureKind): void;
  /** Steps done in an earlier pass of this run (resume): re-checked, never applied again. */
  doneBefore?(s: LaneStep): Promise<void> | undefined;
  /** What a step did to the node in an earlier pass of this run (resume), for `changed:`. */
  changedBefore?(id: string): StepChange;
  /** The mode changes nodes (run, resume): facts are read a step or two ahead, not all at once. */
  changesNodes?: boolean;
}

/** How a step that applied ended: it changed the node (check mode: it would), it did not, or the node stops here. */
export type StepEnd = 'changed' | 'unchanged' | 'stop';

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** `preflight: true` steps first (checked only), then every step, in order. */
function sequence(playbook: Playbook, done: (id: string) => boolean): Array<{ step: StepSpec; index: number; preflight: boolean }> {
  const preflights = playbook.steps.flatMap((step, index) => (step.preflight && !done(step.id) ? [{ step, index, preflight: true }] : []));
  return [...preflights, ...playbook.steps.map((step, index) => ({ step, index, preflight: false }))];
}

type ResolvedStep = Omit<LaneStep, 'facts' | 'nodeFacts' | 'changing' | 'readAfter' | 'readNext' | 'batched'>;

async function resolve(deps: LaneDeps, step: StepSpec, index: number): Promise<ResolvedStep> {
  const remote = await deps.resolver.forStep(step.on, deps.node);
  const type = deps.stepTypes(step.uses);
  // Validation rejects unknown kinds before anything runs; this is a programming error.
  if (!type) throw new Error(`unknown step type ${step.uses}`);
  return {
    step,
    index,
    title: stepTitle(step, deps.playbook, deps.node, deps.extraVars),
    type,
    remote,
    via: remote.host !== deps.node.name ? remote.host : undefined,
    params: () => resolveStepParams(step, deps.playbook, deps.node, deps.extraVars),
  };
}

/**
 * The lane's steps with their facts read ahead: each host's reads of one turn go as one exec
 * (BatchingRemote). Every step starts resolving its remote now, without waiting; a step is read
 * ahead once its remote is known, and the lane takes each step from the same resolution. One
 * that failed (no host of its `on:` group reachable) is resolved again when the lane gets there,
 * as before, and fails there.
 */
function lookahead(deps: LaneDeps, order: ReadonlyArray<{ step: StepSpec; index: number }>, changesNodes: boolean, node: NodeFactsCache) {
  const batching = new Map<string, BatchingRemote>();
  const batched = (r: Remote) => {
    let b = batching.get(r.host);
    if (!b) batching.set(r.host, (b = new BatchingRemote(r, deps.killSignal)));
    return b;
  };
  const resolved = new Map<number, ResolvedStep>();
  const resolving = deps.playbook.steps.map((step, index) => {
    const p = resolve(deps, step, index);
    p.then((r) => resolved.set(index, r), () => undefined);
    return p;
  });
  const ahead = new FactsAhead<ResolvedStep>(
    (s) => readStepFacts({ step: s.step, type: s.type, params: s.params(), node: deps.node, remote: batched(s.remote), signal: deps.killSignal }),
    changesNodes,
  );
  const after = (position: number): ResolvedStep[] =>
    order.slice(position + 1).flatMap(({ index }) => (resolved.has(index) ? [resolved.get(index) as ResolvedStep] : []));
  // Only actions (a restart) have changed the node so far: it probably has nothing else to do.
  let onlyActions = true;
  return async (index: number, position: number): Promise<LaneStep> => {
    const s = await (resolving[index] as Promise<ResolvedStep>).catch(() => resolve(deps, order[position]!.step, index));
    // The steps after this one on its host, up to the first on another: what may be read with its
    // last command (a read on another host would not wait for that command).
    const sameHostAfter = (): ResolvedStep[] => {
      const rest = after(position);
      const other = rest.findIndex((n) => n.remote.host !== s.remote.host);
      return other < 0 ? rest : rest.slice(0, other);
    };
    return {
      ...s,
      facts: () => ahead.take(s, () => after(position), sameHostAfter),
      nodeFacts: (probes) => node.get(probes),
      changing: () => {
        if (!s.type.alwaysChanges?.(s.params())) onlyActions = false;
        ahead.changed();
        node.clear();
      },
      readAfter: (early) => ahead.after(s, (early ? sameHostAfter() : after(position))[0]),
      // All of them when only actions changed the node so far (nothing to do but a restart), else the next.
      readNext: () => ahead.readAgain(onlyActions ? sameHostAfter() : sameHostAfter().slice(0, 1)),
      batched: batched(s.remote),
    };
  };
}

/** The node's steps through `mode`. Ends at the first step that fails or a stop. */
export async function runLane(deps: LaneDeps, mode: LaneMode, done: ReadonlySet<string> = new Set()): Promise<void> {
  const vars = varsFor(deps.playbook, deps.node, deps.extraVars);
  const order = sequence(deps.playbook, (id) => done.has(id));
  // A `when:` that tests no fact (only `changed:`) reads nothing from the node.
  const whenProbes = order.map(({ step }) => {
    const facts = step.when ? conditionFacts(step.when) : [];
    return facts.length ? probesFor(['hostname', ...facts]) : new Set<FactProbe>();
  });
  // What the `when:`s from each position to the end read.
  const probesFrom = whenProbes.map((_, i) => new Set(whenProbes.slice(i).flatMap((p) => [...p])));
  const node = new NodeFactsCache((asked) => deps.readFacts(deps.resolver.node(deps.node), asked, { signal: deps.killSignal, timeoutMs: 60_000 }));
  // The steps that changed the node in this pass (check mode: would change it).
  const changedHere = new Set<string>();
  const changes: StepChanges = {
    of: (id) => (changedHere.has(id) ? 'changed' : (mode.changedBefore?.(id) ?? 'unchanged')),
    planned: mode.changesNodes !== true,
  };
  const whenSkip = async (step: StepSpec, position: number): Promise<string | undefined> => {
    if (!step.when) return undefined;
    const probes = whenProbes[position] as Set<FactProbe>;
    const asIs = probes.size ? await node.get(probes, probesFrom[position]) : undefined;
    const seen = asIs && mode.view ? mode.view(asIs) : (asIs ?? {});
    const verdict = evaluateCondition(step.when, seen, vars, changes);
    return verdict.result ? undefined : `when: ${verdict.reason}`;
  };
  const laneStep = lookahead(deps, order, mode.changesNodes === true, node);
  for (const [position, { step, index, preflight }] of order.entries()) {
    if (mode.stopBefore?.(step)) return;
    let s: LaneStep | undefined;
    try {
      s = await laneStep(index, position);
      if (preflight) {
        // Checked only: a step that says it would fail stops the node before its first step.
        if (await whenSkip(step, position)) continue;
        const check = await checkStep({ step, type: s.type, params: s.params(), node: deps.node, remote: s.remote, signal: deps.killSignal, facts: s.facts() });
        if (check.status === 'fail') throw new CheckRefused(`preflight, before the node's first step: ${check.reason}`);
        continue;
      }
      if (done.has(step.id) && mode.doneBefore) {
        await mode.doneBefore(s);
        continue;
      }
      mode.starting?.(s);
      const reason = await whenSkip(step, position);
      if (reason) {
        mode.skipped(s, reason);
        continue;
      }
      const end = await mode.applies(s);
      if (end === 'stop') return;
      if (end === 'changed') changedHere.add(step.id);
    } catch (err) {
      mode.failed({ step, index, ...(s?.via ? { via: s.via } : {}) }, err, classify(err));
      return;
    }
  }
}

/**
 * A signal that every lane of a run listens on, one listener per step in flight: with more than
 * ten nodes at once Node would warn of a listener leak (on stderr, mid-run) where there is none.
 */
export function sharedSignal(signal: AbortSignal = new AbortController().signal): AbortSignal {
  setMaxListeners(0, signal);
  return signal;
}

/**
 * Runs a lane on a signal of its own, aborted (with the same reason) when the run's is: the
 * lane's steps listen on it, and the run's signal gets one listener a lane in flight instead of
 * one a step in flight. Node's EventTarget looks through every listener of a signal on each add
 * and remove (for a duplicate): with 50 lanes reading ahead that was a few hundred listeners, and
 * a few percent of a run's CPU.
 */
export async function withLaneSignal<T>(shared: AbortSignal, lane: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const own = new AbortController();
  setMaxListeners(0, own.signal);
  const onAbort = () => own.abort(shared.reason);
  if (shared.aborted) onAbort();
  else shared.addEventListener('abort', onAbort, { once: true });
  try {
    return await lane(own.signal);
  } finally {
    shared.removeEventListener('abort', onAbort);
  }
}
