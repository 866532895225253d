/**
 * The one place ajv enters: the validator options, the bundled schemas in `schemas/`, and a
 * validator per schema object. The build compiles the schemas every command validates (the
 * playbook's, the inventory's, each built-in step type's params) into plain JavaScript
 * (src/playbook/input/precompile-validators.ts): a command finds its validator there by the
 * schema's hash and never loads ajv's compiler. A schema that is not there (a step type a test
 * brings, a schema changed since the build, or no build at all) is compiled here.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Ajv, ErrorObject, Options as AjvOptions, ValidateFunction } from 'ajv';
import { packageRoot } from '../../package-root.js';

/**
 * Annotation keyword our schemas use to say, in words, what a value should look like
 * (`a duration like "30s"`). Editors ignore it; error messages use it.
 */
export const expectedKeyword = 'x-expected';

export type JsonSchema = Record<string, unknown>;

/** In the package's `dist/`, written by the build. */
export const PRECOMPILED_FILE = 'precompiled-validators.cjs';

/** Where the build writes the precompiled validators and where commands look for them. */
export function precompiledPath(): string {
  return path.join(packageRoot(), 'dist', PRECOMPILED_FILE);
}

const require = createRequire(import.meta.url);
let sharedAjv: Ajv | undefined;
let precompiled: Readonly<Record<string, ValidateFunction>> | null | undefined;
const compiled = new WeakMap<JsonSchema, ValidateFunction>();
const bundled = new Map<string, JsonSchema>();

/** An ajv instance as slipway validates with; `extra` for the build (`code: {source: true}`). */
export function createAjv(extra: AjvOptions = {}): Ajv {
  // ajv is CommonJS: loaded here, when a schema must be compiled, not when a command starts.
  const { Ajv: AjvClass } = require('ajv') as typeof import('ajv');
  // Not strict: step types bring their own params schemas, and an unusual keyword in one of
  // them must not stop a playbook from loading.
  const ajv = new AjvClass({ allErrors: true, verbose: true, strict: false, allowUnionTypes: true, ...extra });
  ajv.addKeyword({ keyword: expectedKeyword, schemaType: 'string' });
  return ajv;
}

/** The name of a schema's validator in the precompiled module: a hash of the schema's JSON. */
export function schemaKey(schema: JsonSchema): string {
  return `v${createHash('sha256').update(JSON.stringify(schema)).digest('hex').slice(0, 32)}`;
}

function precompiledValidators(): Readonly<Record<string, ValidateFunction>> | null {
  if (precompiled === undefined) {
    const file = precompiledPath();
    precompiled = existsSync(file) ? (require(file) as Record<string, ValidateFunction>) : null;
  }
  return precompiled;
}

function validatorOf(schema: JsonSchema): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = precompiledValidators()?.[schemaKey(schema)] ?? (sharedAjv ??= createAjv()).compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/** Validates `data` against `schema`; returns ajv's raw errors (empty when valid). */
export function validateWithSchema(schema: JsonSchema, data: unknown): ErrorObject[] {
  const validate = validatorOf(schema);
  return validate(data) ? [] : [...(validate.errors ?? [])];
}

/** A schema shipped in the package's `schemas/` folder (src/package-root.ts finds the package). */
export function bundledSchema(fileName: string): JsonSchema {
  const cached = bundled.get(fileName);
  if (cached) return cached;
  const file = path.join(packageRoot(), 'schemas', fileName);
  if (!existsSync(file)) throw new Error(`bundled schema schemas/${fileName} is missing from the installation`);
  const schema = JSON.parse(readFileSync(file, 'utf8')) as JsonSchema;
  bundled.set(fileName, schema);
  return schema;
}
