/**
 * Who belongs to which group (directly or through children), and the vars each host ends up
 * with under Ansible's precedence: `all` < parent groups < child groups < host vars; groups of
 * the same depth by `ansible_group_priority`, then by name.
 */
import type { AnsibleInventory, GroupDefinition } from './ansible-groups.js';

/** Group name -> member hosts, in inventory order. The group tree must have no cycles. */
export function groupMembers(inventory: AnsibleInventory): Record<string, string[]> {
  const hostOrder = [...inventory.hosts.keys()];
  const memo = new Map<string, Set<string>>();
  const membersOf = (group: GroupDefinition): Set<string> => {
    const cached = memo.get(group.name);
    if (cached) return cached;
    const members = new Set(group.hosts);
    for (const child of group.children) {
      const childGroup = inventory.groups.get(child);
      if (childGroup) membersOf(childGroup).forEach((h) => members.add(h));
    }
    memo.set(group.name, members);
    return members;
  };
  const result: Record<string, string[]> = {};
  for (const group of inventory.groups.values()) {
    const members = membersOf(group);
    result[group.name] = group.name === 'all' ? hostOrder : hostOrder.filter((h) => members.has(h));
  }
  return result;
}

/** The groups of each host: `all` first, then in the order the groups appear. */
export function hostGroups(members: Record<string, string[]>): Map<string, string[]> {
  const byHost = new Map<string, string[]>();
  for (const [group, hosts] of Object.entries(members)) {
    for (const host of hosts) {
      const groups = byHost.get(host) ?? [];
      groups.push(group);
      byHost.set(host, groups);
    }
  }
  return byHost;
}

/** The vars of `host`, merged by precedence. */
export function mergedHostVars(inventory: AnsibleInventory, host: string, groups: readonly string[]): Record<string, unknown> {
  const depth = groupDepths(inventory);
  const ordered = groups
    .map((name) => inventory.groups.get(name))
    .filter((g): g is GroupDefinition => g !== undefined)
    .sort(
      (a, b) =>
        (depth.get(a.name) ?? 0) - (depth.get(b.name) ?? 0) || priority(a) - priority(b) || a.name.localeCompare(b.name),
    );
  const vars: Record<string, unknown> = {};
  for (const group of ordered) Object.assign(vars, group.vars);
  Object.assign(vars, inventory.hosts.get(host)?.vars ?? {});
  return vars;
}

const depthCache = new WeakMap<AnsibleInventory, Map<string, number>>();

/** How deep each group sits under `all` (the longest path). */
function groupDepths(inventory: AnsibleInventory): Map<string, number> {
  const cached = depthCache.get(inventory);
  if (cached) return cached;
  const depths = new Map<string, number>();
  const depthOf = (name: string): number => {
    const known = depths.get(name);
    if (known !== undefined) return known;
    const parents = inventory.groups.get(name)?.parents ?? [];
    const depth = name === 'all' ? 0 : Math.max(0, ...parents.map(depthOf)) + 1;
    depths.set(name, depth);
    return depth;
  };
  for (const name of inventory.groups.keys()) depthOf(name);
  depthCache.set(inventory, depths);
  return depths;
}

function priority(group: GroupDefinition): number {
  const value = Number(group.vars.ansible_group_priority ?? 1);
  return Number.isFinite(value) ? value : 1;
}
