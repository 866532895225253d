/**
 * The benchmark's work: one 8-step remediation of the shape of `kubelet-removed-flags`, on a
 * unit of its own per tool and round (`bench-<slot>`), so every run starts from the same state:
 * a systemd drop-in, a config line, a flag removed from an environment file, daemon-reload and
 * enable, a restart when one of the first three changed something (a handler), a guarded
 * command, a templated file, the unit running. The same work as a slipway playbook, an Ansible
 * playbook (the restart a notified handler, flushed in its place), and shell scripts for the
 * ssh2 floors (the first three leave a mark that the restart consumes); the seed writes the
 * starting state and `verify` checks the end state on every node. A no-op run restarts nothing.
 */
import type { FleetNode } from '../test/fleet/node.js';

export const STEPS = 8;

function paths(slot: string) {
  return {
    unit: `bench-${slot}`,
    unitFile: `/etc/systemd/system/bench-${slot}.service`,
    dropIn: `/etc/systemd/system/bench-${slot}.service.d/10-limits.conf`,
    dir: `/etc/bench/${slot}`,
  };
}

const DROP_IN = '[Service]\nLimitNOFILE=65536\n';

/**
 * The starting state: the unit running (not enabled) with its old settings, its env file with
 * the flag to remove, a config without the line. Returns the unit's main PID.
 */
export async function seed(node: FleetNode, slot: string): Promise<string> {
  const p = paths(slot);
  await node.writeFile(p.unitFile, `[Unit]\nDescription=bench ${slot}\n[Service]\nEnvironmentFile=${p.dir}/env\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n`);
  await node.writeFile(`${p.dir}/env`, 'BENCH_ARGS="--container-runtime=remote --v=2"\n');
  await node.writeFile(`${p.dir}/app.conf`, 'name = bench\n');
  await node.run(['systemctl', 'daemon-reload']);
  await node.run(['systemctl', 'start', `bench-${slot}`]);
  return mainPid(node, slot);
}

/** The unit's main PID: a restart changes it. */
export async function mainPid(node: FleetNode, slot: string): Promise<string> {
  const out = await node.run(['systemctl', 'show', '-p', 'MainPID', '--', paths(slot).unit]);
  return out.trim().replace(/^MainPID=/, '');
}

export function slipwayPlaybook(slot: string): string {
  const p = paths(slot);
  return `name: bench-${slot}
hosts: workers
rolling: {batch: "100%"}
steps:
  - id: drop-in
    uses: file.content
    with: {path: ${p.dropIn}, content: ${JSON.stringify(DROP_IN)}}
  - id: line
    uses: file.line
    with: {path: ${p.dir}/app.conf, regexp: '^max_pods', line: max_pods = 110, state: present}
  - id: flag
    uses: kubelet.removeFlags
    with: {flags: [--container-runtime], files: [${p.dir}/env], backup: false, daemonReload: false}
  - id: enable
    uses: systemd.service
    with: {unit: ${p.unit}, enabled: true, daemonReload: true}
  - id: restart
    uses: systemd.service
    with: {unit: ${p.unit}, state: restarted}
    when: {changed: [drop-in, line, flag]}
  - id: marker
    uses: command
    with: {argv: [touch, ${p.dir}/marker], creates: ${p.dir}/marker}
  - id: templated
    uses: file.content
    with: {path: ${p.dir}/node.conf, content: "node = {{ node.name }}\\n"}
  - id: running
    uses: systemd.service
    with: {unit: ${p.unit}, state: started}
`;
}

