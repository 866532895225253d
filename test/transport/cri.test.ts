import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import {
  Server,
  ServerCredentials,
  status,
  type handleUnaryCall,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CriCallError,
  CriClient,
  CriUnavailableError,
  CriUnimplementedError,
  criProtoText,
  openLocalSocket,
  probeCriApis,
  servesCriApi,
} from '../../src/transport/cri/index.js';
import { DECODE_OPTIONS } from '../../src/transport/cri/proto.js';
import { startContainerd, type Containerd } from '../helpers/containerd.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Clients made in a test, closed after it whatever happens. */
async function withClient<T>(open: () => Promise<Duplex>, fn: (c: CriClient) => Promise<T>, timeoutMs = 5_000): Promise<T> {
  const client = await CriClient.connect(open, { timeoutMs });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

describe('CriClient against a real containerd', () => {
  let ctd: Containerd;
  let major: number;
  const open = async (): Promise<Duplex> => connect(ctd.socket);

  beforeAll(async () => {
    ctd = await startContainerd();
    major = Number(/(\d+)\./.exec(ctd.version)?.[1] ?? '0');
  });
  afterAll(async () => {
    await ctd?.stop();
    if (ctd) expect(existsSync(ctd.dir)).toBe(false);
  });

  it('answers Version over CRI v1', async () => {
    const v = await withClient(open, (c) => c.version('v1'));
    expect(v).toMatchObject({ api: 'v1', runtimeName: 'containerd', runtimeApiVersion: 'v1' });
    // Debian's package says 1.6.20~ds1; upstream builds say v1.6.20.
    expect(v.runtimeVersion.replace(/^v/, '')).toBe(ctd.version.replace(/^v/, ''));
  });

  it('answers Version over CRI v1alpha2 while containerd is 1.x (2.0 dropped it)', async () => {
    await withClient(open, async (c) => {
      if (major < 2) {
        expect(await c.version('v1alpha2')).toMatchObject({ api: 'v1alpha2', runtimeName: 'containerd', runtimeApiVersion: 'v1alpha2' });
      } else {
        await expect(c.version('v1alpha2')).rejects.toBeInstanceOf(CriUnimplementedError);
      }
    });
  });

  it('reports RuntimeReady and, with no CNI configuration, NetworkReady false', async () => {
    const s = await withClient(open, (c) => c.status('v1'));
    const byType = Object.fromEntries(s.conditions.map((c) => [c.type, c]));
    expect(byType['RuntimeReady']).toMatchObject({ status: true });
    expect(byType['NetworkReady']).toMatchObject({ status: false, reason: 'NetworkPluginNotReady' });
    expect(byType['NetworkReady']?.message).toMatch(/cni plugin not initialized/);
    expect(s.info).toEqual({});
  });

  it('gives verbose Status info (containerd: its CRI config as JSON, the CNI load status)', async () => {
    const s = await withClient(open, (c) => c.status('v1', { verbose: true }));
    expect(s.info['lastCNILoadStatus']).toMatch(/no network config found/);
    expect(JSON.parse(s.info['config'] ?? 'null')).toMatchObject({ containerd: { snapshotter: 'overlayfs' } });
  });

  it('probes both APIs over one stream', async () => {
    let opened = 0;
    const counting = async (): Promise<Duplex> => {
      opened++;
      return connect(ctd.socket);
    };
    const probe = await withClient(counting, (c) => probeCriApis(c));
    expect(probe.v1).toMatchObject({ runtimeApiVersion: 'v1' });
    expect(servesCriApi(probe, 'v1')).toBe(true);
    expect(servesCriApi(probe, 'v1alpha2')).toBe(major < 2);
    expect(opened).toBe(1);
  });

  it('lists no pod sandboxes on a fresh runtime, and names a missing one NOT_FOUND', async () => {
    await withClient(open, async (c) => {
      expect(await c.listPodSandboxes('v1')).toEqual([]);
      expect(await c.listPodSandboxes('v1', { state: 'SANDBOX_READY', labelSelector: { app: 'x' } })).toEqual([]);
      const err = await c.podSandboxStatus('v1', 'does-not-exist').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CriCallError);
      expect(err).toMatchObject({ code: 'NOT_FOUND', api: 'v1', method: 'PodSandboxStatus' });
      // Stop and remove are idempotent in CRI: a sandbox that is gone is not an error.
      await expect(c.removePodSandbox('v1', 'does-not-exist')).resolves.toBeUndefined();
    });
  });
});

