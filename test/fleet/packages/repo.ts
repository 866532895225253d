/**
 * The fleet's local apt repository and the package states nodes start in.
 *
 * The repository is a flat one (`deb [trusted=yes] file:/opt/fleet/apt ./`): the .debs of
 * catalog.ts, a Packages index made by dpkg-scanpackages, and a Release file. Beside it, for
 * nodes laid out like a pkgs.k8s.io install: /opt/fleet/apt-base (the same without kubelet,
 * kubeadm and kubectl) and one repository a Kubernetes minor at pkgs.k8s.io's path
 * (/opt/fleet/pkgs.k8s.io/core:/stable:/v1.27/deb/), so that the repository line has to change
 * with the minor, as it does there. Nodes get them under /opt/fleet as hard links into the
 * build cache.
 *
 * A node's installed packages are not installed at every boot: a "package layer" is captured
 * once by running the real apt-get and dpkg in a throwaway mount namespace whose /etc, /var, /usr
 * and /opt are overlays (like a node's), and its upper directories are copied into each node
 * before it boots. What dpkg wrote is therefore exactly what dpkg would write on the node.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { cached, hashOf } from '../cache.js';
import { debArchitecture } from './deb.js';
import { fleetPackages, KUBERNETES_PACKAGES, kubernetesRepos } from './catalog.js';

const run = promisify(execFile);

/** Where nodes find the repository, and the apt source line for it. */
export const REPO_NODE_DIR = '/opt/fleet/apt';
export const APT_SOURCE = `deb [trusted=yes] file:${REPO_NODE_DIR} ./\n`;
/** The fleet's packages without the Kubernetes ones: for nodes that take those from a pkgs.k8s.io-style repository. */
export const BASE_REPO_NODE_DIR = '/opt/fleet/apt-base';
/** Where a minor's Kubernetes repository is on a node: pkgs.k8s.io's path, under /opt/fleet. */
export function kubernetesRepoDir(minor: string): string {
  return `/opt/fleet/pkgs.k8s.io/core:/stable:/v${minor}/deb`;
}
/** The apt sources of a node whose Kubernetes packages come from the `minor` repository (as pkgs.k8s.io's install docs write them). */
export function kubernetesAptSources(minor: string): AptSources {
  return {
    'fleet.list': `deb [trusted=yes] file:${BASE_REPO_NODE_DIR} ./\n`,
    'kubernetes.list': `deb [trusted=yes] file:${kubernetesRepoDir(minor)}/ /\n`,
  };
}
/** Files of /etc/apt/sources.list.d by name. */
export type AptSources = Record<string, string>;

let repoOnce: Promise<string> | undefined;
const layers = new Map<string, Promise<string>>();

/** A host directory laid out like a node's upper layers, holding the repository (built once a process). */
export function repoLayer(): Promise<string> {
  repoOnce ??= buildRepoLayer();
  repoOnce.catch(() => (repoOnce = undefined));
  return repoOnce;
}

async function buildRepoLayer(): Promise<string> {
  const debs = await fleetPackages();
  const k8s = await kubernetesRepos();
  return cached('apt-repo', hashOf(...debs, ...Object.values(k8s).flat(), 'v2'), async (out) => {
    await writeFlatRepo(path.join(out, REPO_NODE_DIR), debs, 'slipway-fleet');
    const isKube = (deb: string) => (KUBERNETES_PACKAGES as readonly string[]).includes(path.basename(deb).split('_')[0] ?? '');
    await writeFlatRepo(path.join(out, BASE_REPO_NODE_DIR), debs.filter((d) => !isKube(d)), 'slipway-fleet-base');
    for (const [minor, minorDebs] of Object.entries(k8s)) await writeFlatRepo(path.join(out, kubernetesRepoDir(minor)), minorDebs, `pkgs.k8s.io v${minor}`);
  });
}

/** A flat repository in `dir`: the .debs (hard links), Packages, Packages.gz and a Release file. */
async function writeFlatRepo(dir: string, debs: readonly string[], label: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  for (const deb of debs) await fs.link(deb, path.join(dir, path.basename(deb))).catch(() => fs.copyFile(deb, path.join(dir, path.basename(deb))));
  let packages: string;
  try {
    packages = (await run('dpkg-scanpackages', ['--multiversion', '.', '/dev/null'], { cwd: dir, maxBuffer: 16 << 20 })).stdout;
  } catch (err) {
    throw new Error(`dpkg-scanpackages failed (apt-get install -y dpkg-dev): ${(err as { stderr?: string }).stderr ?? String(err)}`);
  }
  await fs.writeFile(path.join(dir, 'Packages'), packages);
  const gz = gzipSync(packages);
  await fs.writeFile(path.join(dir, 'Packages.gz'), gz);
  const sum = (algo: string, b: Buffer | string) => createHash(algo).update(b).digest('hex');
  const entry = (algo: string) => [` ${sum(algo, packages)} ${Buffer.byteLength(packages)} Packages`, ` ${sum(algo, gz)} ${gz.length} Packages.gz`];
  const release = [
    `Origin: ${label}`,
    `Label: ${label}`,
    'Suite: fleet',
    'Codename: fleet',
    `Date: ${new Date(0).toUTCString().replace('GMT', 'UTC')}`,
    `Architectures: ${debArchitecture()}`,
    'Description: packages of the slipway test fleet',
    'MD5Sum:',
    ...entry('md5'),
    'SHA256:',
    ...entry('sha256'),
    '',
  ].join('\n');
  await fs.writeFile(path.join(dir, 'Release'), release);
}

