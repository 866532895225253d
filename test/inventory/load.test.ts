import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatProblem, InputError } from '../../src/errors.js';
import { loadInventory } from '../../src/inventory/load.js';

let dir: string;
let home: string;

async function write(name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

async function problems(file: string): Promise<string[]> {
  const error = await loadInventory(file, { homeDir: home, localUser: 'me' }).catch((e: unknown) => e);
  if (!(error instanceof InputError)) throw new Error(`expected an InputError, got ${String(error)}`);
  return error.problems.map(formatProblem);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-inventory-'));
  home = path.join(dir, 'home');
  await mkdir(path.join(home, '.ssh'), { recursive: true });
  await writeFile(path.join(home, '.ssh', 'id_rsa'), 'key');
  await writeFile(path.join(home, '.ssh', 'id_ed25519'), 'key');
});

describe('loadInventory', () => {
  it('merges vars by Ansible precedence: all < parent < child < host', async () => {
    const file = await write(
      'precedence.yaml',
      `all:
  vars: {level: all, from_all: 1}
  hosts:
    node-1: {level: host}
    node-2:
  children:
    k8s_cluster:
      vars: {level: parent, from_parent: 1}
      children:
        workers:
          vars: {level: child}
          hosts: {node-1: {}, node-2: {}}
        gpu:
          vars: {level: gpu}
          hosts: {node-2: {}}
`,
    );
    const inventory = await loadInventory(file, { homeDir: home, localUser: 'me' });
    const vars = Object.fromEntries(inventory.hosts.map((h) => [h.name, h.vars]));
    expect(vars['node-1']).toEqual({ level: 'host', from_all: 1, from_parent: 1 });
    // Same depth: by name, so 'workers' beats 'gpu'.
    expect(vars['node-2']?.level).toBe('child');
    expect(inventory.hosts[1]?.groups).toEqual(['all', 'k8s_cluster', 'workers', 'gpu']);
    expect(inventory.groups).toEqual({
      all: ['node-1', 'node-2'],
      k8s_cluster: ['node-1', 'node-2'],
      workers: ['node-1', 'node-2'],
      gpu: ['node-2'],
      ungrouped: [],
    });
  });

  it('marks each host with the groups it comes first in (node.firstIn), role aliases included', async () => {
    const file = await write(
      'first.yaml',
      `all:
  children:
    kube_control_plane:
      hosts: {cp-b: {}, cp-a: {}}
    kube_node:
      hosts: {node-1: {}, node-2: {}}
`,
    );
    const inventory = await loadInventory(file, { homeDir: home, localUser: 'me' });
    const firstIn = Object.fromEntries(inventory.hosts.map((h) => [h.name, h.firstIn]));
    // kubespray's groups stand in for control_plane and workers; inventory order, not names, decides.
    expect(firstIn).toEqual({ 'cp-b': ['all', 'kube_control_plane', 'control_plane'], 'cp-a': [], 'node-1': ['kube_node', 'workers'], 'node-2': [] });
  });

  it('honours ansible_group_priority within a depth', async () => {
    const file = await write(
      'priority.yaml',
      'all:\n  children:\n    a: {hosts: {h: {}}, vars: {v: a, ansible_group_priority: 10}}\n    b: {hosts: {h: {}}, vars: {v: b}}\n',
    );
    const inventory = await loadInventory(file, { homeDir: home, localUser: 'me' });
    expect(inventory.hosts[0]?.vars.v).toBe('a');
  });

  it('connects with ansible_* vars, relative paths from the inventory, defaults from OpenSSH', async () => {
    const file = await write(
      'connect.yaml',
      `all:
  hosts:
    cp-1: {ansible_host: 127.0.0.1, ansible_port: "2201", ansible_user: root, ansible_ssh_private_key_file: ./keys/id, ansible_become: "yes"}
    node-1: {ansible_ssh_host: 10.0.0.2, ansible_ssh_port: 2202, ansible_ssh_user: admin, ansible_private_key_file: ~/k}
    node-2:
  vars: {slipway_known_hosts: known_hosts, ansible_ssh_common_args: "-o ProxyCommand=x", ansible_password: secret}
`,
    );
    const inventory = await loadInventory(file, { homeDir: home, localUser: 'me', sshConfigFile: path.join(dir, 'none') });
    const [cp, node1, node2] = inventory.hosts;
    expect(cp).toMatchObject({
      address: '127.0.0.1',
      port: 2201,
      user: 'root',
      identityFiles: [path.join(dir, 'keys', 'id')],
      become: true,
      proxyJump: [],
      knownHostsFile: path.join(dir, 'known_hosts'),
    });
    expect(node1).toMatchObject({ address: '10.0.0.2', port: 2202, user: 'admin', identityFiles: [path.join(home, 'k')], become: false });
    expect(node2).toMatchObject({
      address: 'node-2',
      port: 22,
      user: 'me',
      identityFiles: [path.join(home, '.ssh', 'id_ed25519'), path.join(home, '.ssh', 'id_rsa')],
    });
    expect(cp?.vars.ansible_ssh_common_args).toBe('-o ProxyCommand=x');
    expect(cp?.vars).not.toHaveProperty('ansible_password');
  });

  it('applies ~/.ssh/config below the inventory', async () => {
    await writeFile(
      path.join(home, '.ssh', 'config'),
      `Host bastion
  HostName 192.0.2.1
  User jump
Host 10.0.0.*
  User cfg-user
  Port 2222
  IdentityFile ~/.ssh/cluster
  ProxyJump bastion
  UserKnownHostsFile ~/.ssh/cluster_known
Host alias-3
  HostName 10.0.0.3
`,
    );
    const file = await write(
      'ssh.yaml',
      'all:\n  hosts:\n    a: {ansible_host: 10.0.0.1}\n    b: {ansible_host: 10.0.0.2, ansible_user: inv, ansible_port: 22}\n    alias-3:\n',
    );
    const inventory = await loadInventory(file, { homeDir: home, localUser: 'me' });
    const [a, b, c] = inventory.hosts;
    expect(a).toMatchObject({
      address: '10.0.0.1',
      user: 'cfg-user',
      port: 2222,
      identityFiles: [path.join(home, '.ssh', 'cluster')],
      proxyJump: [{ host: '192.0.2.1', port: 22, user: 'jump' }],
      knownHostsFile: path.join(home, '.ssh', 'cluster_known'),
    });
    expect(b).toMatchObject({ user: 'inv', port: 22 });
    expect(c).toMatchObject({ address: '10.0.0.3', user: 'me', port: 22, proxyJump: [] });
  });

  it('expands host ranges and keeps hosts listed only in a group', async () => {
    const file = await write('ranges.yaml', 'all:\n  children:\n    workers:\n      hosts:\n        node[1:3]:\n        extra:\n');
    const inventory = await loadInventory(file, { homeDir: home, localUser: 'me' });
    expect(inventory.hosts.map((h) => h.name)).toEqual(['node1', 'node2', 'node3', 'extra']);
    expect(inventory.groups.workers).toHaveLength(4);
  });

  it('puts hosts with no group but all in ungrouped', async () => {
    const file = await write('ungrouped.yaml', 'all:\n  hosts: {a: {}, b: {}}\n  children: {g: {hosts: {b: {}}}}\n');
    const inventory = await loadInventory(file, { homeDir: home, localUser: 'me' });
    expect(inventory.groups.ungrouped).toEqual(['a']);
    expect(inventory.hosts[0]?.groups).toEqual(['all', 'ungrouped']);
  });

  it('accepts top-level groups besides all', async () => {
    const file = await write('toplevel.yaml', 'workers:\n  hosts: {w1: {}}\n');
    const inventory = await loadInventory(file, { homeDir: home, localUser: 'me' });
    expect(inventory.hosts[0]?.groups).toEqual(['all', 'workers']);
  });

  it('recognises an INI inventory and says how to convert it', async () => {
    const file = await write('hosts', 'node-1 ansible_host=10.0.0.1\nnode-2 ansible_host=10.0.0.2\n');
    expect(await problems(file)).toEqual([
      `${file}:1:1: Ansible INI inventories are not supported; convert with \`ansible-inventory -i ${file} --list -y > hosts.yaml\``,
    ]);
  });

  it('reports several problems at once', async () => {
    const file = await write('several.yaml', 'all:\n  hosts:\n    a: {ansible_port: 0}\n  childs: {}\n');
    expect(await problems(file)).toEqual([
      `${file}:3:23: all.hosts.a.ansible_port: must be a port number from 1 to 65535 (found 0)`,
      `${file}:4:3: all: unknown key 'childs' (did you mean 'children'?)`,
    ]);
  });

  it('reports a bad port in ~/.ssh/config', async () => {
    const sshConfigFile = await write('bad_ssh_config', 'Host *\n  Port ssh\n');
    const file = await write('plain.yaml', 'all:\n  hosts: {a: {}}\n');
    await expect(loadInventory(file, { homeDir: home, localUser: 'me', sshConfigFile })).rejects.toThrow(
      `${sshConfigFile}: Port for host 'a' must be a number from 1 to 65535 (found 'ssh')`,
    );
  });

  it('gives an InputError for a missing file', async () => {
    await expect(loadInventory(path.join(dir, 'nope.yaml'))).rejects.toThrow(/cannot read inventory .*nope.yaml: no such file/);
  });
});
