/** `slipway runs [RUN_ID]`: past runs and their outcome; with a run id, that run node by node. */
import { EXIT, InputError } from '../errors.js';
import { cordonedNodes, nodeOutcomes, tallyText } from '../runner/journal-state.js';
import { liveOwnerOf } from '../runner/node-locks.js';
import { redactSecrets } from '../runner/redact.js';
import { listRuns, outcomeText, runStatus } from '../runner/run-store.js';
import { buildRunReport, type NodeReport } from '../report/model.js';
import { cordonedLines } from '../ui/cordon-report.js';
import { formatTable } from '../ui/table.js';
import { countsText, firstLine, rollbackWhere } from '../ui/words.js';
import { elapsedText, shortTime } from '../time-text.js';
import { parse, str, textOrJson } from './args.js';
import { printJson, printOut } from './output.js';
import { openRun } from './reopen.js';


export async function runs(argv: string[]): Promise<number> {
  const { values, positionals, usage } = parse(argv, 'runs');
  const output = textOrJson(str(values, 'output'));
  if (positionals.length > 1) throw new InputError(`expected at most one RUN_ID\n${usage}`);
  if (positionals[0] !== undefined) return runDetail(positionals[0], output);
  const list = await listRuns();
  if (output === 'json') {
    printJson(redactSecrets(list));
    return EXIT.ok;
  }
  if (list.length === 0) {
    printOut('no runs yet');
    return EXIT.ok;
  }
  const rows = list.map((r) => [r.id, r.playbook, shortTime(r.started), elapsedText(r.durationMs), outcomeText(r), tallyText(r.nodes), r.counts ? countsText(r.counts) : '']);
  printOut(formatTable(['RUN', 'PLAYBOOK', 'STARTED', 'TOOK', 'OUTCOME', 'NODES', 'LAST PASS'], rows));
  return EXIT.ok;
}

/** Where a node stands now, from its last step in the journal. */
function whereNow(n: NodeReport, running: boolean): string {
  const last = n.bars.at(-1);
  if (!last) return n.status === 'pending' ? 'not started' : '';
  if (last.status === 'running') return running ? `in ${last.step} since ${shortTime(last.start)}${last.waits.length ? `, waiting for ${last.waits.at(-1)?.for}` : ''}` : `${last.step} started, no end in the journal`;
  const rolled = n.rollbacks.at(-1);
  if (rolled && rolled.start >= (last.end ?? last.start)) return `rolled back to ${rollbackWhere(rolled.to)} (undid ${rolled.steps.filter((s) => s.undone).map((s) => s.step).join(', ') || 'nothing'})`;
  return n.status === 'skipped' ? `left as it is after ${last.step} (${last.status})` : `after ${last.step} (${last.status})`;
}

/** One run: its outcome, each node's, the nodes it leaves cordoned and by whom, what to do next. */
async function runDetail(id: string, output: 'text' | 'json'): Promise<number> {
  const { runId, runDir, state, events } = await openRun(id);
  const owner = await liveOwnerOf(runDir.dir);
  const status = runStatus(state, owner);
  const report = buildRunReport(events, { generated: new Date().toISOString() });
  const total = state.start.steps.length;
  const nodes = report.nodes.map((n) => {
    const s = state.nodes.get(n.host);
    return {
      host: n.host,
      status: n.status,
      ...(n.error ? { error: n.error } : {}),
      stepsDone: s ? [...s.done] : [],
      steps: total,
      durationMs: n.durationMs,
      waitingMs: n.waitingMs,
      now: whereNow(n, owner !== undefined),
      ...(n.cordon ? { cordon: n.cordon } : {}),
    };
  });
  const cordoned = cordonedNodes(state);
  if (output === 'json') {
    printJson(
      redactSecrets({
        id: runId,
        playbook: state.start.playbookName,
        started: report.start,
        ended: report.end,
        durationMs: report.durationMs,
        status,
        ...(owner ? { owner: { command: owner.command, pid: owner.pid } } : {}),
        nodeOutcomes: nodeOutcomes(state),
        nodes,
        cordoned,
        next: report.next,
      }),
    );
    return EXIT.ok;
  }
  const lines = [
    `run ${runId}: ${state.start.playbookName}, started ${shortTime(report.start)}, ${elapsedText(report.durationMs)}: ${outcomeText({ status, ...(owner ? { owner } : {}) })}`,
    formatTable(
      ['NODE', 'OUTCOME', 'STEPS DONE', 'TOOK', 'WAITED', 'NOW', 'ERROR'],
      nodes.map((n) => [n.host, n.status, `${n.stepsDone.length}/${n.steps}`, elapsedText(n.durationMs), n.waitingMs ? elapsedText(n.waitingMs) : '', n.now, firstLine(n.error ?? '')]),
    ),
    ...cordonedLines(runId, cordoned),
  ];
  if (!owner && status !== 'succeeded') lines.push(`resume with: slipway resume ${runId}    roll back with: slipway rollback ${runId}`);
  printOut(lines.join('\n'));
  return EXIT.ok;
}
