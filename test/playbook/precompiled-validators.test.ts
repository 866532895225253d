/**
 * The validators the build precompiles (dist/, made by `npm test`'s build before the suite runs):
 * one for every schema a command validates, each answering as ajv compiling the schema at run
 * time answers, and a command that loads a playbook and an inventory without ajv's compiler.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { bundledSchema, createAjv, precompiledPath, schemaKey } from '../../src/playbook/input/json-schema.js';
import { loaderSchema } from '../../src/playbook/load.js';
import { paramsSchemaOf, type StepTypeInfo } from '../../src/playbook/step-types.js';
import { getStepType, stepKinds } from '../../src/steps/registry.js';
import { CLI } from '../support/cli.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const corpus = path.join(root, 'test', 'corpus');
const built = precompiledPath();

function precompiled(): Record<string, ValidateFunction> {
  if (!existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` first (npm test does)`);
  return createRequire(import.meta.url)(built) as Record<string, ValidateFunction>;
}

/** What a validator says about `data`, without the data itself (the same either way). */
function verdict(validate: ValidateFunction, data: unknown): unknown {
  return validate(data) ? [] : (validate.errors ?? []).map(({ data: _data, ...rest }) => rest);
}

/** Every playbook of the corpus and the bundled ones, parsed (those that parse). */
function playbookData(): unknown[] {
  const files = [
    ...readdirSync(path.join(corpus, 'playbooks')).map((f) => path.join(corpus, 'playbooks', f)),
    path.join(corpus, 'good', 'every-feature.yaml'),
    ...readdirSync(path.join(root, 'playbooks')).map((f) => path.join(root, 'playbooks', f)),
  ];
  return files.flatMap((f) => {
    try {
      return [parse(readFileSync(f, 'utf8')) as unknown];
    } catch {
      return []; // not YAML the plain parser takes: the YAML checks' case, not the schema's
    }
  });
}

describe('precompiled validators', () => {
  it('has one for every schema a command validates with', () => {
    const module = precompiled();
    const stepSchemas = stepKinds().map((kind) => paramsSchemaOf(getStepType(kind) as StepTypeInfo));
    const schemas = [loaderSchema(), bundledSchema('inventory.schema.json'), ...stepSchemas];
    expect(stepSchemas.length).toBeGreaterThan(10);
    const missing = schemas.filter((s) => typeof module[schemaKey(s)] !== 'function').map((s) => String(s.title ?? JSON.stringify(s).slice(0, 80)));
    expect(missing).toEqual([]);
  });

  it("answers every corpus playbook, and every step's with:, as the run-time compiled schema does", () => {
    const module = precompiled();
    const ajv = createAjv();
    const loader = loaderSchema();
    let compared = 0;
    for (const data of playbookData()) {
      expect(verdict(module[schemaKey(loader)] as ValidateFunction, data)).toEqual(verdict(ajv.compile(loader), data));
      compared++;
      const steps = (data as { steps?: unknown } | null)?.steps;
      for (const step of Array.isArray(steps) ? steps : []) {
        const type = getStepType(String((step as { uses?: unknown }).uses));
        if (!type) continue;
        const schema = paramsSchemaOf(type);
        const params = (step as { with?: unknown }).with ?? {};
        expect(verdict(module[schemaKey(schema)] as ValidateFunction, params)).toEqual(verdict(ajv.compile(schema), params));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(100);
  });

  it('lets the CLI validate a playbook and an inventory without loading ajv', () => {
    // Preloaded into the CLI's process: at exit, the ajv modules it loaded (CommonJS: all in one cache).
    const probe = `process.on('exit', () => process.stderr.write('AJV ' + JSON.stringify(Object.keys(require.cache).filter((f) => /node_modules[\\\\/]ajv[\\\\/]dist[\\\\/](ajv|core|compile)/.test(f)))));`;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-probe-'));
    const preload = path.join(dir, 'probe.cjs');
    writeFileSync(preload, probe);
    const validate = [CLI, 'validate', path.join(corpus, 'good', 'every-feature.yaml'), '-i', path.join(corpus, 'good', 'hosts.yaml')];
    const r = spawnSync(process.execPath, ['--require', preload, ...validate], { cwd: root, encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(/^AJV (.*)$/m.exec(r.stderr)?.[1] ?? 'null')).toEqual([]);
  });
});
