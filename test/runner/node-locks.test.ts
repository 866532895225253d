/** Node locks in a temp state directory: held, refused, stale, reused PIDs, races. No fleet. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import type { InventoryHost } from '../../src/inventory/types.js';
import { currentOwner, liveOwnerOf, lockTarget, locksDir, NodeLocks, NodesBusyError, ownerAlive, processStartTime, refuseIfRunning, type LockOwner } from '../../src/runner/node-locks.js';
import { makeHost } from '../inventory/make-host.js';

let state: string;
beforeEach(async () => {
  state = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-locks-'));
});
afterEach(async () => {
  await fs.rm(state, { recursive: true, force: true });
});

const host = (name: string, port: number): InventoryHost => makeHost(name, { address: '10.0.0.1', port });
const nodes = [host('node-1', 2201), host('node-2', 2202), host('node-3', 2203)];

/** A PID that is certainly gone: a child that has exited and been reaped. */
function deadPid(): number {
  return spawnSync('true').pid as number;
}

const owner = (runId: string, extra: Partial<LockOwner> = {}): LockOwner => ({ ...currentOwner(runId, 'run'), ...extra });

async function refusal(p: Promise<unknown>): Promise<NodesBusyError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(NodesBusyError);
  return err as NodesBusyError;
}

describe('node locks', () => {
  it('a second holder of any node is refused with the run, command and pid that hold it, and takes nothing', async () => {
    const first = await NodeLocks.acquire(state, owner('run-a'), nodes.slice(0, 2));
    const err = await refusal(NodeLocks.acquire(state, owner('run-b', { command: 'resume' }), nodes.slice(1)));
    expect(err.exitCode).toBe(EXIT.busy);
    expect(err.message).toMatch(new RegExp(`^node-2 is held by run run-a \\(slipway run, pid ${process.pid}, since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\)\\. `));
    expect(err.message).toContain('`slipway runs` shows it as running');
    // node-3 was free and is not left locked by the refused attempt.
    const third = await NodeLocks.acquire(state, owner('run-c'), [nodes[2] as InventoryHost]);
    await third.release();
    await first.release();
    const again = await NodeLocks.acquire(state, owner('run-b'), nodes);
    await again.release();
    expect((await fs.readdir(locksDir(state))).filter((f) => f.endsWith('.lock'))).toEqual([]);
  });

  it('names the held nodes in the order of the inventory, whatever order the locks are taken in', async () => {
    // Lock files sort by address:port; these names sort the other way round.
    const hosts = [makeHost('b-first', { address: '10.0.0.9', port: 22 }), makeHost('a-second', { address: '10.0.0.1', port: 22 })];
    const first = await NodeLocks.acquire(state, owner('run-a'), hosts);
    const err = await refusal(NodeLocks.acquire(state, owner('run-b'), hosts));
    expect(err.message).toMatch(/^b-first, a-second are held by run run-a /);
    await first.release();
  });

  it('a lock whose process is gone is stale and taken over', async () => {
    const ghost = await NodeLocks.acquire(state, owner('run-dead', { pid: deadPid() }), nodes);
    void ghost; // never released: as if SIGKILLed
    const next = await NodeLocks.acquire(state, owner('run-next'), nodes);
    const records = await Promise.all((await fs.readdir(locksDir(state))).filter((f) => f.endsWith('.lock')).map(async (f) => JSON.parse(await fs.readFile(path.join(locksDir(state), f), 'utf8')) as LockOwner));
    expect(records.map((r) => r.runId)).toEqual(['run-next', 'run-next', 'run-next']);
    await next.release();
  });

  it('a lock a kill cut short (empty or torn) is stale and taken over; so is a torn mutex once it is old', async () => {
    // As a SIGKILL between creating a lock file and writing it leaves them (the e2e crash test hit it).
    const first = await NodeLocks.acquire(state, owner('run-a'), nodes);
    const files = (await fs.readdir(locksDir(state))).filter((f) => f.endsWith('.lock')).map((f) => path.join(locksDir(state), f));
    void first; // never released
    await fs.writeFile(files[0] as string, '');
    await fs.writeFile(files[1] as string, '{"runId":"run-a","pi');
    await fs.writeFile(files[2] as string, JSON.stringify({ ...owner('run-a'), pid: deadPid() }));
    const mutex = path.join(locksDir(state), '.acquire');
    await fs.writeFile(mutex, '{"ru');
    const old = new Date(Date.now() - 10_000);
    await fs.utimes(mutex, old, old);
    const next = await NodeLocks.acquire(state, owner('run-next'), nodes);
    const records = await Promise.all(files.map(async (f) => JSON.parse(await fs.readFile(f, 'utf8')) as LockOwner));
    expect(records.map((r) => r.runId)).toEqual(['run-next', 'run-next', 'run-next']);
    await next.release();
  });

  it('PID 0 (what a torn record would say) is never a live owner: kill(0) signals the process group', () => {
    expect(ownerAlive({ pid: 0, machine: os.hostname(), processStart: undefined })).toBe(false);
    expect(ownerAlive({ pid: -1, machine: os.hostname(), processStart: undefined })).toBe(false);
    expect(ownerAlive({ pid: process.pid, machine: os.hostname(), processStart: processStartTime(process.pid) })).toBe(true);
  });

  it('a PID reused by another process does not keep a lock alive (the start time differs)', async () => {
    expect(processStartTime(process.pid)).toMatch(/^\d+$/);
    expect(ownerAlive({ pid: process.pid, machine: os.hostname(), processStart: processStartTime(process.pid) })).toBe(true);
    expect(ownerAlive({ pid: process.pid, machine: os.hostname(), processStart: '1' })).toBe(false);
    expect(ownerAlive({ pid: deadPid(), machine: os.hostname(), processStart: undefined })).toBe(false);
    // A lock of another machine (a shared state directory) cannot be checked: it holds.
    expect(ownerAlive({ pid: deadPid(), machine: 'elsewhere', processStart: undefined })).toBe(true);
    await NodeLocks.acquire(state, owner('run-reused', { processStart: '1' }), nodes);
    const next = await NodeLocks.acquire(state, owner('run-next'), nodes);
    await next.release();
  });

  it('two processes starting at once on the same nodes: exactly one gets them', async () => {
    const attempts = await Promise.allSettled(['x', 'y', 'z'].map((id) => NodeLocks.acquire(state, owner(`run-${id}`), [...nodes].reverse())));
    const won = attempts.filter((a) => a.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const a of attempts) if (a.status === 'rejected') expect(a.reason).toBeInstanceOf(NodesBusyError);
  });

  it('locks a node by where it is reached, whatever the inventory calls it', async () => {
    expect(lockTarget(host('a', 22))).toBe(lockTarget(host('b', 22)));
    expect(lockTarget(host('a', 22))).not.toBe(lockTarget(host('a', 2222)));
    expect(lockTarget({ ...host('a', 22), proxyJump: [{ host: 'bastion', port: 22, user: undefined }] })).toBe('bastion:22 > 10.0.0.1:22');
    await NodeLocks.acquire(state, owner('run-a'), [host('worker-1', 2201)]);
    const err = await refusal(NodeLocks.acquire(state, owner('run-b'), [host('node-1', 2201)]));
    expect(err.message).toMatch(/^node-1 is held by run run-a/);
  });

  it('a run that records its owner shows as running until it releases; resume and rollback of it are refused', async () => {
    const runDir = path.join(state, 'runs', 'run-live');
    await fs.mkdir(runDir, { recursive: true });
    const locks = await NodeLocks.acquire(state, owner('run-live'), nodes);
    await locks.recordOwner(runDir);
    expect(await liveOwnerOf(runDir)).toMatchObject({ runId: 'run-live', pid: process.pid, command: 'run' });
    const err = await refusal(refuseIfRunning('run-live', runDir, 'resume'));
    expect(err.message).toMatch(/^run run-live is still running \(run run-live \(slipway run, pid \d+/);
    await locks.release();
    expect(await liveOwnerOf(runDir)).toBeUndefined();
    await refuseIfRunning('run-live', runDir, 'resume');
  });
});
