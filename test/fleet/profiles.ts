/**
 * Seed profiles: the known states a fleet can start in.
 *
 *   base                plain nodes: systemd (stand-in), sshd, the Debian containerd package
 *                       visible but not running.
 *   containerd-1.4      every node: containerd 1.4.13-0fleet1 (CRI v1alpha2 only) and kubelet
 *                       1.23.17 installed and running (kubeadm's flags, --container-runtime=remote
 *                       included); cp-1 has kubectl and the cluster's state.
 *   containerd-1.5      like containerd-1.4, with containerd 1.5.18-0fleet1: a release whose version
 *                       table entry suggests CRI v1, but which serves only v1alpha2 (containerd#7863).
 *   crio-1.29           every node: cri-o 1.29.9 (runc by default, via /etc/crio/crio.conf) and
 *                       kubelet 1.26.15 running, real pod sandboxes (kube-proxy in the host
 *                       network, workloads in their own); cri-o 1.30.6 waits in the repository.
 *   kubelet-1.26-flags  the real containerd 1.6 and kubelet 1.26.15 running, with flags that 1.27
 *                       removed: --container-runtime=remote in kubeadm-flags.env (node-1, 4, ...),
 *                       --pod-infra-container-image in /etc/default/kubelet (node-2, 5, ...), and
 *                       `--container-runtime remote` in a drop-in (node-3, 6, ...); 1.27.16 in the repo.
 *   mixed               like containerd-1.4, but node-1 already runs the real containerd 1.6.
 *   docker-24           Docker Engine 24 (stand-in) as the runtime of node-1, 3, ... with kubelet 1.26
 *                       and no cri-dockerd (kubelet waits for its socket); node-2, 4, ... run the real
 *                       containerd 1.6 with cri-dockerd installed anyway (Kubekey's mistake).
 *   containerd-2.0      kubelet 1.27 against an API server 1.27 with OpenKruise 1.4: node-1, 3, ... run
 *                       containerd 2.0.5 (a CRI v1-only stand-in, config version 3); node-2, 4, ... the
 *                       real containerd 1.6 with a 1.x-era config (systemd_cgroup, the runtime v1
 *                       shim, registry mirrors) and 2.0.5 as the package's candidate.
 *   cluster-1.26        a kubeadm cluster at 1.26.15 laid out like a pkgs.k8s.io install: three
 *                       control-plane nodes (cp-1..3, static-pod manifests for v1.26.15) and the
 *                       workers; kubelet, kubeadm and kubectl 1.26.15 from the v1.26 repository
 *                       (its line in /etc/apt/sources.list.d/kubernetes.list), held; the v1.27
 *                       repository beside it. node-1 passes --container-runtime=remote in
 *                       KUBELET_EXTRA_ARGS (/etc/default/kubelet, which kubeadm never cleans);
 *                       node-2 runs containerd 1.4 (CRI v1alpha2 only), so its kubelet 1.26 does
 *                       not start and the Node is NotReady; the rest are healthy.
 *
 * The control-plane node cp-1 runs the real containerd 1.6 in every profile but base, so what a
 * profile shows is about its workers. In the containerd-1.4, containerd-1.5 and mixed profiles the
 * cluster runs OpenKruise 1.7.2 (its kruise-daemon speaks only CRI v1: field note 1); in
 * kubelet-1.26-flags the control plane is at 1.27.16 already and the workers are next.
 *
 * Installed packages are captured dpkg states (packages/repo.ts), copied in before boot; every
 * node of a non-base profile has the fleet's apt repository at /opt/fleet/apt as its only source.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleStandin } from './bundle.js';
import { pauseImage, PAUSE_ARCHIVE_NODE_PATH, PAUSE_IMAGE } from './images/pause-image.js';
import { PACKAGE_VERSIONS } from './packages/catalog.js';
import { kubernetesAptSources, packageLayer, repoLayer } from './packages/repo.js';
import type { NodeSeed, SeedFile } from './seed.js';

export type ProfileName = 'base' | 'cluster-1.26' | 'containerd-1.4' | 'containerd-1.5' | 'containerd-2.0' | 'crio-1.29' | 'docker-24' | 'kubelet-1.26-flags' | 'mixed';
export const PROFILES: readonly ProfileName[] = ['base', 'cluster-1.26', 'containerd-1.4', 'containerd-1.5', 'containerd-2.0', 'crio-1.29', 'docker-24', 'kubelet-1.26-flags', 'mixed'];

/** How many control-plane nodes (cp-1 ..) a profile's fleet has. */
export function profileControlPlanes(name: ProfileName): number {
  return name === 'cluster-1.26' ? 3 : 1;
}

