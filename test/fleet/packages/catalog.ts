/**
 * The packages of the fleet's local apt repository: stand-ins packaged as the versions the
 * field notes talk about, plus the real Debian containerd as the upgrade target.
 *
 *   containerd 1.4.13-0fleet1   /usr/bin/containerd = CRI v1alpha2-only stand-in (containerd 1.4)
 *   containerd 1.5.18-0fleet1   the same stand-in as containerd 1.5, which serves only v1alpha2 too
 *   containerd 2.0.5-0fleet1    a CRI v1-only stand-in as containerd 2.0 (v1alpha2 removed in 2.0)
 *   cri-dockerd 0.3.15.3-0.debian-bookworm   CRI v1 stand-in as runtime "docker" on /run/cri-dockerd.sock
 *   docker-ce 5:24.0.7-1~debian.12~bookworm  dockerd stand-in (API socket, no containers)
 *   containerd <host version>   the real Debian package, downloaded with `apt-get download` (stored
 *                               uncompressed: realContainerdDeb)
 *   cri-o 1.29.9-1, 1.30.6-1    /usr/bin/crio stand-in; 1.30 ships 10-crio.conf with default_runtime = "crun"
 *   kubelet 1.23.17-1.1, 1.26.15-1.1, 1.27.16-1.1   /usr/bin/kubelet stand-in + unit + kubeadm drop-in
 *   kubeadm, kubectl 1.26.15-1.1, 1.27.16-1.1   the kubeadm and kubectl stand-ins; with kubelet of the
 *                               same minor they also make up the pkgs.k8s.io-style repositories
 *                               (one per minor: kubernetesRepos)
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { bundleStandin } from '../bundle.js';
import { cached, hashOf } from '../cache.js';
import { buildDeb, type DebSpec } from './deb.js';

const run = promisify(execFile);

export const PACKAGE_VERSIONS = {
  oldContainerd: '1.4.13-0fleet1',
  containerd15: '1.5.18-0fleet1',
  containerd20: '2.0.5-0fleet1',
  criDockerd: '0.3.15.3-0.debian-bookworm',
  dockerCe: '5:24.0.7-1~debian.12~bookworm',
  crio129: '1.29.9-1',
  crio130: '1.30.6-1',
  kubelet123: '1.23.17-1.1',
  kubelet126: '1.26.15-1.1',
  kubelet127: '1.27.16-1.1',
} as const;

/** The Debian containerd version installed on this machine: the fleet's upgrade target. */
export async function realContainerdVersion(): Promise<string> {
  try {
    return (await run('dpkg-query', ['-W', '-f=${Version}', 'containerd'])).stdout.trim();
  } catch {
    throw new Error('the fleet needs the Debian containerd package: apt-get install -y containerd');
  }
}

/**
 * The real Debian containerd .deb (downloaded once with apt-get download, then cached), with its
 * members stored uncompressed: the same files, modes, owners and control data (md5sums and all),
 * but installing it no longer costs each node two seconds of xz on the suite's two cores.
 */
export async function realContainerdDeb(): Promise<string> {
  const version = await realContainerdVersion();
  const dir = await cached('deb-containerd-debian-uncompressed', hashOf(version), async (out) => {
    const name = `containerd_${version.replace(/:/g, '%3a')}_amd64.deb`;
    const download = path.join(out, 'download');
    await fs.mkdir(download);
    const local = path.join('/var/cache/apt/archives', name);
    if (existsSync(local)) {
      await fs.copyFile(local, path.join(download, name));
    } else {
      try {
        await run('apt-get', ['download', `containerd=${version}`], { cwd: download });
      } catch (err) {
        throw new Error(
          `could not download the Debian containerd ${version} package for the fleet's apt repository (apt-get download containerd=${version}): ${(err as { stderr?: string }).stderr ?? String(err)}`,
        );
      }
    }
    const fetched = (await fs.readdir(download)).find((f) => f.endsWith('.deb'));
    if (!fetched) throw new Error(`apt-get download containerd=${version} left no .deb`);
    const tree = path.join(out, 'tree');
    await run('dpkg-deb', ['--raw-extract', path.join(download, fetched), tree]);
    await run('dpkg-deb', ['-Znone', '--build', tree, path.join(out, fetched)], { maxBuffer: 16 << 20 });
    await fs.rm(download, { recursive: true, force: true });
    await fs.rm(tree, { recursive: true, force: true });
  });
  const deb = (await fs.readdir(dir)).find((f) => f.endsWith('.deb'));
  if (!deb) throw new Error(`no containerd .deb in ${dir}`);
  return path.join(dir, deb);
}

