/**
 * Node facts for `when:` conditions: OS, container runtime, kubelet. One read-only probe (a
 * fixed script; nothing from playbooks or inventories is put into it) and a pure parser.
 */
import type { Remote } from '../transport/types.js';
import { probeCriFacts, type CriFacts } from './cri.js';
import type { FactProbe } from './registry.js';

export interface NodeFacts {
  hostname: string;
  os: { id: string; versionId: string; prettyName: string };
  kernel: string;
  arch: string;
  /** Package manager found on the node. */
  pkg: { manager: 'apt' | 'dnf' | 'yum' | 'none' };
  runtime: {
    /** The container runtime in use: the one whose socket is served, else whose unit is active, else installed. */
    name: 'containerd' | 'crio' | 'docker' | 'none';
    version: string | undefined;
    socket: string | undefined;
  };
  kubelet: { installed: boolean; version: string | undefined; active: boolean };
  containerd: { installed: boolean; version: string | undefined; active: boolean };
  crio: { installed: boolean; version: string | undefined; active: boolean };
  docker: { installed: boolean; version: string | undefined; active: boolean };
  crictl: { installed: boolean };
  kubectl: { installed: boolean };
  /** What the runtime answers over CRI; only probed when asked for (`probes` has `cri`). */
  cri?: CriFacts;
}

/** Prints `key=value` lines. Constant text: safe to send as is. */
export const NODE_FACTS_SCRIPT = String.raw`
kv() { printf '%s=%s\n' "$1" "$2"; }
kv hostname "$(hostname 2>/dev/null)"
if [ -r /etc/os-release ]; then . /etc/os-release; kv os.id "$ID"; kv os.versionId "$VERSION_ID"; kv os.prettyName "$PRETTY_NAME"; fi
kv kernel "$(uname -r)"
kv arch "$(uname -m)"
for p in apt-get dnf yum; do command -v "$p" >/dev/null 2>&1 && { kv pkg "$p"; break; }; done
for b in kubelet containerd crio dockerd crictl kubectl; do command -v "$b" >/dev/null 2>&1 && kv "bin.$b" 1; done
command -v kubelet >/dev/null 2>&1 && kv ver.kubelet "$(kubelet --version 2>/dev/null | head -n1)"
command -v containerd >/dev/null 2>&1 && kv ver.containerd "$(containerd --version 2>/dev/null | head -n1)"
command -v crio >/dev/null 2>&1 && kv ver.crio "$(crio --version 2>/dev/null | grep -i '^version' | head -n1)"
command -v dockerd >/dev/null 2>&1 && kv ver.dockerd "$(dockerd --version 2>/dev/null | head -n1)"
for u in kubelet containerd crio docker; do kv "active.$u" "$(systemctl is-active "$u" 2>/dev/null | head -n1)"; done
for s in /run/containerd/containerd.sock /var/run/crio/crio.sock /run/crio/crio.sock /var/run/cri-dockerd.sock /run/cri-dockerd.sock /var/run/docker.sock; do [ -S "$s" ] && kv "sock" "$s"; done
exit 0
`;

/**
 * The node's facts: the shell probe always; the CRI calls when `probes` includes `cri` (a
 * condition tests a `cri.*` fact), to the socket the shell probe found served.
 */
export async function probeNodeFacts(
  remote: Remote,
  limits: { signal?: AbortSignal; timeoutMs?: number } = {},
  probes: ReadonlySet<FactProbe> = new Set(['node']),
): Promise<NodeFacts> {
  const r = await remote.run(['sh', '-c', NODE_FACTS_SCRIPT], limits);
  const facts = parseNodeFacts(r.stdout);
  if (probes.has('cri')) facts.cri = await probeCriFacts(remote, facts.runtime.socket, limits);
  return facts;
}

/** `Kubernetes v1.26.3` -> `1.26.3`; `containerd github.com/containerd/containerd 1.6.20~ds1 ...` -> `1.6.20~ds1`. */
export function versionFrom(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const m = /v?(\d+\.\d+(?:\.\d+)?(?:[-~+][0-9A-Za-z.~+-]*)?)/.exec(text.replace(/^version\s*/i, ''));
  return m?.[1];
}

export function parseNodeFacts(stdout: string): NodeFacts {
  const kv = new Map<string, string>();
  const sockets: string[] = [];
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).trim();
    if (key === 'sock') sockets.push(value);
    else kv.set(key, value);
  }
  const component = (name: string) => ({
    installed: kv.has(`bin.${name}`),
    version: versionFrom(kv.get(`ver.${name}`)),
    active: kv.get(`active.${name}`) === 'active',
  });
  const containerd = component('containerd');
  const crio = component('crio');
  // Docker as a runtime means the daemon (dockerd), not the docker client.
  const dockerd = component('dockerd');
  const docker = { ...dockerd, active: kv.get('active.docker') === 'active' };
  const kubelet = component('kubelet');
  const socketOf = (re: RegExp) => sockets.find((s) => re.test(s));
  let runtime: NodeFacts['runtime'];
  // A served socket says most; then an active unit; then what is installed. Docker comes
  // first among served sockets (dockerd also runs a containerd), last among installed ones.
  const candidates: Array<[NodeFacts['runtime']['name'], ReturnType<typeof component>, string | undefined]> = [
    ['crio', crio, socketOf(/crio\.sock$/)],
    ['docker', docker, socketOf(/cri-dockerd\.sock$|docker\.sock$/)],
    ['containerd', containerd, socketOf(/containerd\.sock$/)],
  ];
  const installedOrder = [candidates[2], candidates[0], candidates[1]] as typeof candidates;
  const pick =
    candidates.find(([, , sock]) => sock) ?? candidates.find(([, c]) => c.active) ?? installedOrder.find(([, c]) => c.installed);
  if (pick) runtime = { name: pick[0], version: pick[1].version, socket: pick[2] };
  else runtime = { name: 'none', version: undefined, socket: undefined };
  const pkgBin = kv.get('pkg');
  return {
    hostname: kv.get('hostname') ?? '',
    os: { id: kv.get('os.id') ?? '', versionId: kv.get('os.versionId') ?? '', prettyName: kv.get('os.prettyName') ?? '' },
    kernel: kv.get('kernel') ?? '',
    arch: kv.get('arch') ?? '',
    pkg: { manager: pkgBin === 'apt-get' ? 'apt' : pkgBin === 'dnf' ? 'dnf' : pkgBin === 'yum' ? 'yum' : 'none' },
    runtime,
    kubelet,
    containerd,
    crio,
    docker,
    crictl: { installed: kv.has('bin.crictl') },
    kubectl: { installed: kv.has('bin.kubectl') },
  };
}
