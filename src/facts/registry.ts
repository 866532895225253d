/**
 * Every fact a playbook's `when:` can test, by name: its type, what it means, and the probe that
 * reads it. One registry, so that `validate` rejects a misspelt fact name (which would otherwise
 * make a test silently false, skipping a step, or true under `not:`), an operator that does not
 * fit the fact's type, and a value an enum fact never takes. The README's fact table is this list.
 */
import { PROBED_PACKAGES } from './node-probe.js';

export type FactType =
  | { kind: 'string' }
  /** Compared with `satisfies` (semver, coerced: `v1.27.3`, `1.6.20~ds1`, `2:1.7.24-1`). */
  | { kind: 'version' }
  | { kind: 'boolean' }
  | { kind: 'number' }
  | { kind: 'enum'; values: readonly string[] }
  /** A list of strings, tested with `contains`. */
  | { kind: 'list' };

/**
 * Which probe reads a fact. On the node, one read-only shell script whose sections are asked
 * for by probe: `node` (always), `kubelet` (its unit files and environment files), `runtime-config`
 * (containerd's and CRI-O's configuration, the OCI runtimes in use), `packages` (installed and
 * candidate versions); `cri`, live gRPC calls to the runtime's socket over the SSH connection.
 * `cluster` (kubectl on a control-plane host) and `local` (the operator's machine) are read by
 * `doctor` only.
 */
export type FactProbe = 'node' | 'kubelet' | 'runtime-config' | 'packages' | 'cri' | 'cluster' | 'local';

export interface FactSpec {
  name: string;
  type: FactType;
  probe: FactProbe;
  description: string;
}

const string = { kind: 'string' } as const;
const version = { kind: 'version' } as const;
const boolean = { kind: 'boolean' } as const;
const number = { kind: 'number' } as const;
const list = { kind: 'list' } as const;

export const RUNTIME_NAMES = ['containerd', 'crio', 'docker', 'none'] as const;
export const PACKAGE_MANAGERS = ['apt', 'dnf', 'yum', 'none'] as const;

function component(name: string, what: string): FactSpec[] {
  return [
    { name: `${name}.installed`, type: boolean, probe: 'node', description: `${what} is installed (its binary is on the PATH)` },
    { name: `${name}.version`, type: version, probe: 'node', description: `the version ${what} reports (\`--version\`)` },
    { name: `${name}.active`, type: boolean, probe: 'node', description: `systemd says its unit is active (\`systemctl is-active\`)` },
  ];
}

