/**
 * The one place ajv enters: the validator options, the bundled schemas in `schemas/`, and a
 * validator per schema object. The build compiles the schemas every command validates (the
 * playbook's, the inventory's, each built-in step type's params) into plain JavaScript
 * (src/playbook/input/precompile-validators.ts): a command finds its validator there by the
 * schema's hash and never loads ajv's compiler. A schema that is not there (a step type a test
 * brings, or the sources run without a build) is compiled here, as before.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ajv, ErrorObject, Options as AjvOptions, ValidateFunction } from 'ajv';

/**
 * Annotation keyword our schemas use to say, in words, what a value should look like
 * (`a duration like "30s"`). Editors ignore it; error messages use it.
 */
export const expectedKeyword = 'x-expected';

export type JsonSchema = Record<string, unknown>;

/** Beside the compiled module in `dist/`, written by the build; absent from the sources. */
export const PRECOMPILED_FILE = 'precompiled-validators.cjs';

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
    const file = path.join(path.dirname(fileURLToPath(import.meta.url)), PRECOMPILED_FILE);
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

/**
 * A schema shipped in the package's `schemas/` folder. Found by walking up from this module,
 * so it works both from the sources and from the compiled `dist/` tree.
 */
export function bundledSchema(fileName: string): JsonSchema {
  const cached = bundled.get(fileName);
  if (cached) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'schemas', fileName);
    if (existsSync(candidate)) {
      const schema = JSON.parse(readFileSync(candidate, 'utf8')) as JsonSchema;
      bundled.set(fileName, schema);
      return schema;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`bundled schema schemas/${fileName} is missing from the installation`);
    dir = parent;
  }
}
