/**
 * A CRI RuntimeService client over any byte stream: real gRPC calls, through a local proxy
 * socket (see proxy.ts), to `runtime.v1` and `runtime.v1alpha2` on one channel.
 */
import type { Client, ServiceError } from '@grpc/grpc-js';
import type { Duplex } from 'node:stream';
import {
  CriCallError,
  CriError,
  CriUnavailableError,
  CriUnimplementedError,
  type CriCallSite,
} from './errors.js';
import { CRI_APIS, loadRuntimeServices, type CriApi, type RuntimeMethod, type RuntimeServiceDefinition } from './proto.js';
import { startStreamProxy, type StreamProxy } from './proxy.js';

export interface CriVersion {
  api: CriApi;
  /** The `version` field: the kubelet API version the runtime speaks (`0.1.0` on containerd). */
  version: string;
  runtimeName: string;
  runtimeVersion: string;
  /** The API the runtime says it answered with: `v1` or `v1alpha2`. */
  runtimeApiVersion: string;
}

export interface CriCondition {
  /** `RuntimeReady`, `NetworkReady`, or a runtime's own optional condition. */
  type: string;
  status: boolean;
  reason: string;
  message: string;
}

export interface CriStatus {
  conditions: CriCondition[];
  /** Extra runtime information by key (values often JSON), only filled on a verbose request. */
  info: Record<string, string>;
}

export type PodSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';

export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}

export interface PodSandbox {
  id: string;
  metadata: PodSandboxMetadata | null;
  /** By name; a state this client does not know stays as its number in a string. */
  state: PodSandboxState | string;
  /** Creation time in nanoseconds since the epoch. */
  createdAtNs: bigint;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  runtimeHandler: string;
}

export interface PodSandboxNamespaces {
  network: NamespaceMode | string;
  pid: NamespaceMode | string;
  ipc: NamespaceMode | string;
  targetId: string;
}

export interface PodSandboxStatus extends PodSandbox {
  /** Pod IPs; null when the runtime does not handle the network (e.g. host network). */
  network: { ip: string; additionalIps: string[] } | null;
  /** `linux.namespaces.options`; null when the runtime does not report them. */
  namespaces: PodSandboxNamespaces | null;
  /** True when the sandbox runs in the node's network namespace (`namespaces.network == NODE`). */
  hostNetwork: boolean;
  /** Verbose information (JSON strings by key), only on a verbose request. */
  info: Record<string, string>;
}

export interface PodSandboxFilter {
  id?: string;
  state?: PodSandboxState;
  labelSelector?: Record<string, string>;
}

export interface CriClientOptions {
  /** Deadline of each call. Default 10 s. */
  timeoutMs?: number;
  /** Prefix of error messages, e.g. the inventory name of the node. */
  host?: string;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** What the kubelet puts in VersionRequest.version; runtimes do not act on it. */
const KUBELET_RUNTIME_API_VERSION = '0.1.0';

/**
 * Opens streams with `open()` only when a call needs a connection: one stream per gRPC
 * connection, normally one for the client's whole life, shared by both APIs. Always `close()`.
 */
type GrpcJs = typeof import('@grpc/grpc-js');
let grpcJs: GrpcJs | undefined;

/** gRPC is loaded when a CRI client first connects: commands that never talk CRI do not pay for it at start-up. */
async function loadGrpc(): Promise<GrpcJs> {
  grpcJs ??= await import('@grpc/grpc-js');
  return grpcJs;
}

export class CriClient {
  readonly #g: GrpcJs;
  readonly #proxy: StreamProxy;
  readonly #grpc: Client;
  readonly #services: Record<CriApi, RuntimeServiceDefinition>;
  readonly #timeoutMs: number;
  readonly #host: string | undefined;
  #closing: Promise<void> | undefined;

  private constructor(
    g: GrpcJs,
    proxy: StreamProxy,
    grpc: Client,
    services: Record<CriApi, RuntimeServiceDefinition>,
    options: CriClientOptions,
  ) {
    this.#g = g;
    this.#proxy = proxy;
    this.#grpc = grpc;
    this.#services = services;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#host = options.host;
  }

