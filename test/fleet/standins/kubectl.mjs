// kubectl stand-in for the fleet's control-plane node: the cluster is a JSON file
// (/var/lib/fleet-kube/cluster.json, or FLEET_KUBE_STATE) holding nodes, pods and
// PodDisruptionBudgets. It answers what node-upgrade runbooks call, with kubectl's messages and
// exit codes:
//
//   get nodes | get node NAME [-o json|name] | get pods [-A|-n NS] [--field-selector spec.nodeName=N] [-o json]
//   get pdb [-A|-n NS] -o json | get daemonsets [-A|-n NS] [-o json] | version [-o json]
//   get --raw /api/v1/nodes/NAME/proxy/healthz
//   cordon NAME | uncordon NAME | patch node NAME [--type merge] -p JSON (unschedulable, annotations)
//   drain NAME [--ignore-daemonsets] [--delete-emptydir-data] [--force] [--grace-period N]
//              [--timeout D] [--disable-eviction] [--dry-run=client|server]
//
// Drain evicts pods one by one: a pod whose PodDisruptionBudget allows no disruption is retried
// every 5s (as kubectl does on HTTP 429) until --timeout; evicted pods of a ReplicaSet come back
// on another schedulable node, other pods are gone. --disable-eviction deletes, bypassing PDBs.
// A kubeconfig must exist (--kubeconfig, KUBECONFIG or ~/.kube/config), as with a real cluster.
// Nodes are Ready (and their pods) as their kubelets post it: see "what kubelets post" below.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const STATE = process.env.FLEET_KUBE_STATE ?? '/var/lib/fleet-kube/cluster.json';
const RETRY_MS = 5000;

class KubectlError extends Error {
  constructor(message, code = 1) {
    super(message);
    this.code = code;
  }
}

const out = (s) => process.stdout.write(s);
const err = (s) => process.stderr.write(s);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- state (locked read-modify-write)

function readState() {
  try {
    return JSON.parse(fs.readFileSync(STATE, 'utf8'));
  } catch {
    throw new KubectlError('The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?');
  }
}

