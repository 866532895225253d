// CRI-O stand-in for fleet nodes. Version baked in by the cri-o package (__CRIO_VERSION__).
//
//   crio [--config FILE] [--config-dir DIR] [--default-runtime NAME]   serve CRI v1 (the daemon)
//   crio config                  print the merged configuration (TOML)
//   crio status config           print the configuration the running daemon loaded
//   crio version | crio --version
//
// Configuration as CRI-O reads it: built-in defaults, then /etc/crio/crio.conf, then every
// /etc/crio/crio.conf.d/*.conf in lexical order, later files overriding earlier keys (tables
// merge). The daemon refuses to start, with CRI-O's message, when default_runtime names a
// runtime that has no [crio.runtime.runtimes.NAME] table.
//
// Pod sandboxes are real: the daemon runs a private containerd (socket
// /run/fleet-crio/containerd.sock) and forwards RunPodSandbox, ListPodSandbox, PodSandboxStatus,
// StopPodSandbox and RemovePodSandbox to it; a sandbox runs under the runtime handler it asked
// for, or default_runtime. Like CRI-O after the 1.29 -> 1.30 default-runtime switch, the daemon
// loses track of sandboxes that were started under a default runtime other than its current
// one: they disappear from its API while their processes keep running.
// (crun cannot run on hosts with hybrid cgroups, so the backend runs the "crun" handler with runc
// under a separate state root, /run/crun; what is tracked is the handler, as CRI-O does.)
//
// Bundled at `fleet up` (test/fleet/bundle.ts) with @grpc/grpc-js and smol-toml.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';
import { grpc, runtimeClient, runtimeService } from './lib/cri.mjs';
import { logrusLine } from './lib/go-format.mjs';

/* global __CRIO_VERSION__ */
const VERSION = typeof __CRIO_VERSION__ === 'string' ? __CRIO_VERSION__ : '1.29.9';
const BACKEND_DIR = '/run/fleet-crio';
const BACKEND_SOCKET = `${BACKEND_DIR}/containerd.sock`;
const LOADED_CONFIG = `${BACKEND_DIR}/loaded-config.toml`;
const TRACK_FILE = '/var/lib/fleet-crio/sandboxes.json';
const PAUSE_IMAGE = process.env.FLEET_PAUSE_IMAGE ?? 'registry.fleet.local/pause:3.9';

function fatal(msg) {
  process.stderr.write(logrusLine('fatal', msg));
  process.exit(1);
}

// ---------------------------------------------------------------- configuration

function defaults() {
  return {
    crio: {
      root: '/var/lib/containers/storage',
      runroot: '/run/containers/storage',
      log_dir: '/var/log/crio/pods',
      api: { listen: '/var/run/crio/crio.sock' },
      runtime: {
        default_runtime: 'runc',
        runtimes: { runc: { runtime_path: '', runtime_type: 'oci', runtime_root: '/run/runc' } },
      },
      image: { pause_image: 'registry.k8s.io/pause:3.9' },
      network: { network_dir: '/etc/cni/net.d/', plugin_dirs: ['/opt/cni/bin/'] },
    },
  };
}

function merge(into, from) {
  for (const [k, v] of Object.entries(from)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) && into[k] && typeof into[k] === 'object' && !Array.isArray(into[k])) merge(into[k], v);
    else into[k] = v;
  }
  return into;
}

