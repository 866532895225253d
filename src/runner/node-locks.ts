/**
 * Node locks: one slipway process at a time acts on a node. A run, resume or rollback holds a
 * lock file for every node it touches, in the state directory (`locks/`), naming the run and
 * the process that owns it; a second one on any of those nodes is refused with the holder's
 * name. A lock whose process is gone (killed, crashed, the machine rebooted) is stale and
 * taken over: the owner is recorded with its PID and the kernel's start time of that PID, so
 * a PID reused by an unrelated process does not keep a lock alive.
 *
 * Taking the locks of a run is all or nothing, under a short mutex (`locks/.acquire`), so two
 * processes starting at once cannot each take half, and a stale lock is replaced by exactly one.
 */
import { readFileSync, rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { EXIT, SlipwayError } from '../errors.js';
import type { InventoryHost } from '../inventory/types.js';
import { shortTime } from '../time-text.js';

export interface LockOwner {
  runId: string;
  command: 'run' | 'resume' | 'rollback';
  pid: number;
  /** os.hostname() of the operator's machine that runs the process. */
  machine: string;
  /** The kernel's start time of the process (Linux), to tell a reused PID from the owner. */
  processStart: string | undefined;
  /** ISO time the lock was taken. */
  since: string;
}

interface NodeLockRecord extends LockOwner {
  /** The node as the inventory names it, and where it is reached. */
  host: string;
  target: string;
}

/** Another live slipway process holds some of the nodes. Nothing was done. */
export class NodesBusyError extends SlipwayError {
  constructor(message: string) {
    super(message, { exitCode: EXIT.busy });
  }
}

export function locksDir(stateDir: string): string {
  return path.join(stateDir, 'locks');
}

/** Where a node is reached: address and port, through its jump hosts. Two names for one node lock alike. */
export function lockTarget(host: Pick<InventoryHost, 'address' | 'port' | 'proxyJump'>): string {
  const via = host.proxyJump.map((h) => `${h.host}:${h.port}`).join(',');
  return `${via ? `${via} > ` : ''}${host.address}:${host.port}`;
}

function lockFile(stateDir: string, target: string): string {
  const safe = target.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 60);
  const digest = createHash('sha256').update(target).digest('hex').slice(0, 12);
  return path.join(locksDir(stateDir), `${safe}-${digest}.lock`);
}

/** The start time of a process, from /proc (field 22 of stat); undefined where there is none. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  // kill(0) and kill(-n) signal process groups: never an owner's PID.
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the owner still runs. On this machine: its PID is alive and started when the owner
 * did. An owner on another machine (a shared state directory) cannot be checked: it counts as live.
 */
export function ownerAlive(owner: Pick<LockOwner, 'pid' | 'machine' | 'processStart'>): boolean {
  if (owner.machine !== os.hostname()) return true;
  if (!processAlive(owner.pid)) return false;
  const start = processStartTime(owner.pid);
  return owner.processStart === undefined || start === undefined || start === owner.processStart;
}

export function currentOwner(runId: string, command: LockOwner['command']): LockOwner {
  return { runId, command, pid: process.pid, machine: os.hostname(), processStart: processStartTime(process.pid), since: new Date().toISOString() };
}

/**
 * A lock file's record; `torn` when it does not parse: being written right now (it reads empty
 * for a moment) or cut short by a kill mid-write. Undefined when it is gone.
 */
async function readRecord(file: string): Promise<NodeLockRecord | 'torn' | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as NodeLockRecord;
  } catch {
    return 'torn';
  }
}

/** A torn file older than this was not being written: its writer died. */
const TORN_STALE_MS = 2000;

async function olderThan(file: string, ms: number): Promise<boolean> {
  const st = await fs.stat(file).catch(() => undefined);
  return st === undefined || Date.now() - st.mtimeMs > ms;
}

