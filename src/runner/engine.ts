/**
 * The engine: plan (read-only, every step checked on every node) and run (rolling batches,
 * one lane a node, steps in order, every change journaled before and after it happens).
 * It emits events and never prints.
 */
import { EXIT, type ExitCode } from '../errors.js';
import { probeNodeFacts, type NodeFacts } from '../facts/node.js';
import type { Inventory, InventoryHost } from '../inventory/types.js';
import { evaluateCondition } from '../playbook/condition.js';
import type { Playbook, StepSpec } from '../playbook/types.js';
import { resolveStepParams, varsFor } from '../playbook/vars.js';
import { getStepType } from '../steps/registry.js';
import type { AnyStepType, CheckResult } from '../steps/types.js';
import type { SshOptions } from '../transport/ssh.js';
import { failureBudget, planBatches } from './batches.js';
import type { Counts, EventInput, EventListener, NodeOutcome, RunEvent, RunSummaryEvent } from './events.js';
import { Journal } from './journal.js';
import { RemoteResolver } from './remotes.js';
import { applyStep, checkStep, classify, StepFailure } from './step-exec.js';

export interface EngineInput {
  playbook: Playbook;
  inventory: Inventory;
  /** Hosts selected by the playbook's `hosts:` and `--limit`, in inventory order. */
  hosts: InventoryHost[];
  extraVars: Record<string, unknown>;
  ssh: SshOptions;
  /** Nodes checked at once during plan. */
  planConcurrency?: number;
}

// ---------------------------------------------------------------------------------- plan

export type PlannedStep =
  | { id: string; name: string; uses: string; via?: string; status: 'ok'; summary: string }
  | { id: string; name: string; uses: string; via?: string; status: 'change'; summary: string; diff?: string }
  | { id: string; name: string; uses: string; via?: string; status: 'skip'; reason: string }
  | { id: string; name: string; uses: string; via?: string; status: 'error'; error: string };

export interface NodePlan {
  host: string;
  reachable: boolean;
  error?: string;
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
  readFacts: () => Promise<NodeFacts>,
): Promise<string | undefined> {
  if (!step.when) return undefined;
  const facts = await readFacts();
  const verdict = evaluateCondition(step.when, facts, vars);
  return verdict.result ? undefined : `when: ${verdict.reason}`;
}

export async function computePlan(input: EngineInput): Promise<Plan> {
  const resolver = new RemoteResolver(input.inventory, input.ssh);
  const never = new AbortController().signal;
  try {
    const nodes = await mapLimit(input.hosts, input.planConcurrency ?? 16, async (node): Promise<NodePlan> => {
      const plan: NodePlan = { host: node.name, reachable: true, steps: [] };
      try {
        await resolver.connect(node);
      } catch (err) {
        return { host: node.name, reachable: false, error: errorText(err), steps: [] };
      }
      const vars = varsFor(input.playbook, node, input.extraVars);
      let facts: NodeFacts | undefined;
      const readFacts = async () => (facts ??= await probeNodeFacts(resolver.node(node)));
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
          else plan.steps.push({ ...withVia, status: 'change', summary: check.summary, ...(check.diff ? { diff: check.diff } : {}) });
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
    });
    return {
      playbook: input.playbook.file,
      playbookName: input.playbook.name,
      batches: planBatches(input.hosts, input.playbook.rolling),
      nodes,
    };
  } finally {
    await resolver.close();
  }
}

export function planExitCode(plan: Plan): ExitCode {
  if (plan.nodes.some((n) => !n.reachable)) return EXIT.unreachable;
  if (plan.nodes.some((n) => n.steps.some((s) => s.status === 'error'))) return EXIT.stepFailed;
  return EXIT.ok;
}

// ---------------------------------------------------------------------------------- run

export interface RunOptions extends EngineInput {
  runId: string;
  journal: Journal;
  /** Identity of the inputs, recorded for resume. */
  inventoryHash: string;
  listeners: EventListener[];
  /** First abort: finish steps in flight, start nothing new. */
  stopSignal?: AbortSignal;
  /** Second abort: kill the commands in flight. */
  killSignal?: AbortSignal;
}

export interface RunResult {
  summary: RunSummaryEvent;
}

