/**
 * A local unix-socket listener that hands every accepted connection to a fresh stream from
 * `open()` (over SSH: a streamlocal channel to the runtime's socket on the node). grpc-js dials
 * its addresses itself and cannot be given a Duplex, so it dials this listener instead.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';

/** Longest unix socket path Linux accepts (sun_path is 108 bytes, NUL included). */
const MAX_SOCKET_PATH = 107;

export interface StreamProxy {
  /** The private directory (mode 0700) that holds the socket; removed by `close()`. */
  readonly dir: string;
  readonly socketPath: string;
  /** What grpc-js dials: `unix://<socketPath>`. */
  readonly address: string;
  /**
   * The last failure of `open()` or of an opened stream, cleared when a stream opens cleanly.
   * This is what grpc-js reports only as "connection closed".
   */
  lastStreamError(): Error | undefined;
  /** Connections being forwarded now. */
  activeConnections(): number;
  /** Stops listening, destroys every forwarded connection, removes the directory. Idempotent. */
  close(): Promise<void>;
}

export async function startStreamProxy(open: () => Promise<Duplex>): Promise<StreamProxy> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-cri-'));
  try {
    await chmod(dir, 0o700);
    const socketPath = join(dir, 'cri.sock');
    if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
      throw new Error(`the CRI proxy socket path is too long for a unix socket (${socketPath}); set TMPDIR to a shorter directory`);
    }
    return await listen(dir, socketPath, open);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

async function listen(dir: string, socketPath: string, open: () => Promise<Duplex>): Promise<StreamProxy> {
  const live = new Set<{ local: Socket; remote: Duplex | undefined }>();
  let lastError: Error | undefined;
  let closed = false;

  // Half-open: each direction ends on its own, as the two pipes forward the ends.
  const server: Server = createServer({ allowHalfOpen: true }, (local) => {
    const pair: { local: Socket; remote: Duplex | undefined } = { local, remote: undefined };
    live.add(pair);
    const drop = (): void => {
      live.delete(pair);
      local.destroy();
      pair.remote?.destroy();
    };
    local.on('error', drop);
    local.on('close', drop);
    // The local socket stays paused (no reader yet) until the remote stream exists, so the
    // bytes grpc-js writes first wait in its buffer.
    open().then(
      (remote) => {
        if (closed || local.destroyed) {
          remote.destroy();
          return;
        }
        if (remote.destroyed) {
          lastError = remote.errored ?? new Error('the stream closed before it was used');
          drop();
          return;
        }
        pair.remote = remote;
        remote.on('error', (err: Error) => {
          lastError = err;
          drop();
        });
        remote.on('close', drop);
        local.pipe(remote);
        remote.pipe(local);
        remote.once('data', () => {
          lastError = undefined;
        });
      },
      (err: unknown) => {
        lastError = err instanceof Error ? err : new Error(String(err));
        drop();
      },
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chmod(socketPath, 0o600);

  let closing: Promise<void> | undefined;
  return {
    dir,
    socketPath,
    address: `unix://${socketPath}`,
    lastStreamError: () => lastError,
    activeConnections: () => live.size,
    close: () => {
      closing ??= (async () => {
        closed = true;
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const pair of [...live]) {
          pair.local.destroy();
          pair.remote?.destroy();
        }
        live.clear();
        await stopped;
        await rm(dir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}

/**
 * Opens a unix socket on this machine, settling once it is connected (or has failed), for
 * `open` factories on the operator's machine and in tests.
 */
export function openLocalSocket(path: string): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(path);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}