/** Writes `content` to a new file; false when the file exists. */
async function createExclusive(file: string, content: string): Promise<boolean> {
  try {
    await fs.writeFile(file, content, { flag: 'wx', mode: 0o600 });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` holding `locks/.acquire`; a mutex left by a dead process is taken over. */
async function underMutex<T>(stateDir: string, fn: () => Promise<T>): Promise<T> {
  const file = path.join(locksDir(stateDir), '.acquire');
  const me = JSON.stringify(currentOwner('-', 'run'));
  for (let attempt = 0; ; attempt++) {
    if (await createExclusive(file, me)) break;
    const holder = await readRecord(file);
    const stale = holder === 'torn' ? await olderThan(file, TORN_STALE_MS) : holder !== undefined && !ownerAlive(holder);
    if (stale) {
      await fs.rm(file, { force: true });
      continue;
    }
    if (attempt > 200) throw new SlipwayError(`the lock directory ${locksDir(stateDir)} is busy (${file} is held for more than 10s); if no slipway runs, remove that file`);
    await sleep(50);
  }
  try {
    return await fn();
  } finally {
    await fs.rm(file, { force: true });
  }
}

function describeOwner(o: LockOwner): string {
  const where = o.machine === os.hostname() ? '' : ` on ${o.machine}`;
  return `run ${o.runId} (slipway ${o.command}, pid ${o.pid}${where}, since ${shortTime(o.since)})`;
}

/** The nodes a run, resume or rollback holds; release them when it ends. */
export class NodeLocks {
  private released = false;
  private readonly onExit = () => this.releaseSync();

  private ownerFile: string | undefined;

  private constructor(
    private readonly files: string[],
    private readonly owner: LockOwner,
  ) {
    // A process that dies by an exception still gives its locks back (SIGKILL cannot: stale).
    process.on('exit', this.onExit);
  }

  /**
   * Takes a lock for every host. Throws NodesBusyError naming the holders when any node is held
   * by a live process, taking none.
   */
  static async acquire(stateDir: string, owner: LockOwner, hosts: readonly InventoryHost[]): Promise<NodeLocks> {
    await fs.mkdir(locksDir(stateDir), { recursive: true, mode: 0o700 });
    // Taken in one order by every process; reported in the inventory's.
    const targets = [...new Map(hosts.map((h) => [lockTarget(h), h.name])).entries()].sort(([a], [b]) => a.localeCompare(b));
    const order = new Map(hosts.map((h, i) => [h.name, i]));
    return underMutex(stateDir, async () => {
      const taken: string[] = [];
      const busy = new Map<string, { owner: LockOwner; hosts: string[] }>();
      for (const [target, host] of targets) {
        const file = lockFile(stateDir, target);
        const record: NodeLockRecord = { ...owner, host, target };
        if (await createExclusive(file, JSON.stringify(record))) {
          taken.push(file);
          continue;
        }
        const read = await readRecord(file);
        // Node locks are written under the mutex: a torn one is from a writer killed mid-write.
        const holder = read === 'torn' ? undefined : read;
        if (!holder || !ownerAlive(holder)) {
          await fs.rm(file, { force: true }); // stale: its process is gone; the mutex makes this ours
          if (await createExclusive(file, JSON.stringify(record))) {
            taken.push(file);
            continue;
          }
        }
        const key = holder ? `${holder.runId}\0${holder.pid}` : '?';
        const entry = busy.get(key) ?? { owner: holder ?? record, hosts: [] };
        entry.hosts.push(host);
        busy.set(key, entry);
      }
      if (busy.size > 0) {
        await Promise.all(taken.map((f) => fs.rm(f, { force: true })));
        const held = [...busy.values()].map(({ owner: o, hosts: names }) => {
          const sorted = [...names].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
          return `${sorted.join(', ')} ${names.length === 1 ? 'is' : 'are'} held by ${describeOwner(o)}`;
        });
        throw new NodesBusyError(
          `${held.join('; ')}. Two slipway processes on one node would interleave their steps: wait for it to end, ` +
            'or stop it (Ctrl-C in its terminal); `slipway runs` shows it as running',
        );
      }
      return new NodeLocks(taken, owner);
    });
  }

  /** Records the owner in the run's folder (`owner.json`): `slipway runs` shows the run as running. */
  async recordOwner(runDir: string): Promise<void> {
    this.ownerFile = path.join(runDir, 'owner.json');
    await fs.writeFile(this.ownerFile, JSON.stringify(this.owner), { mode: 0o600 });
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    process.off('exit', this.onExit);
    await Promise.all([...this.files, ...(this.ownerFile ? [this.ownerFile] : [])].map((f) => fs.rm(f, { force: true })));
  }

  private releaseSync(): void {
    if (this.released) return;
    this.released = true;
    for (const f of [...this.files, ...(this.ownerFile ? [this.ownerFile] : [])]) rmSync(f, { force: true });
  }
}

/** The live process of a run (from its `owner.json`), or undefined when none runs it now. */
export async function liveOwnerOf(runDir: string): Promise<LockOwner | undefined> {
  try {
    const owner = JSON.parse(await fs.readFile(path.join(runDir, 'owner.json'), 'utf8')) as LockOwner;
    return ownerAlive(owner) ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** Refuses to resume or roll back a run that a live process is still running. */
export async function refuseIfRunning(runId: string, runDir: string, what: 'resume' | 'roll back'): Promise<void> {
  const owner = await liveOwnerOf(runDir);
  if (owner) {
    throw new NodesBusyError(
      `run ${runId} is still running (${describeOwner(owner)}); cannot ${what} it while it runs: ` +
        'wait for it to end, or stop it (Ctrl-C in its terminal), then try again',
    );
  }
}
