/**
 * Where a step's commands run: the node itself, the first reachable host of an `on:` group
 * (kubectl on a control-plane host, for the node), or the operator's machine (`on: local`).
 */
import { TransportError } from '../errors.js';
import type { Inventory, InventoryHost } from '../inventory/types.js';
import { LocalRemote } from '../transport/local.js';
import { ConnectionPool, type SshOptions } from '../transport/ssh.js';
import type { Remote } from '../transport/types.js';

export class RemoteResolver {
  private readonly pool: ConnectionPool;
  private readonly groupHost = new Map<string, Promise<Remote>>();
  private local: LocalRemote | undefined;

  constructor(
    private readonly inventory: Inventory,
    options: SshOptions,
  ) {
    this.pool = new ConnectionPool(options);
  }

  node(host: InventoryHost): Remote {
    return this.pool.get(host);
  }

  /** Connects now; throws TransportError when the host cannot be reached. */
  async connect(host: InventoryHost): Promise<void> {
    await this.pool.get(host).connect();
  }

  async forStep(on: string | undefined, node: InventoryHost): Promise<Remote> {
    if (on === undefined) return this.pool.get(node);
    if (on === 'local') return (this.local ??= new LocalRemote());
    let pending = this.groupHost.get(on);
    if (!pending) {
      pending = this.firstReachable(on);
      this.groupHost.set(on, pending);
      // A failure is not cached: the next step tries the group again.
      pending.catch(() => this.groupHost.delete(on));
    }
    return pending;
  }

  private async firstReachable(group: string): Promise<Remote> {
    const names = this.inventory.groups[group] ?? [];
    const errors: string[] = [];
    for (const name of names) {
      const host = this.inventory.hosts.find((h) => h.name === name);
      if (!host) continue;
      try {
        const remote = this.pool.get(host);
        await remote.connect();
        return remote;
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err));
      }
    }
    throw new TransportError(`on: ${group}`, 'unreachable', `no host of group '${group}' is reachable${errors.length ? `: ${errors.join('; ')}` : ' (the group is empty)'}`);
  }

  async close(): Promise<void> {
    await this.pool.closeAll();
  }
}
