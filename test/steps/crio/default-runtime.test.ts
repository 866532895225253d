import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse as parseToml } from 'smol-toml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RollbackError } from '../../../src/errors.js';
import { parseCrioConfigOutput, runtimeView } from '../../../src/facts/crio-config.js';
import {
  crioDefaultRuntimeStep,
  paramsSchema,
  planDefaultRuntime,
  renderDropIn,
  type CrioDefaultRuntimeFacts,
  type CrioDefaultRuntimeParams,
} from '../../../src/steps/crio/default-runtime.js';
import { LocalRemote } from '../../../src/transport/local.js';
import type { ExecOptions, ExecResult, Remote } from '../../../src/transport/types.js';
import { contextFor, expectUnifiedDiff, tempDir } from '../helpers.js';
import { PACKAGED_1_29, PACKAGED_1_30 } from './fixtures.js';

const DIR = '/etc/crio/crio.conf.d';

function facts(over: Partial<CrioDefaultRuntimeFacts> = {}): CrioDefaultRuntimeFacts {
  return {
    dropInPath: `${DIR}/99-slipway-default-runtime.conf`,
    dropIn: null,
    files: [{ path: `${DIR}/10-crio.conf`, content: PACKAGED_1_30 }],
    crioConfig: { error: 'crio: command not found' },
    running: { error: 'crio: command not found' },
    ...over,
  };
}

describe('crio.defaultRuntime drop-in', () => {
  it('pins the runtime and repeats the packaged handler, which a later table would replace whole', () => {
    const basis = runtimeView(parseToml(PACKAGED_1_30) as Record<string, unknown>);
    const text = renderDropIn({ runtime: 'runc' }, basis);
    expect(text.startsWith('# Written by slipway (crio.defaultRuntime)')).toBe(true);
    expect(parseToml(text)).toEqual({
      crio: {
        runtime: {
          default_runtime: 'runc',
          runtimes: {
            runc: {
              runtime_path: '/usr/libexec/crio/runc',
              runtime_root: '/run/runc',
              monitor_path: '/usr/libexec/crio/conmon',
              runtime_type: 'oci',
            },
          },
        },
      },
    });
    const custom = parseToml(renderDropIn({ runtime: 'runc', runtimePath: '/usr/bin/runc', runtimeType: 'oci' }, { defaultRuntime: undefined, runtimes: {} }));
    expect(custom).toEqual({ crio: { runtime: { default_runtime: 'runc', runtimes: { runc: { runtime_path: '/usr/bin/runc', runtime_type: 'oci' } } } } });
  });

  it('says what it would change against the merged files, with a diff', () => {
    const result = crioDefaultRuntimeStep.check({ runtime: 'runc' }, facts());
    expect(result).toMatchObject({
      status: 'change',
      summary: `create ${DIR}/99-slipway-default-runtime.conf: default_runtime = "runc" (before it: default_runtime is crun per crio.conf + crio.conf.d, set by ${DIR}/10-crio.conf)`,
    });
    if (result.status !== 'change') throw new Error('unreachable');
    expectUnifiedDiff(result.diff, '/dev/null', `${DIR}/99-slipway-default-runtime.conf`);
  });

  it('is ok when the drop-in is in place and the merged configuration agrees, and tells when crio needs a restart', () => {
    const wanted = planDefaultRuntime({ runtime: 'runc' }, facts()).wanted;
    const files = [
      { path: `${DIR}/10-crio.conf`, content: PACKAGED_1_30 },
      { path: `${DIR}/99-slipway-default-runtime.conf`, content: wanted },
    ];
    const ok = crioDefaultRuntimeStep.check(
      { runtime: 'runc' },
      facts({ dropIn: wanted, files, running: { view: { defaultRuntime: 'crun', runtimes: {} } } }),
    );
    expect(ok).toEqual({
      status: 'ok',
      summary:
        `default_runtime is runc per crio.conf + crio.conf.d, pinned by ${DIR}/99-slipway-default-runtime.conf; ` +
        'the running crio still uses crun: restart crio to apply it',
    });
  });

  it('knows before anything is written that a later drop-in would override the pin, and says it would fail', () => {
    const site = { path: `${DIR}/zz-site.conf`, content: '[crio.runtime]\ndefault_runtime = "crun"\n' };
    const files = [{ path: `${DIR}/10-crio.conf`, content: PACKAGED_1_30 }, site];
    expect(crioDefaultRuntimeStep.check({ runtime: 'runc' }, facts({ files }))).toEqual({
      status: 'fail',
      reason:
        `the pin of runc would not win: ${DIR}/zz-site.conf sorts after ${DIR}/99-slipway-default-runtime.conf and sets default_runtime = "crun", ` +
        'so CRI-O would run crun; remove or change that file, or name a dropIn that sorts after it',
    });
    // Named to sort after the site file, the pin wins: a change, with its diff.
    expect(crioDefaultRuntimeStep.check({ runtime: 'runc', dropIn: 'zzz-slipway.conf' }, facts({ files, dropInPath: `${DIR}/zzz-slipway.conf` })).status).toBe('change');
    // A site file that sorts before the pin is overridden by it, as meant.
    expect(crioDefaultRuntimeStep.check({ runtime: 'runc' }, facts({ files: [{ ...site, path: `${DIR}/50-site.conf` }] })).status).toBe('change');
  });

  it('believes `crio config` over its own merge, and fails when a later file overrides the pin', () => {
    const wanted = planDefaultRuntime({ runtime: 'runc' }, facts()).wanted;
    const files = [
      { path: `${DIR}/10-crio.conf`, content: PACKAGED_1_30 },
      { path: `${DIR}/99-slipway-default-runtime.conf`, content: wanted },
      { path: `${DIR}/99-zz-vendor.conf`, content: '[crio.runtime]\ndefault_runtime = "crun"\n' },
    ];
    const crioSays = parseCrioConfigOutput('[crio.runtime]\ndefault_runtime = "crun"\n[crio.runtime.runtimes.crun]\nruntime_path = "/usr/libexec/crio/crun"\n');
    const result = crioDefaultRuntimeStep.check({ runtime: 'runc' }, facts({ dropIn: wanted, files, crioConfig: { view: crioSays } }));
    expect(result).toEqual({
      status: 'fail',
      reason: `the pin of runc would not win: ${DIR}/99-zz-vendor.conf sorts after ${DIR}/99-slipway-default-runtime.conf and sets default_runtime = "crun", so CRI-O would run crun; remove or change that file, or name a dropIn that sorts after it`,
    });
  });

  it('checks runtime_path in the merged configuration when one is asked for', () => {
    const plan = planDefaultRuntime(
      { runtime: 'runc', runtimePath: '/usr/bin/runc' },
      facts({ crioConfig: { view: { defaultRuntime: 'runc', runtimes: { runc: { runtime_path: '/usr/libexec/crio/runc' } } } } }),
    );
    expect(plan.effectiveOk).toBe(false);
  });

  it('declares its params strictly (ajv strict mode), with descriptions', () => {
    const valid = new Ajv({ strict: true, allErrors: true }).compile(paramsSchema);
    expect(valid({ runtime: 'runc', runtimePath: '/usr/bin/runc', runtimeType: 'oci', dropIn: '99-pin.conf' })).toBe(true);
    expect(valid({})).toBe(false);
    expect(valid({ runtime: 'runc', dropIn: '../escape.conf' })).toBe(false);
    expect(valid({ runtime: 'runc', runtimeType: 'kata' })).toBe(false);
    for (const prop of Object.values(paramsSchema.properties as Record<string, { description?: string }>)) expect(prop.description).toBeTruthy();
  });
});