async function withState(fn) {
  const lock = `${STATE}.lock`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      if (Date.now() > deadline) fs.rmSync(lock, { recursive: true, force: true });
      await sleep(10);
    }
  }
  try {
    const state = readState();
    const result = await fn(state);
    const tmp = `${STATE}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n');
    fs.renameSync(tmp, STATE);
    return result;
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- what kubelets post

// Each node's kubelet stand-in posts its status every second into the directory the fleet's
// nodes share (see kubelet.mjs). A node whose kubelet posted within the grace period has the
// Ready condition it posted; one that stopped posting is Unknown, as the node controller marks
// it after --node-monitor-grace-period (40s by default; short here, FLEET_NODE_GRACE_MS). A node
// no kubelet ever posted for keeps the state file's `ready`.
const KUBELET_STATUS_DIR = process.env.FLEET_KUBELET_STATUS_DIR ?? '/run/fleet-apiserver/kubelet';
const NODE_GRACE_MS = Number(process.env.FLEET_NODE_GRACE_MS ?? 5000);
/** How fresh a post must be for the kubelet to count as answering now (the API server's proxy to it). */
const KUBELET_ANSWERS_MS = 2500;
/** A DaemonSet pod is Ready this long after its kubelet started (its containers' readiness). */
const POD_READY_AFTER_MS = 1000;

function kubeletStatus(name) {
  try {
    return JSON.parse(fs.readFileSync(`${KUBELET_STATUS_DIR}/${name}.json`, 'utf8'));
  } catch {
    return undefined;
  }
}

const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** The version a Node reports: what its kubelet last posted, or the state file's. */
function kubeletVersionOf(n) {
  return kubeletStatus(n.name)?.version ?? n.kubeletVersion;
}

/**
 * The API server's version: the image tag of kube-apiserver's static-pod manifest on this
 * control-plane host when there is one (kubeadm's layout), else the state file's.
 */
function apiServerVersion(state) {
  try {
    const manifest = fs.readFileSync('/etc/kubernetes/manifests/kube-apiserver.yaml', 'utf8');
    const tag = /image: \S+:(v[\d.]+)/.exec(manifest)?.[1];
    if (tag) return tag;
  } catch {
    // no static pods here: a cluster not laid out by kubeadm
  }
  return state.serverVersion ?? state.nodes[0]?.kubeletVersion ?? 'v1.26.15';
}

/** The Node's Ready condition: from what its kubelet posted, or the state file's `ready`. */
function readyCondition(n, posted = kubeletStatus(n.name)) {
  if (!posted) {
    return n.ready === false
      ? { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'kubelet is not ready' }
      : { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' };
  }
  const heartbeat = iso(posted.heartbeat);
  if (Date.now() - posted.heartbeat > NODE_GRACE_MS) {
    return { type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastHeartbeatTime: heartbeat };
  }
  return { type: 'Ready', status: posted.ready ? 'True' : 'False', reason: posted.reason, message: posted.message, lastHeartbeatTime: heartbeat };
}

/** Whether a pod on a node is Ready: its node Ready, and its kubelet up long enough to have started it. */
function podReady(p) {
  if (!p.node) return false;
  const posted = kubeletStatus(p.node);
  if (!posted) return true;
  return readyCondition({ name: p.node }, posted).status === 'True' && posted.heartbeat - posted.started >= POD_READY_AFTER_MS;
}

/** `kubectl get --raw /api/v1/nodes/NAME/proxy/healthz`: the API server asks the node's kubelet. */
function getRaw(state, rawPath) {
  const m = /^\/api\/v1\/nodes\/([^/]+)\/proxy\/healthz$/.exec(rawPath);
  if (!m) throw new KubectlError('Error from server (NotFound): the server could not find the requested resource');
  const n = findNode(state, m[1]);
  const posted = kubeletStatus(n.name);
  if (posted && Date.now() - posted.heartbeat > KUBELET_ANSWERS_MS) {
    throw new KubectlError('Error from server: error trying to reach service: dial tcp 127.0.0.1:10250: connect: connection refused');
  }
  out('ok');
}

// ---------------------------------------------------------------- shapes

function goDuration(ms) {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60}s`;
  return `${Math.floor(m / 60)}h${m % 60}m${s % 60}s`;
}

function parseDuration(text) {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(m[1]) * unit[m[2]];
    consumed += m[0].length;
  }
  if (!consumed || consumed !== text.length) throw new KubectlError(`error: invalid argument "${text}" for "--timeout" flag: time: invalid duration "${text}"`);
  return total;
}

function age(since) {
  const s = Math.max(0, Math.floor((Date.now() - (since ?? Date.now())) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 3600 * 3) return `${Math.floor(s / 60)}m`;
  if (s < 86400 * 2) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

function nodeJson(n) {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: n.name,
      labels: { 'kubernetes.io/hostname': n.name, ...Object.fromEntries((n.roles ?? []).map((r) => [`node-role.kubernetes.io/${r}`, ''])), ...(n.labels ?? {}) },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true', ...(n.annotations ?? {}) },
      creationTimestamp: new Date(n.created ?? 0).toISOString().replace(/\.\d+Z$/, 'Z') },
    spec: n.unschedulable
      ? { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: new Date(n.cordonedAt ?? Date.now()).toISOString().replace(/\.\d+Z$/, 'Z') }] }
      : {},
    status: {
      conditions: [readyCondition(n)],
      nodeInfo: { kubeletVersion: kubeletVersionOf(n), kubeProxyVersion: kubeletVersionOf(n), containerRuntimeVersion: n.containerRuntimeVersion ?? '', operatingSystem: 'linux', architecture: 'amd64' },
    },
  };
}

/** A DaemonSet of the state: name, namespace, labels, one container's image. */
function daemonSetJson(d) {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: d.name, namespace: d.namespace, labels: d.labels ?? {} },
    spec: { template: { metadata: { labels: d.labels ?? {} }, spec: { containers: [{ name: d.container ?? d.name, image: d.image }] } } },
  };
}

