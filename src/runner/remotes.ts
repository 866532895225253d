/**
 * Where a step's commands run: the node itself, the first reachable host of an `on:` group
 * (kubectl on a control-plane host, for the node), or the operator's machine (`on: local`).
 * The remotes themselves come from the factory the caller gives (SSH from the CLI).
 */
import { TransportError } from '../errors.js';
import type { Inventory, InventoryHost } from '../inventory/types.js';
import type { Remote, RemoteFactory } from '../transport/types.js';

export class RemoteResolver {
  private readonly groupHost = new Map<string, Promise<Remote>>();

  constructor(
    private readonly inventory: Inventory,
    private readonly remotes: RemoteFactory,
  ) {}

  node(host: InventoryHost): Remote {
    return this.remotes.node(host);
  }

  local(): Remote {
    return this.remotes.local();
  }

  async forStep(on: string | undefined, node: InventoryHost): Promise<Remote> {
    if (on === undefined) return this.remotes.node(node);
    if (on === 'local') return this.remotes.local();
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
        const remote = this.remotes.node(host);
        if (remote.connect) await remote.connect();
        else await remote.exec(['true'], { timeoutMs: 30_000 });
        return remote;
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err));
      }
    }
    throw new TransportError(`on: ${group}`, 'unreachable', `no host of group '${group}' is reachable${errors.length ? `: ${errors.join('; ')}` : ' (the group is empty)'}`);
  }

  async close(): Promise<void> {
    await this.remotes.close();
  }
}
