/**
 * The engine: plan (read-only, every step checked on every node) and run (rolling batches,
 * one lane a node, steps in order, every change journaled before and after it happens).
 * It emits events and never prints.
 */
import pMap from 'p-map';
import { EXIT, type ExitCode } from '../errors.js';
import { probeNodeFacts, type NodeFacts } from '../facts/node.js';
import { probesFor, type FactProbe } from '../facts/registry.js';
import type { Inventory, InventoryHost } from '../inventory/types.js';
import { conditionFacts, evaluateCondition } from '../playbook/condition.js';
import type { Playbook, StepSpec } from '../playbook/types.js';
import { resolveStepParams, varsFor } from '../playbook/vars.js';
import { getStepType } from '../steps/registry.js';
import type { AnyStepType, CheckResult } from '../steps/types.js';
import type { SshOptions } from '../transport/ssh.js';
import { failureBudget, planBatches } from './batches.js';
import type { Counts, EventInput, EventListener, NodeOutcome, RunEvent, RunInputs, RunSummaryEvent } from './events.js';
import { applyEvent, initialState, type RunJournalState } from './journal-state.js';
import { changesToUndo, rollbackNode } from './rollback.js';
import { Journal } from './journal.js';
import { processSecrets, type SecretValues } from './redact.js';
import { RemoteResolver } from './remotes.js';
import { applyStep, CheckRefused, checkStep, classify, StepFailure } from './step-exec.js';

export interface EngineInput {
  playbook: Playbook;
  inventory: Inventory;
  /** Hosts selected by the playbook's `hosts:` and `--limit`, in inventory order. */
  hosts: InventoryHost[];
  extraVars: Record<string, unknown>;
  ssh: SshOptions;
  /** Nodes checked at once during plan. */
  planConcurrency?: number;
  /** Values hidden in the plan, the events and the journal. Default: this process's (the CLI's). */
  secrets?: SecretValues;
}

// ---------------------------------------------------------------------------------- plan

export type PlannedStep =
  | { id: string; name: string; uses: string; via?: string; status: 'ok'; summary: string }
  | { id: string; name: string; uses: string; via?: string; status: 'change'; summary: string; diff?: string }
  | { id: string; name: string; uses: string; via?: string; status: 'skip'; reason: string }
  | { id: string; name: string; uses: string; via?: string; status: 'fail'; reason: string }
  | { id: string; name: string; uses: string; via?: string; status: 'error'; error: string };

export interface NodePlan {
  host: string;
  reachable: boolean;
  error?: string;
  /** A `preflight: true` step that would fail: the run stops the node before its first step. */
  preflight?: { step: string; reason: string };
  steps: PlannedStep[];
}

export interface Plan {
  playbook: string;
  playbookName: string;
  batches: string[][];
  nodes: NodePlan[];
}