export function isProfileName(name: string): name is ProfileName {
  return (PROFILES as readonly string[]).includes(name);
}

const standinsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'standins');

export const CONTAINERD_SOCKET = '/run/containerd/containerd.sock';
export const CRIO_SOCKET = '/var/run/crio/crio.sock';
export const CLUSTER_STATE = '/var/lib/fleet-kube/cluster.json';

/**
 * old-containerd and containerd-1.5: the v1alpha2-only stand-in, as 1.4.13 and as 1.5.18;
 * containerd-2.0: the v1-only stand-in as 2.0.5; containerd: the real Debian package; docker: the
 * dockerd stand-in.
 */
type Runtime = 'old-containerd' | 'containerd-1.5' | 'containerd-2.0' | 'containerd' | 'crio' | 'docker';

const RUNTIME_VERSION: Record<Runtime, string> = {
  crio: 'cri-o://1.29.9',
  'old-containerd': 'containerd://1.4.13',
  'containerd-1.5': 'containerd://1.5.18',
  'containerd-2.0': 'containerd://2.0.5',
  containerd: 'containerd://1.6.20',
  docker: 'docker://24.0.7',
};

/** What the cluster (kubectl's state) has besides its nodes and pods. */
interface ClusterExtras {
  /** The API server's version, when it is not cp-1's kubelet's. */
  serverVersion?: string;
  daemonSets?: Array<{ name: string; namespace: string; image: string; labels?: Record<string, string> }>;
}

const kruise = (version: string): ClusterExtras['daemonSets'] => [
  { name: 'kruise-daemon', namespace: 'kruise-system', image: `openkruise/kruise-manager:v${version}`, labels: { 'control-plane': 'daemon' } },
];

interface NodePlan {
  runtime: Runtime;
  kubelet: string; // package version
  /** KUBELET_KUBEADM_ARGS in /var/lib/kubelet/kubeadm-flags.env */
  kubeadmArgs: string;
  extraFiles?: SeedFile[];
  /** Install cri-dockerd too (it is not started). */
  criDockerd?: boolean;
  /** /etc/containerd/config.toml instead of the fleet's. */
  containerdConfig?: string;
  /**
   * Kubernetes packages (kubelet, kubeadm, kubectl, held) from the pkgs.k8s.io-style repository
   * of this minor, and kubeadm's layout: static-pod manifests on a control-plane node.
   */
  kubernetesMinor?: string;
  /** The Node is NotReady in the cluster's state (its kubelet has never posted). */
  notReady?: boolean;
}

// ---------------------------------------------------------------- the cluster (kubectl's state)

interface PodPlan {
  name: string;
  namespace: string;
  uid: string;
  owner: { kind: 'DaemonSet' | 'ReplicaSet'; name: string } | null;
  labels: Record<string, string>;
  emptyDir: boolean;
  hostNetwork: boolean;
}

