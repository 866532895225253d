/**
 * A container runtime for the cri.* step tests: a real gRPC server on a unix socket serving the
 * CRI RuntimeService over the APIs asked for (containerd 1.4 serves only v1alpha2), with pod
 * sandboxes kept in memory. Other APIs answer UNIMPLEMENTED, as real runtimes do.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server, ServerCredentials, status, type sendUnaryData, type ServerUnaryCall, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { criProtoText, type CriApi } from '../../../src/transport/cri/index.js';
import { DECODE_OPTIONS } from '../../../src/transport/cri/proto.js';

export interface FakeSandbox {
  id: string;
  name: string;
  namespace: string;
  hostNetwork: boolean;
  ready: boolean;
}

export interface FakeRuntimeOptions {
  apis: CriApi[];
  runtimeName?: string;
  runtimeVersion?: string;
  runtimeReady?: boolean;
  networkReady?: boolean;
  sandboxes?: FakeSandbox[];
}

export interface FakeRuntime {
  socket: string;
  options: FakeRuntimeOptions;
  sandboxes: FakeSandbox[];
  /** RPCs served, as `api/Method id`. */
  calls: string[];
  stop(): Promise<void>;
}

type Call = ServerUnaryCall<Record<string, unknown>, unknown>;
type Callback = sendUnaryData<unknown>;

/** A directory for sockets, removed by `cleanup`. */
export async function socketDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-fake-cri-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function startFakeRuntime(socket: string, options: FakeRuntimeOptions): Promise<FakeRuntime> {
  const runtime: FakeRuntime = {
    socket,
    options,
    sandboxes: [...(options.sandboxes ?? [])],
    calls: [],
    stop: async () => undefined,
  };
  const server = new Server();
  const protoDir = await mkdtemp(join(tmpdir(), 'slipway-fake-cri-proto-'));
  for (const api of options.apis) {
    const file = join(protoDir, `${api}.proto`);
    await writeFile(file, criProtoText(api));
    const service = loadSync(file, DECODE_OPTIONS)[`runtime.${api}.RuntimeService`] as ServiceDefinition;
    const find = (call: Call, cb: Callback): FakeSandbox | undefined => {
      const s = runtime.sandboxes.find((x) => x.id === call.request.podSandboxId);
      if (!s) cb({ code: status.NOT_FOUND, details: `an error occurred when try to find sandbox "${String(call.request.podSandboxId)}": not found` });
      return s;
    };
    const statusOf = (s: FakeSandbox): Record<string, unknown> => ({
      id: s.id,
      metadata: { name: s.name, uid: `${s.name}-uid`, namespace: s.namespace, attempt: 0 },
      state: s.ready ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY',
      createdAt: '1700000000000000000',
      network: s.hostNetwork ? null : { ip: '10.88.0.5', additionalIps: [] },
      linux: { namespaces: { options: { network: s.hostNetwork ? 'NODE' : 'POD', pid: 'CONTAINER', ipc: 'POD', targetId: '' } } },
      labels: {},
      annotations: {},
      runtimeHandler: '',
    });
    server.addService(service, {
      Version: (_call: Call, cb: Callback) => {
        runtime.calls.push(`${api}/Version`);
        cb(null, {
          version: '0.1.0',
          runtimeName: options.runtimeName ?? 'containerd',
          runtimeVersion: options.runtimeVersion ?? 'v1.7.24',
          runtimeApiVersion: api,
        });
      },
      Status: (_call: Call, cb: Callback) => {
        runtime.calls.push(`${api}/Status`);
        cb(null, {
          status: {
            conditions: [
              { type: 'RuntimeReady', status: options.runtimeReady ?? true, reason: options.runtimeReady === false ? 'Starting' : '', message: '' },
              {
                type: 'NetworkReady',
                status: options.networkReady ?? false,
                reason: options.networkReady ? '' : 'NetworkPluginNotReady',
                message: options.networkReady ? '' : 'Network plugin returns error: cni plugin not initialized',
              },
            ],
          },
          info: {},
        });
      },
      ListPodSandbox: (_call: Call, cb: Callback) => {
        runtime.calls.push(`${api}/ListPodSandbox`);
        cb(null, { items: runtime.sandboxes.map((s) => ({ ...statusOf(s), network: undefined, linux: undefined })) });
      },
      PodSandboxStatus: (call: Call, cb: Callback) => {
        runtime.calls.push(`${api}/PodSandboxStatus ${String(call.request.podSandboxId)}`);
        const s = find(call, cb);
        if (s) cb(null, { status: statusOf(s), info: {} });
      },
      StopPodSandbox: (call: Call, cb: Callback) => {
        runtime.calls.push(`${api}/StopPodSandbox ${String(call.request.podSandboxId)}`);
        const s = find(call, cb);
        if (!s) return;
        s.ready = false;
        cb(null, {});
      },
      RemovePodSandbox: (call: Call, cb: Callback) => {
        runtime.calls.push(`${api}/RemovePodSandbox ${String(call.request.podSandboxId)}`);
        runtime.sandboxes = runtime.sandboxes.filter((s) => s.id !== call.request.podSandboxId);
        cb(null, {});
      },
    });
  }
  await new Promise<void>((res, rej) => server.bindAsync(`unix://${socket}`, ServerCredentials.createInsecure(), (err) => (err ? rej(err) : res())));
  runtime.stop = async () => {
    await new Promise<void>((r) => server.tryShutdown(() => r()));
    await rm(protoDir, { recursive: true, force: true });
  };
  return runtime;
}
