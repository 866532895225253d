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
import { extraVarsOf, flag, list, parse, sshOptionsOf, str, textOrJson } from './args.js';
import { becomePassword } from './become.js';
import { printOut } from './output.js';
import { writeReportOrSay } from './run.js';
import { openRun, reloadInputs } from './reopen.js';

export async function rollback(argv: string[]): Promise<number> {
  const { values, positionals, usage } = parse(argv, 'rollback');
  if (positionals.length !== 1) throw new InputError(`expected one RUN_ID\n${usage}`);
  const to = str(values, 'to') === 'start' ? 'start' : 'checkpoint';
  const output = textOrJson(str(values, 'output'));
  const limit = str(values, 'limit');
  const { runId, runDir, state } = await openRun(positionals[0]);
  await refuseIfRunning(runId, runDir.dir, 'roll back');
  const { loaded, extraVars } = await reloadInputs(state, extraVarsOf(list(values, 'extra'), usage), flag(values, 'force'), runId);
  const runHosts = new Set(state.start.hosts);
  const hosts = (limit ? selectHosts(loaded.inventory, state.start.hosts, limit) : loaded.hosts).filter((h) => runHosts.has(h.name));
  const sudoPassword = await becomePassword(hosts, flag(values, 'ask-become-pass'));
  const locks = await NodeLocks.acquire(stateDir(), currentOwner(runId, 'rollback'), hosts);
  const journal = new Journal(runDir.journalFile);
  const listener =
    output === 'json' ? jsonListener((line) => process.stdout.write(`${line}\n`)) : plainListener((line) => printOut(line));
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
      to,
      listeners: [output === 'json' ? listener : (e) => listener(terminalSafeData(e))],
    });
    const report = await writeReportOrSay(runDir);
    if (output === 'text') {
      for (const [host, outcome] of Object.entries(result.nodes)) printOut(`${host}: ${outcome}`);
      if (report) printOut(`report: ${report}`);
    }
    return result.exitCode;
  } finally {
    journal.close();
    await locks.release();
  }
}
