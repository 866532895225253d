import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { Ajv } from 'ajv';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CommandError } from '../../../src/errors.js';
import { NODE_PROBE_SCRIPT } from '../../../src/facts/node-probe.js';
import { criRemovePodsStep, paramsSchema, sandboxesToRemove, type CriRemovePodsParams } from '../../../src/steps/cri/remove-pods.js';
import { LocalRemote } from '../../../src/transport/local.js';
import type { ExecOptions, ExecResult, Remote } from '../../../src/transport/types.js';
import { CONTAINERD_BIN, startContainerd, type Containerd } from '../../helpers/containerd.js';
import { contextFor } from '../helpers.js';
import { socketDir, startFakeRuntime, type FakeRuntime, type FakeSandbox } from './fake-runtime.js';

const ID = (n: number): string => `${String(n).repeat(8)}`.padEnd(64, 'a');

function sandboxes(): FakeSandbox[] {
  return [
    { id: ID(1), name: 'web-0', namespace: 'default', hostNetwork: false, ready: true },
    { id: ID(2), name: 'calico-node-x', namespace: 'kube-system', hostNetwork: true, ready: true },
    { id: ID(3), name: 'coredns-5d7', namespace: 'kube-system', hostNetwork: false, ready: true },
    { id: ID(4), name: 'kube-proxy-x', namespace: 'kube-system', hostNetwork: true, ready: false },
  ];
}

/**
 * A node with crictl, printing what crictl prints, over an in-memory runtime. With
 * `v1alpha2Only`, crictl cannot talk to it (as with containerd 1.4) and the step must go over
 * CRI gRPC: `openUnixSocket` reaches a fake runtime on a real socket.
 */
class CrictlNode implements Remote {
  readonly host = 'node-1';
  readonly calls: string[][] = [];
  pods = sandboxes();
  crictlInstalled = true;
  v1alpha2Only = false;
  /** Runs after each rmp, like a kubelet that is still running. */
  afterRemove: (() => void) | undefined;
  readonly local = new LocalRemote({ host: 'node-1' });

  run(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    return this.exec(argv, options).then((r) => {
      if (r.code !== 0) throw new CommandError({ host: this.host, argv, ...r });
      return r;
    });
  }

  exec(argv: readonly string[], _options?: ExecOptions): Promise<ExecResult> {
    this.calls.push([...argv]);
    const out = (stdout: string, code = 0, stderr = ''): Promise<ExecResult> => Promise.resolve({ code, stdout, stderr });
    if (argv[0] === 'sh' && argv[2] === NODE_PROBE_SCRIPT) {
      return out(`${this.crictlInstalled ? 'bin.crictl=1\n' : ''}bin.containerd=1\nsock=/run/containerd/containerd.sock\n`);
    }
    if (argv[0] !== 'crictl') return out('', 127, `${argv[0]}: command not found\n`);
    expect(argv.slice(1, 5)).toEqual(['--runtime-endpoint', 'unix:///run/containerd/containerd.sock', '--timeout', '30s']);
    if (this.v1alpha2Only) {
      return out(
        '',
        1,
        'time="2024-01-01T00:00:00Z" level=fatal msg="validate service connection: validate CRI v1 runtime API for endpoint \\"unix:///run/containerd/containerd.sock\\": rpc error: code = Unimplemented desc = unknown service runtime.v1.RuntimeService"\n',
      );
    }
    const [cmd, ...rest] = argv.slice(5);
    const id = rest.at(-1) ?? '';
    const pod = this.pods.find((p) => p.id === id);
    const missing = (): Promise<ExecResult> =>
      out('', 1, `time="x" level=fatal msg="getting sandbox status of pod \\"${id}\\": rpc error: code = NotFound desc = an error occurred when try to find sandbox: not found"\n`);
    switch (cmd) {
      case 'pods':
        expect(rest).toEqual(['-q']);
        return out(this.pods.map((p) => `${p.id}\n`).join(''));
      case 'inspectp':
        if (!pod) return missing();
        return out(
          JSON.stringify(
            {
              status: {
                id: pod.id,
                metadata: { attempt: 0, name: pod.name, namespace: pod.namespace, uid: `${pod.name}-uid` },
                state: pod.ready ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY',
                createdAt: '2024-01-01T00:00:00.000000000Z',
                network: { additionalIps: [], ip: pod.hostNetwork ? '' : '10.88.0.5' },
                linux: { namespaces: { options: { ipc: 'POD', network: pod.hostNetwork ? 'NODE' : 'POD', pid: 'CONTAINER', targetId: '', userNsOptions: null } } },
                labels: {},
                annotations: {},
                runtimeHandler: '',
              },
              info: {},
            },
            null,
            2,
          ),
        );
      case 'stopp':
        if (!pod) return missing();
        pod.ready = false;
        return out(`Stopped sandbox ${id}\n`);
      case 'rmp':
        expect(rest[0]).toBe('-f');
        if (!pod) return missing();
        this.pods = this.pods.filter((p) => p.id !== id);
        this.afterRemove?.();
        return out(`Removed sandbox ${id}\n`);
      default:
        return out('', 3, `No help topic for '${cmd}'\n`);
    }
  }

