// kubelet stand-in for fleet nodes. Its version is baked in when the kubelet package is built
// (__KUBELET_VERSION__, e.g. "v1.27.16"); the flags it no longer knows at that version come
// from kubelet-flags.json. It parses its command line like the real kubelet (spf13/pflag): the
// first flag removed at its version ends it the way kubelet ends,
//
//   E0412 12:52:11.044634    4019 run.go:74] "command failed" err="failed to parse kubelet flag: unknown flag: --container-runtime"
//
// with exit status 1, after the `Flag --x has been deprecated, ...` warnings for deprecated flags
// it met on the way. Then, like kubelet, it checks the container runtime's CRI API at
// --container-runtime-endpoint (kubelet >= 1.26 requires runtime.v1; older ones fall back to
// v1alpha2) and fails the same way when it cannot. When it starts, it writes its argv (JSON) to
// /run/kubelet/argv and waits; SIGTERM or SIGINT ends it with status 0.
//
// Bundled at `fleet up` (test/fleet/bundle.ts): imports kubelet-flags.json and @grpc/grpc-js.
import fs from 'node:fs';
import os from 'node:os';
import table from './kubelet-flags.json';
import { rpcError, runtimeClient } from './lib/cri.mjs';

/* global __KUBELET_VERSION__ */
const VERSION = typeof __KUBELET_VERSION__ === 'string' ? __KUBELET_VERSION__ : 'v1.26.15';
const DEFAULT_ENDPOINT = 'unix:///run/containerd/containerd.sock';

function semver(v) {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
}

function atLeast(version, than) {
  const a = semver(version);
  const b = semver(than);
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
}

/** klog's header: Lmmdd hh:mm:ss.uuuuuu threadid file:line] */
function klog(level, file, msg) {
  const d = new Date();
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  const stamp = `${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds() * 1000, 6)}`;
  return `${level}${stamp} ${String(process.pid).padStart(7)} ${file}] ${msg}\n`;
}

function commandFailed(err) {
  process.stderr.write(klog('E', 'run.go:74', `"command failed" err=${JSON.stringify(err)}`));
  process.exit(1);
}

const removed = new Map(table.removed.map((r) => [r.flag, r]));
const boolFlags = new Set(table.boolFlags);
const configDeprecated = new Set(table.deprecatedInConfig.flags);

/** pflag-style parse; returns flag values by name. Fails at the first flag this version lacks. */
function parseFlags(argv) {
  const flags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') break;
    if (!arg.startsWith('-') || arg === '-') continue; // kubelet ignores stray words after flags
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    let value = eq >= 0 ? body.slice(eq + 1) : undefined;
    if (name === 'version') {
      process.stdout.write(value === 'raw' ? `{"gitVersion":"${VERSION}"}\n` : `Kubernetes ${VERSION}\n`);
      process.exit(0);
    }
    const gone = removed.get(name);
    if (gone && atLeast(VERSION, gone.removedIn)) {
      commandFailed(`failed to parse kubelet flag: unknown flag: --${name}`);
    }
    const isBool = boolFlags.has(name);
    if (value === undefined && !isBool) {
      value = argv[i + 1];
      if (value === undefined) commandFailed(`failed to parse kubelet flag: flag needs an argument: --${name}`);
      i++;
    }
    if (gone && gone.deprecatedIn && atLeast(VERSION, gone.deprecatedIn)) {
      process.stderr.write(`Flag --${name} has been deprecated, ${gone.deprecation}\n`);
    } else if (configDeprecated.has(name)) {
      process.stderr.write(
        `Flag --${name} has been deprecated, This parameter should be set via the config file specified by the Kubelet's --config flag. See https://kubernetes.io/docs/tasks/administer-cluster/kubelet-config-file/ for more information.\n`,
      );
    }
    flags[name] = value ?? 'true';
  }
  return flags;
}