class EventSink {
  constructor(
    private readonly journal: Journal,
    private readonly listeners: EventListener[],
  ) {}
  emit(input: EventInput): RunEvent {
    const event = { ts: new Date().toISOString(), ...input } as RunEvent;
    // Journal first (fsync'd), then tell the subscribers.
    this.journal.append(event);
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

export async function runPlaybook(options: RunOptions): Promise<RunResult> {
  const { playbook } = options;
  const sink = new EventSink(options.journal, options.listeners);
  const resolver = new RemoteResolver(options.inventory, options.ssh);
  const batches = planBatches(options.hosts, playbook.rolling);
  const budget = failureBudget(playbook.rolling.maxFailed, options.hosts.length);
  const counts = new Map<string, Counts & { status: NodeOutcome }>(
    options.hosts.map((h) => [h.name, { ok: 0, changed: 0, skipped: 0, failed: 0, status: 'pending' as NodeOutcome }]),
  );
  const killSignal = options.killSignal ?? new AbortController().signal;
  let failedNodes = 0;
  let budgetExceeded = false;

  sink.emit({
    type: 'run.start',
    runId: options.runId,
    playbook: playbook.file,
    playbookName: playbook.name,
    inventory: options.inventory.file,
    hosts: options.hosts.map((h) => h.name),
    batches,
    steps: playbook.steps.map((s) => ({ id: s.id, name: s.name, uses: s.uses })),
    playbookHash: playbook.contentHash,
    inventoryHash: options.inventoryHash,
  });

  const stopRequested = () => budgetExceeded || options.stopSignal?.aborted === true;

  const lane = async (node: InventoryHost): Promise<void> => {
    const c = counts.get(node.name) as Counts & { status: NodeOutcome };
    sink.emit({ type: 'node.start', host: node.name });
    const vars = varsFor(playbook, node, options.extraVars);
    const readFacts = () => probeNodeFacts(resolver.node(node), { signal: killSignal, timeoutMs: 60_000 });
    let status: NodeOutcome = 'done';
    let nodeError: string | undefined;
    for (const [index, step] of playbook.steps.entries()) {
      if (stopRequested()) {
        status = options.stopSignal?.aborted ? 'interrupted' : 'pending';
        break;
      }
      const started = Date.now();
      let via: string | undefined;
      try {
        const remote = await resolver.forStep(step.on, node);
        if (remote.host !== node.name) via = remote.host;
        sink.emit({ type: 'step.start', host: node.name, step: step.id, index, ...(via ? { via } : {}) });
        // Facts are re-read before each step that depends on them: earlier steps change them.
        const reason = await whenSkipReason(step, vars, readFacts);
        if (reason) {
          c.skipped++;
          sink.emit({ type: 'step.done', host: node.name, step: step.id, index, status: 'skipped', summary: reason, durationMs: Date.now() - started, attempts: 0 });
          continue;
        }
        const params = resolveStepParams(step, playbook, node, options.extraVars);
        const outcome = await applyStep({
          step,
          type: stepType(step),
          params,
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
        });
      } catch (err) {
        const kind = err instanceof StepFailure ? err.kind : classify(err);
        const attempts = err instanceof StepFailure ? err.attempts : 1;
        c.failed++;
        nodeError = `step '${step.id}': ${errorText(err)}`;
        sink.emit({ type: 'step.failed', host: node.name, step: step.id, index, kind, error: errorText(err), durationMs: Date.now() - started, attempts });
        status = kind === 'transport' ? 'unreachable' : kind === 'interrupted' ? 'interrupted' : 'failed';
        break;
      }
    }
    c.status = status;
    if (status === 'failed' || status === 'unreachable') {
      failedNodes++;
      if (failedNodes > budget) budgetExceeded = true;
    }
    sink.emit({ type: 'node.end', host: node.name, status, ...(nodeError ? { error: nodeError } : {}) });
  };

  try {
    for (const [i, batch] of batches.entries()) {
      if (stopRequested()) break;
      sink.emit({ type: 'batch.start', batch: i + 1, hosts: batch });
      await Promise.all(batch.map((name) => lane(options.hosts.find((h) => h.name === name) as InventoryHost)));
      sink.emit({ type: 'batch.end', batch: i + 1 });
    }
  } finally {
    await resolver.close();
  }

  const total: Counts = { ok: 0, changed: 0, skipped: 0, failed: 0 };
  const nodes: RunSummaryEvent['nodes'] = {};
  for (const [name, c] of counts) {
    nodes[name] = { ...c };
    total.ok += c.ok;
    total.changed += c.changed;
    total.skipped += c.skipped;
    total.failed += c.failed;
  }
  const statuses = [...counts.values()].map((c) => c.status);
  const interrupted = options.stopSignal?.aborted === true;
  const exitCode: ExitCode = statuses.includes('unreachable')
    ? EXIT.unreachable
    : statuses.includes('failed')
      ? EXIT.stepFailed
      : interrupted
        ? EXIT.interrupted
        : statuses.includes('pending')
          ? EXIT.stepFailed
          : EXIT.ok;
  const summary = sink.emit({
    type: 'run.summary',
    runId: options.runId,
    status: exitCode === EXIT.ok ? 'succeeded' : interrupted ? 'interrupted' : 'failed',
    exitCode,
    total,
    nodes,
  }) as RunSummaryEvent;
  return { summary };
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i] as T);
      }
    }),
  );
  return out;
}
