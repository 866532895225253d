/**
 * What the `cri.*` steps share: which socket the node's runtime serves, and a CRI client over
 * the transport (`remote.openUnixSocket`), always closed after use.
 */
import { probeNodeFacts, type NodeFacts } from '../../facts/node.js';
import { CriClient, CriUnimplementedError, type CriApi } from '../../transport/cri/index.js';
import type { StepContext } from '../types.js';

/** containerd's socket: the default when the node's facts name none. */
export const DEFAULT_CRI_SOCKET = '/run/containerd/containerd.sock';

/** Per-call deadline of CRI calls: short, but never longer than the step. */
export function criCallTimeoutMs(ctx: Pick<StepContext, 'timeoutMs'>): number {
  return Math.max(1000, Math.min(10_000, ctx.timeoutMs));
}

/** The socket to use: the param, else the runtime the node facts found, else containerd's. */
export function socketFrom(param: string | undefined, facts: Pick<NodeFacts, 'runtime'> | undefined): string {
  return param ?? facts?.runtime.socket ?? DEFAULT_CRI_SOCKET;
}

export async function nodeFactsFor(ctx: StepContext): Promise<NodeFacts> {
  return probeNodeFacts(ctx.remote, ctx);
}

/** Runs `fn` with a CRI client on the node's `socket`; the client is closed afterwards. */
export async function withCriClient<T>(ctx: StepContext, socket: string, fn: (client: CriClient) => Promise<T>): Promise<T> {
  const client = await CriClient.connect(() => ctx.remote.openUnixSocket(socket), {
    host: ctx.remote.host,
    timeoutMs: criCallTimeoutMs(ctx),
  });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/**
 * The API to talk to the runtime with: v1 when it serves it, else v1alpha2 (containerd < 1.6).
 * Throws CriUnavailableError when the runtime cannot be reached.
 */
export async function pickCriApi(client: CriClient): Promise<CriApi> {
  try {
    await client.version('v1');
    return 'v1';
  } catch (err) {
    if (!(err instanceof CriUnimplementedError)) throw err;
  }
  await client.version('v1alpha2');
  return 'v1alpha2';
}