export function ansiblePlaybook(slot: string): string {
  const p = paths(slot);
  return `- hosts: workers
  gather_facts: false
  tasks:
    - name: drop-in directory (slipway's and the floors' file steps create missing parents themselves)
      ansible.builtin.file: {path: ${p.unitFile}.d, state: directory, mode: "0755"}
    - name: drop-in
      ansible.builtin.copy: {dest: ${p.dropIn}, content: ${JSON.stringify(DROP_IN)}, mode: "0644"}
      notify: restart
    - name: line
      ansible.builtin.lineinfile: {path: ${p.dir}/app.conf, regexp: '^max_pods', line: max_pods = 110}
      notify: restart
    - name: flag
      ansible.builtin.replace: {path: ${p.dir}/env, regexp: ' ?--container-runtime=\\S+', replace: ''}
      notify: restart
    - name: enable
      ansible.builtin.command: systemctl enable ${p.unit}
      args: {creates: /etc/systemd/system/multi-user.target.wants/${p.unit}.service}
    - name: restart where the remediation restarts
      ansible.builtin.meta: flush_handlers
    - name: marker
      ansible.builtin.command: touch ${p.dir}/marker
      args: {creates: ${p.dir}/marker}
    - name: templated
      ansible.builtin.copy: {dest: ${p.dir}/node.conf, content: "node = {{ inventory_hostname }}\\n", mode: "0644"}
    - name: running
      ansible.builtin.command: systemctl start ${p.unit}
  handlers:
    - name: restart
      ansible.builtin.command: systemctl restart ${p.unit}
`;
}

/**
 * The floors' scripts, one per step, each idempotent as slipway's steps are (`sh -c`). The first
 * three leave a mark when they change something; the restart runs only on that mark, and clears it.
 */
export function floorScripts(slot: string, node: string): string[] {
  const p = paths(slot);
  const mark = `touch ${p.dir}/.restart`;
  return [
    `mkdir -p ${p.unitFile}.d && printf '[Service]\\nLimitNOFILE=65536\\n' > ${p.dropIn}.tmp && { cmp -s ${p.dropIn}.tmp ${p.dropIn} && rm ${p.dropIn}.tmp || { mv ${p.dropIn}.tmp ${p.dropIn} && ${mark}; }; }`,
    `grep -q '^max_pods' ${p.dir}/app.conf || { echo 'max_pods = 110' >> ${p.dir}/app.conf && ${mark}; }`,
    `grep -q -- '--container-runtime=' ${p.dir}/env && { sed -i 's/ \\?--container-runtime=[^ "]*//' ${p.dir}/env && ${mark}; } || true`,
    `systemctl daemon-reload && (systemctl is-enabled -q ${p.unit} || systemctl enable ${p.unit})`,
    `test ! -e ${p.dir}/.restart || { systemctl restart ${p.unit} && rm ${p.dir}/.restart; }`,
    `test -e ${p.dir}/marker || touch ${p.dir}/marker`,
    `printf 'node = %s\\n' ${node} > ${p.dir}/node.conf`,
    `systemctl is-active -q ${p.unit} || systemctl start ${p.unit}`,
  ];
}

/**
 * Why the node is not in the end state (undefined when it is). `pid`: the unit's main PID before
 * the run, and whether the run had to restart it (a first run: the settings changed) or not (a
 * no-op run).
 */
export async function verify(node: FleetNode, slot: string, pid: { before: string; restarted: boolean }): Promise<string | undefined> {
  const p = paths(slot);
  const now = await mainPid(node, slot);
  if (pid.restarted && now === pid.before) return `${p.unit} was not restarted (main PID ${now}, as before the run)`;
  if (!pid.restarted && now !== pid.before) return `${p.unit} was restarted in a run that changed nothing (main PID ${pid.before} -> ${now})`;
  const read = (f: string) => node.readFile(f);
  if ((await read(p.dropIn)) !== DROP_IN) return `${p.dropIn} is not the drop-in`;
  if (!(await read(`${p.dir}/app.conf`))?.includes('max_pods = 110\n')) return 'app.conf has no max_pods line';
  if ((await read(`${p.dir}/env`))?.includes('--container-runtime')) return 'the flag is still in the env file';
  if ((await read(`${p.dir}/marker`)) === null) return 'no marker';
  if ((await read(`${p.dir}/node.conf`)) !== `node = ${node.name}\n`) return 'node.conf is not templated';
  const active = await node.exec(['systemctl', 'is-active', p.unit]);
  if (active.stdout.trim() !== 'active') return `${p.unit} is ${active.stdout.trim()}`;
  const enabled = await node.exec(['systemctl', 'is-enabled', p.unit]);
  if (enabled.stdout.trim() !== 'enabled') return `${p.unit} is ${enabled.stdout.trim()}`;
  return undefined;
}
