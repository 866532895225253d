// kubeadm stand-in for fleet nodes: what a minor-version upgrade uses, with kubeadm's messages
// and exit codes. Its version is baked in when the kubeadm package is built (__KUBEADM_VERSION__).
//
//   kubeadm version [-o short|json]
//   kubeadm upgrade plan [VERSION]          read-only: the version table, or the policy errors
//   kubeadm upgrade apply VERSION [-y] [--force]   first control-plane node
//   kubeadm upgrade node                    other control-plane nodes and workers
//
// The cluster's configuration (the kubeadm-config ConfigMap's kubernetesVersion) lives in the
// fleet's shared API-server directory, as does what each kubelet posts (its version). A
// control-plane node's static-pod manifests are in /etc/kubernetes/manifests: `upgrade apply`
// and `upgrade node` back them up under /etc/kubernetes/tmp/kubeadm-backup-manifests-DATE/ and
// rewrite their image tags to the cluster's version. On every node they back up and rewrite the
// kubelet's config (/etc/kubernetes/tmp/kubeadm-kubelet-config-DATE/config.yaml) and take the
// flags kubeadm itself no longer writes (--container-runtime, --pod-infra-container-image) out of
// /var/lib/kubelet/kubeadm-flags.env; never out of KUBELET_EXTRA_ARGS or other drop-ins.
// Version policy: kubeadm's EnforceVersionPolicies (cmd/kubeadm/app/phases/upgrade/policy.go).
import fs from 'node:fs';
import path from 'node:path';

/* global __KUBEADM_VERSION__ */
const VERSION = typeof __KUBEADM_VERSION__ === 'string' ? __KUBEADM_VERSION__ : 'v1.26.15';
const API_DIR = process.env.FLEET_APISERVER_DIR ?? '/run/fleet-apiserver';
const CLUSTER_CONFIG = `${API_DIR}/kubeadm-config.json`;
const MANIFESTS = '/etc/kubernetes/manifests';
const TMP = '/etc/kubernetes/tmp';
const KUBELET_CONFIG = '/var/lib/kubelet/config.yaml';
const FLAGS_ENV = '/var/lib/kubelet/kubeadm-flags.env';
const COMPONENTS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];
/** Flags kubeadm stopped writing to kubeadm-flags.env, and cleans on upgrade (kubernetes/kubernetes#112000). */
const CLEANED_FLAGS = ['--container-runtime', '--pod-infra-container-image'];

const out = (s) => process.stdout.write(s);
const err = (s) => process.stderr.write(s);

class Fatal extends Error {}

function parseVersion(v) {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(v ?? '');
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), text: `v${m[1]}.${m[2]}.${m[3]}` } : undefined;
}

function compare(a, b) {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

function clusterVersion() {
  try {
    return JSON.parse(fs.readFileSync(CLUSTER_CONFIG, 'utf8')).kubernetesVersion;
  } catch {
    throw new Fatal(
      '[upgrade/config] FATAL: failed to get config map: configmaps "kubeadm-config" not found\nTo see the stack trace of this error execute with --v=5 or higher',
    );
  }
}

function kubeletVersions() {
  const dir = `${API_DIR}/kubelet`;
  const versions = new Map();
  for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    if (!f.endsWith('.json')) continue;
    try {
      const posted = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
      versions.set(posted.node, posted.version);
    } catch {
      // a kubelet writing its status right now: skip it, as a list call would see the old one
    }
  }
  return versions;
}