export const FACTS: readonly FactSpec[] = [
  { name: 'hostname', type: string, probe: 'node', description: "the node's hostname" },
  { name: 'os.id', type: string, probe: 'node', description: '`ID` of /etc/os-release: debian, ubuntu, rhel, rocky, ...' },
  { name: 'os.versionId', type: version, probe: 'node', description: '`VERSION_ID` of /etc/os-release: 12, 22.04, 9.4' },
  { name: 'os.prettyName', type: string, probe: 'node', description: '`PRETTY_NAME` of /etc/os-release' },
  { name: 'kernel', type: version, probe: 'node', description: 'the kernel release (`uname -r`)' },
  { name: 'arch', type: string, probe: 'node', description: 'the machine architecture (`uname -m`): x86_64, aarch64' },
  { name: 'pkg.manager', type: { kind: 'enum', values: PACKAGE_MANAGERS }, probe: 'node', description: 'the package manager found on the node' },
  {
    name: 'runtime.name',
    type: { kind: 'enum', values: RUNTIME_NAMES },
    probe: 'node',
    description: 'the container runtime in use: the one whose socket is served, else whose unit is active, else the one installed',
  },
  { name: 'runtime.version', type: version, probe: 'node', description: 'the version of that runtime' },
  { name: 'runtime.socket', type: string, probe: 'node', description: "that runtime's CRI socket, when it is served" },
  ...component('kubelet', 'kubelet'),
  ...component('containerd', 'containerd'),
  ...component('crio', 'CRI-O'),
  ...component('docker', 'the Docker daemon (dockerd)'),
  { name: 'crictl.installed', type: boolean, probe: 'node', description: 'crictl is on the PATH' },
  { name: 'kubectl.installed', type: boolean, probe: 'node', description: 'kubectl is on the PATH' },
  { name: 'criDockerd.installed', type: boolean, probe: 'node', description: 'cri-dockerd is on the PATH' },
  { name: 'criDockerd.active', type: boolean, probe: 'node', description: 'systemd says cri-docker.service is active' },
  { name: 'criDockerd.enabled', type: boolean, probe: 'node', description: 'cri-docker.service or cri-docker.socket is enabled' },
  {
    name: 'kubelet.flags',
    type: list,
    probe: 'kubelet',
    description: "the flag names on kubelet's effective command line, as systemd assembles it from the unit, its drop-ins and environment files",
  },
  { name: 'containerd.configVersion', type: number, probe: 'runtime-config', description: '`version` of /etc/containerd/config.toml (1 when it has none)' },
  { name: 'crio.defaultRuntime', type: string, probe: 'runtime-config', description: "CRI-O's merged `default_runtime` (crio.conf, then crio.conf.d in order)" },
  { name: 'crio.runningRuntimes', type: list, probe: 'runtime-config', description: 'the OCI runtimes that containers run under now (their state directories, /run/runc, /run/crun)' },
  ...PROBED_PACKAGES.flatMap((p): FactSpec[] => [
    { name: `packages.${p}.installed`, type: version, probe: 'packages', description: `the installed version of the ${p} package` },
    { name: `packages.${p}.candidate`, type: version, probe: 'packages', description: `the version of ${p} the package manager would install now` },
  ]),
  {
    name: 'cri.v1',
    type: boolean,
    probe: 'cri',
    description: 'the runtime answers `runtime.v1.RuntimeService/Version` on its socket (unknown when nothing answers there)',
  },
  {
    name: 'cri.v1alpha2',
    type: boolean,
    probe: 'cri',
    description: 'the runtime answers `runtime.v1alpha2.RuntimeService/Version` on its socket (unknown when nothing answers there)',
  },
];

/** Facts of the cluster and of the operator's machine: read by `doctor`, not on a node by `when:`. */
export const CLUSTER_FACTS: readonly FactSpec[] = [
  { name: 'cluster.serverVersion', type: version, probe: 'cluster', description: "the API server's version (`kubectl version`)" },
  { name: 'cluster.kruiseVersion', type: version, probe: 'cluster', description: "OpenKruise's version, from the image of its kruise-daemon DaemonSet" },
  { name: 'local.kindVersion', type: version, probe: 'local', description: 'the version of `kind` on the operator\'s machine, when it is there' },
];

const byName = new Map(FACTS.map((f) => [f.name, f]));

const clusterByName = new Map(CLUSTER_FACTS.map((f) => [f.name, f]));

/** A fact by name: of a node, or of the cluster or the operator's machine (doctor's). */
export function factSpec(name: string): FactSpec | undefined {
  return byName.get(name) ?? clusterByName.get(name);
}

/** The facts `when:` can test (a node's). */
export function factNames(): string[] {
  return FACTS.map((f) => f.name);
}

/** Facts `when:` cannot test: they are not the node's. */
export function isNodeFact(spec: FactSpec): boolean {
  return spec.probe !== 'cluster' && spec.probe !== 'local';
}

/** How the type reads in messages and the README. */
export function describeFactType(type: FactType): string {
  switch (type.kind) {
    case 'string':
      return 'text';
    case 'version':
      return 'a version';
    case 'boolean':
      return 'true or false';
    case 'number':
      return 'a number';
    case 'list':
      return 'a list of text';
    case 'enum':
      return `one of ${type.values.join(', ')}`;
  }
}

/** What the loader needs: fact specs by name. Tests pass their own. */
export interface FactLookup {
  get(name: string): FactSpec | undefined;
  names(): string[];
}

export const registeredFacts: FactLookup = { get: factSpec, names: factNames };

/** The probes that read the named facts (names the registry does not know need none). */
export function probesFor(names: Iterable<string>): Set<FactProbe> {
  const probes = new Set<FactProbe>();
  for (const name of names) {
    const spec = byName.get(name);
    if (spec) probes.add(spec.probe);
  }
  return probes;
}