  readFile(): Promise<string | null> {
    return Promise.resolve(null);
  }
  writeFile(): Promise<void> {
    return Promise.resolve();
  }
  fakeSocket: string | undefined;
  openUnixSocket(path: string): Promise<Duplex> {
    expect(path).toBe('/run/containerd/containerd.sock');
    return this.local.openUnixSocket(this.fakeSocket ?? path);
  }
}

const verbs = (node: CrictlNode): string[] => node.calls.filter((c) => c[0] === 'crictl').map((c) => [c[5], c.at(-1)?.slice(0, 1)].join(' '));

describe('cri.removePods with crictl', () => {
  it('removes the pods outside the host network first, then with `all` the rest; is then ok', async () => {
    const node = new CrictlNode();
    const ctx = contextFor(node);
    const params: CriRemovePodsParams = { all: true };
    expect(criRemovePodsStep.check(params, await criRemovePodsStep.facts(ctx, params))).toEqual({
      status: 'change',
      summary:
        '4 pod sandboxes to remove (2 not host-network): default/web-0, kube-system/coredns-5d7, kube-system/calico-node-x, kube-system/kube-proxy-x ' +
        '(via crictl on /run/containerd/containerd.sock)',
    });
    node.calls.length = 0;
    const undo = await criRemovePodsStep.apply(ctx, params, await criRemovePodsStep.facts(ctx, params));
    expect(undo.method).toBe('crictl');
    expect(undo.removed.map((r) => [r.name, r.hostNetwork])).toEqual([
      ['web-0', false],
      ['coredns-5d7', false],
      ['calico-node-x', true],
      ['kube-proxy-x', true],
    ]);
    // Stop, then remove; the host-network ones only after the others.
    const acts = verbs(node).filter((v) => v.startsWith('stopp') || v.startsWith('rmp'));
    expect(acts).toEqual(['stopp 1', 'rmp 1', 'stopp 3', 'rmp 3', 'stopp 2', 'rmp 2', 'stopp 4', 'rmp 4']);
    expect(node.pods).toEqual([]);
    expect(criRemovePodsStep.check(params, await criRemovePodsStep.facts(ctx, params))).toEqual({
      status: 'ok',
      summary: 'no pod sandboxes (via crictl on /run/containerd/containerd.sock)',
    });
    const before = node.calls.length;
    const again = await criRemovePodsStep.apply(ctx, params, await criRemovePodsStep.facts(ctx, params));
    expect(again.removed).toEqual([]);
    expect(node.calls.slice(before).some((c) => c[5] === 'rmp' || c[5] === 'stopp')).toBe(false);
    await criRemovePodsStep.rollback(ctx, params, undo);
  });

  it('without `all`, keeps host-network pods and says so', async () => {
    const node = new CrictlNode();
    const ctx = contextFor(node);
    const undo = await criRemovePodsStep.apply(ctx, {}, await criRemovePodsStep.facts(ctx, {}));
    expect(undo.removed.map((r) => r.name)).toEqual(['web-0', 'coredns-5d7']);
    expect(criRemovePodsStep.check({}, await criRemovePodsStep.facts(ctx, {}))).toEqual({
      status: 'ok',
      summary: 'no pod sandboxes outside the host network (2 host-network kept) (via crictl on /run/containerd/containerd.sock)',
    });
  });

  it('fails, naming them, when pods come back (kubelet still running)', async () => {
    const node = new CrictlNode();
    node.afterRemove = () => {
      if (!node.pods.some((p) => p.name === 'web-0-again')) node.pods.push({ id: ID(7), name: 'web-0-again', namespace: 'default', hostNetwork: false, ready: true });
    };
    const ctx = contextFor(node);
    await expect(criRemovePodsStep.apply(ctx, {}, await criRemovePodsStep.facts(ctx, {}))).rejects.toThrow(
      /node-1: 1 pod sandbox came back or could not be removed \(default\/web-0-again\); is kubelet still running\?/,
    );
  });

  it('chooses sandboxes to remove without touching anything', () => {
    const list = sandboxes().map((s) => ({ id: s.id, name: s.name, namespace: s.namespace, state: '', network: s.hostNetwork ? 'NODE' : 'POD', hostNetwork: s.hostNetwork }));
    expect(sandboxesToRemove({}, list).map((s) => s.name)).toEqual(['web-0', 'coredns-5d7']);
    expect(sandboxesToRemove({ all: true }, list).map((s) => s.name)).toEqual(['web-0', 'coredns-5d7', 'calico-node-x', 'kube-proxy-x']);
  });

  it('declares its params strictly (ajv strict mode), with descriptions', () => {
    const valid = new Ajv({ strict: true, allErrors: true }).compile(paramsSchema);
    expect(valid({ socket: '/run/crio/crio.sock', all: true, method: 'crictl' })).toBe(true);
    expect(valid({ method: 'kubectl' })).toBe(false);
    expect(valid({ all: 'yes' })).toBe(false);
    for (const prop of Object.values(paramsSchema.properties as Record<string, { description?: string }>)) expect(prop.description).toBeTruthy();
  });
});

