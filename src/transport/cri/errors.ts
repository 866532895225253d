import { SlipwayError } from '../../errors.js';
import type { CriApi, RuntimeMethod } from './proto.js';

/** Which call failed. `host` (when the caller named one) prefixes the message, like TransportError. */
export interface CriCallSite {
  host: string | undefined;
  api: CriApi;
  method: RuntimeMethod;
}

function rpcName(site: CriCallSite): string {
  return `runtime.${site.api}.RuntimeService/${site.method}`;
}

/** A CRI call did not give an answer. */
export class CriError extends SlipwayError {
  readonly host: string | undefined;
  readonly api: CriApi;
  readonly method: RuntimeMethod;
  constructor(site: CriCallSite, message: string, options: { cause?: unknown } = {}) {
    super(site.host ? `${site.host}: ${message}` : message, options);
    this.host = site.host;
    this.api = site.api;
    this.method = site.method;
  }
}

/**
 * The runtime answered, and said it does not serve this API (gRPC UNIMPLEMENTED, e.g. "unknown
 * service runtime.v1.RuntimeService" from containerd 1.4). The socket works; the API is missing.
 */
export class CriUnimplementedError extends CriError {
  /** The runtime's own words, e.g. `unknown service runtime.v1.RuntimeService`. */
  readonly details: string;
  constructor(site: CriCallSite, details: string, options: { cause?: unknown } = {}) {
    super(site, `the container runtime does not serve CRI ${site.api}: ${rpcName(site)} answered UNIMPLEMENTED (${details})`, options);
    this.details = details;
  }
}

export type CriUnavailableReason =
  /** The runtime's socket could not be opened, or the connection broke (absent, refused, reset). */
  | 'unreachable'
  /** No answer within the deadline. */
  | 'timeout'
  /** The client was closed while the call was under way. */
  | 'closed';

/** The runtime could not be asked at all: nothing can be said about which APIs it serves. */
export class CriUnavailableError extends CriError {
  readonly reason: CriUnavailableReason;
  constructor(site: CriCallSite, reason: CriUnavailableReason, detail: string, options: { cause?: unknown } = {}) {
    super(site, `cannot reach the container runtime over CRI (${rpcName(site)}): ${detail}`, options);
    this.reason = reason;
  }
}

/** The runtime answered with an error other than UNIMPLEMENTED (NOT_FOUND, INTERNAL, ...). */
export class CriCallError extends CriError {
  /** gRPC status name, e.g. `NOT_FOUND`. */
  readonly code: string;
  /** The runtime's message. */
  readonly details: string;
  constructor(site: CriCallSite, code: string, details: string, options: { cause?: unknown } = {}) {
    super(site, `${rpcName(site)} failed: ${code}: ${details}`, options);
    this.code = code;
    this.details = details;
  }
}