function uid(seed: string): string {
  let h = 2166136261;
  const out: string[] = [];
  for (let round = 0; round < 4; round++) {
    for (const c of `${seed}/${round}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
    out.push(h.toString(16).padStart(8, '0'));
  }
  const hex = out.join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function suffix(seed: string): string {
  return uid(seed).replace(/[^a-z0-9]/g, '').replace(/[aeiou01]/g, 'x').slice(0, 5);
}

/** Pods a node runs: kube-proxy everywhere; web (2 replicas, PDB minAvailable 1) on node-1/2; cache (emptyDir) on node-3. */
function podsOf(node: string): PodPlan[] {
  const pods: PodPlan[] = [
    {
      name: `kube-proxy-${suffix(node)}`,
      namespace: 'kube-system',
      uid: uid(`kube-proxy/${node}`),
      owner: { kind: 'DaemonSet', name: 'kube-proxy' },
      labels: { 'k8s-app': 'kube-proxy' },
      emptyDir: false,
      hostNetwork: true,
    },
  ];
  if (node === 'node-1' || node === 'node-2') {
    pods.push({ name: `web-5d8f7c9b4-${suffix(`web/${node}`)}`, namespace: 'default', uid: uid(`web/${node}`), owner: { kind: 'ReplicaSet', name: 'web-5d8f7c9b4' }, labels: { app: 'web' }, emptyDir: false, hostNetwork: false });
  }
  if (node === 'node-3') {
    pods.push({ name: `cache-6c9f8d7b5-${suffix(`cache/${node}`)}`, namespace: 'default', uid: uid(`cache/${node}`), owner: { kind: 'ReplicaSet', name: 'cache-6c9f8d7b5' }, labels: { app: 'cache' }, emptyDir: true, hostNetwork: false });
  }
  return pods;
}

function kubeletVersionOf(pkg: string): string {
  return `v${pkg.replace(/-[\d.]+$/, '')}`;
}

/**
 * kubectl's state for a fleet. With the node names it lists them all; without (a profile is told
 * only the node it seeds), workers named node-N join when first named (see kubectl.mjs).
 */
export function clusterState(planOf: (node: string) => NodePlan, allNodes?: readonly string[], extras: ClusterExtras = {}): object {
  const nodeEntry = (name: string) => {
    const p = planOf(name);
    return {
      name,
      unschedulable: false,
      kubeletVersion: kubeletVersionOf(p.kubelet),
      containerRuntimeVersion: RUNTIME_VERSION[p.runtime],
      roles: name.startsWith('cp-') ? ['control-plane'] : [],
      ...(p.notReady ? { ready: false } : {}),
      created: Date.UTC(2024, 0, 1),
    };
  };
  const podEntry = (node: string, p: PodPlan) => ({ name: p.name, namespace: p.namespace, node, owner: p.owner, labels: p.labels, emptyDir: p.emptyDir, created: Date.UTC(2024, 0, 1) });
  const names = allNodes ?? ['cp-1'];
  const template = planOf('node-999');
  return {
    serverVersion: extras.serverVersion ?? kubeletVersionOf(planOf('cp-1').kubelet),
    nodes: names.map(nodeEntry),
    ...(extras.daemonSets ? { daemonSets: extras.daemonSets.map((d) => ({ ...d, created: Date.UTC(2024, 0, 1) })) } : {}),
    pods: names.flatMap((n) => podsOf(n).map((p) => podEntry(n, p))),
    pdbs: [{ name: 'web', namespace: 'default', selector: { app: 'web' }, minAvailable: 1, created: Date.UTC(2024, 0, 1) }],
    ...(allNodes
      ? {}
      : {
          nodeTemplate: {
            pattern: '^node-[0-9]+$',
            node: { ...nodeEntry('node-0'), name: undefined, kubeletVersion: kubeletVersionOf(template.kubelet) },
            pods: [{ name: 'kube-proxy', namespace: 'kube-system', owner: { kind: 'DaemonSet', name: 'kube-proxy' }, labels: { 'k8s-app': 'kube-proxy' }, emptyDir: false }],
          },
        }),
  };
}

// ---------------------------------------------------------------- node files

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- cluster:
    server: https://127.0.0.1:6443
  name: fleet
contexts:
- context:
    cluster: fleet
    user: kubernetes-admin
  name: kubernetes-admin@fleet
current-context: kubernetes-admin@fleet
users:
- name: kubernetes-admin
  user: {}
`;

function containerdConfig(): string {
  return `version = 2

# Written by the slipway test fleet: CRI settings a node needs to run real pod sandboxes here.
[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "${PAUSE_IMAGE}"
    # Without CAP_SYS_RESOURCE (as in this sandbox) runc cannot lower a sandbox's oom_score_adj.
    restrict_oom_score_adj = true
    [plugins."io.containerd.grpc.v1.cri".containerd]
      # overlayfs on an overlay upper dir is not dependable; the pause image is tiny.
      snapshotter = "native"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          SystemdCgroup = false
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "/etc/cni/net.d"
  [plugins."io.containerd.internal.v1.opt"]
    path = "/var/lib/containerd/opt"
`;
}

const CNI_CONFLIST = `{
  "cniVersion": "1.0.0",
  "name": "fleet-pods",
  "plugins": [{ "type": "fleet-netns" }]
}
`;

function sandboxConfig(node: string, p: PodPlan): string {
  return JSON.stringify(
    {
      metadata: { name: p.name, namespace: p.namespace, uid: p.uid, attempt: 0 },
      ...(p.hostNetwork ? {} : { hostname: p.name }),
      log_directory: `/var/log/pods/${p.namespace}_${p.name}_${p.uid}`,
      labels: { ...p.labels, 'io.kubernetes.pod.name': p.name, 'io.kubernetes.pod.namespace': p.namespace, 'io.kubernetes.pod.uid': p.uid },
      annotations: { 'kubernetes.io/config.source': 'api', 'fleet.slipway/node': node },
      linux: { security_context: { namespace_options: { network: p.hostNetwork ? 2 : 0, pid: 1, ipc: 0 } } },
    },
    null,
    2,
  );
}

const enableLink = (unit: string): SeedFile => ({ path: `/etc/systemd/system/multi-user.target.wants/${unit}`, symlink: `/lib/systemd/system/${unit}` });

function kubeSeed(node: string, groups: string[], plan: NodePlan, planOf: (n: string) => NodePlan, allNodes?: readonly string[], extras: ClusterExtras = {}): NodeSeed {
  const kubeadmVersion = plan.kubernetesMinor ? `v${plan.kubelet.replace(/-[\d.]+$/, '')}` : undefined;
  const installs = [`kubelet=${plan.kubelet}`, ...(plan.kubernetesMinor ? [`kubeadm=${plan.kubelet}`, `kubectl=${plan.kubelet}`] : [])];
  if (plan.runtime === 'old-containerd') installs.push(`containerd=${PACKAGE_VERSIONS.oldContainerd}`);
  if (plan.runtime === 'containerd-1.5') installs.push(`containerd=${PACKAGE_VERSIONS.containerd15}`);
  if (plan.runtime === 'containerd-2.0') installs.push(`containerd=${PACKAGE_VERSIONS.containerd20}`);
  if (plan.runtime === 'crio') installs.push(`cri-o=${PACKAGE_VERSIONS.crio129}`);
  if (plan.runtime === 'docker') installs.push(`docker-ce=${PACKAGE_VERSIONS.dockerCe}`);
  if (plan.criDockerd) installs.push(`cri-dockerd=${PACKAGE_VERSIONS.criDockerd}`);
  const endpoint = plan.runtime === 'crio' ? `unix://${CRIO_SOCKET}` : plan.runtime === 'docker' ? 'unix:///run/cri-dockerd.sock' : `unix://${CONTAINERD_SOCKET}`;
  const runtimeUnit = plan.runtime === 'crio' ? 'crio.service' : plan.runtime === 'docker' ? 'docker.service' : 'containerd.service';
  const realSandboxes = plan.runtime === 'containerd' || plan.runtime === 'crio';
  const pods = podsOf(node);
  const files: SeedFile[] = [
    {
      path: '/',
      layer: () => (plan.kubernetesMinor ? packageLayer(installs, kubernetesAptSources(plan.kubernetesMinor), ['kubelet', 'kubeadm', 'kubectl']) : packageLayer(installs)),
    },
    { path: '/', layer: () => repoLayer(), linkLayer: true },
    { path: '/usr/bin/crictl', from: () => bundleStandin('crictl') },
    { path: '/etc/crictl.yaml', content: `runtime-endpoint: ${endpoint}\nimage-endpoint: ${endpoint}\ntimeout: 10\n` },
    { path: '/usr/lib/cni/fleet-netns', content: readFileSync(path.join(standinsDir, 'cni-fleet-netns.sh')), mode: 0o755 },
    { path: '/etc/cni/net.d/10-fleet.conflist', content: CNI_CONFLIST },
    { path: PAUSE_ARCHIVE_NODE_PATH, from: async () => (await pauseImage()).archive },
    ...(plan.runtime === 'docker' ? [] : [{ path: '/etc/containerd/config.toml', content: plan.containerdConfig ?? containerdConfig() }]),
    { path: '/var/lib/kubelet/kubeadm-flags.env', content: `KUBELET_KUBEADM_ARGS="${plan.kubeadmArgs}"\n` },
    { path: '/var/lib/kubelet/config.yaml', content: 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncgroupDriver: cgroupfs\n' },
    { path: '/etc/kubernetes/kubelet.conf', content: KUBECONFIG.replace(/kubernetes-admin/g, `system:node:${node}`) },
    enableLink(runtimeUnit),
    enableLink('kubelet.service'),
    ...(realSandboxes ? pods.map((p) => ({ path: `/etc/fleet/pods/${p.name}.json`, content: sandboxConfig(node, p) })) : []),
    ...(plan.extraFiles ?? []),
  ];
  if (plan.runtime === 'crio') {
    files.push({ path: '/etc/crio/crio.conf', content: '# The operator\'s CRI-O configuration.\n[crio.runtime]\ndefault_runtime = "runc"\n\n[crio.runtime.runtimes.runc]\nruntime_path = "/usr/libexec/crio/runc"\nruntime_root = "/run/runc"\n' });
  }
  if (groups.includes('control_plane') && kubeadmVersion) files.push(...staticPodManifests(kubeadmVersion));
  if (groups.includes('control_plane')) {
    files.push(
      ...(plan.kubernetesMinor ? [] : [{ path: '/usr/bin/kubectl', from: () => bundleStandin('kubectl') }]),
      { path: CLUSTER_STATE, content: JSON.stringify(clusterState(planOf, allNodes, extras), null, 2) + '\n' },
      { path: '/etc/kubernetes/admin.conf', content: KUBECONFIG, mode: 0o600 },
      { path: '/root/.kube/config', content: KUBECONFIG, mode: 0o600 },
    );
  }
  const firstBoot = realSandboxes
    ? `if [ ! -e /var/lib/fleet/pods.created ]; then
  ${plan.runtime === 'containerd' ? `ctr -n k8s.io images import --snapshotter native ${PAUSE_ARCHIVE_NODE_PATH} >/dev/null 2>&1 || true` : ':'}
  for f in /etc/fleet/pods/*.json; do [ -e "$f" ] && crictl runp "$f" >/dev/null 2>>/var/log/fleet-first-boot.log & done
  wait
  mkdir -p /var/lib/fleet && touch /var/lib/fleet/pods.created
fi`
    : '';
  // The cluster's kubeadm-config (its kubernetesVersion), in the API server the fleet shares.
  const clusterConfig =
    groups.includes('control_plane') && kubeadmVersion
      ? `[ -e /run/fleet-apiserver/kubeadm-config.json ] || { echo '{"kubernetesVersion":"${kubeadmVersion}"}' > /run/fleet-apiserver/.kubeadm-config.$$ && mv /run/fleet-apiserver/.kubeadm-config.$$ /run/fleet-apiserver/kubeadm-config.json; }`
      : '';
  const bootScript = [
    '# Like systemd at boot: the manager runs (maintainer scripts see it), enabled units start.',
    'mkdir -p /run/systemd/system',
    clusterConfig,
    `systemctl start ${runtimeUnit} >/dev/null 2>&1 || true`,
    firstBoot,
    'systemctl start kubelet.service >/dev/null 2>&1 || true',
  ]
    .filter(Boolean)
    .join('\n');
  return { files, bootScript };
}

/** kubeadm's static-pod manifests of a control-plane node at `version` (the image tags are what upgrades change). */
function staticPodManifests(version: string): SeedFile[] {
  const manifest = (component: string, image: string, command: string[]) => ({
    path: `/etc/kubernetes/manifests/${component}.yaml`,
    content: `apiVersion: v1
kind: Pod
metadata:
  labels:
    component: ${component}
    tier: control-plane
  name: ${component}
  namespace: kube-system
spec:
  containers:
  - command:
${command.map((c) => `    - ${c}`).join('\n')}
    image: ${image}
    imagePullPolicy: IfNotPresent
    name: ${component}
  hostNetwork: true
  priorityClassName: system-node-critical
`,
    mode: 0o600,
  });
  return [
    manifest('etcd', 'registry.k8s.io/etcd:3.5.12-0', ['etcd', '--data-dir=/var/lib/etcd']),
    manifest('kube-apiserver', `registry.k8s.io/kube-apiserver:${version}`, ['kube-apiserver', '--advertise-address=127.0.0.1', '--etcd-servers=https://127.0.0.1:2379']),
    manifest('kube-controller-manager', `registry.k8s.io/kube-controller-manager:${version}`, ['kube-controller-manager', '--kubeconfig=/etc/kubernetes/controller-manager.conf']),
    manifest('kube-scheduler', `registry.k8s.io/kube-scheduler:${version}`, ['kube-scheduler', '--kubeconfig=/etc/kubernetes/scheduler.conf']),
  ];
}

const KUBEADM_ARGS_123 = `--container-runtime=remote --container-runtime-endpoint=unix://${CONTAINERD_SOCKET} --pod-infra-container-image=k8s.gcr.io/pause:3.6`;
const KUBEADM_ARGS_126 = `--container-runtime-endpoint=unix://${CONTAINERD_SOCKET} --pod-infra-container-image=registry.k8s.io/pause:3.9`;

function workerIndex(node: string): number {
  return Number(/^node-(\d+)$/.exec(node)?.[1] ?? 0);
}

/** cp-1 of a profile whose workers it is about: the real containerd, a kubelet of the profile. */
function healthyControlPlane(kubelet: string, kubeadmArgs: string): NodePlan {
  return { runtime: 'containerd', kubelet, kubeadmArgs };
}

/** A containerd config.toml of the 1.x era: what containerd 2.0 removes, ignores or deprecates. */
const LEGACY_CONTAINERD_CONFIG = `version = 2

# Written for containerd 1.x years ago: settings 2.0 no longer takes.
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE_IMAGE}"
  restrict_oom_score_adj = true
  systemd_cgroup = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "native"
    [plugins."io.containerd.grpc.v1.cri".containerd.default_runtime]
      runtime_type = "io.containerd.runtime.v1.linux"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "/etc/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]
    endpoint = ["https://mirror.fleet.internal"]
`;

const CONTAINERD_2_CONFIG = `version = 3

[grpc]
  address = "${CONTAINERD_SOCKET}"

[plugins]
  [plugins.'io.containerd.cri.v1.images']
    snapshotter = "native"
    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = "${PAUSE_IMAGE}"
  [plugins.'io.containerd.cri.v1.runtime']
    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = "runc"
`;

function planFor(profile: Exclude<ProfileName, 'base'>, node: string): NodePlan {
  const i = workerIndex(node);
  switch (profile) {
    case 'containerd-1.4':
      if (i === 0) return healthyControlPlane(PACKAGE_VERSIONS.kubelet123, KUBEADM_ARGS_123);
      return { runtime: 'old-containerd', kubelet: PACKAGE_VERSIONS.kubelet123, kubeadmArgs: KUBEADM_ARGS_123 };
    case 'containerd-1.5':
      if (i === 0) return healthyControlPlane(PACKAGE_VERSIONS.kubelet123, KUBEADM_ARGS_123);
      return { runtime: 'containerd-1.5', kubelet: PACKAGE_VERSIONS.kubelet123, kubeadmArgs: KUBEADM_ARGS_123 };
    case 'mixed':
      if (i === 0) return healthyControlPlane(PACKAGE_VERSIONS.kubelet123, KUBEADM_ARGS_123);
      return node === 'node-1'
        ? { runtime: 'containerd', kubelet: PACKAGE_VERSIONS.kubelet123, kubeadmArgs: KUBEADM_ARGS_123 }
        : { runtime: 'old-containerd', kubelet: PACKAGE_VERSIONS.kubelet123, kubeadmArgs: KUBEADM_ARGS_123 };
    case 'crio-1.29':
      if (i === 0) return healthyControlPlane(PACKAGE_VERSIONS.kubelet126, KUBEADM_ARGS_126);
      return { runtime: 'crio', kubelet: PACKAGE_VERSIONS.kubelet126, kubeadmArgs: `--container-runtime-endpoint=unix://${CRIO_SOCKET}` };
    case 'docker-24':
      if (i === 0) return healthyControlPlane(PACKAGE_VERSIONS.kubelet126, KUBEADM_ARGS_126);
      if (i % 2 === 1) return { runtime: 'docker', kubelet: PACKAGE_VERSIONS.kubelet126, kubeadmArgs: '--container-runtime-endpoint=unix:///run/cri-dockerd.sock' };
      return { runtime: 'containerd', kubelet: PACKAGE_VERSIONS.kubelet126, kubeadmArgs: KUBEADM_ARGS_126, criDockerd: true };
    case 'containerd-2.0':
      if (i === 0) return healthyControlPlane(PACKAGE_VERSIONS.kubelet127, KUBEADM_ARGS_126);
      if (i % 2 === 1) return { runtime: 'containerd-2.0', kubelet: PACKAGE_VERSIONS.kubelet127, kubeadmArgs: KUBEADM_ARGS_126, containerdConfig: CONTAINERD_2_CONFIG };
      return { runtime: 'containerd', kubelet: PACKAGE_VERSIONS.kubelet127, kubeadmArgs: KUBEADM_ARGS_126, containerdConfig: LEGACY_CONTAINERD_CONFIG };
    case 'cluster-1.26': {
      const base = { runtime: 'containerd' as const, kubelet: PACKAGE_VERSIONS.kubelet126, kubeadmArgs: KUBEADM_ARGS_126, kubernetesMinor: '1.26' };
      if (node === 'node-1') return { ...base, extraFiles: [{ path: '/etc/default/kubelet', content: 'KUBELET_EXTRA_ARGS=--container-runtime=remote\n' }] };
      if (node === 'node-2') return { ...base, runtime: 'old-containerd', notReady: true };
      return base;
    }
    case 'kubelet-1.26-flags': {
      if (i === 0) return { runtime: 'containerd', kubelet: PACKAGE_VERSIONS.kubelet126, kubeadmArgs: KUBEADM_ARGS_126.replace(/ --pod-infra.*/, '') };
      if (i % 3 === 1) return { runtime: 'containerd', kubelet: PACKAGE_VERSIONS.kubelet126, kubeadmArgs: `--container-runtime=remote ${KUBEADM_ARGS_126}` };
      if (i % 3 === 2) {
        return {
          runtime: 'containerd',
          kubelet: PACKAGE_VERSIONS.kubelet126,
          kubeadmArgs: `--container-runtime-endpoint=unix://${CONTAINERD_SOCKET}`,
          extraFiles: [{ path: '/etc/default/kubelet', content: 'KUBELET_EXTRA_ARGS=--pod-infra-container-image=registry.k8s.io/pause:3.9\n' }],
        };
      }
      return {
        runtime: 'containerd',
        kubelet: PACKAGE_VERSIONS.kubelet126,
        kubeadmArgs: `--container-runtime-endpoint=unix://${CONTAINERD_SOCKET}`,
        extraFiles: [
          {
            path: '/etc/systemd/system/kubelet.service.d/20-container-runtime.conf',
            content: '[Service]\nEnvironment="KUBELET_EXTRA_ARGS=--container-runtime remote --runtime-request-timeout 15m"\n',
          },
        ],
      };
    }
  }
}

const CLUSTER_EXTRAS: Partial<Record<ProfileName, ClusterExtras>> = {
  'containerd-1.4': { daemonSets: kruise('1.7.2') },
  'containerd-1.5': { daemonSets: kruise('1.7.2') },
  mixed: { daemonSets: kruise('1.7.2') },
  'containerd-2.0': { serverVersion: 'v1.27.16', daemonSets: kruise('1.4.0') },
  'kubelet-1.26-flags': { serverVersion: 'v1.27.16' },
};

/**
 * The seed of each node for a profile. `allNodes` (every node name of the fleet) lets cp-1's
 * cluster state list every node from the start; without it workers join kubectl's state when
 * first named.
 */
export function profileSeed(name: ProfileName, allNodes?: readonly string[]): (node: string, groups: string[]) => NodeSeed {
  if (name === 'base') return () => ({ files: [] });
  const planOf = (node: string) => planFor(name, node);
  return (node, groups) => kubeSeed(node, groups, planOf(node), planOf, allNodes, CLUSTER_EXTRAS[name]);
}

/** Pod sandbox names a node of a profile starts with (for tests). */
export function profilePods(node: string): Array<{ name: string; namespace: string; hostNetwork: boolean }> {
  return podsOf(node).map((p) => ({ name: p.name, namespace: p.namespace, hostNetwork: p.hostNetwork }));
}