/** kubeadm's version policy: { mandatory, skippable } error texts. */
function policyErrors(target, cluster) {
  const kubeadm = parseVersion(VERSION);
  const mandatory = [];
  const skippable = [];
  if (target.minor > cluster.minor + 1) mandatory.push(`Specified version to upgrade to "${target.text}" is too high; kubeadm can upgrade only 1 minor version at a time`);
  if (target.minor < cluster.minor - 1) mandatory.push(`Specified version to downgrade to "${target.text}" is too low; kubeadm can downgrade only 1 minor version at a time`);
  if (compare(kubeadm, target) < 0) {
    if (target.minor > kubeadm.minor) mandatory.push(`Specified version to upgrade to "${target.text}" is at least one minor release higher than the kubeadm minor release (${target.minor} > ${kubeadm.minor}). Such an upgrade is not supported`);
    else skippable.push(`Specified version to upgrade to "${target.text}" is higher than the kubeadm version "${VERSION}". Upgrade kubeadm first using the tool you used to install kubeadm`);
  }
  if (kubeadm.minor > target.minor) skippable.push(`Kubeadm version ${VERSION} can only be used to upgrade to Kubernetes version ${kubeadm.major}.${kubeadm.minor}`);
  const tooOld = [...new Set([...kubeletVersions().values()])].filter((v) => {
    const k = parseVersion(v);
    return k && target.minor > k.minor + 1;
  });
  if (tooOld.length) skippable.push(`There are kubelets in this cluster that are too old that have these versions [${tooOld.join(' ')}]`);
  return { mandatory, skippable };
}

function enforcePolicy(target, cluster, force) {
  const { mandatory, skippable } = policyErrors(target, cluster);
  if (mandatory.length) {
    throw new Fatal(
      `[upgrade/version] FATAL: the --version argument is invalid due to these fatal errors:\n\n${mandatory.map((e) => `\t- ${e}\n`).join('')}\nPlease fix the misalignments highlighted above and try upgrading again`,
    );
  }
  if (skippable.length && !force) {
    throw new Fatal(
      `[upgrade/version] FATAL: the --version argument is invalid due to these errors:\n\n${skippable.map((e) => `\t- ${e}\n`).join('')}\nCan be bypassed if you pass the --force flag`,
    );
  }
}

