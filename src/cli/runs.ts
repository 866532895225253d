/** `slipway runs [RUN_ID]`: past runs and their outcome; with a run id, that run node by node. */
import { EXIT, InputError } from '../errors.js';
import { cordonedNodes } from '../runner/journal-state.js';
import { liveOwnerOf } from '../runner/node-locks.js';
import { redactSecrets } from '../runner/redact.js';
import { listRuns, runOutcome } from '../runner/run-store.js';
import { cordonedLines } from '../ui/cordon-report.js';
import { formatTable } from '../ui/table.js';
import { parse } from './args.js';
import { printJson, printOut } from './output.js';
import { openRun } from './reopen.js';
import { shortTime } from '../time-text.js';

export async function runs(argv: string[]): Promise<number> {
  const usage = 'usage: slipway runs [RUN_ID] [--output text|json]';
  const { values, positionals } = parse(argv, { output: { type: 'string', default: 'text' } }, usage);
  if (values.output !== 'text' && values.output !== 'json') throw new InputError(`--output must be text or json\n${usage}`);
  if (positionals.length > 1) throw new InputError(`expected at most one RUN_ID\n${usage}`);
  if (positionals[0] !== undefined) return runDetail(positionals[0], values.output);
  const list = await listRuns();
  if (values.output === 'json') {
    printJson(redactSecrets(list));
    return EXIT.ok;
  }
  if (list.length === 0) {
    printOut('no runs yet');
    return EXIT.ok;
  }
  const rows = list.map((r) => [r.id, r.playbook, shortTime(r.started), r.status, r.nodes, r.counts]);
  printOut(formatTable(['RUN', 'PLAYBOOK', 'STARTED', 'OUTCOME', 'NODES', 'LAST PASS'], rows));
  return EXIT.ok;
}

/** One run: its outcome, each node's, the nodes it leaves cordoned and by whom, what to do next. */
async function runDetail(id: string, output: 'text' | 'json'): Promise<number> {
  const { runId, runDir, state } = await openRun(id);
  const owner = await liveOwnerOf(runDir.dir);
  const status = runOutcome(state, owner);
  const nodes = Object.fromEntries(
    [...state.nodes].map(([host, n]) => [host, { status: n.status, ...(n.error ? { error: n.error } : {}), stepsDone: [...n.done], ...(n.cordon ? { cordon: n.cordon } : {}) }]),
  );
  const cordoned = cordonedNodes(state);
  if (output === 'json') {
    printJson(redactSecrets({ id: runId, playbook: state.start.playbookName, started: state.start.ts, status, ...(owner ? { pid: owner.pid } : {}), nodes, cordoned }));
    return EXIT.ok;
  }
  const lines = [
    `run ${runId}: ${state.start.playbookName}, started ${shortTime(state.start.ts)}: ${status}`,
    formatTable(
      ['NODE', 'OUTCOME', 'STEPS DONE', 'ERROR'],
      [...state.nodes].map(([host, n]) => [host, n.status, String(n.done.size), (n.error ?? '').split('\n')[0] ?? '']),
    ),
    ...cordonedLines(runId, cordoned),
  ];
  if (!owner && status !== 'succeeded') lines.push(`resume with: slipway resume ${runId}    roll back with: slipway rollback ${runId}`);
  printOut(lines.join('\n'));
  return EXIT.ok;
}
