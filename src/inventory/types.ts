/** A host as slipway connects to it, after Ansible vars and ~/.ssh/config are applied. */
export interface InventoryHost {
  /** Inventory name (what the user types in --limit and what the journal records). */
  name: string;
  /** Address to connect to (ansible_host, ssh_config HostName, or the name). */
  address: string;
  port: number;
  user: string;
  /** Private key files to try, in order. Paths are absolute. */
  identityFiles: string[];
  /** `ansible_become`: run commands through sudo. */
  become: boolean;
  /** Jump host chain from ssh_config ProxyJump (`user@host:port`), outermost first. */
  proxyJump: ProxyJumpHop[];
  /** Known-hosts file to verify host keys against (absolute path). */
  knownHostsFile: string | undefined;
  /** Groups the host belongs to, directly or through children. Always includes `all`. */
  groups: string[];
  /** The groups whose first host (in inventory order) this host is: `control_plane` on the first control-plane node. */
  firstIn?: string[];
  /** Merged vars: all < parent groups < child groups < host (Ansible precedence). */
  vars: Record<string, unknown>;
}

export interface ProxyJumpHop {
  host: string;
  port: number;
  user: string | undefined;
}

export interface Inventory {
  /** File the inventory was read from (as given by the user). */
  file: string;
  hosts: InventoryHost[];
  /** Group name -> member host names, in inventory order. Includes `all` and `ungrouped`, and the role groups an alias stands in for (role-groups.ts). */
  groups: Record<string, string[]>;
  /** Role group -> the inventory's group that stands in for it (`workers` -> `kube_node`). */
  roles?: Record<string, string>;
}
