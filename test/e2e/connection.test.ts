/**
 * How slipway reaches and acts on nodes, against real sshd and real sudo: `become` through
 * sudo (without a password, with one, with a wrong one, with none given), ProxyJump from an
 * ssh_config, and `on: control_plane` steps that run on another host for each node.
 */
import { randomBytes } from 'node:crypto';
import dns from 'node:dns/promises';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useFleet } from '../fleet/fixture.js';
import { events, slipway, type CliResult } from '../support/cli.js';
import { shellWord, startInTerminal } from '../support/terminal.js';

/** The sudo password of `deploypw`: quotes, spaces and shell syntax, to prove it is passed as data. */
const PASSWORD = `pw ${randomBytes(4).toString('hex')} 'q' "d" $HOME;\`x\``;
/** Resolves only on cp-1 (its /etc/hosts): a connection to it can only come from cp-1. */
const INTERNAL_NAME = 'node-1.fleet.internal';

const users = `
for u in deploy deploypw; do
  id -u "$u" >/dev/null 2>&1 || useradd --create-home --home-dir "/var/lib/$u" --shell /bin/sh "$u"
  mkdir -p "/var/lib/$u/.ssh"
  cp /root/.ssh/authorized_keys "/var/lib/$u/.ssh/authorized_keys"
  chown -R "$u:$u" "/var/lib/$u/.ssh"
  chmod 0700 "/var/lib/$u/.ssh"
  chmod 0600 "/var/lib/$u/.ssh/authorized_keys"
done
printf '%s\\n' ${shellWord(`deploy:${randomBytes(8).toString('hex')}`)} ${shellWord(`deploypw:${PASSWORD}`)} | chpasswd
`;

const f = useFleet({
  nodes: 2,
  seed: (name) => ({
    files: [
      {
        path: '/etc/sudoers.d/slipway-test',
        mode: 0o440,
        content: ['deploy ALL=(ALL:ALL) NOPASSWD: ALL', 'deploypw ALL=(ALL:ALL) ALL', 'Defaults logfile=/var/log/sudo.log', ''].join('\n'),
      },
    ],
    bootScript: users + (name === 'cp-1' ? `grep -q ${INTERNAL_NAME} /etc/hosts || echo '127.0.0.1 ${INTERNAL_NAME}' >> /etc/hosts\n` : ''),
  }),
});

let work: string;
const stateDir = () => path.join(work, 'state');
/** Hermetic: no ~/.ssh of whoever runs the tests. */
const env = (extra: Record<string, string> = {}) => ({ SLIPWAY_STATE_DIR: stateDir(), HOME: path.join(work, 'home'), ...extra });

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-conn-'));
  await fs.mkdir(path.join(work, 'home'));
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

async function writeFile(name: string, body: string): Promise<string> {
  const file = path.join(work, name);
  await fs.writeFile(file, body);
  return file;
}

/** An Ansible inventory of the fleet, as its operators would write it for another login user. */
async function writeInventory(name: string, vars: Record<string, unknown>, hosts?: Record<string, Record<string, unknown>>): Promise<string> {
  const all = {
    hosts: hosts ?? Object.fromEntries(f.fleet.nodes.map((n) => [n.name, { ansible_host: '127.0.0.1', ansible_port: n.port }])),
    vars: { ansible_ssh_private_key_file: f.fleet.keyFile, slipway_known_hosts: f.fleet.knownHostsFile, ...vars },
    children: {
      control_plane: { hosts: { 'cp-1': null } },
      workers: { hosts: Object.fromEntries(f.fleet.workers.map((n) => [n.name, null])) },
    },
  };
  if (hosts) {
    all.children.control_plane.hosts = Object.fromEntries(Object.keys(hosts).filter((h) => h === 'cp-1').map((h) => [h, null])) as { 'cp-1': null };
    all.children.workers.hosts = Object.fromEntries(Object.keys(hosts).filter((h) => h !== 'cp-1').map((h) => [h, null]));
  }
  return writeFile(name, stringify({ all }, { nullStr: '' }));
}

