import { existsSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { CommandError, TransportError } from '../../src/errors.js';
import { SshRemote } from '../../src/transport/ssh.js';
import { useFleet } from './fixture.js';
import { generateEd25519 } from './keys.js';
import { fleetHost } from './hosts.js';
import { Fleet } from './fleet.js';
import { fileTree } from '../support/tree.js';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const f = useFleet({ nodes: 2 });
const remotes: SshRemote[] = [];
function remote(name: string, opts: ConstructorParameters<typeof SshRemote>[1] = {}): SshRemote {
  const r = new SshRemote(fleetHost(f.fleet, name), opts);
  remotes.push(r);
  return r;
}
afterAll(async () => {
  await Promise.all(remotes.map((r) => r.close()));
});

describe('fleet nodes', () => {
  it("a node's file tree (what 'changes nothing' is checked with) sees an edit of a big file behind its old mtime, of a small one, and a chmod", async () => {
    const node = f.fleet.node('node-2');
    const sh = (script: string) => node.exec(['sh', '-c', script]);
    await sh('head -c 2000000 /dev/zero > /opt/big.bin; echo a > /etc/small.conf');
    const before = await fileTree(node);
    expect(await fileTree(node)).toBe(before);
    // Same size, same mtime, one byte different: big files are taken by ctime, which no write leaves.
    await sh('touch -r /opt/big.bin /tmp/ref && printf x | dd of=/opt/big.bin bs=1 seek=1000 conv=notrunc 2>/dev/null && touch -r /tmp/ref /opt/big.bin && rm /tmp/ref');
    const rewritten = await fileTree(node);
    expect(rewritten).not.toBe(before);
    await sh('echo b > /etc/small.conf && touch -r /opt/big.bin /etc/small.conf');
    const edited = await fileTree(node);
    expect(edited).not.toBe(rewritten);
    await sh('chmod 600 /opt/big.bin');
    expect(await fileTree(node)).not.toBe(edited);
  });


  it('writes inventory, known_hosts and key in Ansible format', async () => {
    const inv = await fs.readFile(f.fleet.inventoryFile, 'utf8');
    expect(inv).toMatch(/all:\n\s+hosts:\n\s+cp-1:\n\s+ansible_host: 127\.0\.0\.1\n\s+ansible_port: \d+/);
    expect(inv).toContain('control_plane:');
    expect(inv).toContain('workers:');
    expect(inv).toContain('ansible_ssh_private_key_file: ./id_ed25519');
    const known = readFileSync(f.fleet.knownHostsFile, 'utf8').trim().split('\n');
    expect(known).toHaveLength(3);
    for (const line of known) expect(line).toMatch(/^\[127\.0\.0\.1\]:\d+ ssh-ed25519 /);
  });

  it('runs each node in its own namespaces: hostname, and nothing written is seen elsewhere', async () => {
    const r1 = remote('node-1');
    expect((await r1.run(['hostname'])).stdout.trim()).toBe('node-1');
    expect((await remote('node-2').run(['hostname'])).stdout.trim()).toBe('node-2');
    const marker = `isolation-${process.pid}-${Date.now()}`;
    const paths = ['/etc', '/var/lib', '/usr/local', '/opt', '/tmp', '/run', '/root'].map((d) => `${d}/${marker}`);
    for (const p of paths) await r1.run(['sh', '-c', 'echo node-1 > "$1"', 'sh', p]);
    for (const p of paths) {
      expect(await r1.readFile(p)).toBe('node-1\n');
      expect(await f.fleet.node('node-2').readFile(p)).toBeNull();
      expect(await f.fleet.node('cp-1').readFile(p)).toBeNull();
      expect(existsSync(p), `${p} leaked to the host`).toBe(false);
    }
  });

  it('verifies host keys: a changed key and an unknown key are refused; accept-new records it', async () => {
    const port2 = f.fleet.node('node-2').port;
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-kh-'));
    const swapped = path.join(tmp, 'swapped');
    // node-1's key recorded for node-2's address: what a reinstalled or spoofed host looks like.
    await fs.writeFile(swapped, `[127.0.0.1]:${port2} ${f.fleet.node('node-1').record.hostPublicKey}\n`);
    const mismatch = await remote('node-2', {}).run(['true']).then(() => null);
    expect(mismatch).toBeNull();
    const wrong = new SshRemote(fleetHost(f.fleet, 'node-2', { knownHostsFile: swapped }));
    remotes.push(wrong);
    const err = await wrong.run(['true']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).failure).toBe('host-key-mismatch');
    expect((err as Error).message).toContain(`${swapped}:1`);

    const empty = path.join(tmp, 'empty');
    await fs.writeFile(empty, '');
    const unknown = new SshRemote(fleetHost(f.fleet, 'node-2', { knownHostsFile: empty }));
    remotes.push(unknown);
    const err2 = await unknown.run(['true']).catch((e: unknown) => e);
    expect((err2 as TransportError).failure).toBe('host-key-unknown');
    expect((err2 as Error).message).toContain('--accept-new-host-keys');

    const accepting = new SshRemote(fleetHost(f.fleet, 'node-2', { knownHostsFile: empty }), { acceptNewHostKeys: true });
    remotes.push(accepting);
    expect((await accepting.run(['hostname'])).stdout.trim()).toBe('node-2');
    expect(await fs.readFile(empty, 'utf8')).toMatch(/^\|1\|.+ ssh-ed25519 /);
    const again = new SshRemote(fleetHost(f.fleet, 'node-2', { knownHostsFile: empty }));
    remotes.push(again);
    expect((await again.run(['hostname'])).stdout.trim()).toBe('node-2');
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('refuses a wrong client key with its own error', async () => {
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-key-'));
    const other = generateEd25519();
    await fs.writeFile(path.join(tmp, 'id'), other.private, { mode: 0o600 });
    const r = new SshRemote(fleetHost(f.fleet, 'node-1', { identityFiles: [path.join(tmp, 'id')] }));
    remotes.push(r);
    const err = await r.run(['true']).catch((e: unknown) => e);
    expect((err as TransportError).failure).toBe('auth-refused');
    expect((err as Error).message).toContain("authentication as 'root'");
    await fs.rm(tmp, { recursive: true, force: true });
  });
});

describe('faults', () => {
  it('stopped sshd refuses connections; started again, the node keeps its files', async () => {
    const node = f.fleet.node('node-2');
    await remote('node-2').run(['sh', '-c', 'echo kept > /var/lib/state-file']);
    await node.stopSshd();
    expect(node.sshdState()).toBe('stopped');
    const err = await remote('node-2').run(['true']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).failure).toBe('unreachable');
    expect((err as Error).message).toContain('connection refused');
    await node.startSshd();
    expect(await remote('node-2').readFile('/var/lib/state-file')).toBe('kept\n');
  });

  it('killed sshd drops a connection in the middle of a command', async () => {
    const node = f.fleet.node('node-1');
    const r = remote('node-1');
    await r.run(['true']);
    const pending = r.exec(['sleep', '30']).catch((e: unknown) => e);
    await new Promise((res) => setTimeout(res, 300));
    await node.killSshd();
    const err = await pending;
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).failure).toBe('connection-lost');
    expect((err as Error).message).toContain('sleep 30');
    await node.startSshd();
    expect((await r.run(['hostname'])).stdout.trim()).toBe('node-1'); // reconnects lazily
  });

  it('a frozen node does not answer; thawed, it does', async () => {
    const node = f.fleet.node('cp-1');
    await node.freeze();
    expect(node.sshdState()).toBe('frozen');
    const err = await remote('cp-1', { connectTimeoutMs: 1500 }).run(['true']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).failure).toBe('unreachable');
    await node.thaw();
    expect((await remote('cp-1').run(['hostname'])).stdout.trim()).toBe('cp-1');
  });

  it('makes a named command fail, then restores it', async () => {
    const node = f.fleet.node('node-1');
    const r = remote('node-1');
    await node.failCommand('dpkg', { exitCode: 2, stderr: 'dpkg: error: dpkg frontend lock was locked by another process' });
    const res = await r.exec(['dpkg', '--version']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('frontend lock');
    expect((await f.fleet.node('node-2').exec(['dpkg', '--version'])).code).toBe(0);
    await node.clearFault('dpkg');
    expect((await r.exec(['dpkg', '--version'])).code).toBe(0);
  });

  it('makes a named command hang; the transport timeout kills it', async () => {
    const node = f.fleet.node('node-1');
    await node.hangCommand('uname');
    const err = await remote('node-1').run(['uname', '-a'], { timeoutMs: 800 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).timedOut).toBe(true);
    const left = await node.exec(['sh', '-c', 'ps -eo comm,args | grep -c "^sleep *sleep 2147483647" || true']);
    expect(left.stdout.trim()).toBe('0');
    await node.clearFault('uname');
    expect((await remote('node-1').run(['uname'])).stdout.trim()).toBe('Linux');
  });
});

describe('teardown', () => {
  it('leaves no process, mount or state behind', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-teardown-'));
    const fleet = await Fleet.up({ dir, nodes: 1 });
    await new SshRemote(fleetHost(fleet, 'node-1')).run(['systemctl', 'start', 'containerd']).catch(() => undefined);
    const pids = fleet.nodes.map((n) => n.record.initPid);
    const nsIds = fleet.nodes.map((n) => n.processes().length);
    expect(nsIds.every((c) => c >= 2)).toBe(true);
    const stateRoot = fleet.record.stateRoot;
    await fleet.down();
    for (const pid of pids) expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(stateRoot);
    expect(existsSync(stateRoot)).toBe(false);
    // No process anywhere still runs from that fleet's layers.
    const stray = (await fs.readdir('/proc')).filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(stateRoot);
      } catch {
        return false;
      }
    });
    expect(stray).toEqual([]);
    await fs.rm(dir, { recursive: true, force: true });
  });
});
