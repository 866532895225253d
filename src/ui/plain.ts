/** Plain lines for logs and non-terminals: one line an event that matters. */
import type { EventListener, RunEvent } from '../runner/events.js';
import { terminalSafeJson } from './terminal-text.js';

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
      return `[${e.host}] rolling back to ${e.to === 'start' ? 'the start' : 'the last checkpoint'}: ${e.steps.join(', ') || 'nothing to undo'} (${e.reason})`;
    case 'rollback.step.done':
      return `[${e.host}] ${e.step} undone`;
    case 'rollback.step.failed':
      return `[${e.host}] ${e.step} ROLLBACK FAILED: ${e.error}`;
    case 'rollback.end':
      return `[${e.host}] ${e.status}`;
    case 'batch.start':
      return `batch ${e.batch}: ${e.hosts.join(', ')}`;
    case 'step.done': {
      const detail = e.summary ? `: ${e.summary}` : '';
      return `[${e.host}] ${e.step} ${MARK[e.status]}${e.resumed ? ' (done before; re-checked)' : ''}${detail}`;
    }
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
      return `run ${e.runId} ${e.status}: ${t.ok} ok, ${t.changed} changed, ${t.skipped} skipped, ${t.failed} failed`;
    }
    default:
      return undefined;
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? '';
}

export function plainListener(write: (line: string) => void): EventListener {
  return (e) => {
    const line = formatPlainEvent(e);
    if (line !== undefined) write(line);
  };
}

/** `--output json`: every event as one JSON line (undo records omitted: they are journal data). */
export function jsonListener(write: (line: string) => void): EventListener {
  return (e) => {
    if (e.type === 'step.done' && 'undo' in e) {
      const { undo: _undo, ...rest } = e;
      void _undo;
      write(terminalSafeJson(rest));
      return;
    }
    write(terminalSafeJson(e));
  };
}