describe('CriClient when the runtime cannot be reached', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-cri-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives CriUnavailableError quickly when the socket does not exist (stream errors after open)', async () => {
    const missing = join(dir, 'absent.sock');
    const started = Date.now();
    const err = await withClient(async () => connect(missing), (c) => c.version('v1').catch((e: unknown) => e));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(err).toBeInstanceOf(CriUnavailableError);
    expect(err).toMatchObject({ reason: 'unreachable', api: 'v1', method: 'Version' });
    expect((err as Error).message).toMatch(/ENOENT/);
  });

  it('gives CriUnavailableError when open() rejects, with its reason', async () => {
    const err = await withClient(
      () => openLocalSocket(join(dir, 'absent.sock')),
      (c) => c.status('v1alpha2').catch((e: unknown) => e),
    );
    expect(err).toBeInstanceOf(CriUnavailableError);
    expect((err as Error).message).toMatch(/cannot reach the container runtime over CRI \(runtime\.v1alpha2\.RuntimeService\/Status\): connect ENOENT/);
  });

  it('does not take "cannot reach" for "API not served": probeCriApis throws', async () => {
    await expect(withClient(() => openLocalSocket(join(dir, 'absent.sock')), (c) => probeCriApis(c))).rejects.toBeInstanceOf(
      CriUnavailableError,
    );
  });

  it('gives CriUnavailableError (timeout) when the socket accepts but never answers', async () => {
    const silent: Socket[] = [];
    const mute: NetServer = createServer((s) => silent.push(s));
    const path = join(dir, 'mute.sock');
    await new Promise<void>((r) => mute.listen(path, r));
    try {
      const started = Date.now();
      const err = await withClient(() => openLocalSocket(path), (c) => c.version('v1').catch((e: unknown) => e), 300);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(err).toBeInstanceOf(CriUnavailableError);
      expect(err).toMatchObject({ reason: 'timeout' });
      expect((err as Error).message).toMatch(/no answer within 300ms/);
    } finally {
      for (const s of silent) s.destroy();
      await new Promise<void>((r) => mute.close(() => r()));
    }
  });

  it('refuses calls after close()', async () => {
    const client = await CriClient.connect(() => openLocalSocket(join(dir, 'absent.sock')), { host: 'node-1' });
    await client.close();
    const err = await client.version('v1').catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'closed' });
    expect((err as Error).message).toMatch(/^node-1: /);
  });
});

/**
 * A runtime that serves only what containerd 1.4 serves of what slipway asks: v1alpha2, no v1.
 * Built from the same proto text as the client, so PodSandboxStatus can carry nested fields.
 */
