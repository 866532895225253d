/**
 * Each way a node can fail gets its own clear error, the right exit code, and a journal
 * record: unreachable host, refused key, changed host key, command timeout, node killed
 * mid-step. Hostile values never execute on a node.
 */
import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEd25519 } from '../fleet/keys.js';
import { useFleet } from '../fleet/fixture.js';
import { events, slipway } from '../support/cli.js';

const f = useFleet({ nodes: 2 });
let work: string;
const env = () => ({ SLIPWAY_STATE_DIR: path.join(work, 'state') });

async function writePlaybook(name: string, body: string): Promise<string> {
  const file = path.join(work, name);
  await fs.writeFile(file, body);
  return file;
}

async function journalOf(stdout: string): Promise<Array<Record<string, unknown>>> {
  const summary = events(stdout).at(-1) as unknown as { runId: string };
  const text = await fs.readFile(path.join(work, 'state', 'runs', summary.runId, 'journal.ndjson'), 'utf8');
  return text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

const touchPlaybook = `name: touch
hosts: "{{ target }}"
steps:
  - id: touch
    uses: command
    with: {argv: [touch, /var/lib/touched], creates: /var/lib/touched}
`;

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-fail-'));
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

function noStack(text: string): void {
  expect(text).not.toMatch(/^\s+at /m);
  expect(text).not.toContain('internal error');
}

describe('node failures', () => {
  it('an unreachable host: exit 3, named, journaled', async () => {
    const pb = await writePlaybook('touch.yaml', touchPlaybook.replace('"{{ target }}"', 'node-2'));
    await f.fleet.node('node-2').stopSshd();
    try {
      const r = await slipway(['run', pb, '-i', f.fleet.inventoryFile, '--output', 'json'], { env: env() });
      expect(r.code).toBe(3);
      noStack(r.stderr);
      const failed = events(r.stdout).find((e) => e.type === 'step.failed');
      expect(failed).toMatchObject({ host: 'node-2', kind: 'transport' });
      expect(String(failed?.error)).toMatch(/node-2: cannot connect to 127\.0\.0\.1:\d+: connection refused/);
      const journal = await journalOf(r.stdout);
      expect(journal.find((e) => e.type === 'node.end')).toMatchObject({ host: 'node-2', status: 'unreachable' });
      const plan = await slipway(['plan', pb, '-i', f.fleet.inventoryFile], { env: env() });
      expect(plan.code).toBe(3);
      expect(plan.stdout).toContain('node-2: UNREACHABLE');
    } finally {
      await f.fleet.node('node-2').startSshd();
    }
  });

  it('a refused key: exit 3 with an authentication message', async () => {
    const other = generateEd25519();
    await fs.writeFile(path.join(work, 'wrong_key'), other.private, { mode: 0o600 });
    const inv = (await fs.readFile(f.fleet.inventoryFile, 'utf8')).replace(
      'ansible_ssh_private_key_file: ./id_ed25519',
      `ansible_ssh_private_key_file: ${path.join(work, 'wrong_key')}`,
    ).replace('slipway_known_hosts: ./known_hosts', `slipway_known_hosts: ${f.fleet.knownHostsFile}`);
    const invFile = path.join(work, 'wrong-key.yaml');
    await fs.writeFile(invFile, inv);
    const pb = await writePlaybook('touch1.yaml', touchPlaybook.replace('"{{ target }}"', 'node-1'));
    const r = await slipway(['run', pb, '-i', invFile], { env: env() });
    expect(r.code).toBe(3);
    noStack(r.stdout + r.stderr);
    expect(r.stdout).toMatch(/authentication as 'root' at 127\.0\.0\.1:\d+ was refused \(keys tried: .*wrong_key\)/);
  });

  it('a changed host key: exit 3, refused, nothing run', async () => {
    const kh = (await fs.readFile(f.fleet.knownHostsFile, 'utf8')).split('\n');
    const port1 = f.fleet.node('node-1').port;
    const swapped = kh.map((l) => (l.startsWith(`[127.0.0.1]:${port1} `) ? `[127.0.0.1]:${port1} ${f.fleet.node('cp-1').record.hostPublicKey}` : l));
    await fs.writeFile(path.join(work, 'known_hosts'), swapped.join('\n'));
    const inv = (await fs.readFile(f.fleet.inventoryFile, 'utf8'))
      .replace('ansible_ssh_private_key_file: ./id_ed25519', `ansible_ssh_private_key_file: ${f.fleet.keyFile}`)
      .replace('slipway_known_hosts: ./known_hosts', `slipway_known_hosts: ${path.join(work, 'known_hosts')}`);
    const invFile = path.join(work, 'swapped.yaml');
    await fs.writeFile(invFile, inv);
    const pb = await writePlaybook('touch2.yaml', touchPlaybook.replace('"{{ target }}"', 'node-1'));
    const r = await slipway(['run', pb, '-i', invFile], { env: env() });
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('HOST KEY MISMATCH');
    expect(await f.fleet.node('node-1').readFile('/var/lib/touched')).toBeNull();
  });

  it('a command timeout: exit 1, the remote command is killed, journaled as timeout', async () => {
    await f.fleet.node('node-1').hangCommand('dpkg');
    try {
      const pb = await writePlaybook(
        'hang.yaml',
        `name: hang
hosts: node-1
steps:
  - id: query-dpkg
    uses: command
    timeout: 1s
    with: {argv: [dpkg, --audit]}
`,
      );
      const r = await slipway(['run', pb, '-i', f.fleet.inventoryFile, '--output', 'json'], { env: env() });
      expect(r.code).toBe(1);
      const failed = events(r.stdout).find((e) => e.type === 'step.failed');
      expect(failed).toMatchObject({ host: 'node-1', step: 'query-dpkg', kind: 'timeout' });
      expect(String(failed?.error)).toContain('timed out after 1s');
      // The remote `timeout` wrapper kills the command (and its process group) on the node.
      let left = '';
      for (let i = 0; i < 50; i++) {
        left = (await f.fleet.node('node-1').exec(['sh', '-c', 'ps -eo args | grep -c "^sleep 2147483647" || true'])).stdout.trim();
        if (left === '0') break;
        await new Promise((res) => setTimeout(res, 100));
      }
      expect(left).toBe('0');
    } finally {
      await f.fleet.node('node-1').clearFault('dpkg');
    }
  });

  it('a node killed mid-step: exit 3, connection lost, journaled with the step that was running', async () => {
    const pb = await writePlaybook(
      'slow.yaml',
      `name: slow
hosts: node-2
steps:
  - id: slow
    uses: command
    with: {argv: [sleep, "20"]}
`,
    );
    const running = slipway(['run', pb, '-i', f.fleet.inventoryFile, '--output', 'json'], { env: env() });
    const node = f.fleet.node('node-2');
    for (let i = 0; i < 100; i++) {
      const ps = await node.exec(['sh', '-c', 'ps -eo args | grep -c "^sleep 20" || true']);
      if (ps.stdout.trim() !== '0') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await node.killSshd();
    const r = await running;
    await node.startSshd();
    expect(r.code).toBe(3);
    const failed = events(r.stdout).find((e) => e.type === 'step.failed');
    expect(failed).toMatchObject({ host: 'node-2', step: 'slow', kind: 'transport' });
    expect(String(failed?.error)).toContain('connection lost while running `sleep 20`');
    const journal = await journalOf(r.stdout);
    expect(journal.map((e) => e.type)).toEqual(['run.start', 'batch.start', 'node.start', 'step.start', 'step.failed', 'node.end', 'batch.end', 'run.summary']);
  });
});

describe('hostile values', () => {
  it('never execute on the node, in vars, host names or step parameters', async () => {
    const evil = ['$(touch /tmp/pwned-subst)', '`touch /tmp/pwned-tick`', "'; touch /tmp/pwned-quote; '", 'a\ntouch /tmp/pwned-newline', '; touch /tmp/pwned-semi'];
    const inv = (await fs.readFile(f.fleet.inventoryFile, 'utf8'))
      .replace('ansible_ssh_private_key_file: ./id_ed25519', `ansible_ssh_private_key_file: ${f.fleet.keyFile}`)
      .replace('slipway_known_hosts: ./known_hosts', `slipway_known_hosts: ${f.fleet.knownHostsFile}`)
      .replace(/^ {4}node-1:$/m, '    "node-1$(touch /tmp/pwned-host)":');
    // Keep the group membership consistent with the renamed host.
    const invFixed = inv.replace(/^( {8})node-1:$/m, '$1"node-1$(touch /tmp/pwned-host)":');
    const invFile = path.join(work, 'evil-inventory.yaml');
    await fs.writeFile(invFile, invFixed);
    const pb = await writePlaybook(
      'evil-playbook.yaml',
      `name: hostile
hosts: workers
vars:
  evil: ${JSON.stringify(evil)}
  one: "$(touch /tmp/pwned-var)"
steps:
  - id: echo-args
    uses: command
    with: {argv: [printf, "%s|", "{{ one }}", "{{ node.name }}", "{{ evil.0 }}", "{{ evil.1 }}", "{{ evil.2 }}", "{{ evil.3 }}", "{{ evil.4 }}"]}
  - id: file
    uses: file.content
    with:
      path: "/var/lib/evil-{{ one }}"
      content: "evil: {{ evil }}"
  - id: line
    uses: file.line
    with:
      path: /var/lib/evil-lines
      line: "{{ evil.4 }}"
      state: present
`,
    );
    const r = await slipway(['run', pb, '-i', invFile, '--output', 'json'], { env: env() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const n of f.fleet.nodes) {
      const found = await n.exec(['sh', '-c', 'ls /tmp/pwned-* / 2>/dev/null | grep -c pwned || true']);
      expect(found.stdout.trim(), `on ${n.name}`).toBe('0');
    }
    expect((await fs.readdir('/tmp')).filter((x) => x.startsWith('pwned'))).toEqual([]);
    const w1 = f.fleet.node('node-1');
    expect(await w1.readFile('/var/lib/evil-$(touch /tmp/pwned-var)')).toBe(`evil: ${JSON.stringify(evil)}`);
    expect(await w1.readFile('/var/lib/evil-lines')).toBe('; touch /tmp/pwned-semi\n');
    expect(existsSync('/var/lib/evil-lines')).toBe(false);
  });
});
