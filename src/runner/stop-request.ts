/**
 * `slipway stop` from another terminal: a request file in the run's folder, which the running
 * process reads (on SIGUSR2 at once, and by polling, so a state directory shared between
 * machines works too). The same as one Ctrl-C: no new step starts, the steps in flight finish,
 * the run ends interrupted and resumable. Never escalates to killing commands.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LockOwner } from './node-locks.js';
import { shortTime } from '../time-text.js';

export const STOP_SIGNAL = 'SIGUSR2';

export interface StopRequest {
  /** ISO time of the request. */
  requestedAt: string;
  pid: number;
  user: string;
  machine: string;
}

const fileOf = (runDir: string) => path.join(runDir, 'stop-request.json');

export async function writeStopRequest(runDir: string, now = new Date()): Promise<StopRequest> {
  const request: StopRequest = { requestedAt: now.toISOString(), pid: process.pid, user: os.userInfo().username, machine: os.hostname() };
  await fs.writeFile(fileOf(runDir), `${JSON.stringify(request)}\n`, { mode: 0o600 });
  return request;
}

/** The pending request, if there is one (a file that cannot be read counts as one). */
export function readStopRequest(runDir: string): StopRequest | undefined {
  const file = fileOf(runDir);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as StopRequest;
  } catch {
    return { requestedAt: new Date().toISOString(), pid: 0, user: 'unknown', machine: 'unknown' };
  }
}

/** A request is for the pass it was made in: a resume starts without one. */
export function clearStopRequest(runDir: string): void {
  rmSync(fileOf(runDir), { force: true });
}

/** Why the run stopped, for its journal and summary. */
export function stopRequestReason(r: StopRequest): string {
  const where = r.machine === os.hostname() ? '' : ` on ${r.machine}`;
  return `stopped by slipway stop (${r.user}, pid ${r.pid}${where}, at ${shortTime(r.requestedAt)})`;
}

/**
 * Why a live run's process is not to be stopped, or undefined when it may be: a rollback undoes
 * a node's changes newest first, and stopped halfway it would leave a mix (and it does not take
 * the request: the signal would end it).
 */
export function stopRefusal(runId: string, owner: Pick<LockOwner, 'command' | 'pid'>): string | undefined {
  if (owner.command !== 'rollback') return undefined;
  return `run ${runId} is being rolled back (slipway rollback, pid ${owner.pid}); a rollback is not stopped halfway: let it finish, or press Ctrl-C in its terminal`;
}
