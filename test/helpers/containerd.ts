/**
 * A real containerd (the distribution's package) for tests: its own config, root, state and
 * sockets in a temporary directory, no CNI configuration (so CRI reports NetworkReady false).
 * Needs root, like containerd itself. `stop()` kills it and removes the directory.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Metadata, credentials, status as grpcStatus, type ServiceError } from '@grpc/grpc-js';

export const CONTAINERD_BIN = process.env.SLIPWAY_TEST_CONTAINERD ?? '/usr/bin/containerd';

export interface Containerd {
  /** The temporary directory holding config, root, state and sockets. */
  readonly dir: string;
  /** containerd's gRPC socket (CRI is served on it). */
  readonly socket: string;
  /** As `containerd --version` prints it, e.g. `1.6.20~ds1`. */
  readonly version: string;
  readonly pid: number;
  /** containerd's log so far (stderr). */
  log(): string;
  /** SIGTERM, then SIGKILL after 5 s; removes the directory. Idempotent. */
  stop(): Promise<void>;
}

/** Version of the containerd binary, or undefined when it is not installed. */
export async function containerdVersion(bin = CONTAINERD_BIN): Promise<string | undefined> {
  try {
    await access(bin, constants.X_OK);
  } catch {
    return undefined;
  }
  const { stdout } = await promisify(execFile)(bin, ['--version']);
  // "containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u3"
  return stdout.trim().split(/\s+/)[2] ?? stdout.trim();
}

export async function startContainerd(options: { readyTimeoutMs?: number } = {}): Promise<Containerd> {
  const version = await containerdVersion();
  if (version === undefined) {
    throw new Error(`containerd is not installed (${CONTAINERD_BIN} is missing): apt-get install containerd`);
  }
  if (process.getuid?.() !== 0) {
    throw new Error('containerd needs root to start: run these tests as root (as CI does)');
  }
  const dir = await mkdtemp(join(tmpdir(), 'slipway-ctd-'));
  const socket = join(dir, 'containerd.sock');
  const cniDir = join(dir, 'cni');
  await mkdir(cniDir);
  await writeFile(join(dir, 'config.toml'), configToml(dir, socket, cniDir));

  const child = spawn(CONTAINERD_BIN, ['--config', join(dir, 'config.toml')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    log = (log + chunk).slice(-64 * 1024);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const handle: Containerd = {
    dir,
    socket,
    version,
    pid: child.pid ?? -1,
    log: () => log,
    stop: () => {
      stopping ??= (async () => {
        process.off('exit', killOnExit);
        await terminate(child, exited);
        await rm(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };

  try {
    await waitUntilCriAnswers(socket, child, options.readyTimeoutMs ?? 20_000);
  } catch (err) {
    await handle.stop();
    throw new Error(`${(err as Error).message}\ncontainerd log:\n${log.split('\n').slice(-20).join('\n')}`, { cause: err });
  }
  return handle;
}

function configToml(dir: string, socket: string, cniDir: string): string {
  const q = (s: string): string => JSON.stringify(s);
  // Plugins that cannot work here or are not needed are disabled to keep start-up fast and quiet.
  return `version = 2
root = ${q(join(dir, 'root'))}
state = ${q(join(dir, 'state'))}
disabled_plugins = [
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
]

[grpc]
  address = ${q(socket)}

[ttrpc]
  address = ${q(`${socket}.ttrpc`)}

[plugins."io.containerd.internal.v1.opt"]
  path = ${q(join(dir, 'opt'))}

[plugins."io.containerd.grpc.v1.cri".cni]
  conf_dir = ${q(cniDir)}
  bin_dir = ${q(cniDir)}
`;
}

async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Ready means a CRI Version call answers (the CRI plugin refuses calls until it has initialised).
 * The call is made with raw bytes, independent of the code under test.
 */
async function waitUntilCriAnswers(socket: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const alive = (): void => {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`containerd exited (${child.exitCode ?? child.signalCode}) before its socket answered`);
    }
  };
  while (!(await canConnect(socket))) {
    alive();
    if (Date.now() > deadline) throw new Error(`containerd did not open ${socket} within ${timeoutMs} ms`);
    await sleep(25);
  }
  const client = new Client(`unix://${socket}`, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  try {
    let last: unknown;
    while (Date.now() < deadline) {
      alive();
      for (const api of ['v1', 'v1alpha2']) {
        try {
          await rawUnary(client, `/runtime.${api}.RuntimeService/Version`, deadline);
          return;
        } catch (err) {
          last = err;
          if ((err as ServiceError).code !== grpcStatus.UNIMPLEMENTED) break;
        }
      }
      await sleep(25);
    }
    throw new Error(`containerd's CRI did not answer within ${timeoutMs} ms: ${(last as Error | undefined)?.message}`);
  } finally {
    client.close();
  }
}

function rawUnary(client: Client, path: string, deadline: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest<Buffer, Buffer>(
      path,
      (b) => b,
      (b) => b,
      Buffer.alloc(0),
      new Metadata({ waitForReady: true }),
      { deadline },
      (err, value) => (err ? reject(err) : resolve(value ?? Buffer.alloc(0))),
    );
  });
}

function canConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