async function startOldRuntime(dir: string): Promise<{ socket: string; stop: () => Promise<void> }> {
  const protoFile = join(dir, 'runtime-v1alpha2.proto');
  await writeFile(protoFile, criProtoText('v1alpha2'));
  const def = loadSync(protoFile, DECODE_OPTIONS)['runtime.v1alpha2.RuntimeService'] as ServiceDefinition;
  const only = (names: string[]): ServiceDefinition => Object.fromEntries(names.map((n) => [n, def[n]])) as ServiceDefinition;
  const version: handleUnaryCall<object, object> = (_call, cb) =>
    cb(null, { version: '0.1.0', runtimeName: 'containerd', runtimeVersion: 'v1.4.13', runtimeApiVersion: 'v1alpha2' });
  const podSandboxStatus: handleUnaryCall<{ podSandboxId: string }, object> = (call, cb) => {
    if (call.request.podSandboxId !== 'hostnet') {
      cb({ code: status.NOT_FOUND, details: `an error occurred when try to find sandbox "${call.request.podSandboxId}": not found` });
      return;
    }
    cb(null, {
      status: {
        id: 'hostnet',
        metadata: { name: 'kube-proxy-x', uid: 'u1', namespace: 'kube-system', attempt: 2 },
        state: 'SANDBOX_READY',
        createdAt: '1700000000123456789',
        network: null,
        linux: { namespaces: { options: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD', targetId: '' } } },
        labels: { 'k8s-app': 'kube-proxy' },
        annotations: {},
        runtimeHandler: '',
      },
      info: {},
    });
  };
  const impl: UntypedServiceImplementation = { Version: version, PodSandboxStatus: podSandboxStatus };
  const server = new Server();
  server.addService(only(['Version', 'PodSandboxStatus']), impl);
  const socket = join(dir, 'old.sock');
  await new Promise<void>((res, rej) =>
    server.bindAsync(`unix://${socket}`, ServerCredentials.createInsecure(), (err) => (err ? rej(err) : res())),
  );
  return { socket, stop: () => new Promise<void>((r) => server.tryShutdown(() => r())) };
}

describe('CriClient against a runtime that serves only v1alpha2 (containerd 1.4)', () => {
  let dir: string;
  let old: { socket: string; stop: () => Promise<void> };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-cri-old-'));
    old = await startOldRuntime(dir);
  });
  afterAll(async () => {
    await old?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('gives CriUnimplementedError for v1 and answers over v1alpha2', async () => {
    await withClient(
      () => openLocalSocket(old.socket),
      async (c) => {
        const err = await c.version('v1').catch((e: unknown) => e);
        expect(err).toBeInstanceOf(CriUnimplementedError);
        expect(err).toMatchObject({ api: 'v1', method: 'Version' });
        expect((err as Error).message).toMatch(
          /^the container runtime does not serve CRI v1: runtime\.v1\.RuntimeService\/Version answered UNIMPLEMENTED/,
        );
        expect(await c.version('v1alpha2')).toEqual({
          api: 'v1alpha2',
          version: '0.1.0',
          runtimeName: 'containerd',
          runtimeVersion: 'v1.4.13',
          runtimeApiVersion: 'v1alpha2',
        });
      },
    );
  });

  it('probes: v1 not served, v1alpha2 served', async () => {
    const probe = await withClient(() => openLocalSocket(old.socket), (c) => probeCriApis(c));
    expect(probe.v1).toMatchObject({ unimplemented: true });
    expect(probe.v1alpha2).toMatchObject({ runtimeApiVersion: 'v1alpha2' });
  });

  it('decodes PodSandboxStatus and tells a host-network sandbox', async () => {
    await withClient(
      () => openLocalSocket(old.socket),
      async (c) => {
        const s = await c.podSandboxStatus('v1alpha2', 'hostnet');
        expect(s).toMatchObject({
          id: 'hostnet',
          metadata: { name: 'kube-proxy-x', namespace: 'kube-system', attempt: 2 },
          state: 'SANDBOX_READY',
          createdAtNs: 1700000000123456789n,
          network: null,
          namespaces: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' },
          hostNetwork: true,
          labels: { 'k8s-app': 'kube-proxy' },
        });
        await expect(c.podSandboxStatus('v1alpha2', 'gone')).rejects.toMatchObject({ code: 'NOT_FOUND' });
        // Status is not implemented by this stand-in: the same class as a missing API.
        await expect(c.status('v1alpha2')).rejects.toBeInstanceOf(CriUnimplementedError);
      },
    );
  });
});

describe('CriClient.close()', () => {
  it('closes the proxy, its streams and the gRPC channel, and removes the temp dir', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slipway-cri-close-'));
    const old = await startOldRuntime(dir);
    const kinds = ['PipeWrap', 'PipeServerWrap', 'PipeConnectWrap'];
    const handles = (): number => process.getActiveResourcesInfo().filter((k) => kinds.includes(k)).length;
    try {
      const before = handles();
      const client = await CriClient.connect(() => openLocalSocket(old.socket));
      await client.version('v1alpha2');
      const sock = client.proxySocketPath;
      expect(handles()).toBeGreaterThan(before);
      await client.close();
      await client.close(); // idempotent
      expect(existsSync(dirname(sock))).toBe(false);
      // Sockets are released once their close events have run.
      await new Promise((r) => setTimeout(r, 50));
      expect(handles()).toBe(before);
    } finally {
      await old.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('makes its socket directory private', async () => {
    const client = await CriClient.connect(() => Promise.reject(new Error('unused')));
    try {
      expect(statSync(dirname(client.proxySocketPath)).mode & 0o777).toBe(0o700);
    } finally {
      await client.close();
    }
  });
});

describe('test/fleet/standins/cri-runtime-stub.mjs', () => {
  const script = join(root, 'test/fleet/standins/cri-runtime-stub.mjs');
  const run = (args: string[]) => spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });

  it('prints a containerd-like version', async () => {
    const child = run(['--version', '--runtime-version', 'v1.4.9']);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(0);
    expect(out).toMatch(/^containerd github\.com\/containerd\/containerd v1\.4\.9 /);
  });

  it('serves only CRI v1alpha2 Version and Status, and exits 0 on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slipway-oldctd-'));
    const socket = join(dir, 'run', 'containerd.sock');
    await writeFile(join(dir, 'config.toml'), `version = 2\n[grpc]\n  address = "${socket}"\n`);
    const child = run(['--config', join(dir, 'config.toml'), '--node-modules', join(root, 'node_modules'), '--network-not-ready']);
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await new Promise<void>((res, rej) => {
        child.stdout.on('data', (d: Buffer) => {
          if (d.toString().includes(`serving CRI v1alpha2 on ${socket}`)) res();
        });
        child.once('exit', () => rej(new Error(`cri-runtime-stub exited early: ${err}`)));
      });
      await withClient(
        () => openLocalSocket(socket),
        async (c) => {
          const probe = await probeCriApis(c);
          expect(probe.v1).toMatchObject({ unimplemented: true });
          expect(probe.v1alpha2).toMatchObject({ runtimeName: 'containerd', runtimeVersion: 'v1.4.13', runtimeApiVersion: 'v1alpha2' });
          const s = await c.status('v1alpha2');
          expect(s.conditions.map((x) => [x.type, x.status])).toEqual([
            ['RuntimeReady', true],
            ['NetworkReady', false],
          ]);
          await expect(c.listPodSandboxes('v1alpha2')).rejects.toBeInstanceOf(CriUnimplementedError);
        },
      );
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(existsSync(socket)).toBe(false);
      expect(err).toBe('');
    } finally {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('serves only CRI v1 when built or told so (containerd 2.0, cri-dockerd)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slipway-stub-v1-'));
    const socket = join(dir, 'cri-dockerd.sock');
    const child = run(['--address', socket, '--apis', 'v1', '--runtime-version', 'v2.0.5']);
    try {
      await new Promise<void>((res, rej) => {
        child.stdout.on('data', (d: Buffer) => {
          if (d.toString().includes(`serving CRI v1 on ${socket}`)) res();
        });
        child.once('exit', () => rej(new Error('cri-runtime-stub exited early')));
      });
      await withClient(
        () => openLocalSocket(socket),
        async (c) => {
          const probe = await probeCriApis(c);
          expect(probe.v1).toMatchObject({ runtimeVersion: 'v2.0.5', runtimeApiVersion: 'v1' });
          expect(probe.v1alpha2).toMatchObject({ unimplemented: true });
        },
      );
    } finally {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
