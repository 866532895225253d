/** How a run ended: each node's outcome and counts, the run's status and exit code. Pure. */
import { EXIT, type ExitCode } from '../errors.js';
import type { Counts, NodeOutcome, RunSummaryEvent } from './events.js';
import { cordonedNodes, type RunJournalState } from './journal-state.js';

/** Outcomes that count against the failure budget. */
export const FAILED_OUTCOMES: readonly NodeOutcome[] = ['failed', 'unreachable', 'rolled-back', 'rollback-failed'];

/** When several apply, the first wins: a failed rollback, an unreachable host, a failed step, an interrupt, nodes not done. */
/** Nodes skipped by the operator (`resume --skip`) count for nothing. */
export function exitCodeFor(statuses: readonly NodeOutcome[], interrupted: boolean): ExitCode {
  if (statuses.includes('rollback-failed')) return EXIT.rollbackFailed;
  if (statuses.includes('unreachable')) return EXIT.unreachable;
  if (statuses.includes('failed') || statuses.includes('rolled-back')) return EXIT.stepFailed;
  if (interrupted || statuses.includes('interrupted')) return EXIT.interrupted;
  if (statuses.includes('pending')) return EXIT.stepFailed;
  return EXIT.ok;
}

export const emptyCounts = (): Counts => ({ ok: 0, changed: 0, skipped: 0, failed: 0 });

export function summarize(input: {
  runId: string;
  hosts: readonly string[];
  counts: ReadonlyMap<string, Counts>;
  state: RunJournalState;
  interrupted: boolean;
  stopReason: string | undefined;
  /** The hosts this pass ran (a resume with --limit or --skip runs fewer): the others keep the status the journal gives them. */
  thisPass?: ReadonlySet<string>;
}): Omit<RunSummaryEvent, 'ts'> {
  const total = emptyCounts();
  const nodes: RunSummaryEvent['nodes'] = {};
  for (const host of input.hosts) {
    const c = input.counts.get(host) ?? emptyCounts();
    const status = input.state.nodes.get(host)?.status ?? 'pending';
    // A node this pass never reached keeps the status the journal gave it, but is not done;
    // one outside this pass (resume --limit, --skip) keeps its status as it is.
    const reached = c.ok + c.changed + c.skipped + c.failed > 0;
    const outside = input.thisPass !== undefined && !input.thisPass.has(host);
    nodes[host] = { ...c, status: reached || outside ? status : status === 'done' ? 'done' : 'pending' };
    total.ok += c.ok;
    total.changed += c.changed;
    total.skipped += c.skipped;
    total.failed += c.failed;
  }
  const cordoned = cordonedNodes(input.state);
  const exitCode = exitCodeFor(Object.values(nodes).map((n) => n.status), input.interrupted);
  return {
    type: 'run.summary',
    runId: input.runId,
    status: exitCode === EXIT.ok ? 'succeeded' : input.interrupted ? 'interrupted' : 'failed',
    exitCode,
    total,
    nodes,
    ...(input.stopReason ? { stopped: input.stopReason } : {}),
    ...(Object.keys(cordoned).length ? { cordoned } : {}),
  };
}