/** Every file a run left in the state directory, as text. */
async function stateFiles(): Promise<string> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(`${p}\n${await fs.readFile(p, 'utf8')}`);
    }
  };
  await walk(stateDir());
  return out.join('\n');
}

function noStack(r: CliResult): void {
  expect(r.stdout + r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stdout + r.stderr).not.toContain('internal error');
}

async function stat(node: string, file: string): Promise<string> {
  return (await f.fleet.node(node).run(['stat', '-c', '%U:%G %a', file])).trim();
}

async function sshdAccepted(node: string, user: string): Promise<number> {
  const log = (await f.fleet.node(node).readFile('/var/log/sshd.log')) ?? '';
  return log.split('\n').filter((l) => l.includes(`Accepted publickey for ${user} from`)).length;
}

/** sudo's own log on the node (sudoers `logfile`), one entry a line (sudo wraps long ones). */
async function sudoLog(node: string): Promise<string> {
  return ((await f.fleet.node(node).readFile('/var/log/sudo.log')) ?? '').replace(/\n {4}/g, ' ');
}

const becomePlaybook = `name: become
hosts: node-1
steps:
  - id: etc-file
    uses: file.content
    with: {path: "/etc/slipway-become/{{ tag }}.conf", content: "written by {{ tag }}\\n", mode: "0640"}
  - id: whoami
    uses: command
    with: {argv: [sh, -c, 'id -u > "$0"', "/var/lib/become-uid-{{ tag }}"], creates: "/var/lib/become-uid-{{ tag }}"}
`;

