/**
 * The health gate of `systemd.service`'s `staysUp`: after the step starts (or restarts) a unit,
 * its main process must stay the same and the unit active for that long. A daemon that refuses
 * its command line (kubelet with a removed flag: "unknown flag: --container-runtime") exits
 * after `systemctl start` has returned, so the start alone says nothing (field note 5).
 */
import { sleepUnlessAborted } from '../../sleep.js';
import { SlipwayError } from '../../errors.js';
import { execOptions } from '../../facts/exec-options.js';
import { parseKeyValueLines } from '../../facts/systemd.js';
import type { StepContext } from '../types.js';

const POLL_MS = 500;

interface MainProcess {
  activeState: string;
  mainPid: number;
  nRestarts: number | undefined;
}

async function mainProcess(ctx: StepContext, unit: string): Promise<MainProcess> {
  const r = await ctx.remote.run(['systemctl', 'show', '-p', 'ActiveState,MainPID,NRestarts', '--', unit], execOptions(ctx));
  const kv = parseKeyValueLines(r.stdout);
  const restarts = kv.get('NRestarts');
  return {
    activeState: kv.get('ActiveState') ?? '',
    mainPid: Number(kv.get('MainPID') ?? '0'),
    nRestarts: restarts === undefined || restarts === '' ? undefined : Number(restarts),
  };
}

/** Why the unit did not stay up, or undefined while it does. Pure. */
export function notUp(first: MainProcess, now: MainProcess): string | undefined {
  if (now.activeState !== 'active' && now.activeState !== 'reloading') return `it is ${now.activeState || 'gone'}`;
  if (now.mainPid === 0) return 'it has no main process';
  if (first.mainPid !== 0 && now.mainPid !== first.mainPid) return `its main process changed (${first.mainPid} -> ${now.mainPid}): it was restarted`;
  if (first.nRestarts !== undefined && now.nRestarts !== undefined && now.nRestarts > first.nRestarts) return `systemd restarted it ${now.nRestarts - first.nRestarts} time(s)`;
  return undefined;
}

/**
 * Waits `forMs` after a start, watching the unit; throws with `systemctl status` when it does
 * not stay up. An abort (the operator's second Ctrl-C) ends the wait early without a verdict.
 */
export async function waitStaysUp(ctx: StepContext, unit: string, forMs: number): Promise<void> {
  const started = Date.now();
  const first = await mainProcess(ctx, unit);
  ctx.waiting?.(`${unit} to stay up for ${forMs / 1000}s`);
  for (;;) {
    const now = await mainProcess(ctx, unit);
    const why = notUp(first, now);
    if (why) {
      const status = await ctx.remote.exec(['systemctl', 'status', '--no-pager', '--lines=20', '--', unit], execOptions(ctx));
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      throw new SlipwayError(`${ctx.remote.host}: ${unit} did not stay up for ${forMs / 1000}s after it was started: ${why} after ${seconds}s\n${status.stdout.trimEnd()}`);
    }
    const left = forMs - (Date.now() - started);
    if (left <= 0 || ctx.signal?.aborted) return;
    await sleepUnlessAborted(Math.min(POLL_MS, left), ctx.signal);
  }
}