function podJson(p) {
  const owner = p.owner ? [{ apiVersion: p.owner.kind === 'DaemonSet' || p.owner.kind === 'ReplicaSet' ? 'apps/v1' : 'v1', kind: p.owner.kind, name: p.owner.name, controller: true, blockOwnerDeletion: true }] : undefined;
  const ready = p.node ? podReady(p) : false;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: p.name, namespace: p.namespace, labels: p.labels ?? {}, ...(owner ? { ownerReferences: owner } : {}) },
    spec: { nodeName: p.node || undefined, volumes: (p.emptyDir ? [{ name: 'scratch', emptyDir: {} }] : []) },
    status: p.node
      ? { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }], containerStatuses: [{ name: p.container ?? 'main', ready, restartCount: 0 }] }
      : { phase: 'Pending' },
  };
}

function selects(pdb, pod) {
  if (pdb.namespace !== pod.namespace) return false;
  return Object.entries(pdb.selector ?? {}).every(([k, v]) => pod.labels?.[k] === v);
}

function pdbStatus(state, pdb) {
  const pods = state.pods.filter((p) => selects(pdb, p));
  const healthy = pods.filter((p) => p.node && !p.terminating).length;
  const expected = pods.length;
  let desired;
  if (pdb.minAvailable !== undefined && pdb.minAvailable !== null) desired = Number(pdb.minAvailable);
  else desired = Math.max(0, expected - Number(pdb.maxUnavailable ?? 0));
  return { currentHealthy: healthy, desiredHealthy: desired, disruptionsAllowed: Math.max(0, healthy - desired), expectedPods: expected };
}

function pdbJson(state, pdb) {
  const spec = { selector: { matchLabels: pdb.selector ?? {} } };
  if (pdb.minAvailable !== undefined && pdb.minAvailable !== null) spec.minAvailable = pdb.minAvailable;
  if (pdb.maxUnavailable !== undefined && pdb.maxUnavailable !== null) spec.maxUnavailable = pdb.maxUnavailable;
  return { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: pdb.name, namespace: pdb.namespace }, spec, status: pdbStatus(state, pdb) };
}

const list = (items) => ({ apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } });

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] + 3))).join('').trimEnd() + '\n').join('');
}

// ---------------------------------------------------------------- flags

const BOOL = new Set(['all-namespaces', 'A', 'ignore-daemonsets', 'delete-emptydir-data', 'delete-local-data', 'force', 'disable-eviction', 'quiet', 'no-headers']);

function parse(argv) {
  const flags = {};
  const args = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-') || a === '-') {
      args.push(a);
      continue;
    }
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    let value = eq >= 0 ? body.slice(eq + 1) : undefined;
    if (value === undefined && !BOOL.has(name)) {
      if (name === 'dry-run') value = 'client';
      else {
        value = argv[++i];
        if (value === undefined) throw new KubectlError(`error: flag needs an argument: ${a}`);
      }
    }
    flags[name === 'A' ? 'all-namespaces' : name === 'n' ? 'namespace' : name === 'o' ? 'output' : name] = value ?? true;
  }
  return { flags, args };
}

function checkKubeconfig(flags) {
  const explicit = flags.kubeconfig;
  if (explicit) {
    if (!fs.existsSync(explicit)) throw new KubectlError(`error: stat ${explicit}: no such file or directory`);
    return;
  }
  const candidates = (process.env.KUBECONFIG ?? '').split(':').filter(Boolean);
  candidates.push(path.join(process.env.HOME || os.homedir() || '/root', '.kube', 'config'));
  if (!candidates.some((f) => fs.existsSync(f))) {
    throw new KubectlError('The connection to the server localhost:8080 was refused - did you specify the right host or port?');
  }
}

// ---------------------------------------------------------------- commands

/**
 * A fleet whose profile did not know every node name at seed time describes workers by a
 * template; a worker named like it joins the cluster when first named, as a kubelet registers.
 */
