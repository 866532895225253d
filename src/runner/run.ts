/**
 * `run` and `resume`: the rolling policy over the nodes, each node's lane in apply mode, every
 * event journaled, and the summary. The runner emits events and never prints.
 */
import type { InventoryHost } from '../inventory/types.js';
import { stepTitle } from '../playbook/vars.js';
import { getStepType } from '../steps/registry.js';
import { failureBudget, planBatches } from './batches.js';
import { EventSink, type EventJournal } from './event-sink.js';
import type { Counts, EventListener, RunInputs, RunOperator, RunSummaryEvent } from './events.js';
import type { Journal } from './journal.js';
import type { RunJournalState } from './journal-state.js';
import { applyLane } from './lane-apply.js';
import { sharedSignal, withLaneSignal } from './lane.js';
import { defaultFactsReader, type EngineInput } from './plan.js';
import { processSecrets } from './redact.js';
import { RemoteResolver } from './remotes.js';
import { RollingControl } from './rolling.js';
import { windowLimits } from './window.js';
import { emptyCounts, summarize } from './summary.js';

export interface RunOptions extends EngineInput {
  runId: string;
  journal: Journal | EventJournal;
  /** What the run was started with (recorded in run.start for resume and rollback). */
  inputs: RunInputs;
  /** Identity of the inputs, recorded for resume. */
  inventoryHash: string;
  listeners: EventListener[];
  /**
   * Continue an earlier run: its journal state (steps done there are re-checked, not redone).
   * `hosts` are then the nodes this pass runs; `skip`, nodes the operator gives up on now
   * (journaled as node.skipped with `skipReason`).
   */
  resume?: { state: RunJournalState; forced: boolean; skip?: string[]; skipReason?: string };
  /** First abort: finish steps in flight, start nothing new. */
  stopSignal?: AbortSignal;
  /** Second abort: kill the commands in flight. */
  killSignal?: AbortSignal;
  /** `rolling.pause: confirm`: asked before each batch after the first; false stops the run. */
  confirm?: (batch: number, hosts: string[]) => Promise<boolean>;
  /** Who started this pass, and from where (recorded in run.start / run.resume). */
  operator?: RunOperator;
  /** Waits between batches (`rolling.pause`); tests pass a fake clock. */
  sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
}

export interface RunResult {
  summary: RunSummaryEvent;
  state: RunJournalState;
}

export async function runPlaybook(options: RunOptions): Promise<RunResult> {
  const { playbook } = options;
  const sink = new EventSink(options.journal, options.listeners, options.secrets ?? processSecrets);
  const resolver = new RemoteResolver(options.inventory, options.remotes);
  const batches = planBatches(options.hosts, playbook.rolling);
  // The window is over the nodes after the serialFirst ones (those go one at a time first);
  // read before the run starts (a node label limit asks kubectl), so a failure journals nothing.
  const window = await windowLimits(playbook.rolling, options.hosts, resolver).catch(async (err: unknown) => {
    await resolver.close();
    throw err;
  });
  const budget = { maxFailed: failureBudget(playbook.rolling.maxFailed, options.hosts.length), onFailure: playbook.rolling.onFailure };
  const who = { ...(options.operator ? { operator: options.operator } : {}), budget };
  const shape = { hosts: options.hosts.map((h) => h.name), batches, ...(window ? { window: window.max } : {}), steps: playbook.steps.map((s) => ({ id: s.id, name: stepTitle(s, playbook, undefined, options.extraVars), uses: s.uses })) };
  if (options.resume) {
    // Fold the earlier passes in, then announce the resume in the same journal.
    sink.state = options.resume.state;
    const done: Record<string, string[]> = {};
    for (const [host, n] of options.resume.state.nodes) if (n.done.size) done[host] = [...n.done];
    sink.emit({ type: 'run.resume', runId: options.runId, done, forced: options.resume.forced, ...who, ...shape });
    for (const host of options.resume.skip ?? []) sink.emit({ type: 'node.skipped', host, reason: options.resume.skipReason ?? 'skipped by the operator' });
  } else {
    sink.emit({
      type: 'run.start',
      runId: options.runId,
      inputs: options.inputs,
      ...who,
      playbook: playbook.file,
      playbookName: playbook.name,
      inventory: options.inventory.file,
      ...shape,
      playbookHash: playbook.contentHash,
      inventoryHash: options.inventoryHash,
    });
  }
  const state = sink.state as RunJournalState;
  const doneBefore = new Map([...state.nodes].map(([host, n]) => [host, new Set(n.done)]));
  const counts = new Map<string, Counts>(options.hosts.map((h) => [h.name, emptyCounts()]));
  const killSignal = sharedSignal(options.killSignal);
  const rolling = new RollingControl(playbook.rolling, options.hosts.length, {
    emit: (e) => sink.emit(e),
    ...(options.confirm ? { confirm: options.confirm } : {}),
    ...(options.stopSignal ? { stopSignal: options.stopSignal } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
  });
  const byName = new Map(options.hosts.map((h) => [h.name, h]));
  const stop = () => {
    if (rolling.interrupted) return { outcome: 'interrupted' as const, why: rolling.interruptReason ?? 'stopped by the operator' };
    return rolling.stopReason ? { outcome: 'pending' as const, why: rolling.stopReason } : undefined;
  };

  try {
    await rolling.runBatches(batches, async (name) => {
      const node = byName.get(name) as InventoryHost;
      const status = await withLaneSignal(killSignal, (laneKill) =>
        applyLane(
          {
            playbook,
            node,
            extraVars: options.extraVars,
            resolver,
            stepTypes: options.stepTypes ?? getStepType,
            readFacts: options.readFacts ?? defaultFactsReader,
            killSignal: laneKill,
          },
          {
            runId: options.runId,
            emit: (e) => sink.emit(e),
            durable: () => sink.durable(),
            counts: counts.get(name) as Counts,
            done: doneBefore.get(name) ?? new Set(),
            state,
            policy: playbook.rolling.onFailure,
            stop,
          },
        ),
      );
      rolling.noteNodeEnd(name, status);
    }, window);
  } finally {
    await resolver.close();
  }
  const summary = sink.emit(
    summarize({
      runId: options.runId,
      // A resume sums up the whole run, also the nodes it did not run this time.
      hosts: options.resume ? [...new Set([...state.start.hosts, ...shape.hosts])] : shape.hosts,
      counts,
      state,
      interrupted: rolling.interrupted,
      stopReason: rolling.stopReason ?? rolling.interruptReason,
      ...(options.resume ? { thisPass: new Set(shape.hosts) } : {}),
    }),
  ) as RunSummaryEvent;
  await sink.durable();
  return { summary, state };
}
