/**
 * The group structure of an Ansible YAML inventory: which hosts each group lists, its vars,
 * its children. A group or host may appear in several places; what they say is merged.
 */
import { type FieldPath, isRecord } from '../playbook/input/field-path.js';
import type { ProblemList } from '../playbook/input/problem-list.js';
import { expandHostRange } from './host-range.js';

export interface GroupDefinition {
  name: string;
  /** Hosts listed directly under the group, in file order. */
  hosts: string[];
  children: string[];
  parents: string[];
  vars: Record<string, unknown>;
}

export interface HostDefinition {
  name: string;
  /** Host vars from every place the host is listed, later ones winning. */
  vars: Record<string, unknown>;
}

export interface AnsibleInventory {
  /** In the order they first appear; always has `all` and `ungrouped`. */
  groups: Map<string, GroupDefinition>;
  /** In the order they first appear. */
  hosts: Map<string, HostDefinition>;
}

/** Reads the group tree from the inventory's data (already checked against the schema). */
export function readAnsibleInventory(data: Record<string, unknown>, problems: ProblemList): AnsibleInventory {
  const reader = new GroupTreeReader(problems);
  for (const [name, value] of Object.entries(data)) {
    // Top-level groups other than `all` are its children, as in Ansible.
    reader.readGroup(name, value, [name], name === 'all' ? undefined : 'all');
  }
  addUngrouped(reader.inventory);
  reportCycles(reader.inventory, reader.edgePaths, problems);
  return reader.inventory;
}

class GroupTreeReader {
  readonly inventory: AnsibleInventory = { groups: new Map(), hosts: new Map() };
  /** Where each parent -> child link is written, for messages about cycles. */
  readonly edgePaths = new Map<string, FieldPath>();

  constructor(private readonly problems: ProblemList) {
    groupNamed(this.inventory, 'all');
  }

  readGroup(name: string, value: unknown, path: FieldPath, parent: string | undefined): void {
    const group = groupNamed(this.inventory, name);
    if (parent !== undefined) {
      if (name === 'all') {
        this.problems.add(path, "'all' cannot be a child group: every group is already part of it", { target: 'key' });
        return;
      }
      addOnce(groupNamed(this.inventory, parent).children, name);
      addOnce(group.parents, parent);
      const edge = edgeKey(parent, name);
      if (!this.edgePaths.has(edge)) this.edgePaths.set(edge, path);
    }
    if (!isRecord(value)) return; // empty group (`workers:`), or a shape the schema reported

    if (isRecord(value.hosts)) {
      for (const [pattern, hostVars] of Object.entries(value.hosts)) this.readHosts(group, pattern, hostVars, [...path, 'hosts']);
    }
    if (isRecord(value.vars)) Object.assign(group.vars, value.vars);
    if (isRecord(value.children)) {
      for (const [child, childValue] of Object.entries(value.children)) {
        this.readGroup(child, childValue, [...path, 'children', child], name);
      }
    }
  }

  private readHosts(group: GroupDefinition, pattern: string, hostVars: unknown, path: FieldPath): void {
    const expanded = expandHostRange(pattern);
    if (!expanded.ok) {
      this.problems.add([...path, pattern], expanded.error, { target: 'key', field: path });
      return;
    }
    for (const hostName of expanded.names) {
      let host = this.inventory.hosts.get(hostName);
      if (!host) {
        host = { name: hostName, vars: {} };
        this.inventory.hosts.set(hostName, host);
      }
      addOnce(group.hosts, hostName);
      if (isRecord(hostVars)) Object.assign(host.vars, hostVars);
    }
  }
}

function edgeKey(parent: string, child: string): string {
  return `${parent}\0${child}`;
}

function groupNamed(inventory: AnsibleInventory, name: string): GroupDefinition {
  let group = inventory.groups.get(name);
  if (!group) {
    group = { name, hosts: [], children: [], parents: [], vars: {} };
    inventory.groups.set(name, group);
  }
  return group;
}

/** Ansible's `ungrouped`: hosts that belong to no group but `all`. */
function addUngrouped(inventory: AnsibleInventory): void {
  const ungrouped = groupNamed(inventory, 'ungrouped');
  addOnce(ungrouped.parents, 'all');
  addOnce(groupNamed(inventory, 'all').children, 'ungrouped');
  const grouped = new Set<string>();
  for (const group of inventory.groups.values()) {
    if (group.name !== 'all' && group.name !== 'ungrouped') group.hosts.forEach((h) => grouped.add(h));
  }
  for (const host of inventory.hosts.keys()) {
    if (!grouped.has(host)) addOnce(ungrouped.hosts, host);
  }
}

function reportCycles(inventory: AnsibleInventory, edgePaths: Map<string, FieldPath>, problems: ProblemList): void {
  const done = new Set<string>();
  const reported = new Set<string>();
  const visit = (name: string, trail: string[]): void => {
    if (done.has(name)) return;
    const loopStart = trail.indexOf(name);
    if (loopStart >= 0) {
      const loop = [...trail.slice(loopStart), name];
      const last = loop[loop.length - 2] ?? name;
      const key = edgeKey(last, name);
      if (!reported.has(key)) {
        reported.add(key);
        problems.add(edgePaths.get(key) ?? [name], `group '${name}' contains itself (${loop.join(' -> ')})`, { target: 'key' });
      }
      return;
    }
    for (const child of inventory.groups.get(name)?.children ?? []) visit(child, [...trail, name]);
    done.add(name);
  };
  for (const name of inventory.groups.keys()) visit(name, []);
}

/** What each group list holds, for addOnce: a look-up per add, not a scan (10,000 hosts in a group). */
const members = new WeakMap<string[], Set<string>>();

/** Adds `item` unless the list has it. The lists grow only through here. */
function addOnce(list: string[], item: string): void {
  let seen = members.get(list);
  if (!seen) {
    seen = new Set(list);
    members.set(list, seen);
  }
  if (seen.has(item)) return;
  seen.add(item);
  list.push(item);
}
