/**
 * The slice of the CRI RuntimeService that slipway speaks, written by hand.
 *
 * `runtime.v1` and `runtime.v1alpha2` carry the same messages under different package names, so
 * one text serves both. Field numbers follow k8s.io/cri-api `pkg/apis/runtime/{v1,v1alpha2}/api.proto`;
 * fields slipway does not read are left out (protobuf skips unknown fields, so the runtime may
 * send more). The text lives in this module rather than in a `.proto` file so that it travels
 * with the compiled JavaScript: tsc does not copy `.proto` files into `dist/`.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';

export type CriApi = 'v1' | 'v1alpha2';
export const CRI_APIS: readonly CriApi[] = ['v1', 'v1alpha2'];

export function criProtoText(api: CriApi): string {
  return `syntax = "proto3";
package runtime.${api};

service RuntimeService {
  rpc Version(VersionRequest) returns (VersionResponse) {}
  rpc StopPodSandbox(StopPodSandboxRequest) returns (StopPodSandboxResponse) {}
  rpc RemovePodSandbox(RemovePodSandboxRequest) returns (RemovePodSandboxResponse) {}
  rpc PodSandboxStatus(PodSandboxStatusRequest) returns (PodSandboxStatusResponse) {}
  rpc ListPodSandbox(ListPodSandboxRequest) returns (ListPodSandboxResponse) {}
  rpc Status(StatusRequest) returns (StatusResponse) {}
}

message VersionRequest {
  string version = 1;
}

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

message RuntimeStatus {
  repeated RuntimeCondition conditions = 1;
}

message StatusRequest {
  bool verbose = 1;
}

message StatusResponse {
  RuntimeStatus status = 1;
  map<string, string> info = 2;
}

enum PodSandboxState {
  SANDBOX_READY = 0;
  SANDBOX_NOTREADY = 1;
}

enum NamespaceMode {
  POD = 0;
  CONTAINER = 1;
  NODE = 2;
  TARGET = 3;
}

message PodSandboxMetadata {
  string name = 1;
  string uid = 2;
  string namespace = 3;
  uint32 attempt = 4;
}

message PodSandboxStateValue {
  PodSandboxState state = 1;
}

message PodSandboxFilter {
  string id = 1;
  PodSandboxStateValue state = 2;
  map<string, string> label_selector = 3;
}

message ListPodSandboxRequest {
  PodSandboxFilter filter = 1;
}

message PodSandbox {
  string id = 1;
  PodSandboxMetadata metadata = 2;
  PodSandboxState state = 3;
  int64 created_at = 4;
  map<string, string> labels = 5;
  map<string, string> annotations = 6;
  string runtime_handler = 7;
}

message ListPodSandboxResponse {
  repeated PodSandbox items = 1;
}

message PodSandboxStatusRequest {
  string pod_sandbox_id = 1;
  bool verbose = 2;
}

message PodIP {
  string ip = 1;
}

message PodSandboxNetworkStatus {
  string ip = 1;
  repeated PodIP additional_ips = 2;
}

message NamespaceOption {
  NamespaceMode network = 1;
  NamespaceMode pid = 2;
  NamespaceMode ipc = 3;
  string target_id = 4;
}

// Field 1 of Namespace is gone from both APIs; only the options remain.
message Namespace {
  NamespaceOption options = 2;
}

message LinuxPodSandboxStatus {
  Namespace namespaces = 1;
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

message StopPodSandboxRequest {
  string pod_sandbox_id = 1;
}

message StopPodSandboxResponse {}

message RemovePodSandboxRequest {
  string pod_sandbox_id = 1;
}

message RemovePodSandboxResponse {}
`;
}

export type RuntimeMethod = 'Version' | 'Status' | 'ListPodSandbox' | 'PodSandboxStatus' | 'StopPodSandbox' | 'RemovePodSandbox';

/** Serializers for each method of one API's RuntimeService. Messages are plain objects in camelCase. */
export type RuntimeServiceDefinition = Record<RuntimeMethod, MethodDefinition<object, unknown>>;

/**
 * How decoded messages look: camelCase field names, int64 as decimal strings, enums by name,
 * and every field present (scalars at their zero value, absent sub-messages as null).
 */
export const DECODE_OPTIONS = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  arrays: true,
  objects: true,
} as const;

let loaded: Record<CriApi, RuntimeServiceDefinition> | undefined;

/**
 * The method definitions of both APIs. proto-loader only reads files, so the first call writes
 * the text into `scratchDir` (a private directory the caller owns) and loads it from there;
 * later calls reuse the result.
 */
export async function loadRuntimeServices(scratchDir: string): Promise<Record<CriApi, RuntimeServiceDefinition>> {
  if (loaded) return loaded;
  const files: string[] = [];
  for (const api of CRI_APIS) {
    const file = join(scratchDir, `runtime-${api}.proto`);
    await writeFile(file, criProtoText(api), { mode: 0o600 });
    files.push(file);
  }
  // Loaded on first use, as gRPC is (start-up time of commands that never talk CRI).
  const { loadSync } = await import('@grpc/proto-loader');
  const definition = loadSync(files, DECODE_OPTIONS);
  const pick = (api: CriApi): RuntimeServiceDefinition => {
    const service = definition[`runtime.${api}.RuntimeService`] as ServiceDefinition | undefined;
    if (!service) throw new Error(`internal: runtime.${api}.RuntimeService missing from the CRI proto`);
    return service as unknown as RuntimeServiceDefinition;
  };
  loaded = { v1: pick('v1'), v1alpha2: pick('v1alpha2') };
  return loaded;
}