describe('cri.removePods over CRI gRPC', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let runtime: FakeRuntime | undefined;
  beforeEach(async () => {
    ({ dir, cleanup } = await socketDir());
  });
  afterEach(async () => {
    await runtime?.stop();
    runtime = undefined;
    await cleanup();
  });

  it('goes direct when crictl cannot talk to a v1alpha2-only containerd, and removes over v1alpha2', async () => {
    const node = new CrictlNode();
    node.v1alpha2Only = true;
    node.fakeSocket = join(dir, 'containerd.sock');
    runtime = await startFakeRuntime(node.fakeSocket, { apis: ['v1alpha2'], runtimeVersion: 'v1.4.13', sandboxes: sandboxes() });
    const ctx = contextFor(node);
    const f = await criRemovePodsStep.facts(ctx, {});
    expect(f.method).toBe('cri');
    const check = criRemovePodsStep.check({}, f);
    expect(check.status === 'change' && check.summary).toMatch(/^2 pod sandboxes to remove \(2 not host-network; 2 host-network kept\).*via CRI on \/run\/containerd\/containerd\.sock; crictl failed \(.*unknown service runtime\.v1\.RuntimeService/);
    const undo = await criRemovePodsStep.apply(ctx, {}, f);
    expect(undo).toMatchObject({ method: 'cri', removed: [{ name: 'web-0' }, { name: 'coredns-5d7' }] });
    expect(runtime.calls.filter((c) => /Stop|Remove/.test(c))).toEqual([
      `v1alpha2/StopPodSandbox ${ID(1)}`,
      `v1alpha2/RemovePodSandbox ${ID(1)}`,
      `v1alpha2/StopPodSandbox ${ID(3)}`,
      `v1alpha2/RemovePodSandbox ${ID(3)}`,
    ]);
    expect(runtime.sandboxes.map((s) => s.name)).toEqual(['calico-node-x', 'kube-proxy-x']);
  });

  it('uses gRPC when the node has no crictl', async () => {
    const node = new CrictlNode();
    node.crictlInstalled = false;
    node.fakeSocket = join(dir, 'containerd.sock');
    runtime = await startFakeRuntime(node.fakeSocket, { apis: ['v1', 'v1alpha2'], sandboxes: sandboxes() });
    const ctx = contextFor(node);
    const params: CriRemovePodsParams = { all: true };
    await criRemovePodsStep.apply(ctx, params, await criRemovePodsStep.facts(ctx, params));
    expect(runtime.sandboxes).toEqual([]);
    expect(runtime.calls.some((c) => c.startsWith('v1alpha2/'))).toBe(false);
    expect(node.calls.some((c) => c[0] === 'crictl')).toBe(false);
  });
});

describe('cri.removePods when the runtime does not answer', () => {
  it('plans a change it cannot size yet, and apply fails if the runtime still does not answer', async () => {
    const { dir, cleanup } = await socketDir();
    try {
      const ctx = contextFor(new LocalRemote({ host: 'node-1' }));
      const params: CriRemovePodsParams = { method: 'cri', socket: join(dir, 'absent.sock') };
      const f = await criRemovePodsStep.facts(ctx, params);
      expect(f.unreachable).toMatch(/cannot reach the container runtime over CRI/);
      const check = criRemovePodsStep.check(params, f);
      expect(check.status === 'change' && check.summary).toMatch(/^cannot list pod sandboxes now \(.*\); apply lists them again$/);
      await expect(criRemovePodsStep.apply(ctx, params, f)).rejects.toThrow(/cannot reach the container runtime over CRI/);
    } finally {
      await cleanup();
    }
  });
});

describe.runIf(process.getuid?.() === 0 && existsSync(CONTAINERD_BIN))('cri.removePods against a real containerd', () => {
  let ctd: Containerd;
  beforeAll(async () => {
    ctd = await startContainerd();
  });
  afterAll(async () => {
    await ctd?.stop();
  });

  it('lists its (no) sandboxes over CRI v1 and is ok', async () => {
    const ctx = contextFor(new LocalRemote({ host: 'node-1' }));
    const params: CriRemovePodsParams = { method: 'cri', socket: ctd.socket, all: true };
    expect(criRemovePodsStep.check(params, await criRemovePodsStep.facts(ctx, params))).toEqual({
      status: 'ok',
      summary: `no pod sandboxes (via CRI on ${ctd.socket})`,
    });
  });
});