function loadConfig({ config = '/etc/crio/crio.conf', configDir = '/etc/crio/crio.conf.d' } = {}) {
  const merged = defaults();
  const files = [];
  if (fs.existsSync(config)) files.push(config);
  let dropIns = [];
  try {
    dropIns = fs.readdirSync(configDir).filter((f) => f.endsWith('.conf')).sort();
  } catch {
    /* no drop-in directory */
  }
  for (const f of dropIns) files.push(path.join(configDir, f));
  for (const file of files) {
    let parsed;
    try {
      parsed = parseToml(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      fatal(`Failed to load configuration file ${file}: ${String(err.message).split('\n')[0]}`);
    }
    merge(merged, parsed);
  }
  return merged;
}

function validate(config) {
  const rt = config.crio.runtime;
  if (!rt.runtimes?.[rt.default_runtime]) {
    return `validating runtime config: default_runtime set to "${rt.default_runtime}", but no runtime entry table [crio.runtime.runtimes.${rt.default_runtime}] was found`;
  }
  return undefined;
}

// ---------------------------------------------------------------- tracking (which default runtime a sandbox got)

function readTrack() {
  try {
    return JSON.parse(fs.readFileSync(TRACK_FILE, 'utf8'));
  } catch {
    return {};
  }
}

function writeTrack(t) {
  fs.mkdirSync(path.dirname(TRACK_FILE), { recursive: true });
  fs.writeFileSync(`${TRACK_FILE}.tmp`, JSON.stringify(t, null, 2));
  fs.renameSync(`${TRACK_FILE}.tmp`, TRACK_FILE);
}

// ---------------------------------------------------------------- daemon

function backendConfig(config) {
  const runtimes = Object.keys(config.crio.runtime.runtimes);
  const lines = [
    'version = 2',
    `root = "/var/lib/fleet-crio/containerd"`,
    `state = "${BACKEND_DIR}/state"`,
    '[grpc]',
    `  address = "${BACKEND_SOCKET}"`,
    '[ttrpc]',
    `  address = "${BACKEND_DIR}/containerd.sock.ttrpc"`,
    '[plugins."io.containerd.grpc.v1.cri"]',
    `  sandbox_image = "${PAUSE_IMAGE}"`,
    '  restrict_oom_score_adj = true',
    '  [plugins."io.containerd.grpc.v1.cri".containerd]',
    '    snapshotter = "native"',
    `    default_runtime_name = "${config.crio.runtime.default_runtime}"`,
  ];
  for (const name of runtimes) {
    lines.push(
      `    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.${JSON.stringify(name)}]`,
      '      runtime_type = "io.containerd.runc.v2"',
      `      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.${JSON.stringify(name)}.options]`,
      '        BinaryName = "/usr/sbin/runc"',
      `        Root = "/run/${name.replace(/[^A-Za-z0-9_.-]/g, '_')}"`,
    );
  }
  lines.push('  [plugins."io.containerd.grpc.v1.cri".cni]', '    bin_dir = "/usr/lib/cni"', '    conf_dir = "/etc/cni/net.d"', '');
  return lines.join('\n');
}

async function startBackend(config) {
  fs.mkdirSync(BACKEND_DIR, { recursive: true });
  fs.writeFileSync(`${BACKEND_DIR}/containerd.toml`, backendConfig(config));
  fs.rmSync(BACKEND_SOCKET, { force: true });
  const log = fs.openSync('/var/log/fleet-crio-backend.log', 'a');
  const child = spawn('/usr/bin/containerd', ['--config', `${BACKEND_DIR}/containerd.toml`], { stdio: ['ignore', log, log] });
  for (let i = 0; i < 300 && !fs.existsSync(BACKEND_SOCKET); i++) {
    if (child.exitCode !== null) fatal('the CRI backend (containerd) exited at start: see /var/log/fleet-crio-backend.log');
    await new Promise((r) => setTimeout(r, 20));
  }
  const archive = '/usr/local/share/fleet/images/pause.oci.tar';
  if (fs.existsSync(archive)) {
    await new Promise((resolve) => {
      const ctr = spawn('/usr/bin/ctr', ['--address', BACKEND_SOCKET, '-n', 'k8s.io', 'images', 'import', '--snapshotter', 'native', archive], { stdio: 'ignore' });
      ctr.on('exit', resolve);
      ctr.on('error', resolve);
    });
  }
  return child;
}

async function daemon(flags) {
  const config = loadConfig(flags);
  if (flags.defaultRuntime) config.crio.runtime.default_runtime = flags.defaultRuntime;
  const invalid = validate(config);
  if (invalid) fatal(invalid);
  const defaultRuntime = config.crio.runtime.default_runtime;
  process.stderr.write(logrusLine('info', `Starting CRI-O, version: ${VERSION}, git: fleet-stand-in(clean)`));
  process.stderr.write(logrusLine('info', `Using default runtime handler: ${defaultRuntime}`));
  const backendProcess = await startBackend(config);
  fs.writeFileSync(LOADED_CONFIG, stringifyToml(config) + '\n');
  const backend = runtimeClient('v1', `unix://${BACKEND_SOCKET}`);

  const track = readTrack();
  /** A sandbox ID (or unique prefix) this daemon still knows, or undefined. */
  const known = (id) => {
    const matches = Object.keys(track).filter((k) => k.startsWith(id));
    if (matches.length !== 1) return undefined;
    const t = track[matches[0]];
    if (t.requested === '' && t.runtime !== defaultRuntime) return undefined;
    return matches[0];
  };
  const notFound = (id) => ({ code: grpc.status.NOT_FOUND, details: `could not find pod "${id}": PodSandbox with ID starting with ${id} not found: ID does not exist` });
  const forward = (method, transform = (r) => r) => async (call, callback) => {
    try {
      callback(null, transform(await backend.call(method, call.request, { timeoutMs: 120_000 })));
    } catch (err) {
      callback({ code: err.code ?? grpc.status.UNKNOWN, details: err.details ?? String(err) });
    }
  };
  const byId = (method, transform) => async (call, callback) => {
    const id = known(call.request.podSandboxId);
    if (!id) return callback(notFound(call.request.podSandboxId));
    return forward(method, transform)({ request: { ...call.request, podSandboxId: id } }, callback);
  };
  const shown = (p) => ({ ...p, runtimeHandler: track[p.id]?.requested ?? p.runtimeHandler });

  const server = new grpc.Server();
  server.addService(runtimeService('v1'), {
    Version: (_call, cb) => cb(null, { version: '0.1.0', runtimeName: 'cri-o', runtimeVersion: VERSION, runtimeApiVersion: 'v1' }),
    Status: (call, cb) =>
      cb(null, {
        status: { conditions: [{ type: 'RuntimeReady', status: true, reason: '', message: '' }, { type: 'NetworkReady', status: true, reason: '', message: '' }] },
        info: call.request.verbose ? { config: JSON.stringify({ defaultRuntime, version: VERSION }) } : {},
      }),
    RunPodSandbox: async (call, cb) => {
      const requested = call.request.runtimeHandler ?? '';
      const handler = requested || defaultRuntime;
      if (!config.crio.runtime.runtimes[handler]) {
        return cb({ code: grpc.status.UNKNOWN, details: `failed to get runtime handler "${handler}": no runtime handler "${handler}" found` });
      }
      try {
        const r = await backend.call('RunPodSandbox', { ...call.request, runtimeHandler: handler }, { timeoutMs: 120_000 });
        track[r.podSandboxId] = { requested, runtime: handler };
        writeTrack(track);
        cb(null, r);
      } catch (err) {
        cb({ code: err.code ?? grpc.status.UNKNOWN, details: err.details ?? String(err) });
      }
    },
    ListPodSandbox: forward('ListPodSandbox', (r) => ({ items: r.items.filter((p) => known(p.id)).map(shown) })),
    PodSandboxStatus: byId('PodSandboxStatus', (r) => ({ ...r, status: shown(r.status) })),
    StopPodSandbox: byId('StopPodSandbox'),
    RemovePodSandbox: async (call, cb) => {
      const id = known(call.request.podSandboxId);
      if (!id) return cb(notFound(call.request.podSandboxId));
      try {
        const r = await backend.call('RemovePodSandbox', { podSandboxId: id }, { timeoutMs: 120_000 });
        delete track[id];
        writeTrack(track);
        cb(null, r);
      } catch (err) {
        cb({ code: err.code ?? grpc.status.UNKNOWN, details: err.details ?? String(err) });
      }
    },
  });

  const listen = config.crio.api.listen;
  fs.mkdirSync(path.dirname(listen), { recursive: true });
  fs.rmSync(listen, { force: true });
  await new Promise((resolve) =>
    server.bindAsync(`unix://${listen}`, grpc.ServerCredentials.createInsecure(), (err) => {
      if (err) fatal(`failed to listen on ${listen}: ${err.message}`);
      resolve();
    }),
  );
  process.stderr.write(logrusLine('info', `Serving CRI on ${listen}`));

  const stop = () => {
    server.forceShutdown();
    backend.close();
    fs.rmSync(listen, { force: true });
    backendProcess.kill('SIGTERM');
    const t = setTimeout(() => process.exit(0), 3000);
    backendProcess.once('exit', () => {
      clearTimeout(t);
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function printVersion() {
  process.stdout.write(
    [
      `Version:        ${VERSION}`,
      'GitCommit:      fleet-stand-in',
      'GitCommitDate:  2024-01-01T00:00:00Z',
      'GitTreeState:   clean',
      'GoVersion:      go1.22.5',
      'Compiler:       gc',
      'Platform:       linux/amd64',
      '',
    ].join('\n'),
  );
}

function parseFlags(argv) {
  const flags = { positional: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [name, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i];
    if (name === '--config' || name === '-c') flags.config = value();
    else if (name === '--config-dir' || name === '-d') flags.configDir = value();
    else if (name === '--default-runtime') flags.defaultRuntime = value();
    else if (name === '--version' || name === '-v') flags.version = true;
    else if (name.startsWith('-')) {
      if (inline === undefined && argv[i + 1] && !argv[i + 1].startsWith('-')) i++;
    } else flags.positional.push(a);
  }
  return flags;
}

const flags = parseFlags(process.argv.slice(2));
const [command, sub] = flags.positional;
if (flags.version || command === 'version') {
  printVersion();
  process.exit(0);
} else if (command === 'config') {
  const config = loadConfig(flags);
  process.stdout.write(stringifyToml(config) + '\n');
  process.exit(0);
} else if (command === 'status' && sub === 'config') {
  const listen = loadConfig(flags).crio.api.listen;
  if (!fs.existsSync(listen) || !fs.existsSync(LOADED_CONFIG)) {
    fatal(`Get "http://localhost/config": dial unix ${listen}: connect: no such file or directory`);
  }
  process.stdout.write(fs.readFileSync(LOADED_CONFIG, 'utf8'));
  process.exit(0);
} else if (command === undefined) {
  daemon(flags).catch((err) => fatal(String(err?.message ?? err)));
} else {
  fatal(`flag provided but not defined: ${command}`);
}