function stamp() {
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}-${p(d.getUTCHours())}-${p(d.getUTCMinutes())}-${p(d.getUTCSeconds())}`;
}

function isControlPlane() {
  return fs.existsSync(`${MANIFESTS}/kube-apiserver.yaml`);
}

function manifestVersion(component) {
  const text = fs.readFileSync(`${MANIFESTS}/${component}.yaml`, 'utf8');
  return /image: \S+:(v[\d.]+)/.exec(text)?.[1];
}

/** Backs up the static-pod manifests and rewrites their image tags to `version`. */
function upgradeManifests(version) {
  const backup = `${TMP}/kubeadm-backup-manifests-${stamp()}`;
  fs.mkdirSync(backup, { recursive: true });
  for (const c of COMPONENTS) {
    const file = `${MANIFESTS}/${c}.yaml`;
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(path.join(backup, `${c}.yaml`), text);
    if (manifestVersion(c) === version) {
      out(`[upgrade/staticpods] Current and new manifests of ${c} are equal, skipping upgrade\n`);
      continue;
    }
    fs.writeFileSync(file, text.replace(/(image: \S+:)v[\d.]+/, `$1${version}`));
    out(`[upgrade/staticpods] Moved new manifest to "${file}" and backed up old manifest to "${backup}/${c}.yaml"\n`);
  }
}

/** Backs up and rewrites the kubelet's config; cleans kubeadm-flags.env. */
function upgradeKubeletConfig() {
  const backup = `${TMP}/kubeadm-kubelet-config-${stamp()}`;
  fs.mkdirSync(backup, { recursive: true });
  const current = fs.existsSync(KUBELET_CONFIG) ? fs.readFileSync(KUBELET_CONFIG, 'utf8') : '';
  fs.writeFileSync(path.join(backup, 'config.yaml'), current);
  out(`[upgrade] Backing up kubelet config file to ${backup}/config.yaml\n`);
  // The cluster's kubelet-config ConfigMap holds what the nodes were given at join: the same text.
  fs.writeFileSync(KUBELET_CONFIG, current);
  out(`[kubelet-start] Writing kubelet configuration to file "${KUBELET_CONFIG}"\n`);
  if (fs.existsSync(FLAGS_ENV)) {
    const env = fs.readFileSync(FLAGS_ENV, 'utf8');
    const cleaned = env.replace(/KUBELET_KUBEADM_ARGS="([^"]*)"/, (_all, args) => {
      const words = args.split(/\s+/).filter(Boolean);
      const keptWords = [];
      for (let i = 0; i < words.length; i++) {
        const name = words[i].split('=')[0];
        if (!CLEANED_FLAGS.includes(name)) keptWords.push(words[i]);
        else if (!words[i].includes('=') && i + 1 < words.length && !words[i + 1].startsWith('-')) i++;
      }
      return `KUBELET_KUBEADM_ARGS="${keptWords.join(' ')}"`;
    });
    if (cleaned !== env) fs.writeFileSync(FLAGS_ENV, cleaned);
  }
}

function flagSet(args) {
  return { yes: args.includes('-y') || args.includes('--yes'), force: args.includes('-f') || args.includes('--force'), positional: args.filter((a) => !a.startsWith('-')) };
}

function requireRoot() {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Fatal('[preflight] Some fatal errors occurred:\n\t[ERROR IsPrivilegedUser]: user is not running as root\n[preflight] If you know what you are doing, you can make a check non-fatal with `--ignore-preflight-errors=...`');
  }
}

function targetOf(text) {
  const v = parseVersion(text);
  if (!v) throw new Fatal(`[upgrade/version] FATAL: unable to parse version "${text}": could not parse "${text}" as version`);
  return v;
}

function plan(args) {
  const cluster = parseVersion(clusterVersion());
  const target = args.positional[0] ? targetOf(args.positional[0]) : parseVersion(VERSION);
  out('[preflight] Running pre-flight checks.\n[upgrade/config] Reading configuration from the cluster...\n');
  out(`[upgrade] Running cluster health checks\n[upgrade] Fetching available versions to upgrade to\n[upgrade/versions] Cluster version: ${cluster.text}\n[upgrade/versions] kubeadm version: ${VERSION}\n`);
  const { mandatory, skippable } = policyErrors(target, cluster);
  if (mandatory.length || skippable.length) enforcePolicy(target, cluster, false);
  if (compare(target, cluster) <= 0) {
    out(`\nAwesome, you're up-to-date! Enjoy!\n`);
    return;
  }
  const kubelets = kubeletVersions();
  const rows = [...kubelets.entries()].sort(([a], [b]) => a.localeCompare(b));
  out('\nComponents that must be upgraded manually after you have upgraded the control plane with \'kubeadm upgrade apply\':\nCOMPONENT   NODE      CURRENT    TARGET\n');
  for (const [node, v] of rows) out(`kubelet     ${node.padEnd(9)} ${String(v).padEnd(10)} ${target.text}\n`);
  out('\nUpgrade to the latest version in the v1.' + cluster.minor + ' series:\n\nCOMPONENT                 NODE      CURRENT    TARGET\n');
  for (const c of COMPONENTS) out(`${c.padEnd(25)} ${'-'.padEnd(9)} ${cluster.text.padEnd(10)} ${target.text}\n`);
  out(`\nYou can now apply the upgrade by executing the following command:\n\n\tkubeadm upgrade apply ${target.text}\n\n`);
}