describe('become through sudo', () => {
  let playbook: string;
  let nopasswd: string;
  let withPassword: string;
  beforeAll(async () => {
    playbook = await writeFile('become.yaml', becomePlaybook);
    nopasswd = await writeInventory('deploy.yaml', { ansible_user: 'deploy', ansible_become: true });
    withPassword = await writeInventory('deploypw.yaml', { ansible_user: 'deploypw', ansible_become: true });
  });

  it('NOPASSWD: logs in as deploy, files land root-owned, commands run as root', async () => {
    const before = await sshdAccepted('node-1', 'deploy');
    const r = await slipway(['run', playbook, '-i', nopasswd, '-e', 'tag=nopasswd', '--output', 'plain'], { env: env() });
    expect(r.stderr).toBe('');
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain('[node-1] etc-file changed: create /etc/slipway-become/nopasswd.conf (mode 0640)');
    expect(await sshdAccepted('node-1', 'deploy')).toBeGreaterThan(before);
    expect(await f.fleet.node('node-1').readFile('/etc/slipway-become/nopasswd.conf')).toBe('written by nopasswd\n');
    expect(await stat('node-1', '/etc/slipway-become/nopasswd.conf')).toBe('root:root 640');
    expect(await f.fleet.node('node-1').readFile('/var/lib/become-uid-nopasswd')).toBe('0\n');
    expect(await stat('node-1', '/var/lib/become-uid-nopasswd')).toBe('root:root 644');
    expect(await sudoLog('node-1')).toMatch(/deploy : .*USER=root ; COMMAND=.*id -u/);

    // Again: all ok. The file is 0640 root:root, so even reading it back went through sudo.
    const again = await slipway(['run', playbook, '-i', nopasswd, '-e', 'tag=nopasswd', '--output', 'plain'], { env: env() });
    expect(again.code, again.stdout).toBe(0);
    expect(again.stdout).toMatch(/succeeded: 2 ok, 0 changed, 0 skipped, 0 failed/);
  });

  it('NOPASSWD with a password set: sudo never asks, and the password never reaches a command', async () => {
    const r = await slipway(['run', playbook, '-i', nopasswd, '-e', 'tag=nopasswd-pw', '--output', 'plain'], { env: env({ SLIPWAY_BECOME_PASSWORD: PASSWORD }) });
    expect(r.code, r.stdout).toBe(0);
    // The content arrives on stdin through sudo: a password line sent to a sudo that did not ask would land here.
    expect(await f.fleet.node('node-1').readFile('/etc/slipway-become/nopasswd-pw.conf')).toBe('written by nopasswd-pw\n');
    expect(await f.fleet.node('node-1').readFile('/var/lib/become-uid-nopasswd-pw')).toBe('0\n');
  });

  it('a user that needs a password, and none given: a clear message naming the host, nothing done', async () => {
    const r = await slipway(['run', playbook, '-i', withPassword, '-e', 'tag=nopw', '--output', 'plain'], { env: env() });
    expect(r.code).toBe(1);
    noStack(r);
    expect(r.stdout).toContain(
      "[node-1] etc-file FAILED (step): node-1: sudo needs a password for 'deploypw' to become root (ansible_become): set SLIPWAY_BECOME_PASSWORD or pass -K (--ask-become-pass)",
    );
    expect(await f.fleet.node('node-1').readFile('/etc/slipway-become/nopw.conf')).toBeNull();

    const plan = await slipway(['plan', playbook, '-i', withPassword, '-e', 'tag=nopw'], { env: env() });
    expect(plan.code).toBe(1);
    expect(plan.stdout).toContain("node-1: sudo needs a password for 'deploypw' to become root (ansible_become): set SLIPWAY_BECOME_PASSWORD or pass -K");
  });

  it('with SLIPWAY_BECOME_PASSWORD it works, and the password is written nowhere', async () => {
    const r = await slipway(['run', playbook, '-i', withPassword, '-e', 'tag=withpw', '--output', 'json'], { env: env({ SLIPWAY_BECOME_PASSWORD: PASSWORD }) });
    expect(r.stderr).toBe('');
    expect(r.code, r.stdout).toBe(0);
    expect(await stat('node-1', '/etc/slipway-become/withpw.conf')).toBe('root:root 640');
    expect(await f.fleet.node('node-1').readFile('/var/lib/become-uid-withpw')).toBe('0\n');
    expect(await sudoLog('node-1')).toMatch(/deploypw : .*USER=root ; COMMAND=.*id -u/);

    const runId = (events(r.stdout).at(-1) as { runId?: string }).runId as string;
    const runDir = path.join(stateDir(), 'runs', runId);
    expect((await fs.readdir(runDir)).sort()).toEqual(['inventory.resolved.yaml', 'journal.ndjson', 'playbook.resolved.yaml', 'report.html', 'report.json', 'report.md']);
    const secretParts = [PASSWORD, PASSWORD.split(' ')[1] as string];
    for (const part of secretParts) {
      expect(r.stdout).not.toContain(part);
      expect(await stateFiles()).not.toContain(part);
      expect(await sudoLog('node-1')).not.toContain(part);
    }
  });

  it('a wrong password: refused with a clear message, tried once only (no lockout), never shown', async () => {
    const pb = await writeFile(
      'become-retries.yaml',
      becomePlaybook.replace('  - id: etc-file\n', '  - id: etc-file\n    retries: 2\n'),
    );
    const failedBefore = (await sudoLog('node-1')).match(/incorrect password attempt/g)?.length ?? 0;
    const wrong = `${PASSWORD}-wrong`;
    const r = await slipway(['run', pb, '-i', withPassword, '-e', 'tag=wrongpw', '--output', 'json'], { env: env({ SLIPWAY_BECOME_PASSWORD: wrong }) });
    expect(r.code).toBe(1);
    noStack(r);
    const failed = events(r.stdout).find((e) => e.type === 'step.failed');
    expect(failed).toMatchObject({ host: 'node-1', step: 'etc-file', attempts: 3 });
    expect(String(failed?.error)).toBe(
      "node-1: sudo refused the become password for 'deploypw' (from SLIPWAY_BECOME_PASSWORD or -K); it is not offered again in this run (sudo: 1 incorrect password attempt)",
    );
    // Three attempts of the step, one password attempt on the node.
    const failedAfter = (await sudoLog('node-1')).match(/incorrect password attempt/g)?.length ?? 0;
    expect(failedAfter - failedBefore).toBe(1);
    expect(r.stdout + r.stderr + (await stateFiles())).not.toContain(wrong.split(' ')[1] as string);
    expect(await f.fleet.node('node-1').readFile('/etc/slipway-become/wrongpw.conf')).toBeNull();
  });

  it('-K asks on the terminal without echoing, and the run uses the answer', async () => {
    const term = await startInTerminal(['run', playbook, '-i', withPassword, '-e', 'tag=askpass', '-K', '--output', 'plain'], { env: env(), cols: 160, rows: 30 });
    try {
      await term.waitFor(/^BECOME password:/m);
      await term.type(PASSWORD, { enter: true });
    } catch (err) {
      await term.close();
      throw err;
    }
    const { code, screen } = await term.done();
    expect(code, screen).toBe(0);
    expect(screen).toMatch(/^BECOME password:\s*$/m); // nothing echoed after the prompt
    expect(screen).toMatch(/succeeded: 0 ok, 2 changed/);
    expect(screen).not.toContain(PASSWORD.split(' ')[1] as string);
    expect(await stat('node-1', '/etc/slipway-become/askpass.conf')).toBe('root:root 640');
  });
});

