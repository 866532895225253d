/**
 * The playbook schema editors read (schemas/playbook.schema.json) carries every step type's
 * `with:` schema, generated from the step types themselves (`npm run schema`; a test fails when
 * the file and the step types disagree): `uses:` completes to the step types, and a `with:` key a
 * step type does not take is flagged where it is typed.
 *
 * In the file, `definitions.step.properties.uses` lists the kinds (`enum`) and
 * `definitions.step.allOf` holds one `if uses is K then with is K's params` per kind. A value may
 * always be a `{{ var }}` reference instead (its type is known only once vars are substituted).
 *
 * slipway's own loader does not use those generated parts: it checks `uses:` and `with:` itself,
 * per host after substitution, with messages that name the step type and suggest a near key.
 */
import type { AnyStepType } from '../steps/types.js';
import type { JsonSchema } from './input/json-schema.js';

/** A string holding a `{{ var }}` reference, which stands for a value of any type. */
const TEMPLATE_REF = '#/definitions/templateString';
const TEMPLATE_STRING = { type: 'string', pattern: '\\{\\{.*\\}\\}', description: 'A {{ var }} reference, substituted per host.' };

/** The schema, or a {{ var }} string in its place; arrays' items likewise. */
function orTemplate(schema: unknown): unknown {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return schema;
  const s = { ...(schema as JsonSchema) };
  if (s.items && typeof s.items === 'object') s.items = orTemplate(s.items);
  if (s.type === 'string' && s.pattern === undefined && s.enum === undefined) return s;
  return { anyOf: [s, { $ref: TEMPLATE_REF }] };
}

function withSchema(type: AnyStepType): JsonSchema {
  const params = type.paramsSchema;
  const properties = Object.fromEntries(Object.entries((params.properties ?? {}) as Record<string, unknown>).map(([k, v]) => [k, orTemplate(v)]));
  return { ...params, description: `${type.kind}: ${String(params.description ?? type.description)}`, properties };
}

/** The editor's schema: `base` (the loader's schema) with the step types' `uses:` and `with:` schemas in. */
export function playbookSchemaWithStepTypes(base: JsonSchema, types: readonly AnyStepType[]): JsonSchema {
  const definitions = { ...(base.definitions as Record<string, JsonSchema>) };
  const step = { ...(definitions.step as JsonSchema) };
  const properties = { ...(step.properties as Record<string, JsonSchema>) };
  const sorted = [...types].sort((a, b) => a.kind.localeCompare(b.kind));
  properties.uses = { ...properties.uses, enum: sorted.map((t) => t.kind) };
  step.properties = properties;
  step.allOf = sorted.map((t) => ({
    if: { properties: { uses: { const: t.kind } }, required: ['uses'] },
    then: { properties: { with: withSchema(t) } },
  }));
  definitions.step = step;
  definitions.templateString = TEMPLATE_STRING;
  return { ...base, definitions };
}

/** The loader's schema: the editor's without what playbookSchemaWithStepTypes added. */
export function playbookSchemaForLoader(full: JsonSchema): JsonSchema {
  const definitions = { ...(full.definitions as Record<string, JsonSchema>) };
  const step = { ...(definitions.step as JsonSchema) };
  const properties = { ...(step.properties as Record<string, JsonSchema>) };
  const { enum: _kinds, ...uses } = properties.uses ?? {};
  properties.uses = uses;
  step.properties = properties;
  delete step.allOf;
  definitions.step = step;
  delete definitions.templateString;
  return { ...full, definitions };
}