async function checkRuntime(endpoint) {
  const apis = atLeast(VERSION, '1.26.0') ? ['v1'] : ['v1', 'v1alpha2'];
  let last;
  // A runtime that is not up yet (no socket, not answering) is waited for: the real kubelet
  // fails and systemd restarts it (Restart=always, RestartSec=10) until the runtime answers,
  // which this stand-in's systemctl does not do. An answer that says "not served" fails at once.
  // (Long: a node booting on a machine busy with other fleets can take a minute to start its runtime.)
  const deadline = Date.now() + 180_000;
  for (;;) {
    last = undefined;
    for (const api of apis) {
      const client = runtimeClient(api, endpoint);
      try {
        await client.call('Version', { version: '0.1.0' }, { timeoutMs: 30_000 });
        return api;
      } catch (err) {
        last = { api, err };
      } finally {
        client.close();
      }
    }
    const unavailable = last.err?.code === 14 || last.err?.code === 4;
    if (!unavailable || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const path = endpoint.replace(/^unix:\/\//, '');
  const why =
    last.err?.code === 14 && !fs.existsSync(path)
      ? `rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial unix ${path}: connect: no such file or directory"`
      : rpcError(last.err);
  commandFailed(`failed to run Kubelet: validate service connection: validate CRI ${last.api} runtime API for endpoint ${JSON.stringify(endpoint)}: ${why}`);
}

// Node status, as the kubelet posts it to the API server: here a file in the directory the
// fleet's nodes share (/run/fleet-apiserver), which cp-1's kubectl reads. Every second: the
// runtime's CRI Status (RuntimeReady and NetworkReady, as kubelet's runtime-state check asks
// it), with the message kubelet gives the Ready condition when one is false. A kubelet that
// stops posting goes NotReady (Unknown) after kubectl's grace period, as the node controller
// does after --node-monitor-grace-period.
const STATUS_DIR = '/run/fleet-apiserver/kubelet';

function postNodeStatus(endpoint, api) {
  const node = os.hostname();
  const started = Date.now();
  const client = runtimeClient(api, endpoint);
  const post = async () => {
    let ready = true;
    let message = 'kubelet is posting ready status';
    try {
      const r = await client.call('Status', { verbose: false }, { timeoutMs: 2_000 });
      const conditions = r?.status?.conditions ?? [];
      const notReady = conditions.filter((c) => (c.type === 'RuntimeReady' || c.type === 'NetworkReady') && !c.status);
      const runtime = notReady.find((c) => c.type === 'RuntimeReady');
      const network = notReady.find((c) => c.type === 'NetworkReady');
      if (runtime) {
        ready = false;
        message = `container runtime status check may not have completed yet: RuntimeReady=false reason:${runtime.reason} message:${runtime.message}`;
      } else if (network) {
        ready = false;
        message = `container runtime network not ready: NetworkReady=false reason:${network.reason} message:${network.message}`;
      }
    } catch (err) {
      ready = false;
      message = `container runtime is down: ${rpcError(err)}`;
    }
    const status = { node, version: VERSION, started, heartbeat: Date.now(), ready, reason: ready ? 'KubeletReady' : 'KubeletNotReady', message };
    try {
      fs.mkdirSync(STATUS_DIR, { recursive: true });
      const tmp = `${STATUS_DIR}/.${node}.${process.pid}`;
      fs.writeFileSync(tmp, JSON.stringify(status) + '\n');
      fs.renameSync(tmp, `${STATUS_DIR}/${node}.json`);
    } catch {
      // no shared directory (a node outside a fleet): nothing to post to
    }
  };
  let posting = false;
  const tick = () => {
    if (posting) return;
    posting = true;
    post().finally(() => (posting = false));
  };
  tick();
  setInterval(tick, 1000);
}

async function main() {
  const argv = process.argv.slice(2);
  const flags = parseFlags(argv);
  const endpoint = flags['container-runtime-endpoint'] ?? DEFAULT_ENDPOINT;
  const api = await checkRuntime(endpoint.startsWith('/') ? `unix://${endpoint}` : endpoint);
  fs.mkdirSync('/run/kubelet', { recursive: true });
  fs.writeFileSync('/run/kubelet/argv', JSON.stringify(argv) + '\n');
  process.stderr.write(klog('I', 'server.go:415', `"Kubelet version" kubeletVersion="${VERSION}"`));
  process.stderr.write(klog('I', 'kuberuntime_manager.go:244', `"Container runtime initialized" containerRuntime="remote" apiVersion="${api}"`));
  postNodeStatus(endpoint.startsWith('/') ? `unix://${endpoint}` : endpoint, api);
  const stop = () => process.exit(0);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  setInterval(() => undefined, 1 << 30);
}

main().catch((err) => commandFailed(String(err?.message ?? err)));