const BUILDER = `set -eu
layer=$1 repo=$2 script=$3
for d in etc var usr opt; do
  mkdir -p "$layer/upper/$d" "$layer/work/$d"
  mount -t overlay "fleet-build-$d" -o "lowerdir=/$d,upperdir=$layer/upper/$d,workdir=$layer/work/$d" "/$d"
done
mount -t tmpfs -o mode=0755 fleet-build-run /run
mkdir -p /opt/fleet
mount --bind "$repo" /opt/fleet
cp "$script" /run/build.sh
mount -t tmpfs -o mode=1777 fleet-build-tmp /tmp
exec sh /run/build.sh
`;

/** Points apt at the fleet repositories only: nodes never reach the network for packages. */
export function aptSetup(sources: AptSources = { 'fleet.list': APT_SOURCE }): string {
  const lists = Object.entries(sources).map(([name, text]) => `printf '%s' '${text}' > /etc/apt/sources.list.d/${name}`).join('\n');
  return APT_SETUP_HEAD + lists + '\n' + APT_SETUP_TAIL;
}

const APT_SETUP_HEAD = `# A node is a systemd host: no policy-rc.d forbidding maintainer scripts to restart services.
rm -f /usr/sbin/policy-rc.d
rm -f /etc/apt/sources.list.d/* /etc/apt/sources.list
: > /etc/apt/sources.list
`;
const APT_SETUP_TAIL = `export DEBIAN_FRONTEND=noninteractive
apt-get update -qq -o APT::Update::Error-Mode=any >/dev/null
`;

/**
 * The layer of a node that ran `apt-get install <packages>` (e.g. `containerd=1.4.13-0fleet1`)
 * from the fleet repositories (`sources`, default the fleet's flat one alone), then `apt-mark
 * hold` of `hold`. An empty list gives the apt setup only.
 */
export function packageLayer(installs: readonly string[], sources?: AptSources, hold: readonly string[] = []): Promise<string> {
  const key = `${installs.join(' ')}\0${JSON.stringify(sources ?? null)}\0${hold.join(' ')}`;
  let p = layers.get(key);
  if (!p) {
    p = buildPackageLayer(installs, sources, hold);
    layers.set(key, p);
    p.catch(() => layers.delete(key));
  }
  return p;
}

async function buildPackageLayer(installs: readonly string[], sources: AptSources | undefined, hold: readonly string[]): Promise<string> {
  const repo = path.join(await repoLayer(), '/opt/fleet');
  const script =
    aptSetup(sources) +
    (installs.length
      ? `apt-get install -y -qq --allow-downgrades -o Dpkg::Options::=--force-confold ${installs.join(' ')} >/dev/null\n`
      : '') +
    (hold.length ? `apt-mark hold ${hold.join(' ')} >/dev/null\n` : '');
  const status = readFileSync('/var/lib/dpkg/status');
  const dir = await cached('pkg-layer', hashOf(repo, script, status, 'v2'), async (out) => {
    const scriptFile = path.join(out, 'build.sh');
    await fs.writeFile(scriptFile, script);
    try {
      await run('unshare', ['--mount', '--pid', '--fork', '--mount-proc', '--propagation', 'private', '--', 'sh', '-c', BUILDER, 'fleet-build', out, repo, scriptFile], {
        maxBuffer: 16 << 20,
      });
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string };
      throw new Error(`could not install ${installs.join(' ') || 'the apt setup'} in a build namespace: ${e.stderr || e.stdout || String(err)}`);
    }
    await fs.rm(scriptFile);
    await fs.rm(path.join(out, 'work'), { recursive: true, force: true });
    // Files a node appends to in place must not be shared; logs also say nothing about state.
    await fs.rm(path.join(out, 'upper', 'var', 'log'), { recursive: true, force: true });
    await fs.rm(path.join(out, 'upper', 'opt', 'fleet'), { recursive: true, force: true });
    await fs.rm(path.join(out, 'upper', 'run'), { recursive: true, force: true });
    // man-db's index is rebuilt on demand; 4 MB a node is not worth copying.
    await fs.rm(path.join(out, 'upper', 'var', 'cache', 'man'), { recursive: true, force: true });
  });
  return path.join(dir, 'upper');
}