function stepType(step: StepSpec): AnyStepType {
  const type = getStepType(step.uses);
  // Validation rejects unknown kinds before the engine runs; this is a programming error.
  if (!type) throw new Error(`unknown step type ${step.uses}`);
  return type;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Evaluates `when:`; returns the skip reason, or undefined when the step applies. */
async function whenSkipReason(
  step: StepSpec,
  vars: Record<string, unknown>,
  readFacts: (probes: ReadonlySet<FactProbe>) => Promise<NodeFacts>,
): Promise<string | undefined> {
  if (!step.when) return undefined;
  const facts = await readFacts(probesFor(['hostname', ...conditionFacts(step.when)]));
  const verdict = evaluateCondition(step.when, facts, vars);
  return verdict.result ? undefined : `when: ${verdict.reason}`;
}

export async function computePlan(input: EngineInput): Promise<Plan> {
  const resolver = new RemoteResolver(input.inventory, input.ssh);
  const never = new AbortController().signal;
  try {
    const nodes = await pMap(input.hosts, async (node): Promise<NodePlan> => {
      const plan: NodePlan = { host: node.name, reachable: true, steps: [] };
      try {
        await resolver.connect(node);
      } catch (err) {
        return { host: node.name, reachable: false, error: errorText(err), steps: [] };
      }
      const vars = varsFor(input.playbook, node, input.extraVars);
      // Plan reads the node as it is once, each probe only when a condition first needs it.
      let facts: NodeFacts | undefined;
      const read = new Set<FactProbe>();
      const readFacts = async (probes: ReadonlySet<FactProbe>) => {
        if (!facts || [...probes].some((p) => !read.has(p))) {
          for (const p of probes) read.add(p);
          facts = await probeNodeFacts(resolver.node(node), {}, read);
        }
        return facts;
      };
      for (const step of input.playbook.steps) {
        const base = { id: step.id, name: step.name, uses: step.uses };
        try {
          const reason = await whenSkipReason(step, vars, readFacts);
          if (reason) {
            plan.steps.push({ ...base, status: 'skip', reason });
            continue;
          }
          const remote = await resolver.forStep(step.on, node);
          const via = remote.host !== node.name ? remote.host : undefined;
          const params = resolveStepParams(step, input.playbook, node, input.extraVars);
          const check: CheckResult = await checkStep({ step, type: stepType(step), params, node, remote, signal: never });
          const withVia = via ? { ...base, via } : base;
          if (check.status === 'ok') plan.steps.push({ ...withVia, status: 'ok', summary: check.summary });
          else if (check.status === 'skip') plan.steps.push({ ...withVia, status: 'skip', reason: check.reason });
          else if (check.status === 'fail') {
            plan.steps.push({ ...withVia, status: 'fail', reason: check.reason });
            if (step.preflight) plan.preflight ??= { step: step.id, reason: check.reason };
          } else plan.steps.push({ ...withVia, status: 'change', summary: check.summary, ...(check.diff ? { diff: check.diff } : {}) });
        } catch (err) {
          if (classify(err) === 'transport') {
            plan.reachable = false;
            plan.error = errorText(err);
            break;
          }
          plan.steps.push({ ...base, status: 'error', error: errorText(err) });
        }
      }
      return plan;
    }, { concurrency: input.planConcurrency ?? 16 });
    return (input.secrets ?? processSecrets).redactData({
      playbook: input.playbook.file,
      playbookName: input.playbook.name,
      batches: planBatches(input.hosts, input.playbook.rolling),
      nodes,
    });
  } finally {
    await resolver.close();
  }
}

export function planExitCode(plan: Plan): ExitCode {
  if (plan.nodes.some((n) => !n.reachable)) return EXIT.unreachable;
  if (plan.nodes.some((n) => n.steps.some((s) => s.status === 'error' || s.status === 'fail'))) return EXIT.stepFailed;
  return EXIT.ok;
}

// ---------------------------------------------------------------------------------- run

export interface RunOptions extends EngineInput {
  runId: string;
  journal: Journal;
  /** What the run was started with (recorded in run.start for resume and rollback). */
  inputs: RunInputs;
  /** Identity of the inputs, recorded for resume. */
  inventoryHash: string;
  listeners: EventListener[];
  /** Continue an earlier run: its journal state (steps done there are re-checked, not redone). */
  resume?: { state: RunJournalState; forced: boolean };
  /** First abort: finish steps in flight, start nothing new. */
  stopSignal?: AbortSignal;
  /** Second abort: kill the commands in flight. */
  killSignal?: AbortSignal;
  /** `rolling.pause: confirm`: asked before each batch after the first; false stops the run. */
  confirm?: (batch: number, hosts: string[]) => Promise<boolean>;
}

export interface RunResult {
  summary: RunSummaryEvent;
  state: RunJournalState;
}

/**
 * Journal first (fsync'd), then the subscribers; the live state folds every event too. Secret
 * values are replaced before any of them sees an event, but in undo records, which rollback
 * needs whole (the journal is readable by its owner only).
 */
class EventSink {
  state: RunJournalState | undefined;
  constructor(
    private readonly journal: Journal,
    private readonly listeners: EventListener[],
    private readonly secrets: SecretValues,
  ) {}
  emit(input: EventInput): RunEvent {
    const event = this.secrets.redactData({ ts: new Date().toISOString(), ...input } as RunEvent, ['undo']);
    this.journal.append(event);
    if (event.type === 'run.start') this.state = initialState(event);
    if (this.state) applyEvent(this.state, event);
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        /* a UI problem never stops a run */
      }
    }
    return event;
  }
}

