/** Plain lines for logs and non-terminals: one line an event that matters. */
import type { EventListener, RunEvent } from '../runner/events.js';
import type { CordonState } from '../steps/types.js';
import { cordonOwnerText } from './cordon-report.js';
import { countsText, firstLine, rollbackWhere } from './words.js';
import { terminalSafeJson } from './terminal-text.js';
import { elapsedText, msBetween } from '../time-text.js';

/** The version of the `--output json` event stream (schemas/events.schema.json). */
export const EVENTS_VERSION = 1;

const MARK = { ok: 'ok', changed: 'changed', skipped: 'skipped' } as const;

export function formatPlainEvent(e: RunEvent): string | undefined {
  switch (e.type) {
    case 'run.start':
      return `run ${e.runId}: ${e.playbookName} on ${e.hosts.length} node(s) ${e.window !== undefined ? `at most ${e.window} at a time` : `in ${e.batches.length} batch(es)`}`;
    case 'run.resume': {
      const done = Object.values(e.done).reduce((n, steps) => n + steps.length, 0);
      return `resuming run ${e.runId}: ${e.hosts.length} node(s); ${done} step(s) done before are re-checked, not applied again${e.forced ? ' (--force: inputs changed)' : ''}`;
    }
    case 'batch.pause':
      return e.pause === 'confirm' ? `batch ${e.batch}: waiting for confirmation` : `pausing ${e.pause}s before batch ${e.batch}`;
    case 'rollback.start':
      return `[${e.host}] rolling back to ${rollbackWhere(e.to)}: ${e.steps.join(', ') || 'nothing to undo'} (${e.reason})`;
    case 'rollback.step.done':
      return `[${e.host}] ${e.step} undone`;
    case 'rollback.step.failed':
      return `[${e.host}] ${e.step} ROLLBACK FAILED: ${e.error}`;
    case 'rollback.end':
      return `[${e.host}] ${e.status}`;
    case 'batch.start':
      return `batch ${e.batch}: ${e.hosts.join(', ')}`;
    case 'step.done': {
      const said = e.result ?? e.summary;
      const detail = said ? `: ${said}` : '';
      // A skipped step took no time worth saying; one that ran says how long.
      const took = e.status === 'skipped' || e.resumed ? '' : ` (${elapsedText(e.durationMs)})`;
      return `[${e.host}] ${e.step} ${MARK[e.status]}${e.resumed ? ' (done before; re-checked)' : ''}${detail}${took}`;
    }
    case 'step.wait':
      return `[${e.host}] ${e.step} waiting for ${e.for}`;
    case 'step.retry':
      return `[${e.host}] ${e.step} retrying (attempt ${e.attempt} failed: ${firstLine(e.error)})`;
    case 'step.failed':
      return `[${e.host}] ${e.step} FAILED (${e.kind}): ${e.error}`;
    case 'node.skipped':
      return `[${e.host}] skipped: ${e.reason}`;
    case 'node.end':
      return e.status === 'done' ? undefined : `[${e.host}] node ${e.status}`;
    case 'run.summary': {
      const t = e.total;
      return `run ${e.runId} ${e.status}: ${countsText(t)}`;
    }
    default:
      return undefined;
  }
}


/**
 * Plain lines, with what the tree shows too: each node's time and the run's progress where a
 * node ends, where a rollback took a node and whether it is left cordoned, the run's time.
 */
export function plainListener(write: (line: string) => void): EventListener {
  let runStarted: string | undefined;
  let total = 0;
  const nodeStarted = new Map<string, string>();
  let nodesDone = 0;
  let nodesNotDone = 0;
  const rollbackTo = new Map<string, 'checkpoint' | 'start'>();
  const undone = new Map<string, string[]>();
  const cordon = new Map<string, CordonState>();
  let runId = '';
  return (e) => {
    if (e.type === 'run.start' || e.type === 'run.resume') {
      runStarted = e.ts;
      total = e.hosts.length;
      runId = e.runId;
    }
    if (e.type === 'node.start') nodeStarted.set(e.host, e.ts);
    if ((e.type === 'step.done' || e.type === 'rollback.step.done') && e.cordon) cordon.set(e.host, e.cordon);
    if (e.type === 'rollback.start') rollbackTo.set(e.host, e.to);
    if (e.type === 'rollback.step.done') undone.set(e.host, [...(undone.get(e.host) ?? []), e.step]);
    let line = formatPlainEvent(e);
    if (e.type === 'rollback.end') {
      const where = rollbackWhere(rollbackTo.get(e.host) ?? 'checkpoint');
      const c = cordon.get(e.host);
      const left = c?.cordoned ? `; left ${cordonOwnerText(runId, c)}` : '';
      line = `[${e.host}] ${e.status === 'rolled-back' ? `rolled back to ${where}` : 'ROLLBACK FAILED'}; undid ${undone.get(e.host)?.join(', ') || 'nothing'}${left}`;
    }
    if (e.type === 'node.end') {
      if (e.status === 'done') nodesDone++;
      else nodesNotDone++;
      const since = nodeStarted.get(e.host);
      const progress = total ? ` (${nodesDone}/${total} nodes done${nodesNotDone ? `, ${nodesNotDone} not done` : ''})` : '';
      line = `[${e.host}] node ${e.status}${since ? ` after ${elapsedText(msBetween(since, e.ts))}` : ''}${progress}`;
    }
    if (e.type === 'run.summary' && line !== undefined && runStarted) line += ` (${elapsedText(msBetween(runStarted, e.ts))})`;
    if (line !== undefined) write(line);
  };
}

/**
 * `--output json`: every event as one JSON line with the stream's version `v` (undo records
 * omitted: they are journal data).
 */
export function jsonListener(write: (line: string) => void): EventListener {
  return (e) => {
    if (e.type === 'step.done' && 'undo' in e) {
      const { undo: _undo, ...rest } = e;
      void _undo;
      write(terminalSafeJson({ v: EVENTS_VERSION, ...rest }));
      return;
    }
    write(terminalSafeJson({ v: EVENTS_VERSION, ...e }));
  };
}
