/**
 * What kubectl says about a node, its pods and the PodDisruptionBudgets, as pure parsers of
 * `kubectl get ... -o json` and of `kubectl drain`'s messages.
 */

/** The annotation slipway puts on a Node it cordons: the run that did it. */
export const CORDONED_BY_ANNOTATION = 'slipway/cordoned-by';

/** What a plan puts as the cordon's owner for a cordon the run would make (no run id yet). */
export const THIS_RUN = 'this run';

export interface KubeNodeState {
  name: string;
  /** `.spec.unschedulable`: cordoned. Absent means schedulable. */
  unschedulable: boolean;
  /** The run that cordoned it (CORDONED_BY_ANNOTATION); undefined when slipway did not. */
  cordonedBy?: string;
  /** The Ready condition (`.status.conditions[type=Ready]`); absent when the Node has none. */
  ready?: NodeCondition;
}

export interface NodeCondition {
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

/** `kubectl get node NAME -o json`. */
export function parseNodeJson(text: string): KubeNodeState {
  const node = parseJsonObject(text, 'kubectl get node');
  const metadata = record(node.metadata);
  const spec = record(node.spec);
  const by = record(metadata.annotations)[CORDONED_BY_ANNOTATION];
  const conditions = Array.isArray(record(node.status).conditions) ? (record(node.status).conditions as unknown[]).map(record) : [];
  const ready = conditions.find((c) => c.type === 'Ready');
  const status = ready?.status === 'True' || ready?.status === 'False' ? ready.status : 'Unknown';
  return {
    name: String(metadata.name ?? ''),
    unschedulable: spec.unschedulable === true,
    ...(typeof by === 'string' && by !== '' ? { cordonedBy: by } : {}),
    ...(ready ? { ready: { status, reason: String(ready.reason ?? ''), message: String(ready.message ?? '') } } : {}),
  };
}

/** `kubectl get nodes -o json`: each Node's metadata and status objects. */
function nodeItems(text: string): Array<{ metadata: Record<string, unknown>; status: Record<string, unknown> }> {
  const list = parseJsonObject(text, 'kubectl get nodes');
  return (Array.isArray(list.items) ? list.items : []).map((raw) => ({ metadata: record(record(raw).metadata), status: record(record(raw).status) }));
}

/** `kubectl get nodes -o json`: each Node's labels, by name. */
export function parseNodeLabels(text: string): Map<string, Record<string, string>> {
  return new Map(nodeItems(text).map((n) => [String(n.metadata.name ?? ''), stringMap(n.metadata.labels)]));
}

/** A Node's kubelet version and whether it is a control-plane node (its `node-role.kubernetes.io/control-plane` label). */
export interface KubeNodeVersion {
  name: string;
  kubeletVersion: string;
  controlPlane: boolean;
}

/** `kubectl get nodes -o json`: each Node's kubelet version and role. */
export function parseNodeVersions(text: string): KubeNodeVersion[] {
  return nodeItems(text).map((n) => {
    const labels = stringMap(n.metadata.labels);
    return {
      name: String(n.metadata.name ?? ''),
      kubeletVersion: String(record(n.status.nodeInfo).kubeletVersion ?? ''),
      controlPlane: 'node-role.kubernetes.io/control-plane' in labels || 'node-role.kubernetes.io/master' in labels,
    };
  });
}

/** `kubectl version -o json`: the API server's gitVersion (`v1.27.16`). */
export function parseServerVersion(text: string): string {
  const version = record(parseJsonObject(text, 'kubectl version').serverVersion).gitVersion;
  if (typeof version !== 'string' || version === '') throw new Error('kubectl version -o json: no serverVersion.gitVersion');
  return version;
}

export interface KubePod {
  namespace: string;
  name: string;
  /** `Pending`, `Running`, `Succeeded`, `Failed`, `Unknown`. */
  phase: string;
  labels: Record<string, string>;
  /** Kinds of the owner references marked `controller: true`. */
  controllerKinds: string[];
  /** Managed by a DaemonSet: drain leaves it (with --ignore-daemonsets) or refuses (without). */
  daemonSet: boolean;
  /** A static pod's mirror (`kubernetes.io/config.mirror`): drain never touches it. */
  mirror: boolean;
  /** Has an emptyDir volume: drain refuses without --delete-emptydir-data. */
  emptyDir: boolean;
  /** Its Ready condition is True (all its containers ready). */
  ready: boolean;
  /** Being deleted already (`metadata.deletionTimestamp` set). */
  terminating: boolean;
}

/** `kubectl get pods -A --field-selector spec.nodeName=NAME -o json` (a List). */
export function parsePodList(text: string): KubePod[] {
  const list = parseJsonObject(text, 'kubectl get pods');
  const items = Array.isArray(list.items) ? list.items : [];
  return items.map((raw): KubePod => {
    const pod = record(raw);
    const metadata = record(pod.metadata);
    const spec = record(pod.spec);
    const status = record(pod.status);
    const owners = Array.isArray(metadata.ownerReferences) ? metadata.ownerReferences.map(record) : [];
    const controllerKinds = owners.filter((o) => o.controller === true).map((o) => String(o.kind ?? ''));
    const annotations = stringMap(metadata.annotations);
    const volumes = Array.isArray(spec.volumes) ? spec.volumes.map(record) : [];
    return {
      namespace: String(metadata.namespace ?? ''),
      name: String(metadata.name ?? ''),
      phase: String(status.phase ?? ''),
      ready: (Array.isArray(status.conditions) ? status.conditions.map(record) : []).some((c) => c.type === 'Ready' && c.status === 'True'),
      labels: stringMap(metadata.labels),
      controllerKinds,
      daemonSet: controllerKinds.includes('DaemonSet'),
      mirror: 'kubernetes.io/config.mirror' in annotations,
      emptyDir: volumes.some((v) => v.emptyDir !== undefined && v.emptyDir !== null),
      terminating: metadata.deletionTimestamp !== undefined && metadata.deletionTimestamp !== null,
    };
  });
}

/**
 * The pods a drain has to move off the node: all but DaemonSet-managed pods (drain leaves them,
 * or refuses without --ignore-daemonsets) and static pods' mirrors (it cannot delete those).
 */
export function evictablePods(pods: readonly KubePod[]): KubePod[] {
  return pods.filter((p) => !p.daemonSet && !p.mirror);
}

export function podRef(pod: { namespace: string; name: string }): string {
  return `${pod.namespace}/${pod.name}`;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values: string[];
}

export interface LabelSelector {
  matchLabels: Record<string, string>;
  matchExpressions: LabelSelectorRequirement[];
}

export interface KubePdb {
  namespace: string;
  name: string;
  /** null: no selector, which selects nothing. An empty selector selects every pod of the namespace. */
  selector: LabelSelector | null;
  minAvailable: string | undefined;
  maxUnavailable: string | undefined;
  currentHealthy: number;
  desiredHealthy: number;
  disruptionsAllowed: number;
  expectedPods: number;
}

/** `kubectl get pdb -A -o json` (a List). */
export function parsePdbList(text: string): KubePdb[] {
  const list = parseJsonObject(text, 'kubectl get pdb');
  const items = Array.isArray(list.items) ? list.items : [];
  return items.map((raw): KubePdb => {
    const pdb = record(raw);
    const metadata = record(pdb.metadata);
    const spec = record(pdb.spec);
    const status = record(pdb.status);
    const sel = spec.selector === undefined || spec.selector === null ? null : record(spec.selector);
    const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
    const intOrString = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));
    return {
      namespace: String(metadata.namespace ?? ''),
      name: String(metadata.name ?? ''),
      selector: sel && {
        matchLabels: stringMap(sel.matchLabels),
        matchExpressions: (Array.isArray(sel.matchExpressions) ? sel.matchExpressions : []).map((e) => {
          const r = record(e);
          return {
            key: String(r.key ?? ''),
            operator: String(r.operator ?? ''),
            values: Array.isArray(r.values) ? r.values.map(String) : [],
          };
        }),
      },
      minAvailable: intOrString(spec.minAvailable),
      maxUnavailable: intOrString(spec.maxUnavailable),
      currentHealthy: num(status.currentHealthy),
      desiredHealthy: num(status.desiredHealthy),
      disruptionsAllowed: num(status.disruptionsAllowed),
      expectedPods: num(status.expectedPods),
    };
  });
}

