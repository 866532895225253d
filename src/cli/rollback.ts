/** `slipway rollback`: take nodes back to their last rollback point (or to the start). */
import { InputError } from '../errors.js';
import { selectHosts } from '../inventory/load.js';
import { rollbackRun } from '../runner/rollback-run.js';
import { sshRemotes } from '../transport/ssh.js';
import { Journal } from '../runner/journal.js';
import { currentOwner, NodeLocks, refuseIfRunning } from '../runner/node-locks.js';
import { stateDir } from '../runner/run-store.js';
import { jsonListener, plainListener } from '../ui/plain.js';
import { terminalSafeData } from '../ui/terminal-text.js';
import { connectionOptions, extraVarsOf, parse, sshOptionsOf } from './args.js';
import { becomePassword } from './become.js';
import { printOut } from './output.js';
import { writeReportOrSay } from './run.js';
import { openRun, reloadInputs } from './reopen.js';

export async function rollback(argv: string[]): Promise<number> {
  const usage = 'usage: slipway rollback RUN_ID [--limit NODES] [--to start] [--force] [-e KEY=VALUE] [--output plain|json]';
  const { values, positionals } = parse(
    argv,
    {
      limit: connectionOptions.limit,
      to: { type: 'string', default: 'checkpoint' },
      extra: connectionOptions.extra,
      force: { type: 'boolean' },
      output: { type: 'string', default: 'plain' },
      'accept-new-host-keys': connectionOptions['accept-new-host-keys'],
      'ask-become-pass': connectionOptions['ask-become-pass'],
    },
    usage,
  );
  if (positionals.length !== 1) throw new InputError(`expected one RUN_ID\n${usage}`);
  if (values.to !== 'checkpoint' && values.to !== 'start') throw new InputError(`--to must be checkpoint or start (found '${values.to}')\n${usage}`);
  if (values.output !== 'plain' && values.output !== 'json') throw new InputError(`--output must be plain or json (found '${values.output}')\n${usage}`);
  const { runId, runDir, state } = await openRun(positionals[0]);
  await refuseIfRunning(runId, runDir.dir, 'roll back');
  const { loaded, extraVars } = await reloadInputs(state, extraVarsOf(values.extra, usage), values.force === true, runId);
  const runHosts = new Set(state.start.hosts);
  const hosts = (values.limit ? selectHosts(loaded.inventory, state.start.hosts, values.limit) : loaded.hosts).filter((h) => runHosts.has(h.name));
  const sudoPassword = await becomePassword(hosts, values['ask-become-pass'] === true);
  const locks = await NodeLocks.acquire(stateDir(), currentOwner(runId, 'rollback'), hosts);
  const journal = new Journal(runDir.journalFile);
  const listener =
    values.output === 'json' ? jsonListener((line) => process.stdout.write(`${line}\n`)) : plainListener((line) => printOut(line));
  try {
    await locks.recordOwner(runDir.dir);
    const result = await rollbackRun({
      playbook: loaded.playbook,
      inventory: loaded.inventory,
      hosts,
      extraVars,
      remotes: sshRemotes(sshOptionsOf(values, sudoPassword)),
      journal,
      state,
      to: values.to,
      listeners: [values.output === 'json' ? listener : (e) => listener(terminalSafeData(e))],
    });
    const report = await writeReportOrSay(runDir);
    if (values.output === 'plain') {
      for (const [host, outcome] of Object.entries(result.nodes)) printOut(`${host}: ${outcome}`);
      if (report) printOut(`report: ${report}`);
    }
    return result.exitCode;
  } finally {
    journal.close();
    await locks.release();
  }
}
