/**
 * One fleet node: boot and halt, commands inside its namespaces (nsenter, for tests to look at
 * or change a running node without going through SSH), and faults.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync, existsSync, openSync, closeSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { allocatePort, waitForSshBanner } from './net.js';
import { writeSshdConfig } from './seed.js';

const initScript = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'node-init.sh'), 'utf8');

export interface FleetNodeRecord {
  name: string;
  groups: string[];
  port: number;
  /** Host directory with the node's overlay layers (upper/, work/) and private root/. */
  nodeDir: string;
  /** Host PID of the node's init (PID 1 in its namespace); 0 when stopped. */
  initPid: number;
  /** Start time of that process (clock ticks since boot), to tell a reused PID apart. */
  initStartTime?: string;
  hostPublicKey: string;
  /** Commands replaced by a fault: command name -> path it was mounted over. */
  faults?: Record<string, string>;
}

export interface NodeExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

interface NodeProcess {
  hostPid: number;
  nsPid: number;
  hostPpid: number;
  comm: string;
  state: string;
}

export class FleetNode {
  readonly record: FleetNodeRecord;
  private readonly persist: () => Promise<void>;

  constructor(record: FleetNodeRecord, persist: () => Promise<void>) {
    this.record = record;
    this.persist = persist;
  }

  get name(): string {
    return this.record.name;
  }
  get port(): number {
    return this.record.port;
  }

  // ------------------------------------------------------------------ lifecycle

  /** Starts the node (first boot or again after halt), keeping its files. */
  async boot(): Promise<void> {
    if (this.isRunning()) return;
    let lastError: unknown;
    for (let attempt = 0; attempt < 4; attempt++) {
      if (this.record.port === 0 || attempt > 0) this.record.port = await allocatePort();
      await writeSshdConfig(this.record);
      try {
        await this.spawnInit();
        await waitForSshBanner(this.record.port, 20_000, () => this.isRunning() && !this.sshdExited());
        // Another process may have taken the port between allocation and sshd's bind (two
        // fleets starting at once): make sure the banner came from this node's sshd.
        if (!(await this.listenerOwnsPort())) throw new Error(`port ${this.record.port} is served by another process`);
        this.record.faults = {};
        await this.persist();
        return;
      } catch (err) {
        lastError = err;
        await this.halt();
      }
    }
    const log = this.readHostSide('upper/var/log/sshd.log');
    throw new Error(`node ${this.name} did not start: ${String(lastError)}${log ? `\nsshd log:\n${log}` : ''}`);
  }

  private async spawnInit(): Promise<void> {
    const logFd = openSync(path.join(this.record.nodeDir, 'init.log'), 'a');
    const child = spawn(
      'unshare',
      ['--mount', '--uts', '--pid', '--fork', '--mount-proc', '--propagation', 'private', '--', 'bash', '-c', initScript, 'node-init', this.record.nodeDir, this.name],
      { detached: true, stdio: ['ignore', logFd, logFd], cwd: '/' },
    );
    closeSync(logFd);
    child.unref();
    const unsharePid = child.pid;
    if (!unsharePid) throw new Error('could not spawn unshare');
    const deadline = Date.now() + 5000;
    for (;;) {
      const kids = readChildren(unsharePid);
      if (kids[0]) {
        this.record.initPid = kids[0];
        this.record.initStartTime = startTime(kids[0]);
        break;
      }
      if (!existsSync(`/proc/${unsharePid}`) || child.exitCode !== null) {
        throw new Error(`unshare exited: ${this.readHostSide('init.log')}`);
      }
      if (Date.now() > deadline) throw new Error('the node init did not start');
      await sleep(10);
    }
  }

  /** Kills every process of the node; the kernel then drops its namespaces and mounts. */
  async halt(): Promise<void> {
    const pid = this.record.initPid;
    if (pid && this.isRunning()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      const deadline = Date.now() + 10_000;
      while (existsSync(`/proc/${pid}`) && startTime(pid) === this.record.initStartTime && Date.now() < deadline) {
        await sleep(10);
      }
    }
    this.record.initPid = 0;
    this.record.faults = {};
  }

  /** Halts and boots again: a reboot. Files persist; /run, /tmp and processes do not. */
  async reboot(): Promise<void> {
    await this.halt();
    await this.boot();
  }

  isRunning(): boolean {
    const pid = this.record.initPid;
    return pid > 0 && existsSync(`/proc/${pid}`) && startTime(pid) === this.record.initStartTime;
  }

  // ------------------------------------------------------------------ inside the node