describe('ProxyJump from ssh_config', () => {
  const touchPlaybook = (file: string) => `name: through-the-jump-host
hosts: node-1
steps:
  - id: touch
    uses: command
    with: {argv: [touch, ${file}], creates: ${file}}
`;
  let sshConfig: string;
  let knownHosts: string;

  beforeAll(async () => {
    const n1 = f.fleet.node('node-1');
    const cp = f.fleet.node('cp-1');
    sshConfig = await writeFile(
      'ssh_config',
      [
        'Host node-1',
        `  HostName ${INTERNAL_NAME}`,
        `  Port ${n1.port}`,
        '  User root',
        `  IdentityFile ${f.fleet.keyFile}`,
        `  ProxyJump root@127.0.0.1:${cp.port}`,
        '',
      ].join('\n'),
    );
    const fleetKnown = await fs.readFile(f.fleet.knownHostsFile, 'utf8');
    knownHosts = await writeFile('known_hosts', `${fleetKnown}[${INTERNAL_NAME}]:${n1.port} ${n1.record.hostPublicKey.trim()}\n`);
  });

  /** node-1 with no address or port in the inventory: all from ssh_config. */
  const inventoryFor = (known: string) => writeInventory(`jump-${path.basename(known)}.yaml`, { slipway_known_hosts: known }, { 'node-1': {} });

  it('runs on node-1 through cp-1, which is the only host that can reach it', async () => {
    // The host cannot resolve node-1's HostName; only cp-1 can: a direct connection is impossible.
    await expect(dns.lookup(INTERNAL_NAME)).rejects.toThrow();
    const inventory = await inventoryFor(knownHosts);
    const direct = await writeFile('ssh_config_direct', (await fs.readFile(sshConfig, 'utf8')).replace(/^ {2}ProxyJump .*\n/m, ''));
    const noJump = await slipway(['run', await writeFile('touch-direct.yaml', touchPlaybook('/var/lib/direct')), '-i', inventory, '--ssh-config', direct, '--output', 'plain'], { env: env() });
    expect(noJump.code).toBe(3);
    expect(noJump.stdout).toContain(`node-1: cannot connect to ${INTERNAL_NAME}:${f.fleet.node('node-1').port}: host name not found`);

    const jumpsBefore = await sshdAccepted('cp-1', 'root');
    const pb = await writeFile('touch-jump.yaml', touchPlaybook('/var/lib/through-jump'));
    const r = await slipway(['run', pb, '-i', inventory, '--ssh-config', sshConfig, '--output', 'plain'], { env: env() });
    expect(r.stderr).toBe('');
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain('[node-1] touch changed');
    expect(await f.fleet.node('node-1').readFile('/var/lib/through-jump')).toBe('');
    expect(await f.fleet.node('cp-1').readFile('/var/lib/through-jump')).toBeNull();
    // One login on the jump host for the one connection to node-1.
    expect(await sshdAccepted('cp-1', 'root')).toBe(jumpsBefore + 1);
  });

  it('refuses a jump host whose key is unknown, and says it is the jump host', async () => {
    const cpPort = f.fleet.node('cp-1').port;
    const withoutCp = (await fs.readFile(knownHosts, 'utf8'))
      .split('\n')
      .filter((l) => !l.startsWith(`[127.0.0.1]:${cpPort} `))
      .join('\n');
    const unknownJump = await writeFile('known_hosts_no_cp', withoutCp);
    const inventory = await inventoryFor(unknownJump);
    const pb = await writeFile('touch-unknown.yaml', touchPlaybook('/var/lib/unknown-jump'));
    const r = await slipway(['run', pb, '-i', inventory, '--ssh-config', sshConfig, '--output', 'plain'], { env: env() });
    expect(r.code).toBe(3);
    noStack(r);
    expect(r.stdout).toMatch(
      new RegExp(
        `node-1: unknown host key for jump host \\[127\\.0\\.0\\.1\\]:${cpPort} \\(ssh-ed25519 SHA256:\\S+\\): it is not in ${unknownJump.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\. ` +
          `Verify it and add it \\(ssh-keyscan -p ${cpPort} 127\\.0\\.0\\.1\\), or pass --accept-new-host-keys`,
      ),
    );
    expect(await f.fleet.node('node-1').readFile('/var/lib/unknown-jump')).toBeNull();

    // --accept-new-host-keys records the jump host's key, like OpenSSH's accept-new.
    const accepted = await slipway(['run', pb, '-i', inventory, '--ssh-config', sshConfig, '--accept-new-host-keys', '--output', 'plain'], { env: env() });
    expect(accepted.code, accepted.stdout).toBe(0);
    expect(await f.fleet.node('node-1').readFile('/var/lib/unknown-jump')).toBe('');
    const lines = (text: string) => text.split('\n').filter((l) => l.trim()).length;
    expect(lines(await fs.readFile(unknownJump, 'utf8'))).toBe(lines(withoutCp) + 1); // hashed, like OpenSSH's
    const known = await slipway(['run', pb, '-i', inventory, '--ssh-config', sshConfig, '--output', 'plain'], { env: env() });
    expect(known.code, known.stdout).toBe(0);
    expect(known.stdout).toContain('[node-1] touch ok');
  });
});

