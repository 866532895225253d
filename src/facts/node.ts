/**
 * Node facts: OS, container runtime, kubelet, and (in the sections asked for) kubelet's
 * effective command line, the runtimes' configuration, the packages. One read-only probe per
 * node (src/facts/node-probe.ts: a fixed script; nothing from playbooks or inventories is put
 * into it) plus the CRI calls when asked, and pure parsers.
 */
import type { Remote } from '../transport/types.js';
import { parseContainerdConfig, type ContainerdConfigFacts } from './containerd-config.js';
import { mergeCrioConfigs, runtimeView, walkOrder, type ConfigFile } from './crio-config.js';
import { probeCriFacts, type CriFacts } from './cri.js';
import { assembleKubeletCommandLine, type KubeletCommandLine, type UnitFile } from './kubelet-cmdline.js';
import { NODE_PROBE_SCRIPT, parseProbeOutput, type ProbeFile, type ProbeOutput, type ProbeSection } from './node-probe.js';
import { parsePackageVersions, type PackageVersions } from './packages.js';
import type { FactProbe } from './registry.js';

interface Component {
  installed: boolean;
  version: string | undefined;
  active: boolean;
}

export interface CrioConfigFacts {
  /** crio.conf, then crio.conf.d in the order CRI-O reads them. */
  files: ConfigFile[];
  /** The merged `default_runtime` (slipway's merge of the files), and the file that set it last. */
  defaultRuntime: string | undefined;
  setBy: string | undefined;
  /** Files CRI-O cannot parse. */
  errors: string[];
}

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
  kubelet: Component & {
    /** Section `kubelet`: the command line systemd would start kubelet with. */
    commandLine?: KubeletCommandLine;
    /** Section `kubelet`: the flag names on it. */
    flags?: string[];
    /** Section `kubelet`: the unit files (systemd's order) and environment files it is built from. */
    sources?: { units: UnitFile[]; env: Record<string, string | null> };
  };
  containerd: Component & {
    /** Section `runtime-config`: /etc/containerd/config.toml; null when there is none. */
    config?: ContainerdConfigFacts | null;
    /** Its `version` (1 when the file has none). */
    configVersion?: number;
  };
  crio: Component & {
    /** Section `runtime-config`. */
    config?: CrioConfigFacts;
    defaultRuntime?: string;
    /** OCI runtimes with containers running under them now (their state directories). */
    runningRuntimes?: string[];
  };
  docker: Component;
  criDockerd: { installed: boolean; active: boolean; enabled: boolean };
  crictl: { installed: boolean };
  kubectl: { installed: boolean };
  /** Section `packages`: installed and candidate versions. */
  packages?: PackageVersions;
  /** What the runtime answers over CRI; only probed when asked for. */
  cri?: CriFacts;
}

const SECTION_OF: Partial<Record<FactProbe, ProbeSection>> = { kubelet: 'kubelet', 'runtime-config': 'runtime-config', packages: 'packages' };

/**
 * The node's facts: the base probe always, the sections its probes ask for, and the CRI calls
 * (to the socket the probe found served) when `probes` has `cri`.
 */
