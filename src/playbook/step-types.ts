/**
 * What the loader needs to know about step types: their kinds and params schemas. By default
 * the built-in registry; tests and tools can pass their own list.
 */
import { getStepType, stepKinds } from '../steps/registry.js';
import type { JsonSchema } from './input/json-schema.js';

export interface StepTypeInfo {
  readonly kind: string;
  readonly paramsSchema: JsonSchema;
}

export interface StepTypeLookup {
  get(kind: string): StepTypeInfo | undefined;
  kinds(): string[];
}

/** The step types built into slipway (src/steps/registry.ts). */
export const registeredStepTypes: StepTypeLookup = { get: getStepType, kinds: stepKinds };

/** A lookup over a fixed list of step types. */
export function stepTypeList(types: readonly StepTypeInfo[]): StepTypeLookup {
  const byKind = new Map(types.map((t) => [t.kind, t]));
  return { get: (kind) => byKind.get(kind), kinds: () => [...byKind.keys()].sort() };
}

const closedSchemas = new WeakMap<JsonSchema, JsonSchema>();

/**
 * The params schema as the loader applies it: an object schema that lists its properties and
 * says nothing about others is closed, so a misspelt parameter is an error, not ignored.
 */
export function paramsSchemaOf(type: StepTypeInfo): JsonSchema {
  const schema = type.paramsSchema;
  const cached = closedSchemas.get(schema);
  if (cached) return cached;
  const closed =
    schema.properties !== undefined && schema.additionalProperties === undefined && schema.patternProperties === undefined
      ? { ...schema, additionalProperties: false }
      : schema;
  closedSchemas.set(schema, closed);
  return closed;
}
