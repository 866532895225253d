/**
 * The fleet's local apt repository and the package states nodes start in.
 *
 * The repository is a flat one (`deb [trusted=yes] file:/opt/fleet/apt ./`): the .debs of
 * catalog.ts, a Packages index made by dpkg-scanpackages, and a Release file. Nodes get it at
 * /opt/fleet/apt as hard links into the build cache.
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
import { fleetPackages } from './catalog.js';

const run = promisify(execFile);

/** Where nodes find the repository, and the apt source line for it. */
export const REPO_NODE_DIR = '/opt/fleet/apt';
export const APT_SOURCE = `deb [trusted=yes] file:${REPO_NODE_DIR} ./\n`;

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
  return cached('apt-repo', hashOf(...debs), async (out) => {
    const dir = path.join(out, REPO_NODE_DIR);
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
      'Origin: slipway-fleet',
      'Label: slipway-fleet',
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
  });
}

const BUILDER = `set -eu
layer=$1 repo=$2 script=$3
for d in etc var usr opt; do
  mkdir -p "$layer/upper/$d" "$layer/work/$d"
  mount -t overlay "fleet-build-$d" -o "lowerdir=/$d,upperdir=$layer/upper/$d,workdir=$layer/work/$d" "/$d"
done
mount -t tmpfs -o mode=0755 fleet-build-run /run
mkdir -p ${REPO_NODE_DIR}
mount --bind "$repo" ${REPO_NODE_DIR}
cp "$script" /run/build.sh
mount -t tmpfs -o mode=1777 fleet-build-tmp /tmp
exec sh /run/build.sh
`;

/** Points apt at the fleet repository only: nodes never reach the network for packages. */
export const APT_SETUP = `# A node is a systemd host: no policy-rc.d forbidding maintainer scripts to restart services.
rm -f /usr/sbin/policy-rc.d
rm -f /etc/apt/sources.list.d/* /etc/apt/sources.list
: > /etc/apt/sources.list
printf '%s' '${APT_SOURCE}' > /etc/apt/sources.list.d/fleet.list
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq -o APT::Update::Error-Mode=any >/dev/null
`;

/**
 * The layer of a node that ran `apt-get install <packages>` (e.g. `containerd=1.4.13-0fleet1`)
 * from the fleet repository, after pointing apt at it alone. An empty list gives the apt setup
 * only.
 */
export function packageLayer(installs: readonly string[]): Promise<string> {
  const key = installs.join(' ');
  let p = layers.get(key);
  if (!p) {
    p = buildPackageLayer(installs);
    layers.set(key, p);
    p.catch(() => layers.delete(key));
  }
  return p;
}

async function buildPackageLayer(installs: readonly string[]): Promise<string> {
  const repo = path.join(await repoLayer(), REPO_NODE_DIR);
  const script =
    APT_SETUP +
    (installs.length
      ? `apt-get install -y -qq --allow-downgrades -o Dpkg::Options::=--force-confold ${installs.join(' ')} >/dev/null\n`
      : '');
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
