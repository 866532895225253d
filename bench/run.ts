/**
 * Benchmark: slipway against Ansible on the same local fleet, same work per node (write a
 * config file, ensure a line, run a guarded command), all nodes at once. Reports wall time
 * for a first run (changes everything) and a second run (changes nothing), median of rounds.
 *
 *   npm run bench -- [--nodes 20] [--rounds 3]
 *
 * Ansible is used when `ansible-playbook` is installed (Debian: apt-get install ansible-core).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Fleet } from '../test/fleet/fleet.js';
import { CLI } from '../test/support/cli.js';

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '20' }, rounds: { type: 'string', default: '3' } } });
const nodes = Number(values.nodes);
const rounds = Number(values.rounds);

function timed(cmd: string, args: string[], env: Record<string, string> = {}, cwd?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'], ...(cwd ? { cwd } : {}) });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.slice(-2000)}`));
      else resolve(ms);
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

async function hasAnsible(): Promise<boolean> {
  return timed('ansible-playbook', ['--version']).then(() => true, () => false);
}

const slipwayPlaybook = (round: number) => `name: bench
hosts: workers
rolling: {batch: "100%"}
steps:
  - id: config
    uses: file.content
    with: {path: /etc/bench/${round}/app.conf, content: "round = ${round}\\nnode = {{ node.name }}\\n", mode: "0644"}
  - id: sysctl
    uses: file.line
    with: {path: /etc/bench/${round}/sysctl.conf, regexp: '^net\\.ipv4\\.ip_forward', line: net.ipv4.ip_forward = 1, state: present}
  - id: marker
    uses: command
    with: {argv: [touch, /etc/bench/${round}/marker], creates: /etc/bench/${round}/marker}
`;

const ansiblePlaybook = (round: number) => `- hosts: workers
  gather_facts: false
  tasks:
    - name: directory (slipway's file steps create missing parents themselves)
      ansible.builtin.file: {path: /etc/ansible-bench/${round}, state: directory}
    - name: config
      ansible.builtin.copy:
        dest: /etc/ansible-bench/${round}/app.conf
        content: "round = ${round}\\nnode = {{ inventory_hostname }}\\n"
        mode: "0644"
    - name: sysctl
      ansible.builtin.lineinfile:
        path: /etc/ansible-bench/${round}/sysctl.conf
        regexp: '^net\\.ipv4\\.ip_forward'
        line: net.ipv4.ip_forward = 1
        create: true
    - name: marker
      ansible.builtin.command: touch /etc/ansible-bench/${round}/marker
      args: {creates: /etc/ansible-bench/${round}/marker}
`;

async function main(): Promise<void> {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'slipway-bench-'));
  const fleet = await Fleet.up({ dir: path.join(work, 'fleet'), nodes });
  const ansible = await hasAnsible();
  const results: Record<string, number[]> = { 'slipway first run': [], 'slipway second run': [], 'ansible first run': [], 'ansible second run': [] };
  try {
    for (let round = 0; round < rounds; round++) {
      const pb = path.join(work, `slipway-${round}.yaml`);
      await fs.writeFile(pb, slipwayPlaybook(round));
      const env = { SLIPWAY_STATE_DIR: path.join(work, 'state') };
      results['slipway first run']!.push(await timed(process.execPath, [CLI, 'run', pb, '-i', fleet.inventoryFile, '--output', 'plain'], env));
      results['slipway second run']!.push(await timed(process.execPath, [CLI, 'run', pb, '-i', fleet.inventoryFile, '--output', 'plain'], env));
      if (ansible) {
        const apb = path.join(work, `ansible-${round}.yaml`);
        await fs.writeFile(apb, ansiblePlaybook(round));
        const aenv = {
          ANSIBLE_HOST_KEY_CHECKING: 'True',
          ANSIBLE_SSH_ARGS: `-o UserKnownHostsFile=${fleet.knownHostsFile} -o ControlMaster=auto -o ControlPersist=60s`,
          ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
          ANSIBLE_PIPELINING: 'True',
          ANSIBLE_STDOUT_CALLBACK: 'minimal',
        };
        // Ansible resolves ansible_ssh_private_key_file against the working directory.
        const args = [apb, '-i', fleet.inventoryFile, '-f', String(nodes + 1)];
        results['ansible first run']!.push(await timed('ansible-playbook', args, aenv, fleet.dir));
        results['ansible second run']!.push(await timed('ansible-playbook', args, aenv, fleet.dir));
      }
    }
  } finally {
    await fleet.down();
    await fs.rm(work, { recursive: true, force: true });
  }
  console.log(`benchmark: ${nodes} worker nodes, 3 steps each, all nodes at once, median of ${rounds} round(s)`);
  for (const [name, xs] of Object.entries(results)) {
    if (xs.length === 0) {
      console.log(`  ${name.padEnd(20)} (ansible-playbook not installed)`);
      continue;
    }
    console.log(`  ${name.padEnd(20)} ${(median(xs) / 1000).toFixed(2)} s   (${xs.map((x) => (x / 1000).toFixed(2)).join(', ')})`);
  }
}

main().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
