// Stand-in for a container runtime whose CRI we only need to answer Version and Status: a gRPC
// server on a unix socket serving `RuntimeService` Version and Status of the CRI API versions it
// is built with, and UNIMPLEMENTED for everything else (the other API version included), which is
// what a client sees from the real runtime:
//
//   containerd 1.4.13, 1.5.18   runtime.v1alpha2 only (containerd/containerd#7863 for 1.5)
//   containerd 2.0.5            runtime.v1 only (v1alpha2 removed in 2.0)
//   cri-dockerd 0.3.15          runtime.v1, as runtime "docker", on /run/cri-dockerd.sock
//
// Runs as it is from the project (its imports resolve in the project's node_modules), and is
// bundled with them into one file for nodes by test/fleet/bundle.ts, with __RUNTIME_NAME__,
// __RUNTIME_VERSION__, __CRI_APIS__ (comma-separated) and __DEFAULT_ADDRESS__ defined.
//
//   node cri-runtime-stub.mjs [--address PATH] [--config FILE] [--runtime-version V]
//                             [--apis v1,v1alpha2] [--network-not-ready] [--version]
//
// --address     socket to serve (default: [grpc] address of --config, else the built-in
//               default); a stale socket file is replaced.
// --config, -c  a containerd config.toml; only its [grpc] address is read.
// --log-level, -l, --root, --state, --container-runtime-endpoint, --network-plugin: accepted
//               and ignored, as a unit file may pass them.
// --version, -v prints what `containerd --version` (or `cri-dockerd --version`) prints.
// Prints one line "serving CRI APIS on PATH" to stdout once it accepts calls.
// SIGTERM or SIGINT: stops accepting, ends calls under way, removes the socket, exits 0.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/* global __RUNTIME_NAME__, __RUNTIME_VERSION__, __CRI_APIS__, __DEFAULT_ADDRESS__ */
const RUNTIME_NAME = typeof __RUNTIME_NAME__ === 'string' ? __RUNTIME_NAME__ : 'containerd';
const DEFAULT_RUNTIME_VERSION = typeof __RUNTIME_VERSION__ === 'string' ? __RUNTIME_VERSION__ : 'v1.4.13';
const DEFAULT_APIS = typeof __CRI_APIS__ === 'string' ? __CRI_APIS__ : 'v1alpha2';
const DEFAULT_ADDRESS = typeof __DEFAULT_ADDRESS__ === 'string' ? __DEFAULT_ADDRESS__ : '/run/containerd/containerd.sock';
// Field numbers as in k8s.io/cri-api pkg/apis/runtime/{v1,v1alpha2}/api.proto (the same for these messages).
const proto = (pkg) => `syntax = "proto3";
package runtime.${pkg};

service RuntimeService {
  rpc Version(VersionRequest) returns (VersionResponse) {}
  rpc Status(StatusRequest) returns (StatusResponse) {}
}

message VersionRequest { string version = 1; }
message VersionResponse {
  string version = 1;
  string runtime_name = 2;
  string runtime_version = 3;
  string runtime_api_version = 4;
}
message RuntimeCondition {
  string type = 1;
  bool status = 2;
  string reason = 3;
  string message = 4;
}
message RuntimeStatus { repeated RuntimeCondition conditions = 1; }
message StatusRequest { bool verbose = 1; }
message StatusResponse {
  RuntimeStatus status = 1;
  map<string, string> info = 2;
}
`;

function fail(message) {
  process.stderr.write(`cri-runtime-stub: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { address: undefined, config: undefined, nodeModules: undefined, runtimeVersion: DEFAULT_RUNTIME_VERSION, apis: DEFAULT_APIS, networkReady: true, printVersion: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) fail(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--address': case '-a': opts.address = value(); break;
      case '--config': case '-c': opts.config = value(); break;
      case '--node-modules': opts.nodeModules = value(); break;
      case '--runtime-version': opts.runtimeVersion = value(); break;
      case '--apis': opts.apis = value(); break;
      case '--network-not-ready': opts.networkReady = false; break;
      case '--version': case '-v': opts.printVersion = true; break;
      case '--log-level': case '-l': case '--root': case '--state': case '--container-runtime-endpoint': case '--network-plugin': value(); break;
      default: fail(`unknown argument: ${arg}`);
    }
  }
  return opts;
}

/** The [grpc] address of a containerd config.toml, if it sets one. */
function addressFromConfig(file) {
  let section = '';
  for (const raw of fs.readFileSync(file, 'utf8').split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) { section = header[1].trim(); continue; }
    const kv = /^address\s*=\s*"([^"]*)"$/.exec(line);
    if (section === 'grpc' && kv && kv[1]) return kv[1];
  }
  return undefined;
}

function loadService(api) {
  // proto-loader reads files only: load the text from a private temporary file.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cri-runtime-stub-'));
  try {
    const file = path.join(dir, `runtime-${api}.proto`);
    fs.writeFileSync(file, proto(api));
    const def = protoLoader.loadSync(file, { keepCase: false, defaults: true, arrays: true, objects: true });
    return def[`runtime.${api}.RuntimeService`];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const opts = parseArgs(process.argv.slice(2));
if (opts.printVersion) {
  const v = opts.runtimeVersion.replace(/^v/, '');
  process.stdout.write(RUNTIME_NAME === 'docker' ? `cri-dockerd ${v} (0000000)\n` : `containerd github.com/containerd/containerd ${opts.runtimeVersion} 0000000000000000000000000000000000000000\n`);
  process.exit(0);
}
const address = path.resolve(opts.address?.replace(/^unix:\/\//, '') ?? (opts.config && addressFromConfig(opts.config)) ?? DEFAULT_ADDRESS);
const apis = opts.apis.split(',').map((a) => a.trim()).filter(Boolean);

const server = new grpc.Server();
for (const api of apis) {
  server.addService(loadService(api), {
    Version(_call, callback) {
      callback(null, { version: '0.1.0', runtimeName: RUNTIME_NAME, runtimeVersion: opts.runtimeVersion, runtimeApiVersion: api });
    },
    Status(_call, callback) {
      callback(null, {
        status: {
          conditions: [
            { type: 'RuntimeReady', status: true, reason: '', message: '' },
            opts.networkReady
              ? { type: 'NetworkReady', status: true, reason: '', message: '' }
              : { type: 'NetworkReady', status: false, reason: 'NetworkPluginNotReady', message: 'Network plugin returns error: cni plugin not initialized' },
          ],
        },
        info: {},
      });
    },
  });
}

fs.mkdirSync(path.dirname(address), { recursive: true });
fs.rmSync(address, { force: true });
server.bindAsync(`unix://${address}`, grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) fail(`cannot serve on ${address}: ${err.message}`);
  process.stdout.write(`serving CRI ${apis.join(', ')} on ${address}\n`);
});

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  const done = () => {
    fs.rmSync(address, { force: true });
    process.exit(0);
  };
  const force = setTimeout(() => { server.forceShutdown(); done(); }, 2_000);
  server.tryShutdown(() => { clearTimeout(force); done(); });
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
