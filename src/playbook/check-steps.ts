/**
 * Checks of the `steps:` list that the JSON Schema cannot make: the step type exists, `with:`
 * fits that type's params schema, `when:` is a sound condition, `{{ }}` references are well
 * formed, ids are unique.
 */
import type { FactLookup } from '../facts/registry.js';
import { checkCondition } from './condition-check.js';
import { type FieldPath, isRecord } from './input/field-path.js';
import { validateWithSchema } from './input/json-schema.js';
import type { ProblemList } from './input/problem-list.js';
import { schemaProblems, type Locator } from './input/schema-problems.js';
import { closestMatch } from './input/suggest.js';
import { paramsSchemaOf, type StepTypeLookup } from './step-types.js';
import { hasTemplate, parseTemplate } from './templates.js';
import type { Condition } from './types.js';

/** What the checks learnt about each step, for building the Playbook. */
export interface CheckedStep {
  id: string;
  when: Condition | undefined;
}

export function checkSteps(
  steps: unknown,
  stepTypes: StepTypeLookup,
  facts: FactLookup,
  locator: Locator,
  problems: ProblemList,
): CheckedStep[] {
  if (!Array.isArray(steps)) return [];
  const ids = steps.map((step, index) => (!isRecord(step) ? '' : typeof step.id === 'string' ? step.id : defaultStepId(index, step.uses)));
  const checked = steps.map((step, index): CheckedStep => {
    const path = ['steps', index];
    if (!isRecord(step)) return { id: '', when: undefined };
    checkUses(step, path, stepTypes, locator, problems);
    checkTemplates(step.with, [...path, 'with'], problems);
    const place = { before: ids.slice(0, index), all: ids, preflight: step.preflight === true };
    const when = 'when' in step ? checkCondition(step.when, [...path, 'when'], problems, facts, place) : undefined;
    return { id: ids[index] as string, when };
  });
  checkUniqueIds(steps, checked, problems);
  return checked;
}

/** The id of a step that has none: its position and type, e.g. `3-systemd.service`. */
export function defaultStepId(index: number, uses: unknown): string {
  const kind = typeof uses === 'string' ? uses.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-') : 'step';
  return `${index + 1}-${kind}`;
}

function checkUses(
  step: Record<string, unknown>,
  path: FieldPath,
  stepTypes: StepTypeLookup,
  locator: Locator,
  problems: ProblemList,
): void {
  if (typeof step.uses !== 'string' || step.uses === '') return; // the schema reports it
  const type = stepTypes.get(step.uses);
  if (!type) {
    problems.add([...path, 'uses'], unknownTypeMessage(step.uses, stepTypes.kinds()));
    return;
  }
  const params = step.with === undefined ? {} : step.with;
  if (!isRecord(params)) return; // the schema reports it
  const errors = validateWithSchema(paramsSchemaOf(type), params);
  problems.addAll(
    schemaProblems(errors, params, {
      locator,
      basePath: [...path, 'with'],
      // A value still holding a {{ var }} is checked once substituted, for each host.
      ignore: (value) => typeof value === 'string' && hasTemplate(value),
    }),
  );
}

function unknownTypeMessage(kind: string, kinds: string[]): string {
  const match = closestMatch(kind, kinds);
  if (match !== undefined) return `unknown step type '${kind}' (did you mean '${match}'?)`;
  if (kinds.length === 0) return `unknown step type '${kind}' (no step types are registered)`;
  return `unknown step type '${kind}' (known types: ${kinds.join(', ')})`;
}

/** Reports malformed `{{ }}` references in every string inside `value`. */
export function checkTemplates(value: unknown, path: FieldPath, problems: ProblemList): void {
  if (typeof value === 'string') {
    const parsed = parseTemplate(value);
    if (!parsed.ok) problems.add(path, parsed.error);
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => checkTemplates(item, [...path, index], problems));
  } else if (isRecord(value)) {
    for (const [key, item] of Object.entries(value)) checkTemplates(item, [...path, key], problems);
  }
}

function checkUniqueIds(steps: unknown[], checked: CheckedStep[], problems: ProblemList): void {
  const firstIndex = new Map<string, number>();
  checked.forEach(({ id }, index) => {
    if (id === '') return;
    const earlier = firstIndex.get(id);
    if (earlier === undefined) {
      firstIndex.set(id, index);
      return;
    }
    const explicit = (i: number): boolean => isRecord(steps[i]) && typeof (steps[i] as Record<string, unknown>).id === 'string';
    // Point at an id the user wrote: the later one, or the earlier if only that one is written.
    const at = explicit(index) ? index : earlier;
    const other = at === index ? earlier : index;
    const how = explicit(other) ? `steps[${other}] has the same id` : `it is the default id of steps[${other}]`;
    problems.add(['steps', at, 'id'], `duplicate step id '${id}' (${how})`);
  });
}
