/** `slipway stop [RUN_ID]`: from another terminal, stop a run as one Ctrl-C in its own would. */
import { setTimeout as sleep } from 'node:timers/promises';
import os from 'node:os';
import { EXIT, InputError } from '../errors.js';
import { liveOwnerOf, type LockOwner } from '../runner/node-locks.js';
import { allRunIds, runDirOf } from '../runner/run-store.js';
import { STOP_SIGNAL, stopRefusal, writeStopRequest } from '../runner/stop-request.js';
import { flag, parse } from './args.js';
import { printOut } from './output.js';

export async function stop(argv: string[]): Promise<number> {
  const { values, positionals, usage } = parse(argv, 'stop');
  if (positionals.length > 1) throw new InputError(`expected at most one RUN_ID\n${usage}`);
  const { runId, owner } = await runToStop(positionals[0]);
  const refused = stopRefusal(runId, owner);
  if (refused) throw new InputError(refused);
  const dir = runDirOf(runId).dir;
  await writeStopRequest(dir);
  // At once when the run is on this machine; otherwise it sees the request within a second.
  if (owner.machine === os.hostname()) {
    try {
      process.kill(owner.pid, STOP_SIGNAL);
    } catch {
      // gone meanwhile, or not ours to signal: the request file still stands
    }
  }
  printOut(`run ${runId}: stop requested; no new step starts, the steps in flight finish (slipway ${owner.command}, pid ${owner.pid})`);
  if (!flag(values, 'wait')) return EXIT.ok;
  while (await liveOwnerOf(dir)) await sleep(200);
  printOut(`run ${runId} stopped; continue it with: slipway resume ${runId}`);
  return EXIT.ok;
}

/** The run named, which must be under way; or the one run under way when none is named. */
async function runToStop(id: string | undefined): Promise<{ runId: string; owner: LockOwner }> {
  if (id !== undefined) {
    const dir = runDirOf(id).dir;
    const owner = await liveOwnerOf(dir);
    if (!owner) throw new InputError(`run ${id} is not under way (no live slipway process runs it); \`slipway runs\` lists runs`);
    return { runId: id, owner };
  }
  const live: Array<{ runId: string; owner: LockOwner }> = [];
  for (const runId of await allRunIds()) {
    const owner = await liveOwnerOf(runDirOf(runId).dir);
    if (owner) live.push({ runId, owner });
  }
  if (live.length === 0) throw new InputError('no slipway run is under way; `slipway runs` lists runs');
  if (live.length > 1) throw new InputError(`${live.length} runs are under way (${live.map((r) => r.runId).join(', ')}); name the one to stop: slipway stop RUN_ID`);
  return live[0] as { runId: string; owner: LockOwner };
}
