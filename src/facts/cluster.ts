/**
 * Cluster facts, through kubectl on the first reachable control-plane host (or on the operator's
 * machine): the API server's version, each node's kubelet and runtime as the API server has
 * them, and OpenKruise's version from its kruise-daemon DaemonSet. One read-only script, pure
 * parsers of kubectl's JSON.
 */
import { parseProbeOutput } from './node-probe.js';

/** Constant text: each kubectl answer framed as a probe file whose path is its exit code. */
export const CLUSTER_PROBE_SCRIPT = String.raw`
ask() { kind=$1; shift; out=$("$@" 2>&1); code=$?; printf 'file\t%s\t%s\t' "$kind" "$code"; printf '%s' "$out" | base64 -w0; echo; }
ask version kubectl version -o json
ask nodes kubectl get nodes -o json
ask daemonsets kubectl get daemonsets -A -o json
exit 0
`;

export interface ClusterNode {
  name: string;
  kubeletVersion: string | undefined;
  /** `containerd://1.6.20`, `cri-o://1.29.9`, `docker://24.0.7`. */
  containerRuntimeVersion: string | undefined;
  ready: boolean;
  unschedulable: boolean;
}

export interface ClusterFacts {
  /** The host kubectl ran on (`local` for the operator's machine). */
  via: string;
  serverVersion: string | undefined;
  nodes: ClusterNode[];
  /** OpenKruise's version (its kruise-daemon's image tag); undefined when it is not installed. */
  kruiseVersion: string | undefined;
  /** What kubectl said when it could not answer (no kubeconfig, API server down). */
  errors: string[];
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function parseJson(text: string): Json | undefined {
  try {
    return obj(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** `kubectl version -o json`: the server's gitVersion without the `v`. */
export function parseServerVersion(text: string): string | undefined {
  return str(obj(parseJson(text)?.serverVersion).gitVersion)?.replace(/^v/, '');
}

/** `kubectl get nodes -o json`. */
export function parseClusterNodes(text: string): ClusterNode[] {
  return arr(parseJson(text)?.items).map((raw) => {
    const node = obj(raw);
    const info = obj(obj(node.status).nodeInfo);
    const ready = arr(obj(node.status).conditions).map(obj).find((c) => c.type === 'Ready');
    return {
      name: str(obj(node.metadata).name) ?? '',
      kubeletVersion: str(info.kubeletVersion)?.replace(/^v/, ''),
      containerRuntimeVersion: str(info.containerRuntimeVersion),
      ready: ready?.status === 'True',
      unschedulable: obj(node.spec).unschedulable === true,
    };
  });
}

/**
 * OpenKruise's version from `kubectl get daemonsets -A -o json`: the kruise-daemon DaemonSet
 * (namespace kruise-system in its Helm chart) runs the kruise-manager image of the release, e.g.
 * `openkruise/kruise-manager:v1.7.2`.
 */
export function parseKruiseVersion(text: string): string | undefined {
  for (const raw of arr(parseJson(text)?.items)) {
    const ds = obj(raw);
    if (str(obj(ds.metadata).name) !== 'kruise-daemon') continue;
    for (const c of arr(obj(obj(obj(ds.spec).template).spec).containers).map(obj)) {
      const tag = /:v?(\d+\.\d+\.\d+[^@]*)(@.*)?$/.exec(str(c.image) ?? '');
      if (tag) return tag[1];
    }
  }
  return undefined;
}

/** The script's output as cluster facts. Pure. */
export function parseClusterProbe(via: string, stdout: string): ClusterFacts {
  const files = parseProbeOutput(stdout).files;
  const answer = (kind: string) => files.find((f) => f.kind === kind);
  const errors: string[] = [];
  const ok = (kind: string): string | undefined => {
    const f = answer(kind);
    if (!f) return undefined;
    if (f.path !== '0') {
      const said = (f.content ?? '').trim().split('\n').filter((l) => l.trim() && !/^[\s{}\[\]",:]*$/.test(l)).at(-1) ?? '';
      errors.push(`kubectl ${kind === 'version' ? 'version' : `get ${kind}`} on ${via} exited ${f.path}${said ? `: ${said.trim()}` : ''}`);
      return undefined;
    }
    return f.content ?? '';
  };
  const version = ok('version');
  const nodes = ok('nodes');
  const daemonsets = ok('daemonsets');
  return {
    via,
    serverVersion: version === undefined ? undefined : parseServerVersion(version),
    nodes: nodes === undefined ? [] : parseClusterNodes(nodes),
    kruiseVersion: daemonsets === undefined ? undefined : parseKruiseVersion(daemonsets),
    errors: [...new Set(errors)],
  };
}