  /** Starts the local proxy and the gRPC channel. Nothing is opened towards the runtime yet. */
  static async connect(open: () => Promise<Duplex>, options: CriClientOptions = {}): Promise<CriClient> {
    const g = await loadGrpc();
    const proxy = await startStreamProxy(open);
    try {
      const services = await loadRuntimeServices(proxy.dir);
      const grpc = new g.Client(proxy.address, g.credentials.createInsecure(), {
        // A channel of its own, so that closing it closes its connection now.
        'grpc.use_local_subchannel_pool': 1,
        // The runtime either answers or does not; retrying hides which.
        'grpc.enable_retries': 0,
        // Status answers can be large (verbose info); containerd allows 16 MiB.
        'grpc.max_receive_message_length': 16 * 1024 * 1024,
      });
      return new CriClient(g, proxy, grpc, services, options);
    } catch (err) {
      await proxy.close();
      throw err;
    }
  }

  /** The local socket grpc-js dials (inside a private temporary directory). */
  get proxySocketPath(): string {
    return this.#proxy.socketPath;
  }

  /** `RuntimeService/Version`. Throws CriUnimplementedError when the runtime does not serve `api`. */
  async version(api: CriApi): Promise<CriVersion> {
    const res = await this.#call<VersionResponseMsg>(api, 'Version', { version: KUBELET_RUNTIME_API_VERSION });
    return {
      api,
      version: res.version,
      runtimeName: res.runtimeName,
      runtimeVersion: res.runtimeVersion,
      runtimeApiVersion: res.runtimeApiVersion,
    };
  }

  /** `RuntimeService/Status`: RuntimeReady, NetworkReady and the runtime's other conditions. */
  async status(api: CriApi, options: { verbose?: boolean } = {}): Promise<CriStatus> {
    const res = await this.#call<StatusResponseMsg>(api, 'Status', { verbose: options.verbose ?? false });
    return {
      conditions: (res.status?.conditions ?? []).map((c) => ({
        type: c.type,
        status: c.status,
        reason: c.reason,
        message: c.message,
      })),
      info: { ...res.info },
    };
  }

  /** `RuntimeService/ListPodSandbox`, all sandboxes or those matching `filter` (fields ANDed). */
  async listPodSandboxes(api: CriApi, filter: PodSandboxFilter = {}): Promise<PodSandbox[]> {
    const request = {
      filter: {
        id: filter.id ?? '',
        state: filter.state === undefined ? null : { state: filter.state },
        labelSelector: filter.labelSelector ?? {},
      },
    };
    const res = await this.#call<ListPodSandboxResponseMsg>(api, 'ListPodSandbox', request);
    return res.items.map(toPodSandbox);
  }

  /** `RuntimeService/PodSandboxStatus`. An unknown id gives CriCallError with code NOT_FOUND. */
  async podSandboxStatus(api: CriApi, id: string, options: { verbose?: boolean } = {}): Promise<PodSandboxStatus> {
    const res = await this.#call<PodSandboxStatusResponseMsg>(api, 'PodSandboxStatus', {
      podSandboxId: id,
      verbose: options.verbose ?? false,
    });
    if (!res.status) {
      throw new CriCallError(this.#site(api, 'PodSandboxStatus'), 'EMPTY', `no status for pod sandbox ${id}`);
    }
    const s = res.status;
    const opts = s.linux?.namespaces?.options ?? null;
    const namespaces: PodSandboxNamespaces | null = opts
      ? { network: String(opts.network), pid: String(opts.pid), ipc: String(opts.ipc), targetId: opts.targetId }
      : null;
    return {
      ...toPodSandbox(s),
      network: s.network ? { ip: s.network.ip, additionalIps: s.network.additionalIps.map((p) => p.ip) } : null,
      namespaces,
      hostNetwork: namespaces?.network === 'NODE',
      info: { ...res.info },
    };
  }

  /** `RuntimeService/StopPodSandbox` (idempotent on the runtime's side). */
  async stopPodSandbox(api: CriApi, id: string): Promise<void> {
    await this.#call(api, 'StopPodSandbox', { podSandboxId: id });
  }

  /** `RuntimeService/RemovePodSandbox` (idempotent on the runtime's side; stops first if needed). */
  async removePodSandbox(api: CriApi, id: string): Promise<void> {
    await this.#call(api, 'RemovePodSandbox', { podSandboxId: id });
  }