/** A file of a .deb, read with dpkg-deb. */
async function fileOfDeb(deb: string, file: string): Promise<string> {
  const { stdout } = await run('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -xOf - "./$2"', 'sh', deb, file.replace(/^\//, '')], {
    maxBuffer: 1 << 20,
  });
  return stdout;
}

const CONTAINERD_UNIT = `[Unit]
Description=containerd container runtime
Documentation=https://containerd.io
After=network.target local-fs.target

[Service]
ExecStartPre=-/sbin/modprobe overlay
ExecStart=/usr/bin/containerd
Type=notify
Delegate=yes
KillMode=process
Restart=always
RestartSec=5
LimitNPROC=infinity
LimitCORE=infinity
LimitNOFILE=infinity
TasksMax=infinity
OOMScoreAdjust=-999

[Install]
WantedBy=multi-user.target
`;

/** Maintainer script: reload units, and restart the service on upgrade, as dh_installsystemd does. */
function restartOnUpgrade(unit: string): string {
  return `if [ "$1" = configure ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null || true
  if [ -n "$2" ]; then systemctl try-restart ${unit} >/dev/null || true; fi
fi`;
}

function stopOnRemove(unit: string): string {
  return `if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
  systemctl stop ${unit} >/dev/null || true
fi`;
}

/**
 * containerd 1.4 or 1.5 (releases that serve only CRI v1alpha2, containerd/containerd#7863), or
 * 2.0 (only v1): the CRI stub as /usr/bin/containerd.
 */
async function stubContainerdSpec(version: string): Promise<DebSpec> {
  const real = await realContainerdDeb();
  const upstream = `v${version.replace(/-[^-]+$/, '')}`;
  const apis = upstream.startsWith('v2.') ? 'v1' : 'v1alpha2';
  return {
    name: 'containerd',
    version,
    description: `containerd ${upstream.slice(1, 4)} stand-in: serves CRI runtime.${apis} only`,
    depends: 'runc',
    files: [
      { path: '/usr/bin/containerd', from: await bundleStandin('cri-runtime-stub', { define: { __RUNTIME_VERSION__: upstream, __CRI_APIS__: apis } }), mode: 0o755 },
      { path: '/lib/systemd/system/containerd.service', content: CONTAINERD_UNIT },
      // The same conffile as the Debian package's, so an upgrade keeps a node's edited copy quietly.
      { path: '/etc/containerd/config.toml', content: await fileOfDeb(real, '/etc/containerd/config.toml') },
    ],
    conffiles: ['/etc/containerd/config.toml'],
    postinst: restartOnUpgrade('containerd.service'),
    prerm: stopOnRemove('containerd.service'),
  };
}

const CRIO_UNIT = `[Unit]
Description=Container Runtime Interface for OCI (CRI-O)
Documentation=https://github.com/cri-o/cri-o
Wants=network-online.target
Before=kubelet.service
After=network-online.target

[Service]
Type=notify
EnvironmentFile=-/etc/sysconfig/crio
Environment=GOTRACEBACK=crash
ExecStart=/usr/bin/crio \\
          $CRIO_CONFIG_OPTIONS \\
          $CRIO_RUNTIME_OPTIONS \\
          $CRIO_STORAGE_OPTIONS \\
          $CRIO_NETWORK_OPTIONS \\
          $CRIO_METRICS_OPTIONS
ExecReload=/bin/kill -s HUP $MAINPID
TasksMax=infinity
LimitNOFILE=1048576
LimitNPROC=1048576
LimitCORE=infinity
OOMScoreAdjust=-999
TimeoutStartSec=0
Restart=on-failure
RestartSec=10

[Install]
WantedBy=multi-user.target
Alias=cri-o.service
`;

function crioDropIn(defaultRuntime: 'runc' | 'crun'): string {
  const runc = `[crio.runtime.runtimes.runc]
runtime_path = "/usr/libexec/crio/runc"
runtime_root = "/run/runc"
monitor_path = "/usr/libexec/crio/conmon"
`;
  const crun = `[crio.runtime.runtimes.crun]
runtime_path = "/usr/libexec/crio/crun"
runtime_root = "/run/crun"
monitor_path = "/usr/libexec/crio/conmon"
allowed_annotations = [
    "io.containers.trace-syscall",
]
`;
  return `[crio.image]
signature_policy = "/etc/crio/policy.json"

[crio.runtime]
default_runtime = "${defaultRuntime}"

${defaultRuntime === 'crun' ? `${crun}\n${runc}` : runc}`;
}

