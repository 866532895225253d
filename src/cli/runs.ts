/** `slipway runs`: past runs and their outcome. */
import { EXIT } from '../errors.js';
import { redactSecrets } from '../runner/redact.js';
import { listRuns } from '../runner/run-store.js';
import { formatTable } from '../ui/table.js';
import { parse } from './args.js';
import { printJson, printOut } from './output.js';

export async function runs(argv: string[]): Promise<number> {
  const usage = 'usage: slipway runs [--output text|json]';
  const { values } = parse(argv, { output: { type: 'string', default: 'text' } }, usage);
  const list = await listRuns();
  if (values.output === 'json') {
    printJson(redactSecrets(list));
    return EXIT.ok;
  }
  if (list.length === 0) {
    printOut('no runs yet');
    return EXIT.ok;
  }
  const rows = list.map((r) => [r.id, r.playbook, r.started.replace('T', ' ').slice(0, 19), r.status, r.nodes, r.counts]);
  printOut(formatTable(['RUN', 'PLAYBOOK', 'STARTED', 'OUTCOME', 'NODES', 'LAST PASS'], rows));
  return EXIT.ok;
}