  /** Closes the gRPC channel, every forwarded stream and the proxy, and removes its directory. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#grpc.close();
      await this.#proxy.close();
    })();
    return this.#closing;
  }

  #site(api: CriApi, method: RuntimeMethod): CriCallSite {
    return { host: this.#host, api, method };
  }

  #call<Res>(api: CriApi, method: RuntimeMethod, request: object): Promise<Res> {
    const site = this.#site(api, method);
    if (this.#closing) {
      return Promise.reject(new CriUnavailableError(site, 'closed', 'the CRI client is closed'));
    }
    const def = this.#services[api][method];
    return new Promise<Res>((resolve, reject) => {
      this.#grpc.makeUnaryRequest<object, unknown>(
        def.path,
        def.requestSerialize,
        def.responseDeserialize,
        request,
        new this.#g.Metadata(),
        { deadline: Date.now() + this.#timeoutMs },
        (err, value) => {
          if (err) reject(this.#toCriError(site, err));
          else resolve(value as Res);
        },
      );
    });
  }

  #toCriError(site: CriCallSite, err: ServiceError): CriError {
    const details = err.details || err.message;
    const streamError = this.#proxy.lastStreamError();
    const grpcStatus = this.#g.status;
    switch (err.code) {
      case grpcStatus.UNIMPLEMENTED:
        return new CriUnimplementedError(site, details, { cause: err });
      case grpcStatus.UNAVAILABLE:
        return new CriUnavailableError(site, 'unreachable', streamError ? streamError.message : details, {
          cause: streamError ?? err,
        });
      case grpcStatus.DEADLINE_EXCEEDED: {
        const waited = `no answer within ${formatMs(this.#timeoutMs)}`;
        return new CriUnavailableError(site, 'timeout', streamError ? `${waited} (${streamError.message})` : waited, {
          cause: streamError ?? err,
        });
      }
      case grpcStatus.CANCELLED:
        if (this.#closing) return new CriUnavailableError(site, 'closed', 'the CRI client was closed during the call', { cause: err });
        return new CriCallError(site, 'CANCELLED', details, { cause: err });
      default:
        return new CriCallError(site, grpcStatus[err.code] ?? String(err.code), details, { cause: err });
    }
  }
}

export type CriProbe = Record<CriApi, CriVersion | { error: string; unimplemented: boolean }>;

/**
 * Asks `Version` over every CRI API. Each entry is the answer, or why there is none:
 * `unimplemented: true` when the runtime said it does not serve that API.
 * A runtime that cannot be reached at all is not a probe result: that throws CriUnavailableError.
 */
export async function probeCriApis(client: CriClient): Promise<CriProbe> {
  const result: Partial<CriProbe> = {};
  for (const api of CRI_APIS) {
    try {
      result[api] = await client.version(api);
    } catch (err) {
      if (err instanceof CriUnimplementedError || err instanceof CriCallError) {
        result[api] = { error: err.message, unimplemented: err instanceof CriUnimplementedError };
      } else {
        throw err;
      }
    }
  }
  return result as CriProbe;
}

/** True when the probe says the runtime answers over `api`. */
export function servesCriApi(probe: CriProbe, api: CriApi): boolean {
  return !('error' in probe[api]);
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function toPodSandbox(s: PodSandboxMsg): PodSandbox {
  return {
    id: s.id,
    metadata: s.metadata
      ? { name: s.metadata.name, uid: s.metadata.uid, namespace: s.metadata.namespace, attempt: s.metadata.attempt }
      : null,
    state: String(s.state),
    createdAtNs: BigInt(s.createdAt),
    labels: { ...s.labels },
    annotations: { ...s.annotations },
    runtimeHandler: s.runtimeHandler,
  };
}

// Decoded messages, as proto-loader hands them over with DECODE_OPTIONS (see proto.ts).
interface VersionResponseMsg {
  version: string;
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}
interface StatusResponseMsg {
  status: { conditions: Array<{ type: string; status: boolean; reason: string; message: string }> } | null;
  info: Record<string, string>;
}
interface PodSandboxMsg {
  id: string;
  metadata: { name: string; uid: string; namespace: string; attempt: number } | null;
  state: string;
  createdAt: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  runtimeHandler: string;
}
interface ListPodSandboxResponseMsg {
  items: PodSandboxMsg[];
}
interface PodSandboxStatusResponseMsg {
  status:
    | (PodSandboxMsg & {
        network: { ip: string; additionalIps: Array<{ ip: string }> } | null;
        linux: { namespaces: { options: { network: string; pid: string; ipc: string; targetId: string } | null } | null } | null;
      })
    | null;
  info: Record<string, string>;
}