/** The local machine, with `crio config` and `crio status config` answered by the test. */
class WithCrio implements Remote {
  readonly host = 'node-1';
  readonly local = new LocalRemote({ host: 'node-1' });
  crioConfig: (() => ExecResult) | undefined;
  /** Every command sent (exec and run), and every file written, in order. */
  readonly sent: string[][] = [];
  readonly writes: string[] = [];
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    this.sent.push([...argv]);
    if (argv[0] === 'crio') {
      const answer = argv.at(-1) === 'config' && argv[1] !== 'status' ? this.crioConfig?.() : undefined;
      return Promise.resolve(answer ?? { code: 127, stdout: '', stderr: 'crio: command not found\n' });
    }
    return this.local.exec(argv, options);
  }
  run(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    this.sent.push([...argv]);
    return this.local.run(argv, options);
  }
  readFile(path: string): Promise<string | null> {
    return this.local.readFile(path);
  }
  writeFile(path: string, content: string, options?: { mode?: number; owner?: string }): Promise<void> {
    this.writes.push(path);
    return this.local.writeFile(path, content, options);
  }
  openUnixSocket(): never {
    throw new Error('no sockets here');
  }
}

describe('crio.defaultRuntime on real files', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let params: CrioDefaultRuntimeParams;
  let confD: string;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('slipway-crio-'));
    confD = join(dir, 'crio.conf.d');
    await mkdir(confD);
    await writeFile(join(dir, 'crio.conf'), '[crio.runtime]\nlog_level = "info"\n');
    await writeFile(join(confD, '10-crio.conf'), PACKAGED_1_30);
    params = { runtime: 'runc', configFile: join(dir, 'crio.conf'), configDir: confD };
  });
  afterEach(() => cleanup());

  it('writes the drop-in, converges, changes nothing the second time, and rollback deletes it', async () => {
    const ctx = contextFor(new LocalRemote({ host: 'node-1' }));
    const first = crioDefaultRuntimeStep.check(params, await crioDefaultRuntimeStep.facts(ctx, params));
    expect(first.status).toBe('change');
    const undo = await crioDefaultRuntimeStep.apply(ctx, params, await crioDefaultRuntimeStep.facts(ctx, params));
    expect(JSON.parse(JSON.stringify(undo))).toEqual(undo);
    expect(undo).toMatchObject({ path: join(confD, '99-slipway-default-runtime.conf'), changed: true, previous: null });
    const written = await readFile(join(confD, '99-slipway-default-runtime.conf'), 'utf8');
    expect((parseToml(written) as { crio: { runtime: { default_runtime: string } } }).crio.runtime.default_runtime).toBe('runc');
    const second = crioDefaultRuntimeStep.check(params, await crioDefaultRuntimeStep.facts(ctx, params));
    expect(second).toMatchObject({ status: 'ok' });
    expect(second.status === 'ok' && second.summary).toContain('default_runtime is runc per crio.conf + crio.conf.d');

    const again = await crioDefaultRuntimeStep.apply(ctx, params, await crioDefaultRuntimeStep.facts(ctx, params));
    expect(again.changed).toBe(false);
    await crioDefaultRuntimeStep.rollback(ctx, params, again);
    expect(await readFile(join(confD, '99-slipway-default-runtime.conf'), 'utf8')).toBe(written);

    await crioDefaultRuntimeStep.rollback(ctx, params, undo);
    expect((await readdir(confD)).sort()).toEqual(['10-crio.conf']);
    // A second rollback finds it already done.
    await crioDefaultRuntimeStep.rollback(ctx, params, undo);
  });

  it('creates a missing crio.conf.d with the write itself: apply runs no mkdir of its own', async () => {
    const remote = new WithCrio();
    const ctx = contextFor(remote);
    const missing = join(dir, 'not-yet', 'crio.conf.d');
    const p = { ...params, configDir: missing };
    const facts = await crioDefaultRuntimeStep.facts(ctx, p);
    expect(crioDefaultRuntimeStep.check(p, facts).status).toBe('change');
    remote.sent.length = 0;
    remote.writes.length = 0;
    const undo = await crioDefaultRuntimeStep.apply(ctx, p, facts);
    expect(undo).toMatchObject({ path: join(missing, '99-slipway-default-runtime.conf'), changed: true, previous: null });
    expect(remote.writes).toEqual([join(missing, '99-slipway-default-runtime.conf')]);
    // What apply ran besides the write: only the re-read that proves the pin (find, crio config).
    expect(remote.sent.map((argv) => argv[0])).not.toContain('mkdir');
    expect(await readdir(missing)).toEqual(['99-slipway-default-runtime.conf']);
    expect(crioDefaultRuntimeStep.check(p, await crioDefaultRuntimeStep.facts(ctx, p)).status).toBe('ok');
  });

  it('restores a previous drop-in, and leaves alone one edited since', async () => {
    const ctx = contextFor(new LocalRemote({ host: 'node-1' }));
    const path = join(confD, '99-slipway-default-runtime.conf');
    await writeFile(path, '[crio.runtime]\ndefault_runtime = "crun"\n');
    const undo = await crioDefaultRuntimeStep.apply(ctx, params, await crioDefaultRuntimeStep.facts(ctx, params));
    expect(undo.previous).toBe('[crio.runtime]\ndefault_runtime = "crun"\n');
    await crioDefaultRuntimeStep.rollback(ctx, params, undo);
    expect(await readFile(path, 'utf8')).toBe('[crio.runtime]\ndefault_runtime = "crun"\n');

    const undo2 = await crioDefaultRuntimeStep.apply(ctx, params, await crioDefaultRuntimeStep.facts(ctx, params));
    await writeFile(path, '# edited by hand\n');
    await expect(crioDefaultRuntimeStep.rollback(ctx, params, undo2)).rejects.toThrow(RollbackError);
  });

  it('puts things back and fails when the merged configuration still disagrees', async () => {
    await writeFile(join(confD, 'zz-vendor.conf'), '[crio.runtime]\ndefault_runtime = "crun"\n');
    const ctx = contextFor(new LocalRemote({ host: 'node-1' }));
    await expect(crioDefaultRuntimeStep.apply(ctx, params, await crioDefaultRuntimeStep.facts(ctx, params))).rejects.toThrow(
      /default_runtime is crun per crio\.conf \+ crio\.conf\.d, set by .*zz-vendor\.conf: a file that sorts after it .* the drop-in was put back as it was/,
    );
    expect((await readdir(confD)).sort()).toEqual(['10-crio.conf', 'zz-vendor.conf']);
  });

  it('uses `crio config` when the node has it, reading defaults it comments out', async () => {
    const remote = new WithCrio();
    const ctx = contextFor(remote);
    await writeFile(join(confD, '10-crio.conf'), PACKAGED_1_29);
    // CRI-O 1.29 with runc as its built-in default prints the option commented out.
    remote.crioConfig = () => ({
      code: 0,
      stdout: '[crio.runtime]\n# default_runtime = "runc"\n\n[crio.runtime.runtimes.runc]\nruntime_path = "/usr/libexec/crio/runc"\n',
      stderr: 'INFO[0000] Updating config from drop-in file\n',
    });
    const undo = await crioDefaultRuntimeStep.apply(ctx, params, await crioDefaultRuntimeStep.facts(ctx, params));
    expect(undo.changed).toBe(true);
    const check = crioDefaultRuntimeStep.check(params, await crioDefaultRuntimeStep.facts(ctx, params));
    expect(check).toMatchObject({ status: 'ok' });
    expect(check.status === 'ok' && check.summary).toContain('per `crio config`');
  });
});