async function crioSpec(version: string): Promise<DebSpec> {
  const upstream = version.replace(/-\d+$/, '');
  const crun = upstream.startsWith('1.30');
  return {
    name: 'cri-o',
    version,
    description: `CRI-O ${upstream} stand-in: CRI v1 over /var/run/crio/crio.sock`,
    depends: 'containerd, runc',
    files: [
      { path: '/usr/bin/crio', from: await bundleStandin('crio', { define: { __CRIO_VERSION__: upstream } }), mode: 0o755 },
      { path: '/lib/systemd/system/crio.service', content: CRIO_UNIT },
      { path: '/etc/crio/crio.conf.d/10-crio.conf', content: crioDropIn(crun ? 'crun' : 'runc') },
      { path: '/usr/libexec/crio/runc', symlink: '/usr/sbin/runc' },
    ],
    conffiles: ['/etc/crio/crio.conf.d/10-crio.conf'],
    postinst: restartOnUpgrade('crio.service'),
    prerm: stopOnRemove('crio.service'),
  };
}

const KUBELET_UNIT = `[Unit]
Description=kubelet: The Kubernetes Node Agent
Documentation=https://kubernetes.io/docs/
Wants=network-online.target
After=network-online.target

[Service]
ExecStart=/usr/bin/kubelet
Restart=always
StartLimitInterval=0
RestartSec=10

[Install]
WantedBy=multi-user.target
`;

export const KUBEADM_DROP_IN = `# Note: This dropin only works with kubeadm and kubelet v1.11+
[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
# This is a file that "kubeadm init" and "kubeadm join" generates at runtime, populating the KUBELET_KUBEADM_ARGS variable dynamically
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
# This is a file that the user can use for overrides of the kubelet args as a last resort. Preferably, the user should use
# the .NodeRegistration.KubeletExtraArgs object in the configuration files instead. KUBELET_EXTRA_ARGS should be sourced from this file.
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
`;

async function kubeletSpec(version: string): Promise<DebSpec> {
  const upstream = `v${version.replace(/-[\d.]+$/, '')}`;
  return {
    name: 'kubelet',
    version,
    description: `kubelet ${upstream} stand-in: refuses the flags ${upstream} removed`,
    files: [
      { path: '/usr/bin/kubelet', from: await bundleStandin('kubelet', { define: { __KUBELET_VERSION__: upstream } }), mode: 0o755 },
      { path: '/lib/systemd/system/kubelet.service', content: KUBELET_UNIT },
      { path: '/etc/systemd/system/kubelet.service.d/10-kubeadm.conf', content: KUBEADM_DROP_IN },
    ],
    conffiles: ['/etc/systemd/system/kubelet.service.d/10-kubeadm.conf'],
    postinst: `if [ "$1" = configure ] && [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null || true; fi`,
    prerm: stopOnRemove('kubelet.service'),
  };
}

const CRI_DOCKER_SERVICE = `[Unit]
Description=CRI Interface for Docker Application Container Engine
Documentation=https://docs.mirantis.com
After=network-online.target firewalld.service docker.service
Wants=network-online.target
Requires=cri-docker.socket

[Service]
Type=notify
ExecStart=/usr/bin/cri-dockerd --container-runtime-endpoint fd://
ExecReload=/bin/kill -s HUP $MAINPID
TimeoutSec=0
RestartSec=2
Restart=always

[Install]
WantedBy=multi-user.target
`;

const CRI_DOCKER_SOCKET = `[Unit]
Description=CRI Docker Socket for the API
PartOf=cri-docker.service

[Socket]
ListenStream=%t/cri-dockerd.sock
SocketMode=0660
SocketUser=root
SocketGroup=docker

[Install]
WantedBy=sockets.target
`;

