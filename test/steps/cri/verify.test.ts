import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { criVerifyStep, durationMs, judge, paramsSchema, v1alpha2OnlyDiagnosis, type CriVerifyFacts } from '../../../src/steps/cri/verify.js';
import { LocalRemote } from '../../../src/transport/local.js';
import { CONTAINERD_BIN, startContainerd, type Containerd } from '../../helpers/containerd.js';
import { contextFor } from '../helpers.js';
import { socketDir, startFakeRuntime, type FakeRuntime } from './fake-runtime.js';

const v = (runtimeVersion: string, runtimeApiVersion = 'v1') => ({ runtimeName: 'containerd', runtimeVersion, runtimeApiVersion });
const ready = [
  { type: 'RuntimeReady', status: true, reason: '', message: '' },
  { type: 'NetworkReady', status: false, reason: 'NetworkPluginNotReady', message: 'cni plugin not initialized' },
];
const facts = (over: Partial<CriVerifyFacts>): CriVerifyFacts => ({ socket: '/run/containerd/containerd.sock', v1: null, v1alpha2: null, conditions: [], ...over });

describe('cri.verify verdicts', () => {
  it('is healthy when v1 answers and the runtime is ready; NetworkReady only when asked', () => {
    const f = facts({ v1: v('1.7.24'), v1alpha2: v('1.7.24', 'v1alpha2'), conditions: ready });
    expect(judge({}, f)).toEqual({
      healthy: true,
      summary: 'containerd 1.7.24 answers CRI v1 (and v1alpha2) on /run/containerd/containerd.sock: RuntimeReady, NetworkReady false (not required)',
    });
    expect(judge({ requireNetworkReady: true }, f)).toEqual({
      healthy: false,
      hopeless: false,
      summary:
        'containerd 1.7.24 answers CRI v1 on /run/containerd/containerd.sock but NetworkReady false (NetworkPluginNotReady: cni plugin not initialized)',
    });
  });

  it('diagnoses a runtime that answers only v1alpha2, and gives up on it at once', () => {
    const result = judge({}, facts({ v1alpha2: v('v1.4.13', 'v1alpha2') }));
    expect(result).toEqual({
      healthy: false,
      hopeless: true,
      summary:
        "the runtime answers only CRI v1alpha2 (containerd <1.6 / runtime containerd version v1.4.13): clients that speak only runtime.v1 " +
        "(OpenKruise >= 1.6, kubelet >= 1.26) fail with 'Failed to new image service'; upgrade containerd to >= 1.6",
    });
    expect(v1alpha2OnlyDiagnosis('cri-o', '1.19.0')).toMatch(/\(no CRI v1 \/ runtime cri-o version 1\.19\.0\).*upgrade cri-o to a release that serves runtime\.v1$/);
  });

  it('waits for an unreachable or starting runtime', () => {
    expect(judge({}, facts({ unreachable: 'connect ENOENT' }))).toMatchObject({ healthy: false, hopeless: false });
    expect(judge({}, facts({ v1: v('1.7.24'), conditions: [{ type: 'RuntimeReady', status: false, reason: 'Starting', message: '' }] }))).toMatchObject({
      healthy: false,
      hopeless: false,
      summary: 'containerd 1.7.24 answers CRI v1 on /run/containerd/containerd.sock but RuntimeReady false (Starting)',
    });
    expect(criVerifyStep.check({ timeout: '30s' }, facts({ unreachable: 'connect ENOENT' }))).toEqual({
      status: 'change',
      summary: 'the runtime does not answer on /run/containerd/containerd.sock: connect ENOENT; apply waits up to 30s for it',
    });
    expect(durationMs('1m30s')).toBe(90_000);
    expect(durationMs('500ms')).toBe(500);
  });

  it('declares its params strictly (ajv strict mode), with descriptions', () => {
    const valid = new Ajv({ strict: true, allErrors: true }).compile(paramsSchema);
    expect(valid({ socket: '/run/crio/crio.sock', requireNetworkReady: true, timeout: '2m' })).toBe(true);
    expect(valid({ timeout: 'soon' })).toBe(false);
    expect(valid({ socket: 'crio.sock' })).toBe(false);
    for (const prop of Object.values(paramsSchema.properties as Record<string, { description?: string }>)) expect(prop.description).toBeTruthy();
  });
});

