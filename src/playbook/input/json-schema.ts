/**
 * The one place ajv enters: a shared validator instance, the bundled schemas in `schemas/`,
 * and compiled validators cached per schema object.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/**
 * Annotation keyword our schemas use to say, in words, what a value should look like
 * (`a duration like "30s"`). Editors ignore it; error messages use it.
 */
export const expectedKeyword = 'x-expected';

export type JsonSchema = Record<string, unknown>;

let sharedAjv: Ajv | undefined;
const compiled = new WeakMap<JsonSchema, ValidateFunction>();
const bundled = new Map<string, JsonSchema>();

function ajv(): Ajv {
  if (!sharedAjv) {
    // Not strict: step types bring their own params schemas, and an unusual keyword in one of
    // them must not stop a playbook from loading.
    sharedAjv = new Ajv({ allErrors: true, verbose: true, strict: false, allowUnionTypes: true });
    sharedAjv.addKeyword({ keyword: expectedKeyword, schemaType: 'string' });
  }
  return sharedAjv;
}

/** Validates `data` against `schema`; returns ajv's raw errors (empty when valid). */
export function validateWithSchema(schema: JsonSchema, data: unknown): ErrorObject[] {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv().compile(schema);
    compiled.set(schema, validate);
  }
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
