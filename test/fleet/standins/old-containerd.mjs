// Stand-in for containerd 1.4: a gRPC server on a unix socket that serves only CRI
// `runtime.v1alpha2.RuntimeService` Version and Status. Every other call, `runtime.v1` included,
// gets UNIMPLEMENTED, which is what a client of CRI v1 sees from a real containerd 1.4.
//
// Runs as it is from the project (its imports resolve in the project's node_modules), and is
// bundled with them into one file for nodes by test/fleet/bundle.ts, where it is the
// /usr/bin/containerd of the fleet's `containerd 1.4.13-0fleet1` package.
//
//   node old-containerd.mjs [--address PATH] [--config FILE] [--node-modules DIR]
//                           [--runtime-version V] [--network-not-ready] [--version]
//
// --address     socket to serve (default: [grpc] address of --config, else
//               /run/containerd/containerd.sock); a stale socket file is replaced.
// --config, -c  a containerd config.toml; only its [grpc] address is read.
// --log-level, -l, --root, --state: accepted and ignored, as a unit file may pass them.
// --node-modules: accepted and ignored (dependencies are resolved or bundled).
// --version, -v prints what `containerd --version` prints, for version probes.
// Prints one line "serving CRI v1alpha2 on PATH" to stdout once it accepts calls.
// SIGTERM or SIGINT: stops accepting, ends calls under way, removes the socket, exits 0.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const DEFAULT_ADDRESS = '/run/containerd/containerd.sock';
/* global __CONTAINERD_VERSION__ */
const DEFAULT_RUNTIME_VERSION = typeof __CONTAINERD_VERSION__ === 'string' ? __CONTAINERD_VERSION__ : 'v1.4.13';
// Field numbers as in k8s.io/cri-api pkg/apis/runtime/v1alpha2/api.proto.
const PROTO = `syntax = "proto3";
package runtime.v1alpha2;

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
  process.stderr.write(`old-containerd: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { address: undefined, config: undefined, nodeModules: undefined, runtimeVersion: DEFAULT_RUNTIME_VERSION, networkReady: true, printVersion: false };
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
      case '--network-not-ready': opts.networkReady = false; break;
      case '--version': case '-v': opts.printVersion = true; break;
      case '--log-level': case '-l': case '--root': case '--state': value(); break;
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

function loadService() {
  // proto-loader reads files only: load the text from a private temporary file.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'old-containerd-'));
  try {
    const file = path.join(dir, 'runtime-v1alpha2.proto');
    fs.writeFileSync(file, PROTO);
    const def = protoLoader.loadSync(file, { keepCase: false, defaults: true, arrays: true, objects: true });
    return def['runtime.v1alpha2.RuntimeService'];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const opts = parseArgs(process.argv.slice(2));
if (opts.printVersion) {
  process.stdout.write(`containerd github.com/containerd/containerd ${opts.runtimeVersion} 0000000000000000000000000000000000000000\n`);
  process.exit(0);
}
const address = path.resolve(opts.address?.replace(/^unix:\/\//, '') ?? (opts.config && addressFromConfig(opts.config)) ?? DEFAULT_ADDRESS);
const service = loadService();

const server = new grpc.Server();
server.addService(service, {
  Version(_call, callback) {
    callback(null, { version: '0.1.0', runtimeName: 'containerd', runtimeVersion: opts.runtimeVersion, runtimeApiVersion: 'v1alpha2' });
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

fs.mkdirSync(path.dirname(address), { recursive: true });
fs.rmSync(address, { force: true });
server.bindAsync(`unix://${address}`, grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) fail(`cannot serve on ${address}: ${err.message}`);
  process.stdout.write(`serving CRI v1alpha2 on ${address}\n`);
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