describe('on: control_plane', () => {
  const onPlaybook = (tag: string) => `name: on-control-plane
hosts: workers
steps:
  - id: mark
    name: Mark the node on the control plane
    uses: command
    on: control_plane
    with:
      argv: [sh, -c, 'printf "%s\\n" "$1" > "$0"', "/var/lib/${tag}-{{ node.name }}", "{{ node.name }}"]
      creates: "/var/lib/${tag}-{{ node.name }}"
  - id: local-file
    uses: file.content
    with: {path: "/var/lib/${tag}-here", content: "{{ node.name }}\\n"}
`;

  it('runs the step on cp-1 for each worker; the files land on cp-1, not on the workers', async () => {
    const pb = await writeFile('on-cp.yaml', onPlaybook('for'));
    const plan = await slipway(['plan', pb, '-i', f.fleet.inventoryFile, '--output', 'json'], { env: env() });
    expect(plan.code).toBe(0);
    const planned = JSON.parse(plan.stdout) as { nodes: Array<{ host: string; steps: Array<{ id: string; via?: string; status: string }> }> };
    for (const n of planned.nodes) expect(n.steps.find((s) => s.id === 'mark')).toMatchObject({ via: 'cp-1', status: 'change' });

    const r = await slipway(['run', pb, '-i', f.fleet.inventoryFile, '--output', 'json'], { env: env() });
    expect(r.code, r.stdout).toBe(0);
    const starts = events(r.stdout).filter((e) => e.type === 'step.start' && e.step === 'mark');
    expect(starts.map((e) => [e.host, e.via])).toEqual([
      ['node-1', 'cp-1'],
      ['node-2', 'cp-1'],
    ]);
    const cp = f.fleet.node('cp-1');
    for (const w of f.fleet.workers) {
      expect(await cp.readFile(`/var/lib/for-${w.name}`)).toBe(`${w.name}\n`);
      expect(await w.readFile(`/var/lib/for-${w.name}`)).toBeNull();
      expect(await w.readFile('/var/lib/for-here')).toBe(`${w.name}\n`); // steps without `on:` stay on the node
    }
    expect(await cp.readFile('/var/lib/for-here')).toBeNull();

    // `creates` is checked where the step runs: the second run finds the files on cp-1.
    const again = await slipway(['run', pb, '-i', f.fleet.inventoryFile, '--output', 'plain'], { env: env() });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('[node-1] mark ok: /var/lib/for-node-1 exists');
    expect(again.stdout).toMatch(/succeeded: 4 ok, 0 changed/);
  });

  it('fails with exit 3 naming the group when no host of it is reachable', async () => {
    const pb = await writeFile('on-cp-down.yaml', onPlaybook('down'));
    const cp = f.fleet.node('cp-1');
    await cp.stopSshd();
    try {
      const r = await slipway(['run', pb, '-i', f.fleet.inventoryFile, '--output', 'json'], { env: env() });
      expect(r.code).toBe(3);
      noStack(r);
      const failed = events(r.stdout).find((e) => e.type === 'step.failed');
      expect(failed).toMatchObject({ host: 'node-1', step: 'mark', kind: 'transport' });
      expect(String(failed?.error)).toMatch(
        new RegExp(`^on: control_plane: no host of group 'control_plane' is reachable: cp-1: cannot connect to 127\\.0\\.0\\.1:${cp.port}: connection refused$`),
      );
      // Nothing ran on the node either: the step failed before it started anywhere.
      expect(await f.fleet.node('node-1').readFile('/var/lib/down-here')).toBeNull();
    } finally {
      await cp.startSshd();
    }
  });
});

