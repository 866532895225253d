/**
 * Turns ajv's errors into problems a person can act on: placed at the offending value (or key)
 * in the file, worded as "what was expected (what was found)", with "did you mean" for typos.
 * Alternatives (`anyOf`/`oneOf`) are reduced to the one explanation that fits the value.
 */
import type { ErrorObject } from 'ajv';
import type { InputProblem, SourceLocation } from '../../errors.js';
import { describeFound, listWords, quote, showScalar, typeWords } from './describe.js';
import { type FieldPath, isRecord, pointerToPath, valueAt } from './field-path.js';
import { expectedKeyword } from './json-schema.js';
import { closestMatch, unknownKeyMessage } from './suggest.js';
import type { LocateTarget } from './yaml-source.js';

/** Finds where a field is. `YamlSource` is one; a loaded playbook's remembered positions another. */
export interface Locator {
  locate(path: FieldPath, target?: LocateTarget, field?: FieldPath): SourceLocation;
  sourceTextAt?(path: FieldPath): string | undefined;
}

export interface SchemaProblemOptions {
  locator: Locator;
  /** Where the validated value sits in the document (`['steps', 2, 'with']`). */
  basePath?: FieldPath;
  /** Leave out errors about this value (e.g. a string still holding a `{{ var }}`). */
  ignore?: (value: unknown, path: FieldPath) => boolean;
  /** Appended inside the "(found ...)" part, e.g. `after substituting vars`. */
  foundNote?: string;
}

const unionKeywords = new Set(['anyOf', 'oneOf']);

