/** `slipway resume`: continue a failed or interrupted run from its journal. */
import { EXIT, InputError } from '../errors.js';
import { currentOwner, NodeLocks, refuseIfRunning } from '../runner/node-locks.js';
import { stateDir } from '../runner/run-store.js';
import { connectionOptions, extraVarsOf, outputMode, parse, sshOptionsOf } from './args.js';
import { becomePassword } from './become.js';
import { printErr, printOut } from './output.js';
import { openRun, reloadInputs } from './reopen.js';
import { checkPauseConfirm, executeRun } from './run.js';

export async function resume(argv: string[]): Promise<number> {
  const usage = 'usage: slipway resume [RUN_ID] [--force] [-e KEY=VALUE] [--output tree|plain|json]';
  const { values, positionals } = parse(
    argv,
    { extra: connectionOptions.extra, force: { type: 'boolean' }, output: { type: 'string' }, 'accept-new-host-keys': connectionOptions['accept-new-host-keys'], 'ask-become-pass': connectionOptions['ask-become-pass'] },
    usage,
  );
  if (positionals.length > 1) throw new InputError(`expected at most one RUN_ID\n${usage}`);
  const output = outputMode(values.output, usage);
  const { runId, runDir, state, tornTail } = await openRun(positionals[0]);
  await refuseIfRunning(runId, runDir.dir, 'resume');
  if (!state.unfinished && state.summary?.status === 'succeeded') {
    printOut(`run ${runId} already succeeded: nothing to resume`);
    return EXIT.ok;
  }
  const { loaded, extraVars, changed } = await reloadInputs(state, extraVarsOf(values.extra, usage), values.force === true, runId);
  if (changed.length) printErr(`slipway: resuming although the ${changed.join(' and the ')} (--force)`);
  if (tornTail) printErr(`slipway: the journal's last line was cut short by a crash; it is ignored`);
  checkPauseConfirm(loaded.playbook.rolling.pause);
  const sudoPassword = await becomePassword(loaded.hosts, values['ask-become-pass'] === true);
  const locks = await NodeLocks.acquire(stateDir(), currentOwner(runId, 'resume'), loaded.hosts);
  return executeRun({
    runId,
    runDir,
    locks,
    output,
    loaded,
    inputs: state.start.inputs,
    extraVars,
    ssh: sshOptionsOf(values, sudoPassword),
    resume: { state, forced: changed.length > 0 },
  });
}