const FAILED: readonly NodeOutcome[] = ['failed', 'unreachable', 'rolled-back', 'rollback-failed'];

export function exitCodeFor(statuses: readonly NodeOutcome[], interrupted: boolean): ExitCode {
  if (statuses.includes('rollback-failed')) return EXIT.rollbackFailed;
  if (statuses.includes('unreachable')) return EXIT.unreachable;
  if (statuses.includes('failed') || statuses.includes('rolled-back')) return EXIT.stepFailed;
  if (interrupted || statuses.includes('interrupted')) return EXIT.interrupted;
  if (statuses.includes('pending')) return EXIT.stepFailed;
  return EXIT.ok;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}

export async function runPlaybook(options: RunOptions): Promise<RunResult> {
  const { playbook } = options;
  const sink = new EventSink(options.journal, options.listeners, options.secrets ?? processSecrets);
  const resolver = new RemoteResolver(options.inventory, options.ssh);
  const batches = planBatches(options.hosts, playbook.rolling);
  const budget = failureBudget(playbook.rolling.maxFailed, options.hosts.length);
  const policy = playbook.rolling.onFailure;
  const counts = new Map<string, Counts>(options.hosts.map((h) => [h.name, { ok: 0, changed: 0, skipped: 0, failed: 0 }]));
  const killSignal = options.killSignal ?? new AbortController().signal;
  let failedNodes = 0;
  let stopReason: string | undefined;

  if (options.resume) {
    // Fold the earlier passes in, then announce the resume in the same journal.
    sink.state = options.resume.state;
    const done: Record<string, string[]> = {};
    for (const [host, n] of options.resume.state.nodes) if (n.done.size) done[host] = [...n.done];
    sink.emit({
      type: 'run.resume',
      runId: options.runId,
      done,
      forced: options.resume.forced,
      hosts: options.hosts.map((h) => h.name),
      batches,
      steps: playbook.steps.map((s) => ({ id: s.id, name: s.name, uses: s.uses })),
    });
  } else {
    sink.emit({
      type: 'run.start',
      runId: options.runId,
      inputs: options.inputs,
      playbook: playbook.file,
      playbookName: playbook.name,
      inventory: options.inventory.file,
      hosts: options.hosts.map((h) => h.name),
      batches,
      steps: playbook.steps.map((s) => ({ id: s.id, name: s.name, uses: s.uses })),
      playbookHash: playbook.contentHash,
      inventoryHash: options.inventoryHash,
    });
  }
  const state = sink.state as RunJournalState;
  const doneBefore = new Map<string, Set<string>>(
    [...state.nodes].map(([host, n]) => [host, new Set(n.done)]),
  );

  const stopRequested = () => stopReason !== undefined || options.stopSignal?.aborted === true;
  const noteFailure = (host: string) => {
    failedNodes++;
    if (policy === 'stop') stopReason ??= `node ${host} failed (onFailure: stop)`;
    else if (failedNodes > budget) stopReason ??= `failure budget exceeded: ${failedNodes} node(s) failed, maxFailed allows ${budget}`;
  };

  const lane = async (node: InventoryHost): Promise<void> => {
    const c = counts.get(node.name) as Counts;
    sink.emit({ type: 'node.start', host: node.name });
    const vars = varsFor(playbook, node, options.extraVars);
    const readFacts = (probes: ReadonlySet<FactProbe>) => probeNodeFacts(resolver.node(node), { signal: killSignal, timeoutMs: 60_000 }, probes);
    const done = doneBefore.get(node.name) ?? new Set<string>();
    let status: NodeOutcome = 'done';
    let nodeError: string | undefined;
    let failure: StepFailure | undefined;
    // `preflight: true` steps are checked first, before the node's first step: one whose check
    // says it would fail stops the node untouched. Steps done in an earlier pass are not.
    const preflights = playbook.steps.flatMap((step, index) => (step.preflight && !done.has(step.id) ? [{ step, index, preflight: true }] : []));
    const sequence = [...preflights, ...playbook.steps.map((step, index) => ({ step, index, preflight: false }))];
    for (const { step, index, preflight } of sequence) {
      if (stopRequested()) {
        status = options.stopSignal?.aborted ? 'interrupted' : 'pending';
        nodeError = options.stopSignal?.aborted ? 'stopped by the operator' : stopReason;
        break;
      }
      const started = Date.now();
      let via: string | undefined;
      try {
        const remote = await resolver.forStep(step.on, node);
        if (remote.host !== node.name) via = remote.host;
        const type = stepType(step);
        const params = () => resolveStepParams(step, playbook, node, options.extraVars);
        if (preflight) {
          if (await whenSkipReason(step, vars, readFacts)) continue;
          const check = await checkStep({ step, type, params: params(), node, remote, signal: killSignal });
          if (check.status === 'fail') throw new CheckRefused(`preflight, before the node's first step: ${check.reason}`);
          continue;
        }
        if (done.has(step.id)) {
          // Done in an earlier pass: re-check, never apply again.
          const check = await checkStep({ step, type, params: params(), node, remote, signal: killSignal });
          const now = check.status === 'change' ? check.summary : check.status === 'fail' ? `it would fail: ${check.reason}` : '';
          const summary = check.status === 'ok' ? check.summary : check.status === 'skip' ? check.reason : `done earlier in this run; check now says: ${now}`;
          c[check.status === 'ok' ? 'ok' : 'skipped']++;
          sink.emit({ type: 'step.done', host: node.name, step: step.id, index, status: check.status === 'ok' ? 'ok' : 'skipped', summary, durationMs: Date.now() - started, attempts: 0, resumed: true });
          continue;
        }
        sink.emit({ type: 'step.start', host: node.name, step: step.id, index, ...(via ? { via } : {}) });
        // Facts are re-read before each step that depends on them: earlier steps change them.
        const reason = await whenSkipReason(step, vars, readFacts);
        if (reason) {
          c.skipped++;
          sink.emit({ type: 'step.done', host: node.name, step: step.id, index, status: 'skipped', summary: reason, durationMs: Date.now() - started, attempts: 0 });
          continue;
        }
        const outcome = await applyStep({
          step,
          type,
          params: params(),
          node,
          remote,
          signal: killSignal,
          onRetry: (attempt, err) =>
            sink.emit({ type: 'step.retry', host: node.name, step: step.id, index, attempt, error: errorText(err) }),
        });
        c[outcome.status === 'changed' ? 'changed' : outcome.status === 'ok' ? 'ok' : 'skipped']++;
        sink.emit({
          type: 'step.done',
          host: node.name,
          step: step.id,
          index,
          status: outcome.status,
          summary: outcome.summary,
          ...(outcome.diff !== undefined ? { diff: outcome.diff } : {}),
          ...(outcome.undo !== undefined ? { undo: outcome.undo } : {}),
          durationMs: Date.now() - started,
          attempts: outcome.attempts,
          ...(step.checkpoint ? { checkpoint: true } : {}),
        });
      } catch (err) {
        const kind = err instanceof StepFailure ? err.kind : classify(err);
        failure = err instanceof StepFailure ? err : new StepFailure(errorText(err), kind, 1, err);
        c.failed++;
        nodeError = `step '${step.id}': ${errorText(err)}`;
        sink.emit({ type: 'step.failed', host: node.name, step: step.id, index, kind, error: errorText(err), durationMs: Date.now() - started, attempts: failure.attempts });
        status = kind === 'transport' ? 'unreachable' : kind === 'interrupted' ? 'interrupted' : 'failed';
        break;
      }
    }
    if (failure && (status === 'failed' || status === 'unreachable') && policy === 'rollback') {
      const n = state.nodes.get(node.name);
      const changes = n ? changesToUndo(n, { to: 'checkpoint' }) : [];
      if (status === 'unreachable') {
        if (changes.length) nodeError = `${nodeError}; needs rollback of ${changes.map((x) => x.step).join(', ')} when it is back: slipway rollback ${options.runId} --limit ${node.name}`;
      } else if (changes.length) {
        // No rollback point reached yet: the last rollback point is the state before the run.
        const to = n && n.lastCheckpoint >= 0 ? 'checkpoint' : 'start';
        status = await rollbackNode(
          { playbook, node, extraVars: options.extraVars, resolver, emit: (e) => sink.emit(e), signal: killSignal },
          changes,
          { to },
          nodeError ?? 'step failed',
        );
      } else {
        status = 'rolled-back'; // nothing applied after the last rollback point: already there
      }
    }
    sink.emit({ type: 'node.end', host: node.name, status, ...(nodeError ? { error: nodeError } : {}) });
    if (FAILED.includes(status)) noteFailure(node.name);
  };

  try {
    for (const [i, batch] of batches.entries()) {
      if (stopRequested()) break;
      if (i > 0 && playbook.rolling.pause !== 0) {
        sink.emit({ type: 'batch.pause', batch: i + 1, pause: playbook.rolling.pause });
        if (playbook.rolling.pause === 'confirm') {
          const go = options.confirm ? await options.confirm(i + 1, batch) : false;
          if (!go) {
            stopReason = `the operator did not confirm batch ${i + 1}`;
            break;
          }
        } else {
          await sleep(playbook.rolling.pause * 1000, options.stopSignal);
          if (stopRequested()) break;
        }
      }
      sink.emit({ type: 'batch.start', batch: i + 1, hosts: batch });
      await Promise.all(batch.map((name) => lane(options.hosts.find((h) => h.name === name) as InventoryHost)));
      sink.emit({ type: 'batch.end', batch: i + 1 });
    }
  } finally {
    await resolver.close();
  }

  const total: Counts = { ok: 0, changed: 0, skipped: 0, failed: 0 };
  const nodes: RunSummaryEvent['nodes'] = {};
  for (const host of options.hosts.map((h) => h.name)) {
    const c = counts.get(host) as Counts;
    const status = state.nodes.get(host)?.status ?? 'pending';
    // A node this pass never reached keeps the status the journal gave it, but is not done.
    const reached = c.ok + c.changed + c.skipped + c.failed > 0;
    nodes[host] = { ...c, status: reached ? status : status === 'done' ? 'done' : 'pending' };
    total.ok += c.ok;
    total.changed += c.changed;
    total.skipped += c.skipped;
    total.failed += c.failed;
  }
  const statuses = Object.values(nodes).map((n) => n.status);
  const interrupted = options.stopSignal?.aborted === true;
  const exitCode = exitCodeFor(statuses, interrupted);
  const summary = sink.emit({
    type: 'run.summary',
    runId: options.runId,
    status: exitCode === EXIT.ok ? 'succeeded' : interrupted ? 'interrupted' : 'failed',
    exitCode,
    total,
    nodes,
    ...(stopReason ? { stopped: stopReason } : {}),
  }) as RunSummaryEvent;
  return { summary, state };
}