function materialize(state, name) {
  const t = state.nodeTemplate;
  if (!t || !new RegExp(t.pattern).test(name) || state.nodes.some((x) => x.name === name)) return;
  state.nodes.push({ ...t.node, name, created: Date.now() });
  for (const pod of t.pods ?? []) state.pods.push({ ...pod, name: `${pod.name}-${name}`, node: name, created: Date.now() });
}

function findNode(state, name) {
  materialize(state, name);
  const n = state.nodes.find((x) => x.name === name);
  if (!n) throw new KubectlError(`Error from server (NotFound): nodes "${name}" not found`);
  return n;
}

function get(state, args, flags) {
  const [kindArg, ...names] = args;
  if (!kindArg) throw new KubectlError('You must specify the type of resource to get. Use "kubectl api-resources" for a complete list of supported resources.');
  const kind = { node: 'nodes', nodes: 'nodes', no: 'nodes', pod: 'pods', pods: 'pods', po: 'pods', pdb: 'pdb', pdbs: 'pdb', poddisruptionbudget: 'pdb', poddisruptionbudgets: 'pdb', ds: 'daemonsets', daemonset: 'daemonsets', daemonsets: 'daemonsets' }[kindArg.toLowerCase()];
  if (!kind) throw new KubectlError(`error: the server doesn't have a resource type "${kindArg}"`);
  const output = flags.output;
  if (kind === 'daemonsets') {
    const dsNs = flags['all-namespaces'] ? undefined : (flags.namespace ?? 'default');
    const sets = (state.daemonSets ?? []).filter((d) => dsNs === undefined || d.namespace === dsNs);
    if (output === 'json') return out(JSON.stringify(list(sets.map(daemonSetJson)), null, 4) + '\n');
    if (sets.length === 0) return err(dsNs === undefined ? 'No resources found\n' : `No resources found in ${dsNs} namespace.\n`);
    const rows = [[...(dsNs === undefined ? ['NAMESPACE'] : []), 'NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE']];
    const n = String(state.nodes.length);
    for (const d of sets) rows.push([...(dsNs === undefined ? [d.namespace] : []), d.name, n, n, n, age(d.created)]);
    return out(table(rows));
  }
  if (kind === 'nodes') {
    const nodes = names.length ? names.map((n) => findNode(state, n)) : state.nodes;
    if (output === 'json') return out(JSON.stringify(names.length === 1 ? nodeJson(nodes[0]) : list(nodes.map(nodeJson)), null, 4) + '\n');
    if (output === 'name') return out(nodes.map((n) => `node/${n.name}\n`).join(''));
    const rows = [['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']];
    for (const n of nodes) {
      const status = `${readyCondition(n).status === 'True' ? 'Ready' : 'NotReady'}${n.unschedulable ? ',SchedulingDisabled' : ''}`;
      rows.push([n.name, status, n.roles?.join(',') || '<none>', age(n.created), kubeletVersionOf(n)]);
    }
    return out(table(rows));
  }
  const ns = flags['all-namespaces'] ? undefined : (flags.namespace ?? 'default');
  if (kind === 'pods') {
    let pods = state.pods.filter((p) => ns === undefined || p.namespace === ns);
    const sel = flags['field-selector'];
    if (sel) {
      for (const term of String(sel).split(',')) {
        const m = /^spec\.nodeName(==?|!=)(.*)$/.exec(term);
        if (!m) throw new KubectlError(`Error from server (BadRequest): Unable to find "/v1, Resource=pods" that match label selector "", field selector "${sel}": field label not supported: ${term.split(/[=!]/)[0]}`);
        pods = pods.filter((p) => (m[1] === '!=' ? (p.node ?? '') !== m[2] : (p.node ?? '') === m[2]));
      }
    }
    if (names.length) {
      pods = names.map((name) => {
        const p = pods.find((x) => x.name === name);
        if (!p) throw new KubectlError(`Error from server (NotFound): pods "${name}" not found`);
        return p;
      });
    }
    if (output === 'json') return out(JSON.stringify(names.length === 1 ? podJson(pods[0]) : list(pods.map(podJson)), null, 4) + '\n');
    if (pods.length === 0) {
      err(ns === undefined ? 'No resources found\n' : `No resources found in ${ns} namespace.\n`);
      return undefined;
    }
    const head = ns === undefined ? ['NAMESPACE'] : [];
    const rows = [[...head, 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', ...(output === 'wide' ? ['NODE'] : [])]];
    for (const p of pods) {
      rows.push([...(ns === undefined ? [p.namespace] : []), p.name, podReady(p) ? '1/1' : '0/1', p.node ? 'Running' : 'Pending', '0', age(p.created), ...(output === 'wide' ? [p.node || '<none>'] : [])]);
    }
    return out(table(rows));
  }
  const pdbs = state.pdbs.filter((p) => ns === undefined || p.namespace === ns);
  if (output === 'json') return out(JSON.stringify(list(pdbs.map((p) => pdbJson(state, p))), null, 4) + '\n');
  if (pdbs.length === 0) {
    err(ns === undefined ? 'No resources found\n' : `No resources found in ${ns} namespace.\n`);
    return undefined;
  }
  const rows = [[...(ns === undefined ? ['NAMESPACE'] : []), 'NAME', 'MIN AVAILABLE', 'MAX UNAVAILABLE', 'ALLOWED DISRUPTIONS', 'AGE']];
  for (const p of pdbs) {
    rows.push([...(ns === undefined ? [p.namespace] : []), p.name, String(p.minAvailable ?? 'N/A'), String(p.maxUnavailable ?? 'N/A'), String(pdbStatus(state, p).disruptionsAllowed), age(p.created)]);
  }
  return out(table(rows));
}

function dryRunSuffix(flags) {
  if (!flags['dry-run'] || flags['dry-run'] === 'none') return '';
  return flags['dry-run'] === 'server' ? ' (server dry run)' : ' (dry run)';
}

async function setSchedulable(name, unschedulable, flags) {
  const suffix = dryRunSuffix(flags);
  await withState((state) => {
    const n = findNode(state, name);
    const verb = unschedulable ? 'cordoned' : 'uncordoned';
    if (Boolean(n.unschedulable) === unschedulable) {
      out(`node/${name} already ${verb}${suffix}\n`);
      return;
    }
    if (!suffix) {
      n.unschedulable = unschedulable;
      n.cordonedAt = unschedulable ? Date.now() : undefined;
    }
    out(`node/${name} ${verb}${suffix}\n`);
  });
}

// `kubectl patch node NAME [--type merge|strategic] -p JSON`: spec.unschedulable and
// metadata.annotations (null removes one), as a JSON merge patch does them.
async function patchNode(rest, flags) {
  const [kind, name] = rest;
  if (!['node', 'nodes', 'no'].includes(kind) || !name || rest.length !== 2) throw new KubectlError('error: the fleet\'s kubectl patches one node: patch node NAME -p PATCH');
  const type = flags.type ?? 'strategic';
  if (type !== 'merge' && type !== 'strategic') throw new KubectlError(`error: --type must be one of [json merge strategic], not "${type}"`);
  const text = flags.patch ?? flags.p;
  if (typeof text !== 'string') throw new KubectlError('error: must specify --patch or --patch-file containing the contents of the patch');
  let patch;
  try {
    patch = JSON.parse(text);
  } catch (e) {
    throw new KubectlError(`error: unable to parse "${text}": yaml: ${e.message}`);
  }
  const suffix = dryRunSuffix(flags);
  await withState((state) => {
    const n = findNode(state, name);
    const before = JSON.stringify([Boolean(n.unschedulable), n.annotations ?? {}]);
    const next = { unschedulable: Boolean(n.unschedulable), annotations: { ...(n.annotations ?? {}) } };
    if (patch.spec && 'unschedulable' in patch.spec) next.unschedulable = patch.spec.unschedulable === true;
    for (const [k, v] of Object.entries(patch.metadata?.annotations ?? {})) {
      if (v === null) delete next.annotations[k];
      else next.annotations[k] = String(v);
    }
    const same = JSON.stringify([next.unschedulable, next.annotations]) === before;
    if (!suffix && !same) {
      if (next.unschedulable !== Boolean(n.unschedulable)) n.cordonedAt = next.unschedulable ? Date.now() : undefined;
      n.unschedulable = next.unschedulable;
      n.annotations = next.annotations;
    }
    out(`node/${name} patched${same ? ' (no change)' : ''}${suffix}\n`);
  });
}

const podRef = (p) => `${p.namespace}/${p.name}`;

function randomSuffix() {
  const chars = 'bcdfghjklmnpqrstvwxz2456789';
  return Array.from({ length: 5 }, () => chars[Math.floor(Math.random() * chars.length)]).join('');
}

/** Removes a pod; a ReplicaSet's pod comes back on another schedulable node (or Pending). */
function removePod(state, pod) {
  state.pods = state.pods.filter((p) => !(p.name === pod.name && p.namespace === pod.namespace));
  if (pod.owner?.kind !== 'ReplicaSet') return;
  const targets = state.nodes.filter((n) => !n.unschedulable && n.ready !== false && n.name !== pod.node && !(n.roles ?? []).includes('control-plane'));
  const target = targets.sort((a, b) => state.pods.filter((p) => p.node === a.name).length - state.pods.filter((p) => p.node === b.name).length)[0];
  const base = pod.name.replace(/-[a-z0-9]{5}$/, '');
  state.pods.push({ ...pod, name: `${base}-${randomSuffix()}`, node: target?.name ?? '', created: Date.now() });
}

async function drain(name, flags) {
  const suffix = dryRunSuffix(flags);
  const timeoutMs = flags.timeout ? parseDuration(String(flags.timeout)) : 0;
  const started = Date.now();
  // Cordon first, as kubectl does.
  await setSchedulable(name, true, flags);
  const state = readState();
  const pods = state.pods.filter((p) => p.node === name);
  const daemonSet = pods.filter((p) => p.owner?.kind === 'DaemonSet');
  const rest = pods.filter((p) => p.owner?.kind !== 'DaemonSet');
  const local = rest.filter((p) => p.emptyDir);
  const unmanaged = rest.filter((p) => !p.owner);
  const errors = [];
  const warnings = [];
  if (daemonSet.length) {
    if (flags['ignore-daemonsets']) warnings.push(`ignoring DaemonSet-managed Pods: ${daemonSet.map(podRef).join(', ')}`);
    else errors.push(`cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): ${daemonSet.map(podRef).join(', ')}`);
  }
  if (local.length) {
    if (flags['delete-emptydir-data'] || flags['delete-local-data']) warnings.push(`deleting Pods with local storage: ${local.map(podRef).join(', ')}`);
    else errors.push(`cannot delete Pods with local storage (use --delete-emptydir-data to override): ${local.map(podRef).join(', ')}`);
  }
  if (unmanaged.length) {
    if (flags.force) warnings.push(`deleting Pods that declare no controller: ${unmanaged.map(podRef).join(', ')}`);
    else errors.push(`cannot delete Pods that declare no controller (use --force to override): ${unmanaged.map(podRef).join(', ')}`);
  }
  const failNode = (message) => {
    err(`error: unable to drain node "${name}" due to error: ${message}, continuing command...\n`);
    err(`There are pending nodes to be drained:\n ${name}\n`);
    throw new KubectlError(`error: ${message}`);
  };
  if (errors.length) failNode(errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`);
  if (warnings.length) err(`Warning: ${warnings.join('; ')}\n`);

  const useEviction = !flags['disable-eviction'];
  const pending = [...rest];
  const results = await Promise.all(
    pending.map(async (pod) => {
      if (!useEviction) {
        if (!suffix) await withState((s) => removePod(s, pod));
        out(`pod/${pod.name} deleted${suffix}\n`);
        return undefined;
      }
      for (;;) {
        err(`evicting pod ${podRef(pod)}\n`);
        const blocked = suffix
          ? false
          : await withState((s) => {
              const pdb = s.pdbs.find((b) => selects(b, pod));
              if (pdb && pdbStatus(s, pdb).disruptionsAllowed <= 0) return true;
              removePod(s, pod);
              return false;
            });
        if (!blocked) {
          out(`pod/${pod.name} evicted${suffix}\n`);
          return undefined;
        }
        if (timeoutMs && Date.now() - started + RETRY_MS > timeoutMs) {
          err(`error when evicting pods/"${pod.name}" -n "${pod.namespace}" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.\n`);
          await sleep(Math.max(0, timeoutMs - (Date.now() - started)));
          return `error when evicting pods/"${pod.name}" -n "${pod.namespace}": global timeout reached: ${goDuration(timeoutMs)}`;
        }
        err(`error when evicting pods/"${pod.name}" -n "${pod.namespace}" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.\n`);
        await sleep(RETRY_MS);
      }
    }),
  );
  const failed = results.filter(Boolean);
  if (failed.length) {
    const message = failed.length === 1 ? failed[0] : `[${failed.join(', ')}]`;
    const left = readState().pods.filter((p) => p.node === name && p.owner?.kind !== 'DaemonSet');
    err(`There are pending pods in node "${name}" when an error occurred: ${message}\n`);
    for (const p of left) err(`pod/${p.name}\n`);
    failNode(message);
  }
  out(`node/${name} drained${suffix}\n`);
}

async function main(argv) {
  const { flags, args } = parse(argv);
  const [verb, ...rest] = args;
  if (flags.version !== undefined || verb === 'version') {
    const state = fs.existsSync(STATE) ? readState() : { nodes: [] };
    const v = apiServerVersion(state);
    if (flags.output === 'json') {
      const info = (gitVersion) => {
        const [major, minor] = gitVersion.replace(/^v/, '').split('.');
        return { major, minor, gitVersion, gitCommit: '0000000000000000000000000000000000000000', gitTreeState: 'clean', buildDate: '2024-01-01T00:00:00Z', goVersion: 'go1.21.6', compiler: 'gc', platform: 'linux/amd64' };
      };
      out(`${JSON.stringify({ clientVersion: info(v), kustomizeVersion: 'v4.5.7', serverVersion: info(v) }, null, 2)}\n`);
      return 0;
    }
    out(`Client Version: ${v}\nKustomize Version: v4.5.7\nServer Version: ${v}\n`);
    return 0;
  }
  if (!verb) {
    out('kubectl controls the Kubernetes cluster manager.\n');
    return 0;
  }
  checkKubeconfig(flags);
  switch (verb) {
    case 'get':
      if (flags.raw !== undefined) getRaw(readState(), String(flags.raw));
      else get(readState(), rest, flags);
      return 0;
    case 'cordon':
    case 'uncordon':
      if (rest.length !== 1) throw new KubectlError('error: USAGE: cordon NODE [flags]\nSee \'kubectl cordon -h\' for help and examples');
      await setSchedulable(rest[0], verb === 'cordon', flags);
      return 0;
    case 'patch':
      await patchNode(rest, flags);
      return 0;
    case 'drain':
      if (rest.length !== 1) throw new KubectlError('error: USAGE: drain NODE [flags]\nSee \'kubectl drain -h\' for help and examples');
      findNode(readState(), rest[0]);
      await drain(rest[0], flags);
      return 0;
    default:
      throw new KubectlError(`error: unknown command "${verb}" for "kubectl"\n\nDid you mean this?\n\tget\n\nRun 'kubectl --help' for usage.`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    if (e instanceof KubectlError) {
      err(`${e.message}\n`);
      process.exit(e.code);
    }
    err(`error: ${e?.stack ?? e}\n`);
    process.exit(1);
  },
);