/** Kubernetes label selector semantics (In, NotIn, Exists, DoesNotExist; all ANDed). */
export function selectorMatches(selector: LabelSelector | null, labels: Record<string, string>): boolean {
  if (selector === null) return false;
  for (const [key, value] of Object.entries(selector.matchLabels)) {
    if (labels[key] !== value) return false;
  }
  for (const req of selector.matchExpressions) {
    const has = Object.hasOwn(labels, req.key);
    const value = labels[req.key];
    switch (req.operator) {
      case 'In':
        if (!has || !req.values.includes(value as string)) return false;
        break;
      case 'NotIn':
        if (has && req.values.includes(value as string)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** The PDBs of the pod's namespace whose selector matches it. */
export function pdbsForPod(pod: KubePod, pdbs: readonly KubePdb[]): KubePdb[] {
  return pdbs.filter((b) => b.namespace === pod.namespace && selectorMatches(b.selector, pod.labels));
}

/** A pod that an eviction refused because of its disruption budget. */
export interface BlockedEviction {
  /** Absent in the old message format (`error when evicting pod "NAME"`), which does not say. */
  namespace: string | undefined;
  name: string;
}

const PDB_REFUSAL = "Cannot evict pod as it would violate the pod's disruption budget";

/**
 * The pods kubectl drain reported as blocked by a disruption budget, once each, in order:
 * `error when evicting pods/"NAME" -n "NS" (will retry after 5s): Cannot evict pod as it would
 * violate the pod's disruption budget.` (kubectl >= 1.19) and the older
 * `error when evicting pod "NAME" (will retry after 5s): ...`.
 */
export function parseDrainPdbBlocks(output: string): BlockedEviction[] {
  const seen = new Map<string, BlockedEviction>();
  for (const line of output.split('\n')) {
    if (!line.includes(PDB_REFUSAL)) continue;
    const current = /error when evicting pods\/"([^"]+)" -n "([^"]+)"/.exec(line);
    const old = current ? null : /error when evicting pod "([^"]+)"/.exec(line);
    const blocked: BlockedEviction | undefined = current
      ? { namespace: current[2], name: current[1] as string }
      : old
        ? { namespace: undefined, name: old[1] as string }
        : undefined;
    if (!blocked) continue;
    const key = `${blocked.namespace ?? ''}/${blocked.name}`;
    if (!seen.has(key)) seen.set(key, blocked);
  }
  return [...seen.values()];
}

/** kubectl drain gave up at its `--timeout` ("global timeout reached: 1m0s"). */
export function isDrainTimeout(output: string): boolean {
  return /global timeout reached/.test(output);
}

// ------------------------------------------------------------------------------------ helpers

function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`${what}: output is not JSON: ${text.slice(0, 200)}`, { cause: err });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${what}: expected a JSON object`);
  return value as Record<string, unknown>;
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record(value))) out[k] = String(v);
  return out;
}
