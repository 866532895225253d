/** The nodes a run leaves cordoned, in words: for the run's closing summary and `slipway runs RUN_ID`. */
import type { CordonState } from '../steps/types.js';

/** Who cordoned a node a run leaves cordoned. */
export function cordonOwnerText(runId: string, c: CordonState): string {
  if (!c.by) return 'cordoned before this run, not by slipway';
  return c.by === runId ? 'cordoned by this run' : `cordoned by slipway run ${c.by}`;
}

/** One line per node left cordoned, with what to do about it; none when there are none. */
export function cordonedLines(runId: string, cordoned: Readonly<Record<string, CordonState>> | undefined): string[] {
  const entries = Object.entries(cordoned ?? {});
  if (entries.length === 0) return [];
  return [
    'left cordoned:',
    ...entries.map(([host, c]) => {
      const name = c.node === host ? host : `${host} (Node ${c.node})`;
      // Someone else's cordon is theirs to lift; slipway's is lifted by finishing or undoing its run.
      const hint = !c.by ? '' : c.by === runId ? `: slipway resume ${runId} or slipway rollback ${runId} uncordons it` : `: slipway rollback ${c.by} uncordons it`;
      return `  ${name}: ${cordonOwnerText(runId, c)}${hint}`;
    }),
  ];
}