export async function probeNodeFacts(
  remote: Remote,
  limits: { signal?: AbortSignal; timeoutMs?: number } = {},
  probes: ReadonlySet<FactProbe> = new Set(['node']),
): Promise<NodeFacts> {
  const sections = [...probes].flatMap((p) => SECTION_OF[p] ?? []);
  const r = await remote.run(['sh', '-c', NODE_PROBE_SCRIPT, 'sh', ...sections], limits);
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
  const out = parseProbeOutput(stdout);
  const one = (key: string) => out.values.get(key)?.at(-1);
  const sockets = out.values.get('sock') ?? [];
  const component = (name: string): Component => ({
    installed: out.values.has(`bin.${name}`),
    version: versionFrom(one(`ver.${name}`)),
    active: one(`active.${name}`) === 'active',
  });
  const containerd = component('containerd');
  const crio = component('crio');
  // Docker as a runtime means the daemon (dockerd), not the docker client.
  const docker = { ...component('dockerd'), active: one('active.docker') === 'active' };
  const kubelet = component('kubelet');
  const socketOf = (re: RegExp) => sockets.find((s) => re.test(s));
  // A served socket says most; then an active unit; then what is installed. Docker comes
  // first among served sockets (dockerd also runs a containerd), last among installed ones.
  const candidates: Array<[NodeFacts['runtime']['name'], Component, string | undefined]> = [
    ['crio', crio, socketOf(/crio\.sock$/)],
    ['docker', docker, socketOf(/cri-dockerd\.sock$|docker\.sock$/)],
    ['containerd', containerd, socketOf(/containerd\.sock$/)],
  ];
  const installedOrder = [candidates[2], candidates[0], candidates[1]] as typeof candidates;
  const pick = candidates.find(([, , sock]) => sock) ?? candidates.find(([, c]) => c.active) ?? installedOrder.find(([, c]) => c.installed);
  const runtime: NodeFacts['runtime'] = pick ? { name: pick[0], version: pick[1].version, socket: pick[2] } : { name: 'none', version: undefined, socket: undefined };
  const pkgBin = one('pkg');
  const facts: NodeFacts = {
    hostname: one('hostname') ?? '',
    os: { id: one('os.id') ?? '', versionId: one('os.versionId') ?? '', prettyName: one('os.prettyName') ?? '' },
    kernel: one('kernel') ?? '',
    arch: one('arch') ?? '',
    pkg: { manager: pkgBin === 'apt-get' ? 'apt' : pkgBin === 'dnf' ? 'dnf' : pkgBin === 'yum' ? 'yum' : 'none' },
    runtime,
    kubelet,
    containerd,
    crio,
    docker,
    criDockerd: {
      installed: out.values.has('bin.cri-dockerd'),
      active: one('active.cri-docker') === 'active',
      enabled: ['enabled', 'enabled-runtime'].includes(one('enabled.cri-docker.service') ?? '') || ['enabled', 'enabled-runtime'].includes(one('enabled.cri-docker.socket') ?? ''),
    },
    crictl: { installed: out.values.has('bin.crictl') },
    kubectl: { installed: out.values.has('bin.kubectl') },
  };
  addKubeletSection(facts, out.files);
  addRuntimeConfigSection(facts, out);
  const packages = parsePackageVersions(out.files);
  if (packages) facts.packages = packages;
  return facts;
}

/** Unit file and drop-ins as systemd orders them: the first unit file found in the search path, then drop-ins by name (a higher-priority directory's file hides a same-named one). */
function kubeletUnits(files: readonly ProbeFile[]): Array<{ path: string; content: string }> {
  const unit = files.find((f) => f.kind === 'unit' && f.content !== null);
  const dropins = new Map<string, { path: string; content: string }>();
  for (const f of files) {
    const name = f.path.slice(f.path.lastIndexOf('/') + 1);
    if (f.kind === 'dropin' && f.content !== null && !dropins.has(name)) dropins.set(name, { path: f.path, content: f.content });
  }
  const ordered = [...dropins.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  return [...(unit ? [{ path: unit.path, content: unit.content as string }] : []), ...ordered];
}

function addKubeletSection(facts: NodeFacts, files: readonly ProbeFile[]): void {
  if (!files.some((f) => f.kind === 'env' || f.kind === 'unit' || f.kind === 'dropin')) return;
  const env = new Map(files.filter((f) => f.kind === 'env').map((f) => [f.path, f.content]));
  const units = kubeletUnits(files);
  const commandLine = assembleKubeletCommandLine(units, (path) => env.get(path) ?? null);
  facts.kubelet.commandLine = commandLine;
  facts.kubelet.flags = [...new Set(commandLine.flags.map((f) => f.name))];
  facts.kubelet.sources = { units, env: Object.fromEntries(env) };
}

function addRuntimeConfigSection(facts: NodeFacts, out: ProbeOutput): void {
  const containerdFile = out.files.find((f) => f.kind === 'containerd-config');
  if (!containerdFile) return;
  facts.containerd.config = containerdFile.content === null ? null : parseContainerdConfig(containerdFile.path, containerdFile.content);
  facts.containerd.configVersion = facts.containerd.config?.version ?? 1;
  const crioFiles = out.files.filter((f): f is ProbeFile & { content: string } => f.kind === 'crio-config' && f.content !== null);
  const main = crioFiles.filter((f) => !f.path.includes('/crio.conf.d/'));
  const dir = crioFiles.filter((f) => f.path.includes('/crio.conf.d/')).sort((a, b) => walkOrder(a.path, b.path));
  if (crioFiles.length > 0) {
    const files = [...main, ...dir].map((f) => ({ path: f.path, content: f.content }));
    const merged = mergeCrioConfigs(files);
    const view = runtimeView(merged.config);
    facts.crio.config = { files, defaultRuntime: view.defaultRuntime, setBy: merged.defaultRuntimeFrom, errors: merged.errors.map((e) => `${e.path}: ${e.message}`) };
    if (view.defaultRuntime !== undefined) facts.crio.defaultRuntime = view.defaultRuntime;
  }
  facts.crio.runningRuntimes = [...out.values.entries()].filter(([k, v]) => k.startsWith('oci.') && Number(v.at(-1)) > 0).map(([k]) => k.slice(4));
}
