/** Words every output says the same way: step counts, where a rollback takes a node, an error's first line. */
import type { Counts } from '../runner/events.js';

/** `2 ok, 5 changed, 3 skipped, 1 failed` (without failed when the counts have none: a node's tally). */
export function countsText(c: Pick<Counts, 'ok' | 'changed' | 'skipped'> & { failed?: number }): string {
  return `${c.ok} ok, ${c.changed} changed, ${c.skipped} skipped${c.failed === undefined ? '' : `, ${c.failed} failed`}`;
}

/** Where a rollback takes a node. */
export function rollbackWhere(to: 'checkpoint' | 'start'): string {
  return to === 'start' ? 'the state before the run' : 'its last rollback point';
}

export function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}