// ---------------------------------------------------------------------------------- rollback

export interface RollbackOptions {
  playbook: Playbook;
  inventory: Inventory;
  hosts: InventoryHost[];
  extraVars: Record<string, unknown>;
  ssh: SshOptions;
  journal: Journal;
  state: RunJournalState;
  to: 'checkpoint' | 'start';
  listeners: EventListener[];
  secrets?: SecretValues;
}

export interface RollbackResult {
  nodes: Record<string, 'rolled-back' | 'rollback-failed' | 'nothing to undo'>;
  exitCode: ExitCode;
}

/** `slipway rollback`: undo the journaled changes of the given nodes, newest first. */
export async function rollbackRun(options: RollbackOptions): Promise<RollbackResult> {
  const sink = new EventSink(options.journal, options.listeners, options.secrets ?? processSecrets);
  sink.state = options.state;
  const resolver = new RemoteResolver(options.inventory, options.ssh);
  const never = new AbortController().signal;
  const nodes: RollbackResult['nodes'] = {};
  try {
    await Promise.all(
      options.hosts.map(async (node) => {
        const n = options.state.nodes.get(node.name);
        const changes = n ? changesToUndo(n, { to: options.to }) : [];
        if (changes.length === 0) {
          nodes[node.name] = 'nothing to undo';
          return;
        }
        nodes[node.name] = await rollbackNode(
          { playbook: options.playbook, node, extraVars: options.extraVars, resolver, emit: (e) => sink.emit(e), signal: never },
          changes,
          { to: options.to },
          'slipway rollback',
        );
      }),
    );
  } finally {
    await resolver.close();
  }
  const failed = Object.values(nodes).includes('rollback-failed');
  return { nodes, exitCode: failed ? EXIT.rollbackFailed : EXIT.ok };
}
