/**
 * The window of a run with `rolling.maxUnavailable`: how many nodes at once, and the key each
 * node's per-key limit counts under: an inventory var (`var: zone`), the first of a list of
 * groups the node is in (`groups: [...]`), or a Kubernetes node label (`label: ...`, read once
 * with `kubectl get nodes -o json` where the playbook's kubectl runs).
 */
import { SlipwayError } from '../errors.js';
import { parseNodeLabels } from '../facts/kubectl.js';
import type { InventoryHost } from '../inventory/types.js';
import type { RollingPolicy, TopologyLimit } from '../playbook/types.js';
import { kubectlArgv } from '../steps/kube/kubectl.js';
import { batchSize, goesFirst } from './batches.js';
import type { RemoteResolver } from './remotes.js';
import type { WindowLimits } from './rolling.js';

/** The window over the nodes after the serialFirst ones, or undefined when the playbook goes by batches. */
export async function windowLimits(rolling: RollingPolicy, all: readonly InventoryHost[], resolver: RemoteResolver): Promise<WindowLimits | undefined> {
  if (rolling.maxUnavailable === undefined) return undefined;
  const hosts = all.filter((h) => !goesFirst(h, rolling));
  const max = batchSize(rolling.maxUnavailable, hosts.length);
  const per = rolling.maxUnavailablePer;
  if (!per) return { max, perMax: max };
  const keys = await topologyKeys(per, hosts, resolver);
  return { max, perMax: per.max, keyOf: (h) => keys.get(h) };
}

/** Each node's key under the limit; a node without a value has none (undefined), shared by all such nodes. */
export async function topologyKeys(per: TopologyLimit, hosts: readonly InventoryHost[], resolver: RemoteResolver): Promise<Map<string, string | undefined>> {
  const keys = new Map<string, string | undefined>();
  if (per.var !== undefined) {
    const name = per.var;
    for (const h of hosts) {
      const v = h.vars[name];
      keys.set(h.name, v === undefined || v === null ? undefined : String(v));
    }
    return keys;
  }
  if (per.groups !== undefined) {
    const groups = per.groups;
    for (const h of hosts) keys.set(h.name, groups.find((g) => h.groups.includes(g)));
    return keys;
  }
  const label = per.label ?? '';
  const first = hosts[0];
  if (!first) return keys;
  const on = per.on ?? 'control_plane';
  const remote = await resolver.forStep(on, first);
  const r = await remote.exec(kubectlArgv({}, 'get', 'nodes', '-o', 'json'), { timeoutMs: 60_000 });
  if (r.code !== 0) throw new SlipwayError(`${remote.host}: rolling.maxUnavailablePer.label: kubectl get nodes failed (exit ${r.code}): ${r.stderr.trim()}`);
  const labels = parseNodeLabels(r.stdout);
  for (const h of hosts) keys.set(h.name, labels.get(h.name)?.[label]);
  return keys;
}