/** cri-dockerd (Mirantis' packaging: binary, service and socket units), as the CRI stub. */
async function criDockerdSpec(): Promise<DebSpec> {
  return {
    name: 'cri-dockerd',
    version: PACKAGE_VERSIONS.criDockerd,
    description: 'cri-dockerd stand-in: CRI runtime.v1 for Docker Engine on /run/cri-dockerd.sock',
    files: [
      {
        path: '/usr/bin/cri-dockerd',
        from: await bundleStandin('cri-runtime-stub', {
          define: { __RUNTIME_NAME__: 'docker', __RUNTIME_VERSION__: '0.3.15', __CRI_APIS__: 'v1', __DEFAULT_ADDRESS__: '/run/cri-dockerd.sock' },
        }),
        mode: 0o755,
      },
      { path: '/lib/systemd/system/cri-docker.service', content: CRI_DOCKER_SERVICE },
      { path: '/lib/systemd/system/cri-docker.socket', content: CRI_DOCKER_SOCKET },
    ],
    postinst: `if [ "$1" = configure ] && [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null || true; fi`,
    prerm: stopOnRemove('cri-docker.service'),
  };
}

const DOCKER_SERVICE = `[Unit]
Description=Docker Application Container Engine
Documentation=https://docs.docker.com
After=network-online.target containerd.service
Wants=network-online.target

[Service]
Type=notify
ExecStart=/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock
Restart=always

[Install]
WantedBy=multi-user.target
`;

async function dockerCeSpec(): Promise<DebSpec> {
  return {
    name: 'docker-ce',
    version: PACKAGE_VERSIONS.dockerCe,
    description: 'Docker Engine stand-in: the API socket, no containers',
    files: [
      { path: '/usr/bin/dockerd', from: await bundleStandin('dockerd', { define: { __DOCKER_VERSION__: '24.0.7' } }), mode: 0o755 },
      { path: '/lib/systemd/system/docker.service', content: DOCKER_SERVICE },
    ],
    postinst: restartOnUpgrade('docker.service'),
    prerm: stopOnRemove('docker.service'),
  };
}

async function kubeadmSpec(version: string): Promise<DebSpec> {
  const upstream = `v${version.replace(/-[\d.]+$/, '')}`;
  return {
    name: 'kubeadm',
    version,
    description: `kubeadm ${upstream} stand-in: upgrade plan, apply and node`,
    files: [{ path: '/usr/bin/kubeadm', from: await bundleStandin('kubeadm', { define: { __KUBEADM_VERSION__: upstream } }), mode: 0o755 }],
  };
}

async function kubectlSpec(version: string): Promise<DebSpec> {
  const upstream = `v${version.replace(/-[\d.]+$/, '')}`;
  return {
    name: 'kubectl',
    version,
    description: `kubectl ${upstream} stand-in: the fleet's cluster state`,
    files: [{ path: '/usr/bin/kubectl', from: await bundleStandin('kubectl'), mode: 0o755 }],
  };
}

/** The Kubernetes minors served as pkgs.k8s.io-style repositories, with the package version of each. */
export const KUBERNETES_MINORS = { '1.26': PACKAGE_VERSIONS.kubelet126, '1.27': PACKAGE_VERSIONS.kubelet127 } as const;
/** Packages the Kubernetes repositories carry, and the fleet's own repository does not for them. */
export const KUBERNETES_PACKAGES = ['kubelet', 'kubeadm', 'kubectl'] as const;

/** One repository a minor (pkgs.k8s.io's layout): the host paths of its .debs, by minor. */
export async function kubernetesRepos(): Promise<Record<string, string[]>> {
  const repos: Record<string, string[]> = {};
  for (const [minor, version] of Object.entries(KUBERNETES_MINORS)) {
    const specs = await Promise.all([kubeletSpec(version), kubeadmSpec(version), kubectlSpec(version)]);
    const built = [];
    for (const spec of specs) built.push(await buildDeb(spec));
    repos[minor] = built;
  }
  return repos;
}

/** Every package of the repository: host paths of the .debs. */
export async function fleetPackages(): Promise<string[]> {
  const v = PACKAGE_VERSIONS;
  const specs = await Promise.all([stubContainerdSpec(v.oldContainerd), stubContainerdSpec(v.containerd15), stubContainerdSpec(v.containerd20), criDockerdSpec(), dockerCeSpec(), crioSpec(v.crio129), crioSpec(v.crio130), kubeletSpec(v.kubelet123), kubeletSpec(v.kubelet126), kubeletSpec(v.kubelet127)]);
  const built = [];
  for (const spec of specs) built.push(await buildDeb(spec));
  return [...built, await realContainerdDeb()];
}
