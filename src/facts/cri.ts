/**
 * CRI facts: which API versions the node's runtime actually answers, from live gRPC calls to
 * `runtime.v1.RuntimeService/Version` and its `runtime.v1alpha2` twin over the SSH connection
 * (streamlocal forwarding to the runtime's socket), not from a version table. The version and
 * the config then explain why (src/kb/).
 */
import { CriClient, CriUnavailableError, probeCriApis, type CriProbe } from '../transport/cri/index.js';
import type { Remote } from '../transport/types.js';
import type { ExecLimits } from './exec-options.js';

export interface CriFacts {
  /** The socket asked; undefined when the node serves none. */
  socket: string | undefined;
  /** true: answered; false: UNIMPLEMENTED (the runtime does not serve it); undefined: no answer. */
  v1: boolean | undefined;
  v1alpha2: boolean | undefined;
  /** What the runtime says it is, from whichever API answered. */
  runtimeName: string | undefined;
  runtimeVersion: string | undefined;
  /** Why nothing is known, when the runtime could not be asked. */
  error: string | undefined;
}

const UNKNOWN = { v1: undefined, v1alpha2: undefined, runtimeName: undefined, runtimeVersion: undefined } as const;

/** The facts a Version probe of both APIs gives. Pure. */
export function criFactsFromProbe(socket: string, probe: CriProbe): CriFacts {
  const served = (api: keyof CriProbe): boolean | undefined => {
    const answer = probe[api];
    if (!('error' in answer)) return true;
    return answer.unimplemented ? false : undefined;
  };
  const answered = [probe.v1, probe.v1alpha2].find((a) => !('error' in a));
  return {
    socket,
    v1: served('v1'),
    v1alpha2: served('v1alpha2'),
    runtimeName: answered && !('error' in answered) ? answered.runtimeName : undefined,
    runtimeVersion: answered && !('error' in answered) ? answered.runtimeVersion : undefined,
    error: answered ? undefined : [probe.v1, probe.v1alpha2].map((a) => ('error' in a ? a.error : '')).find(Boolean),
  };
}

/** Asks the runtime on `socket`; a runtime that cannot be reached gives unknown facts with the reason. */
export async function probeCriFacts(remote: Remote, socket: string | undefined, limits: ExecLimits = {}): Promise<CriFacts> {
  if (socket === undefined) return { socket, ...UNKNOWN, error: 'no CRI socket is served on the node' };
  const timeoutMs = Math.max(1000, Math.min(10_000, limits.timeoutMs ?? 10_000));
  try {
    const client = await CriClient.connect(() => remote.openUnixSocket(socket), { host: remote.host, timeoutMs });
    try {
      return criFactsFromProbe(socket, await probeCriApis(client));
    } finally {
      await client.close();
    }
  } catch (err) {
    // Nothing answers on the socket: unknown. A lost SSH connection is the transport's failure.
    if (err instanceof CriUnavailableError) return { socket, ...UNKNOWN, error: err.message };
    throw err;
  }
}
