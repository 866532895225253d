/**
 * The groups slipway's playbooks name (`hosts: workers`, `on: control_plane`) and the names
 * other installers give them, so an inventory written for one of them works unchanged. When an
 * inventory has no group of the role's own name, the first alias it has stands in for it.
 * - kubespray: `kube_control_plane`, `kube_node` (its workers), `k8s_cluster` (both); before
 *   2.16 `kube-master` and `kube-node` (kubespray docs/ansible/inventory.md, "Inventory").
 * - kubeadm-era Ansible roles: `masters`, `nodes`.
 */
export const ROLE_GROUPS: Readonly<Record<string, readonly string[]>> = {
  control_plane: ['kube_control_plane', 'kube-master', 'masters'],
  workers: ['kube_node', 'kube-node', 'nodes'],
};

/**
 * The inventory's groups with each role an alias stands in for added under the role's name;
 * and which alias each role came from (for messages). The inventory's own groups win.
 */
export function withRoleGroups(groups: Readonly<Record<string, string[]>>): { groups: Record<string, string[]>; roles: Record<string, string> } {
  const out: Record<string, string[]> = { ...groups };
  const roles: Record<string, string> = {};
  for (const [role, aliases] of Object.entries(ROLE_GROUPS)) {
    if (out[role] !== undefined) continue;
    const alias = aliases.find((a) => groups[a] !== undefined);
    if (alias === undefined) continue;
    out[role] = [...(groups[alias] ?? [])];
    roles[role] = alias;
  }
  return { groups: out, roles };
}
