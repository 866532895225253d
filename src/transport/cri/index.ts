export {
  CriClient,
  probeCriApis,
  servesCriApi,
  type CriClientOptions,
  type CriCondition,
  type CriProbe,
  type CriStatus,
  type CriVersion,
  type NamespaceMode,
  type PodSandbox,
  type PodSandboxFilter,
  type PodSandboxMetadata,
  type PodSandboxNamespaces,
  type PodSandboxState,
  type PodSandboxStatus,
} from './client.js';
export {
  CriCallError,
  CriError,
  CriUnavailableError,
  CriUnimplementedError,
  type CriCallSite,
  type CriUnavailableReason,
} from './errors.js';
export { CRI_APIS, criProtoText, type CriApi, type RuntimeMethod } from './proto.js';
export { openLocalSocket } from './proxy.js';
