/** kubespray's hosts.yaml as it is: its groups stand in for the roles playbooks name. */
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatProblem, InputError } from '../../src/errors.js';
import { loadInventory } from '../../src/inventory/load.js';
import { withRoleGroups } from '../../src/inventory/role-groups.js';
import { parsePlaybook } from '../../src/playbook/load.js';
import { retargetPlaybook } from '../../src/playbook/retarget.js';

// The shape kubespray's inventory builder writes (inventory/sample/inventory.ini as YAML).
const KUBESPRAY = `all:
  hosts:
    node1: {ansible_host: 10.0.0.11, ip: 10.0.0.11}
    node2: {ansible_host: 10.0.0.12, ip: 10.0.0.12}
    node3: {ansible_host: 10.0.0.13, ip: 10.0.0.13}
    node4: {ansible_host: 10.0.0.14, ip: 10.0.0.14}
  children:
    kube_control_plane:
      hosts: {node1: {}}
    kube_node:
      hosts: {node2: {}, node3: {}, node4: {}}
    etcd:
      hosts: {node1: {}}
    k8s_cluster:
      children: {kube_control_plane: {}, kube_node: {}}
    calico_rr:
      hosts: {}
`;

let dir: string;
const context = () => ({ homeDir: path.join(dir, 'home'), localUser: 'me' });
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-roles-'));
  await mkdir(path.join(dir, 'home', '.ssh'), { recursive: true });
  await writeFile(path.join(dir, 'home', '.ssh', 'id_ed25519'), 'key');
});

async function inventory(text: string) {
  const file = path.join(dir, `hosts-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, text);
  return loadInventory(file, context());
}

describe('role groups', () => {
  it("kubespray's kube_control_plane and kube_node stand in for control_plane and workers, members and all", async () => {
    const inv = await inventory(KUBESPRAY);
    expect(inv.groups.control_plane).toEqual(['node1']);
    expect(inv.groups.workers).toEqual(['node2', 'node3', 'node4']);
    expect(inv.roles).toEqual({ control_plane: 'kube_control_plane', workers: 'kube_node' });
    expect(inv.hosts.find((h) => h.name === 'node2')?.groups).toEqual(expect.arrayContaining(['kube_node', 'k8s_cluster', 'workers']));
  });

  it("an inventory's own group of the role's name wins; no alias, no role", () => {
    expect(withRoleGroups({ all: ['a', 'b'], workers: ['a'], kube_node: ['a', 'b'] })).toEqual({ groups: { all: ['a', 'b'], workers: ['a'], kube_node: ['a', 'b'] }, roles: {} });
    expect(withRoleGroups({ all: ['a'], masters: ['a'], 'kube-node': [] }).roles).toEqual({ control_plane: 'masters', workers: 'kube-node' });
    expect(withRoleGroups({ all: ['a'] })).toEqual({ groups: { all: ['a'] }, roles: {} });
  });
});

const PLAYBOOK = `name: t
hosts: workers
steps:
  - id: cordon
    uses: kube.cordon
    on: control_plane
  - id: local
    uses: kube.uncordon
    on: local
`;

describe('--hosts and --on', () => {
  it('replace hosts: and the group of on: steps (on: local stays)', async () => {
    const inv = await inventory(KUBESPRAY);
    const pb = retargetPlaybook(parsePlaybook('pb.yaml', PLAYBOOK), inv, { hosts: 'k8s_cluster,!node1', on: 'etcd' });
    expect(pb.hosts).toEqual(['k8s_cluster,!node1']);
    expect(pb.steps.map((s) => s.on)).toEqual(['etcd', 'local']);
  });

  it('an unknown group is bad input naming the option and the inventory, with a suggestion', async () => {
    const inv = await inventory(KUBESPRAY);
    const err = (() => {
      try {
        retargetPlaybook(parsePlaybook('pb.yaml', PLAYBOOK), inv, { hosts: 'kube_nodes', on: 'kube_control_plan' });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(InputError);
    const lines = (err as InputError).problems.map(formatProblem);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^--hosts: .*kube_nodes.*kube_node/);
    expect(lines[1]).toMatch(/^--on: unknown group 'kube_control_plan' in the inventory \(did you mean 'kube_control_plane'\?\)/);
  });
});
