// The slice of the CRI RuntimeService the fleet's stand-ins speak (crictl, the CRI-O stand-in),
// written by hand from k8s.io/cri-api `pkg/apis/runtime/v1/api.proto` field numbers. Fields the
// stand-ins do not use are left out; protobuf skips unknown fields.
//
// Bundled into the stand-ins at `fleet up` (see test/fleet/bundle.ts): imports npm packages.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export { grpc };

export function criProto(api) {
  return `syntax = "proto3";
package runtime.${api};

service RuntimeService {
  rpc Version(VersionRequest) returns (VersionResponse) {}
  rpc RunPodSandbox(RunPodSandboxRequest) returns (RunPodSandboxResponse) {}
  rpc StopPodSandbox(StopPodSandboxRequest) returns (StopPodSandboxResponse) {}
  rpc RemovePodSandbox(RemovePodSandboxRequest) returns (RemovePodSandboxResponse) {}
  rpc PodSandboxStatus(PodSandboxStatusRequest) returns (PodSandboxStatusResponse) {}
  rpc ListPodSandbox(ListPodSandboxRequest) returns (ListPodSandboxResponse) {}
  rpc Status(StatusRequest) returns (StatusResponse) {}
}

message VersionRequest { string version = 1; }
message VersionResponse {
  string version = 1;
  string runtime_name = 2;
  string runtime_version = 3;
  string runtime_api_version = 4;
}

enum NamespaceMode {
  POD = 0;
  CONTAINER = 1;
  NODE = 2;
  TARGET = 3;
}
message NamespaceOption {
  NamespaceMode network = 1;
  NamespaceMode pid = 2;
  NamespaceMode ipc = 3;
  string target_id = 4;
}
message LinuxSandboxSecurityContext {
  NamespaceOption namespace_options = 1;
  bool privileged = 6;
}
message LinuxPodSandboxConfig {
  string cgroup_parent = 1;
  LinuxSandboxSecurityContext security_context = 2;
  map<string, string> sysctls = 3;
}
message PodSandboxMetadata {
  string name = 1;
  string uid = 2;
  string namespace = 3;
  uint32 attempt = 4;
}
message PodSandboxConfig {
  PodSandboxMetadata metadata = 1;
  string hostname = 2;
  string log_directory = 3;
  map<string, string> labels = 6;
  map<string, string> annotations = 7;
  LinuxPodSandboxConfig linux = 8;
}
message RunPodSandboxRequest {
  PodSandboxConfig config = 1;
  string runtime_handler = 2;
}
message RunPodSandboxResponse { string pod_sandbox_id = 1; }

message StopPodSandboxRequest { string pod_sandbox_id = 1; }
message StopPodSandboxResponse {}
message RemovePodSandboxRequest { string pod_sandbox_id = 1; }
message RemovePodSandboxResponse {}

message PodSandboxStatusRequest {
  string pod_sandbox_id = 1;
  bool verbose = 2;
}
message PodIP { string ip = 1; }
message PodSandboxNetworkStatus {
  string ip = 1;
  repeated PodIP additional_ips = 2;
}
message Namespace { NamespaceOption options = 2; }
message LinuxPodSandboxStatus { Namespace namespaces = 1; }
enum PodSandboxState {
  SANDBOX_READY = 0;
  SANDBOX_NOTREADY = 1;
}
message PodSandboxStatus {
  string id = 1;
  PodSandboxMetadata metadata = 2;
  PodSandboxState state = 3;
  int64 created_at = 4;
  PodSandboxNetworkStatus network = 5;
  LinuxPodSandboxStatus linux = 6;
  map<string, string> labels = 7;
  map<string, string> annotations = 8;
  string runtime_handler = 9;
}
message PodSandboxStatusResponse {
  PodSandboxStatus status = 1;
  map<string, string> info = 2;
}

message PodSandboxStateValue { PodSandboxState state = 1; }
message PodSandboxFilter {
  string id = 1;
  PodSandboxStateValue state = 2;
  map<string, string> label_selector = 3;
}
message ListPodSandboxRequest { PodSandboxFilter filter = 1; }
message PodSandbox {
  string id = 1;
  PodSandboxMetadata metadata = 2;
  PodSandboxState state = 3;
  int64 created_at = 4;
  map<string, string> labels = 5;
  map<string, string> annotations = 6;
  string runtime_handler = 7;
}
message ListPodSandboxResponse { repeated PodSandbox items = 1; }

message StatusRequest { bool verbose = 1; }
message RuntimeCondition {
  string type = 1;
  bool status = 2;
  string reason = 3;
  string message = 4;
}
message RuntimeStatus { repeated RuntimeCondition conditions = 1; }
message StatusResponse {
  RuntimeStatus status = 1;
  map<string, string> info = 2;
}
`;
}

/** Messages as plain objects: camelCase, int64 as decimal strings, enums by name, defaults filled. */
export const DECODE = { keepCase: false, longs: String, enums: String, defaults: true, arrays: true, objects: true };

/** The RuntimeService definition of one API (`v1` or `v1alpha2`), for grpc-js clients and servers. */
export function runtimeService(api) {
  // proto-loader reads files only: load the text from a private temporary file.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-cri-'));
  try {
    const file = path.join(dir, `runtime-${api}.proto`);
    fs.writeFileSync(file, criProto(api));
    return protoLoader.loadSync(file, DECODE)[`runtime.${api}.RuntimeService`];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The unix socket path of an endpoint such as `unix:///run/containerd/containerd.sock`. */
export function socketPath(endpoint) {
  if (endpoint.startsWith('unix://')) return endpoint.slice('unix://'.length);
  if (endpoint.startsWith('/')) return endpoint;
  throw new Error(`protocol "${endpoint.split('://')[0]}" not supported`);
}

/** A promise-returning client: `call(method, request, {timeoutMs})`. */
export function runtimeClient(api, endpoint) {
  const Service = grpc.makeGenericClientConstructor(runtimeService(api), 'RuntimeService');
  const client = new Service(`unix://${socketPath(endpoint)}`, grpc.credentials.createInsecure(), {
    'grpc.enable_retries': 0,
  });
  const call = (method, request, { timeoutMs = 10_000 } = {}) =>
    new Promise((resolve, reject) => {
      const lower = method[0].toLowerCase() + method.slice(1);
      const fn = client[method] ?? client[lower];
      fn.call(client, request, { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res)));
    });
  return { call, close: () => client.close(), raw: client };
}

/** gRPC status code names as Go's grpc prints them in `rpc error: code = X desc = ...`. */
const CODE_NAMES = ['OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied', 'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated'];

export function rpcError(err) {
  const code = CODE_NAMES[err?.code] ?? 'Unknown';
  return `rpc error: code = ${code} desc = ${err?.details ?? err?.message ?? String(err)}`;
}

export const status = grpc.status;