describe('--accept-new-host-keys without a known_hosts file', () => {
  it('creates ~/.ssh (0700) and known_hosts as OpenSSH does, records every node, and the next run needs no flag', async () => {
    // A fresh operator account: a home directory with no ~/.ssh at all.
    const home = path.join(work, 'fresh-home');
    await fs.mkdir(home);
    const inventory = await writeInventory('no-known-hosts.yaml', { slipway_known_hosts: undefined });
    expect(await fs.readFile(inventory, 'utf8')).not.toContain('slipway_known_hosts');
    const pb = await writeFile('touch-fresh.yaml', `name: fresh\nsteps:\n  - id: touch\n    uses: command\n    with: {argv: [touch, /var/lib/fresh-home], creates: /var/lib/fresh-home}\n`);

    const refused = await slipway(['run', pb, '-i', inventory, '--output', 'plain'], { env: env({ HOME: home }) });
    expect(refused.code).toBe(3);
    noStack(refused);
    expect(refused.stdout).toContain(`it is not in ${path.join(home, '.ssh', 'known_hosts')}`);

    const r = await slipway(['run', pb, '-i', inventory, '--accept-new-host-keys', '--output', 'plain'], { env: env({ HOME: home }) });
    noStack(r);
    expect(r.stdout + r.stderr).not.toContain('ENOENT');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const dir = await fs.stat(path.join(home, '.ssh'));
    expect(dir.mode & 0o777).toBe(0o700);
    const file = path.join(home, '.ssh', 'known_hosts');
    expect((await fs.stat(file)).mode & 0o022).toBe(0); // not writable by others (0644 under the usual umask)
    const lines = (await fs.readFile(file, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(f.fleet.nodes.length);
    for (const line of lines) expect(line).toMatch(/^\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+ ssh-ed25519 [A-Za-z0-9+/=]+$/);

    const again = await slipway(['run', pb, '-i', inventory, '--output', 'plain'], { env: env({ HOME: home }) });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect((await fs.readFile(file, 'utf8')).trim().split('\n')).toEqual(lines);
  });
});