describe('cri.verify over a socket', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let runtime: FakeRuntime | undefined;
  const ctx = contextFor(new LocalRemote({ host: 'node-1' }));
  beforeEach(async () => {
    ({ dir, cleanup } = await socketDir());
  });
  afterEach(async () => {
    await runtime?.stop();
    runtime = undefined;
    await cleanup();
  });

  it('fails at once, with the diagnosis, against a containerd that serves only v1alpha2', async () => {
    const socket = join(dir, 'containerd.sock');
    runtime = await startFakeRuntime(socket, { apis: ['v1alpha2'], runtimeVersion: 'v1.4.13' });
    const params = { socket, timeout: '30s' };
    const f = await criVerifyStep.facts(ctx, params);
    expect(f).toMatchObject({ v1: null, v1alpha2: { runtimeVersion: 'v1.4.13' } });
    expect(criVerifyStep.check(params, f)).toMatchObject({ status: 'change' });
    const started = Date.now();
    await expect(criVerifyStep.apply(ctx, params, f)).rejects.toThrow(
      /^node-1: the runtime answers only CRI v1alpha2 \(containerd <1\.6 \/ runtime containerd version v1\.4\.13\).*upgrade containerd to >= 1\.6$/,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('waits for a runtime that comes up after a restart, then is ok', async () => {
    const socket = join(dir, 'containerd.sock');
    const params = { socket, timeout: '20s' };
    const before = await criVerifyStep.facts(ctx, params);
    expect(before.unreachable).toBeDefined();
    const late = new Promise<void>((resolve) => {
      setTimeout(() => {
        void startFakeRuntime(socket, { apis: ['v1', 'v1alpha2'] }).then((r) => {
          runtime = r;
          resolve();
        });
      }, 1500);
    });
    expect(await criVerifyStep.apply(ctx, params, before)).toEqual({});
    await late;
    expect(criVerifyStep.check(params, await criVerifyStep.facts(ctx, params))).toMatchObject({ status: 'ok' });
  });

  it('gives up after its timeout on a runtime that never gets ready', async () => {
    const socket = join(dir, 'containerd.sock');
    runtime = await startFakeRuntime(socket, { apis: ['v1'], runtimeReady: false });
    const params = { socket, timeout: '1500ms' };
    await expect(criVerifyStep.apply(ctx, params, await criVerifyStep.facts(ctx, params))).rejects.toThrow(
      /RuntimeReady false \(Starting\) \(waited 2s\)$/,
    );
  });
});

describe.runIf(process.getuid?.() === 0 && existsSync(CONTAINERD_BIN))('cri.verify against a real containerd', () => {
  let ctd: Containerd;
  beforeAll(async () => {
    ctd = await startContainerd();
  });
  afterAll(async () => {
    await ctd?.stop();
  });

  it('is ok: CRI v1 and RuntimeReady; NetworkReady is false without a CNI config', async () => {
    const ctx = contextFor(new LocalRemote({ host: 'node-1' }));
    const params = { socket: ctd.socket };
    const result = criVerifyStep.check(params, await criVerifyStep.facts(ctx, params));
    expect(result).toMatchObject({ status: 'ok' });
    expect(result.status === 'ok' && result.summary).toMatch(/^containerd \S+ answers CRI v1 .*RuntimeReady, NetworkReady false \(not required\)$/);
    const strict = { socket: ctd.socket, requireNetworkReady: true };
    expect(criVerifyStep.check(strict, await criVerifyStep.facts(ctx, strict)).status).toBe('change');
  });
});