function apply(args) {
  requireRoot();
  if (!args.positional[0]) throw new Fatal('[upgrade/version] FATAL: missing one or more required arguments. Required arguments: [version]');
  if (!isControlPlane()) throw new Fatal(`[upgrade/apply] FATAL: couldn't find the static Pod manifest of kube-apiserver in ${MANIFESTS}: this is not a control-plane node`);
  const cluster = parseVersion(clusterVersion());
  const target = targetOf(args.positional[0]);
  out('[upgrade/config] Reading configuration from the cluster...\n[preflight] Running pre-flight checks.\n[upgrade] Running cluster health checks\n');
  out(`[upgrade/version] You have chosen to change the cluster version to "${target.text}"\n[upgrade/versions] Cluster version: ${cluster.text}\n[upgrade/versions] kubeadm version: ${VERSION}\n`);
  enforcePolicy(target, cluster, args.force);
  if (!args.yes) throw new Fatal('[upgrade] Are you sure you want to proceed? [y/N]: error: won\'t proceed; the user didn\'t answer (Y|y) in order to continue');
  upgradeManifests(target.text);
  fs.mkdirSync(API_DIR, { recursive: true });
  fs.writeFileSync(`${CLUSTER_CONFIG}.tmp`, `${JSON.stringify({ kubernetesVersion: target.text })}\n`);
  fs.renameSync(`${CLUSTER_CONFIG}.tmp`, CLUSTER_CONFIG);
  out('[upload-config] Storing the configuration used in ConfigMap "kubeadm-config" in the "kube-system" Namespace\n');
  upgradeKubeletConfig();
  out(`\n[upgrade/successful] SUCCESS! Your cluster was upgraded to "${target.text}". Enjoy!\n\n[upgrade/kubelet] Now that your control plane is upgraded, please proceed with upgrading your kubelets if you haven't already done so.\n`);
}

function node() {
  requireRoot();
  const cluster = parseVersion(clusterVersion());
  out('[upgrade] Reading configuration from the cluster...\n[preflight] Running pre-flight checks\n');
  const kubeadm = parseVersion(VERSION);
  if (compare(kubeadm, cluster) < 0 && kubeadm.minor < cluster.minor) {
    throw new Fatal(`[upgrade] FATAL: the kubeadm version ${VERSION} is older than the cluster version ${cluster.text}: upgrade kubeadm first`);
  }
  if (isControlPlane()) {
    out(`[upgrade] Upgrading your Static Pod-hosted control plane instance to version "${cluster.text}"...\n`);
    upgradeManifests(cluster.text);
    out('[upgrade] The control plane instance for this node was successfully updated!\n');
  } else {
    out('[upgrade] Skipping phase. Not a control plane node.\n');
  }
  upgradeKubeletConfig();
  out('[upgrade] The configuration for this node was successfully updated!\n[upgrade] Now you should go ahead and upgrade the kubelet package using your package manager.\n');
}

function version(args) {
  const i = args.findIndex((a) => a === '-o' || a.startsWith('--output') || a.startsWith('-o'));
  const format = i < 0 ? '' : args[i].includes('=') ? args[i].split('=')[1] : args[i].length > 2 ? args[i].slice(2) : args[i + 1];
  const v = parseVersion(VERSION);
  if (format === 'short') return out(`${VERSION}\n`);
  const info = { major: String(v.major), minor: String(v.minor), gitVersion: VERSION, gitCommit: '0000000000000000000000000000000000000000', gitTreeState: 'clean', buildDate: '2024-01-01T00:00:00Z', goVersion: 'go1.21.6', compiler: 'gc', platform: 'linux/amd64' };
  if (format === 'json') return out(`${JSON.stringify({ clientVersion: info }, null, 2)}\n`);
  out(`kubeadm version: &version.Info{Major:"${v.major}", Minor:"${v.minor}", GitVersion:"${VERSION}", GitCommit:"${info.gitCommit}", GitTreeState:"clean", BuildDate:"${info.buildDate}", GoVersion:"go1.21.6", Compiler:"gc", Platform:"linux/amd64"}\n`);
}

function main(argv) {
  const [verb, sub, ...rest] = argv;
  if (verb === 'version') return version(argv.slice(1));
  if (verb === 'upgrade' && sub === 'plan') return plan(flagSet(rest));
  if (verb === 'upgrade' && sub === 'apply') return apply(flagSet(rest));
  if (verb === 'upgrade' && sub === 'node') return node();
  throw new Fatal(`unknown command "${[verb, sub].filter(Boolean).join(' ')}" for "kubeadm"\nRun 'kubeadm --help' for usage.`);
}

try {
  main(process.argv.slice(2));
} catch (e) {
  if (!(e instanceof Fatal)) throw e;
  err(`${e.message}\n`);
  process.exit(1);
}
