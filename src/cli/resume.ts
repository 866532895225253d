/** `slipway resume`: continue a failed or interrupted run from its journal. */
import os from 'node:os';
import { EXIT, InputError } from '../errors.js';
import { matchHostPattern, splitPattern } from '../inventory/host-patterns.js';
import type { RunJournalState } from '../runner/journal-state.js';
import type { LoadedInputs } from './inputs.js';
import { currentOwner, NodeLocks, refuseIfRunning } from '../runner/node-locks.js';
import { stateDir } from '../runner/run-store.js';
import { extraVarsOf, flag, list, outputMode, parse, sshOptionsOf, str } from './args.js';
import { becomePassword } from './become.js';
import { printErr, printOut } from './output.js';
import { openRun, reloadInputs } from './reopen.js';
import { checkPauseConfirm, executeRun } from './run.js';
import { shortTime } from '../time-text.js';

export async function resume(argv: string[]): Promise<number> {
  const { values, positionals, usage } = parse(argv, 'resume');
  if (positionals.length > 1) throw new InputError(`expected at most one RUN_ID\n${usage}`);
  const output = outputMode(str(values, 'output'));
  const limit = str(values, 'limit');
  const { runId, runDir, state, tornTail } = await openRun(positionals[0]);
  await refuseIfRunning(runId, runDir.dir, 'resume');
  if (!state.unfinished && state.summary?.status === 'succeeded') {
    printOut(`run ${runId} already succeeded: nothing to resume`);
    return EXIT.ok;
  }
  const { loaded, extraVars, changed } = await reloadInputs(state, extraVarsOf(list(values, 'extra'), usage), flag(values, 'force'), runId);
  if (changed.length) printErr(`slipway: resuming although the ${changed.join(' and the ')} (--force)`);
  if (tornTail) printErr(`slipway: the journal's last line was cut short by a crash; it is ignored`);
  checkPauseConfirm(loaded.playbook.rolling.pause);
  const pass = resumePass(state, loaded, limit, str(values, 'skip'));
  // Skipping the last nodes left is a pass of its own: it records the skips and sums the run up.
  if (pass.hosts.length === 0 && pass.skip.length === 0) throw new InputError(`run ${runId}: no node left to resume${limit ? ` within --limit '${limit}'` : ''} (skipped: ${pass.skippedBefore.join(', ') || 'none'})`);
  const sudoPassword = await becomePassword(pass.hosts, flag(values, 'ask-become-pass'));
  const locks = await NodeLocks.acquire(stateDir(), currentOwner(runId, 'resume'), pass.hosts);
  return executeRun({
    runId,
    runDir,
    locks,
    output,
    loaded: { ...loaded, hosts: pass.hosts },
    inputs: state.start.inputs,
    extraVars,
    ssh: sshOptionsOf(values, sudoPassword),
    resume: { state, forced: changed.length > 0, skip: pass.skip, skipReason: `skipped by slipway resume --skip (${os.userInfo().username}, ${shortTime(new Date().toISOString())})` },
  });
}

/**
 * The nodes this pass runs: the run's, less those skipped now or before, within `--limit`.
 * Skipping names hosts of the run; a skip is journaled, and later passes leave the node too.
 */
function resumePass(state: RunJournalState, loaded: LoadedInputs, limit: string | undefined, skipArg: string | undefined) {
  const skippedBefore = [...state.nodes.values()].filter((n) => n.status === 'skipped').map((n) => n.host);
  const skip = splitPattern(skipArg ?? '');
  const unknown = skip.filter((h) => !state.start.hosts.includes(h));
  if (unknown.length) throw new InputError(`--skip: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not a node of this run (its nodes: ${state.start.hosts.join(', ')})`);
  let hosts = loaded.hosts.filter((h) => !skip.includes(h.name) && !skippedBefore.includes(h.name));
  if (limit !== undefined && limit.trim() !== '') {
    const match = matchHostPattern(loaded.inventory, limit);
    if (match.unmatched.length) throw new InputError(match.unmatched.map((m) => ({ message: `--limit: ${m}` })));
    hosts = hosts.filter((h) => match.hosts.has(h.name));
  }
  return { hosts, skip: skip.filter((h) => !skippedBefore.includes(h)), skippedBefore };
}