export function schemaProblems(errors: readonly ErrorObject[], data: unknown, options: SchemaProblemOptions): InputProblem[] {
  const problems: InputProblem[] = [];
  const seen = new Set<string>();
  for (const error of reduceErrors(errors)) {
    const relative = pointerToPath(error.instancePath, data);
    const value = valueAt(data, relative);
    if (options.ignore?.(value, relative)) continue;
    const problem = translate(error, relative, value, options);
    const key = `${problem.location?.line}:${problem.location?.col}:${problem.location?.field}:${problem.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      problems.push(problem);
    }
  }
  return problems;
}

/**
 * Keeps the errors that explain the failure. For a value that must match one of several
 * alternatives, ajv reports every alternative's complaint; we keep the one for the alternative
 * of the value's own kind, or else a single "must be A, B or C" error. A key that is missing
 * because it was misspelt is reported once, as the misspelling.
 */
export function reduceErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  let list = errors.filter((e) => e.keyword !== 'if');
  const nameChecks = list.filter((e) => e.keyword === 'propertyNames');
  list = list.filter(
    (e) =>
      !nameChecks.some((n) => n !== e && n.instancePath === e.instancePath && e.schemaPath.startsWith(`${n.schemaPath}/`)),
  );
  return dropMisspeltRequired(reduceUnions(list));
}

function reduceUnions(list: ErrorObject[]): ErrorObject[] {
  const unions = list.filter((e) => unionKeywords.has(e.keyword));
  // An error belongs to an alternative when it sits under a union's schema path, or is a union.
  const inUnion = (e: ErrorObject): boolean =>
    unionKeywords.has(e.keyword) ||
    unions.some((u) => u.instancePath === e.instancePath && e.schemaPath.startsWith(`${u.schemaPath}/`)) ||
    // Alternatives reached through a $ref carry the referenced schema's path instead.
    (/^#\/(definitions|\$defs)\//.test(e.schemaPath) && unions.some((u) => u.instancePath === e.instancePath));
  const unionPaths = new Set(unions.map((e) => e.instancePath));
  const kept = list.filter((e) => !unionPaths.has(e.instancePath) || !inUnion(e));
  for (const at of unionPaths) {
    // Errors inside the value mean one alternative fitted its kind: those errors explain it.
    if (list.some((e) => isInside(e.instancePath, at))) continue;
    const here = list.filter((e) => e.instancePath === at && inUnion(e));
    const specific = here.filter((e) => e.keyword !== 'type' && !unionKeywords.has(e.keyword));
    const outermost = here.filter((e) => unionKeywords.has(e.keyword)).at(-1);
    const [only] = specific;
    if (only && specific.length === 1 && (explainsItself(only) || !outermost)) kept.push(only);
    else if (outermost) kept.push(outermost);
  }
  return kept;
}

/**
 * `lines:` where `line:` is required gives "unknown key 'lines'" and "missing 'line'": keep the
 * first, which names the fix, and drop requirements (plain or among alternatives) it explains.
 */
function dropMisspeltRequired(list: ErrorObject[]): ErrorObject[] {
  const fixes = new Map<string, Set<string>>();
  for (const e of list) {
    if (e.keyword !== 'additionalProperties' || !isRecord(e.parentSchema) || !isRecord(e.parentSchema.properties)) continue;
    const fix = closestMatch(String(e.params.additionalProperty), Object.keys(e.parentSchema.properties));
    if (fix !== undefined) fixes.set(e.instancePath, (fixes.get(e.instancePath) ?? new Set()).add(fix));
  }
  if (fixes.size === 0) return list;
  return list.filter((e) => {
    const fixed = fixes.get(e.instancePath);
    if (!fixed) return true;
    if (e.keyword === 'required') return !fixed.has(String(e.params.missingProperty));
    if (unionKeywords.has(e.keyword)) return !requiredAlternatives(e.parentSchema?.[e.keyword]).some((keys) => keys.some((k) => fixed.has(k)));
    return true;
  });
}

/** For alternatives that only require keys (`anyOf: [{required: [a]}, {required: [b]}]`), their keys. */
function requiredAlternatives(branches: unknown): string[][] {
  if (!Array.isArray(branches)) return [];
  const keys = branches.map((b) => (isRecord(b) && Array.isArray(b.required) && b.type === undefined ? b.required.map(String) : undefined));
  return keys.every((k) => k !== undefined) ? (keys as string[][]) : [];
}

/**
 * Whether the one failing alternative's error says enough on its own. "Must be 'auto'" does
 * not (the value could also have been a number): the list of alternatives says more.
 */
function explainsItself(error: ErrorObject): boolean {
  const schema = isRecord(error.parentSchema) ? error.parentSchema : {};
  return typeof schema[expectedKeyword] === 'string' || (error.keyword !== 'const' && error.keyword !== 'enum');
}

function isInside(pointer: string, parent: string): boolean {
  return pointer.startsWith(`${parent}/`);
}

function translate(
  error: ErrorObject,
  relative: FieldPath,
  value: unknown,
  options: SchemaProblemOptions,
): InputProblem {
  const base = options.basePath ?? [];
  const path = [...base, ...relative];
  const schema = isRecord(error.parentSchema) ? error.parentSchema : {};
  const sourceText = options.locator.sourceTextAt?.(path);
  const note = options.foundNote ? `, ${options.foundNote}` : '';
  const foundWith = (extra: string): string => `(found ${describeFound(value, sourceText)}${note}${extra})`;
  const found = foundWith('');
  const expected = typeof schema[expectedKeyword] === 'string' ? (schema[expectedKeyword] as string) : undefined;
  const params = error.params as Record<string, unknown>;
  const at = (message: string, target: LocateTarget = 'value', where: FieldPath = path): InputProblem => ({
    location: options.locator.locate(where, target, path),
    message,
  });

  switch (error.keyword) {
    case 'type': {
      const types = ([] as unknown[]).concat(params.type).map(String);
      const wanted = expected ?? listWords(types.map(typeWords));
      const quoteHint =
        types.includes('string') && (typeof value === 'number' || typeof value === 'boolean')
          ? `; put it in quotes: "${sourceText ?? String(value)}"`
          : '';
      return at(`must be ${wanted} ${foundWith(quoteHint)}`);
    }
    case 'required':
      return at(`missing required key '${String(params.missingProperty)}'`);
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const known = isRecord(schema.properties) ? Object.keys(schema.properties) : [];
      return { location: options.locator.locate([...path, key], 'key', path), message: unknownKeyMessage(key, known) };
    }
    case 'propertyNames': {
      const key = String(params.propertyName);
      const inner = isRecord(schema.propertyNames) ? schema.propertyNames : {};
      const rule = typeof inner[expectedKeyword] === 'string' ? `: must be ${String(inner[expectedKeyword])}` : '';
      return { location: options.locator.locate([...path, key], 'key', path), message: `invalid key ${quote(key)}${rule}` };
    }
    case 'enum': {
      const allowed = Array.isArray(params.allowedValues) ? params.allowedValues : [];
      const suggestion = typeof value === 'string' ? closestMatch(value, allowed.map(String)) : undefined;
      const hint = suggestion !== undefined ? `; did you mean '${suggestion}'?` : '';
      return at(`must be ${expected ?? `one of ${allowed.map(String).join(', ')}`} ${foundWith(hint)}`);
    }
    case 'const':
      return at(`must be ${showScalar(params.allowedValue)} ${found}`);
    case 'pattern':
      return at(`must be ${expected ?? `text matching /${String(params.pattern)}/`} ${found}`);
    case 'format':
      return at(`must be ${expected ?? `a valid ${String(params.format)}`} ${found}`);
    case 'minLength':
      return params.limit === 1 ? at('must not be empty') : at(`must be at least ${String(params.limit)} characters long ${found}`);
    case 'maxLength':
      return at(`must be at most ${String(params.limit)} characters long ${found}`);
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return at(`must be ${expected ?? `${comparisonWords(String(params.comparison))} ${String(params.limit)}`} ${found}`);
    case 'multipleOf':
      return at(`must be a multiple of ${String(params.multipleOf)} ${found}`);
    case 'minItems':
      return params.limit === 1
        ? at('must not be an empty list')
        : at(`must have at least ${String(params.limit)} items (found ${countOf(value)})`);
    case 'maxItems':
      return at(`must have at most ${String(params.limit)} items (found ${countOf(value)})`);
    case 'uniqueItems':
      return at(`must not repeat items (items ${listWords([params.j, params.i].map(Number).sort((a, b) => a - b).map(String), 'and')} are the same)`);
    case 'minProperties':
      return at(`must have at least ${String(params.limit)} keys`);
    case 'maxProperties':
      return at(`must have at most ${String(params.limit)} keys`);
    case 'dependencies':
    case 'dependentRequired':
      return at(`'${String(params.missingProperty)}' is required when '${String(params.property)}' is set`);
    case 'anyOf':
    case 'oneOf': {
      if (Array.isArray(params.passingSchemas)) return at(`matches more than one of the allowed forms ${found}`);
      const keySets = requiredAlternatives(schema[error.keyword]);
      if (keySets.length > 0 && expected === undefined) {
        const options = keySets.map((keys) => keys.map((k) => `'${k}'`).join(' and '));
        const lead = error.keyword === 'oneOf' ? 'exactly one of ' : '';
        return at(`needs ${lead}${listWords(options)}`);
      }
      return at(`must be ${expected ?? alternativesWords(schema[error.keyword])} ${found}`);
    }
    case 'not':
      return at(expected ? `must be ${expected} ${found}` : `is not allowed here ${found}`);
    case 'false schema':
      return at(`is not allowed here ${found}`);
    default:
      return at(`is not valid here ${found}`);
  }
}

function comparisonWords(comparison: string): string {
  switch (comparison) {
    case '>=':
      return 'at least';
    case '>':
      return 'greater than';
    case '<=':
      return 'at most';
    case '<':
      return 'less than';
    default:
      return comparison;
  }
}

function countOf(value: unknown): string {
  return Array.isArray(value) ? String(value.length) : describeFound(value);
}

/** "a whole number, a string or a list", from the alternatives themselves. */
function alternativesWords(branches: unknown): string {
  if (!Array.isArray(branches)) return 'one of the allowed forms';
  const words = branches.map((branch): string | undefined => {
    if (!isRecord(branch)) return undefined;
    if (typeof branch[expectedKeyword] === 'string') return branch[expectedKeyword] as string;
    if ('const' in branch) return showScalar(branch.const);
    if (Array.isArray(branch.enum)) return `one of ${branch.enum.map(String).join(', ')}`;
    if (typeof branch.type === 'string') return typeWords(branch.type);
    return undefined;
  });
  const known = [...new Set(words.filter((w): w is string => w !== undefined))];
  return known.length === words.length && known.length > 0 ? listWords(known) : 'one of the allowed forms';
}