  /** Runs argv inside the node's namespaces (as root, bypassing SSH). */
  exec(argv: readonly string[], options: { stdin?: string | Buffer } = {}): Promise<NodeExecResult> {
    if (!this.isRunning()) return Promise.reject(new Error(`node ${this.name} is not running`));
    return new Promise((resolve, reject) => {
      const child = spawn('nsenter', ['-t', String(this.record.initPid), '-m', '-u', '-p', '--', ...argv], {
        cwd: '/',
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', reject);
      child.on('close', (code) =>
        resolve({ code: code ?? 128, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
      );
      // A command that does not read its stdin may exit first: that EPIPE is not an error.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.stdin ?? '');
    });
  }

  /** Like exec, but rejects on a non-zero exit. */
  async run(argv: readonly string[], options: { stdin?: string | Buffer } = {}): Promise<string> {
    const r = await this.exec(argv, options);
    if (r.code !== 0) throw new Error(`${this.name}: ${argv.join(' ')} exited ${r.code}: ${r.stderr || r.stdout}`);
    return r.stdout;
  }

  async readFile(file: string): Promise<string | null> {
    const r = await this.exec(['cat', '--', file]);
    return r.code === 0 ? r.stdout : null;
  }

  async writeFile(file: string, content: string | Buffer, mode = '0644'): Promise<void> {
    await this.run(['sh', '-c', 'mkdir -p -- "$(dirname -- "$1")" && cat > "$1" && chmod "$2" -- "$1"', 'sh', file, mode], {
      stdin: content,
    });
  }

  // ------------------------------------------------------------------ faults

  /** sshd's state: running, stopped (no listener) or frozen (SIGSTOP). */
  sshdState(): 'running' | 'stopped' | 'frozen' {
    if (!this.isRunning()) return 'stopped';
    const listener = this.sshdListener();
    if (!listener) return 'stopped';
    return listener.state === 'T' || listener.state === 't' ? 'frozen' : 'running';
  }

  /** Stops the sshd listener (SIGTERM) as `systemctl stop ssh` would; open sessions live on. */
  stopSshd(): Promise<void> {
    const l = this.sshdListener();
    if (l) safeKill(l.hostPid, 'SIGTERM');
    return this.waitSshd('stopped');
  }

  /** Kills every sshd process of the node (SIGKILL): open connections drop at once. */
  killSshd(): Promise<void> {
    for (const p of this.processes()) if (p.comm === 'sshd') safeKill(p.hostPid, 'SIGKILL');
    return this.waitSshd('stopped');
  }

  /** Starts sshd again after stopSshd/killSshd; files and running services are intact. */
  async startSshd(): Promise<void> {
    if (this.sshdState() !== 'stopped') return;
    safeKill(this.record.initPid, 'SIGUSR1');
    await waitForSshBanner(this.record.port, 10_000, () => this.isRunning());
  }

  /**
   * Freezes every process of the node (SIGSTOP): connections hang, nothing answers. Resolves once
   * sshd reads as stopped in /proc: the kernel delivers SIGSTOP when the process is next scheduled,
   * so on a busy machine it can still read as sleeping just after kill() returns.
   */
  async freeze(): Promise<void> {
    for (const p of this.processes()) if (p.hostPid !== this.record.initPid) safeKill(p.hostPid, 'SIGSTOP');
    await this.waitSshd('frozen');
  }

  /** Lets every process of the node go on (SIGCONT); resolves once sshd runs again. */
  async thaw(): Promise<void> {
    for (const p of this.processes()) if (p.hostPid !== this.record.initPid) safeKill(p.hostPid, 'SIGCONT');
    await this.waitSshd('running');
  }

  /** Makes `command` on the node exit with `exitCode` after printing `stderr`. */
  failCommand(command: string, options: { exitCode?: number; stderr?: string } = {}): Promise<void> {
    const message = options.stderr ?? `${command}: injected failure`;
    const script = `#!/bin/sh\nprintf '%s\\n' ${shellSingleQuote(message)} >&2\nexit ${options.exitCode ?? 1}\n`;
    return this.replaceCommand(command, script);
  }

  /** Makes `command` on the node hang until killed. */
  hangCommand(command: string): Promise<void> {
    return this.replaceCommand(command, '#!/bin/sh\nexec sleep 2147483647\n');
  }

  async clearFault(command: string): Promise<void> {
    const target = this.record.faults?.[command];
    if (!target) return;
    await this.run(['umount', target]);
    delete this.record.faults?.[command];
    await this.persist();
  }

  private async replaceCommand(command: string, script: string): Promise<void> {
    await this.clearFault(command);
    const found = await this.exec(['sh', '-c', 'command -v -- "$1"', 'sh', command]);
    const target = found.stdout.trim();
    if (found.code !== 0 || !target.startsWith('/')) throw new Error(`${this.name}: no command '${command}' to replace`);
    const wrapper = `/run/fleet/faults/${command.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
    await this.writeFile(wrapper, script, '0755');
    await this.run(['mount', '--bind', wrapper, target]);
    (this.record.faults ??= {})[command] = target;
    await this.persist();
  }

  // ------------------------------------------------------------------ processes

  /**
   * Every process of the node: its init and all descendants, including those in nested PID
   * namespaces (pause containers and other sandboxes the node's runtime starts).
   */
  processes(): NodeProcess[] {
    if (!this.isRunning()) return [];
    const all: NodeProcess[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const status = readFileSync(`/proc/${entry}/status`, 'utf8');
        const nsPids = /^NSpid:\s+(.+)$/m.exec(status)?.[1]?.trim().split(/\s+/) ?? [];
        all.push({
          hostPid: Number(entry),
          nsPid: Number(nsPids[nsPids.length - 1]),
          hostPpid: Number(/^PPid:\s+(\d+)$/m.exec(status)?.[1] ?? 0),
          comm: /^Name:\s+(.+)$/m.exec(status)?.[1] ?? '',
          state: /^State:\s+(\S)/m.exec(status)?.[1] ?? '',
        });
      } catch {
        /* exited while we looked */
      }
    }
    const parent = new Map(all.map((p) => [p.hostPid, p.hostPpid]));
    const inNode = (pid: number): boolean => {
      for (let p = pid, hops = 0; p > 1 && hops < 1000; p = parent.get(p) ?? 0, hops++) {
        if (p === this.record.initPid) return true;
      }
      return false;
    };
    return all.filter((p) => inNode(p.hostPid));
  }

  /** The listening sshd (the init records its PID; sessions re-parented to init are not it). */
  private sshdListener(): NodeProcess | undefined {
    let nsPid: number;
    try {
      nsPid = Number(readFileSync(`/proc/${this.record.initPid}/root/run/fleet/sshd.pid`, 'utf8').trim());
    } catch {
      return undefined;
    }
    return this.processes().find((p) => p.nsPid === nsPid && p.comm === 'sshd' && p.hostPpid === this.record.initPid);
  }

  /** True when sshd was started and is gone (e.g. it could not bind its port). */
  private sshdExited(): boolean {
    let nsPid: number;
    try {
      nsPid = Number(readFileSync(`/proc/${this.record.initPid}/root/run/fleet/sshd.pid`, 'utf8').trim());
    } catch {
      return false; // not started yet
    }
    return !this.processes().some((p) => p.nsPid === nsPid && p.hostPpid === this.record.initPid && p.state !== 'Z');
  }

  /** True when this node's sshd holds the listening socket of its port (/proc/net/tcp inodes). */
  private async listenerOwnsPort(): Promise<boolean> {
    const deadline = Date.now() + 2000;
    for (;;) {
      const listener = this.sshdListener();
      if (listener) {
        const hexPort = this.record.port.toString(16).toUpperCase().padStart(4, '0');
        const inodes = new Set<string>();
        for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
          let text = '';
          try {
            text = readFileSync(table, 'utf8');
          } catch {
            continue;
          }
          for (const line of text.split('\n').slice(1)) {
            const cols = line.trim().split(/\s+/);
            if (cols[1]?.endsWith(`:${hexPort}`) && cols[3] === '0A' && cols[9]) inodes.add(cols[9]);
          }
        }
        try {
          for (const fd of readdirSync(`/proc/${listener.hostPid}/fd`)) {
            const link = readlinkSync(`/proc/${listener.hostPid}/fd/${fd}`);
            const m = /^socket:\[(\d+)\]$/.exec(link);
            if (m?.[1] && inodes.has(m[1])) return true;
          }
        } catch {
          /* exited */
        }
      }
      if (Date.now() > deadline) return false;
      await sleep(20);
    }
  }

  private async waitSshd(state: 'stopped' | 'frozen' | 'running'): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (this.sshdState() !== state) {
      if (Date.now() > deadline) throw new Error(`${this.name}: sshd did not reach ${state}`);
      await sleep(10);
    }
  }

  private readHostSide(rel: string): string {
    try {
      return readFileSync(path.join(this.record.nodeDir, rel), 'utf8').trim().split('\n').slice(-20).join('\n');
    } catch {
      return '';
    }
  }
}

function readChildren(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function safeKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* gone */
  }
}

function shellSingleQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
