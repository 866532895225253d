/**
 * Checks a `when:` condition as written and builds the Condition it means. Done by hand rather
 * than by the JSON Schema, so that each rule ("exactly one operator", "a valid semver range")
 * gets a message that names it.
 */
import semver from 'semver';
import { isNodeFact, type FactLookup } from '../facts/registry.js';
import { operatorProblem, unknownFactMessage, valueProblem } from './fact-tests.js';
import { describeFound } from './input/describe.js';
import { type FieldPath, isRecord } from './input/field-path.js';
import type { ProblemList } from './input/problem-list.js';
import { closestMatch, unknownKeyMessage } from './input/suggest.js';
import { hasTemplate, parseTemplate } from './templates.js';
import type { ChangedCondition, Condition, LeafCondition } from './types.js';

export const conditionOperators = ['equals', 'notEquals', 'in', 'satisfies', 'matches', 'exists', 'contains'] as const;
export type ConditionOperator = (typeof conditionOperators)[number];
const subjects = ['fact', 'var'] as const;
const combinators = ['all', 'any', 'not'] as const;
const subjectPath = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/;
const conditionShape = "a condition: {fact: <path>, <operator>: <value>}, {changed: <step id or ids>}, or {all: [...]}, {any: [...]}, {not: {...}}";

/** Where the condition sits, for `changed:`: the ids of the steps before it, and of all steps. */
export interface StepPlace {
  before: readonly string[];
  all: readonly string[];
  /** A `preflight:` step is checked before the node's first step: nothing has changed yet. */
  preflight: boolean;
}

type Scalar = string | number | boolean;

/**
 * The condition at `path`, or undefined when it has problems (added to `problems`). Fact names
 * must be in `facts`, and each test must fit the fact's type.
 */
export function checkCondition(value: unknown, path: FieldPath, problems: ProblemList, facts: FactLookup, place: StepPlace): Condition | undefined {
  if (!isRecord(value)) {
    problems.add(path, `must be ${conditionShape} (found ${describeFound(value)})`);
    return undefined;
  }
  const keys = Object.keys(value);
  if (keys.length === 0) {
    problems.add(path, "empty condition: needs 'fact' or 'var' and an operator, or one of all, any, not");
    return undefined;
  }
  const combinator = combinators.find((c) => keys.includes(c));
  if (combinator) return checkCombinator(value, combinator, path, problems, facts, place);
  if (keys.includes('changed')) return checkChanged(value, path, problems, place);
  return checkLeaf(value, path, problems, facts);
}

/** `{changed: id}` or `{changed: [ids]}`: steps before this one, each named once. */
function checkChanged(value: Record<string, unknown>, path: FieldPath, problems: ProblemList, place: StepPlace): ChangedCondition | undefined {
  const before = problems.count;
  for (const key of Object.keys(value).filter((k) => k !== 'changed')) {
    problems.add([...path, key], `'${key}' cannot sit next to 'changed' in one map; combine tests with 'all' or 'any'`, { target: 'key', field: path });
  }
  const at = [...path, 'changed'];
  const operand = value.changed;
  const ids = typeof operand === 'string' ? [operand] : Array.isArray(operand) && operand.length > 0 ? operand : undefined;
  if (!ids) {
    problems.add(at, `must be a step id or a non-empty list of step ids (found ${describeFound(operand)})`);
    return undefined;
  }
  if (place.preflight) {
    problems.add(at, "a preflight step is checked before the node's first step, when no step has changed anything yet; drop 'preflight' or test facts instead");
  }
  ids.forEach((id: unknown, i) => {
    const itemAt = typeof operand === 'string' ? at : [...at, i];
    if (typeof id !== 'string') problems.add(itemAt, `must be a step id (found ${describeFound(id)})`);
    else if (place.before.includes(id)) {
      if (ids.indexOf(id) !== i) problems.add(itemAt, `'${id}' is listed twice`);
    } else if (place.all.includes(id)) {
      const where = place.all[place.before.length] === id ? 'is this step' : 'comes after this step';
      problems.add(itemAt, `'${id}' ${where}; 'changed' asks what an earlier step did`);
    } else {
      const match = closestMatch(id, [...place.before]);
      problems.add(itemAt, `no step before this one has the id '${id}'${match !== undefined ? ` (did you mean '${match}'?)` : ''}`);
    }
  });
  return problems.count === before ? { changed: ids as string[] } : undefined;
}

function checkCombinator(
  value: Record<string, unknown>,
  combinator: (typeof combinators)[number],
  path: FieldPath,
  problems: ProblemList,
  facts: FactLookup,
  place: StepPlace,
): Condition | undefined {
  const strays = Object.keys(value).filter((k) => k !== combinator);
  for (const key of strays) {
    problems.add([...path, key], `'${key}' cannot sit next to '${combinator}' in one map; ${strayHint(combinator)}`, {
      target: 'key',
      field: path,
    });
  }
  const inner = value[combinator];
  if (combinator === 'not') {
    const condition = checkCondition(inner, [...path, 'not'], problems, facts, place);
    return condition && strays.length === 0 ? { not: condition } : undefined;
  }
  if (!Array.isArray(inner) || inner.length === 0) {
    problems.add([...path, combinator], `must be a non-empty list of conditions (found ${describeFound(inner)})`);
    return undefined;
  }
  const items = inner.map((item, index) => checkCondition(item, [...path, combinator, index], problems, facts, place));
  if (strays.length > 0 || items.some((c) => c === undefined)) return undefined;
  const conditions = items as Condition[];
  return combinator === 'all' ? { all: conditions } : { any: conditions };
}

function strayHint(combinator: string): string {
  return combinator === 'not' ? "put the whole test under 'not'" : `put each test in its own item of the '${combinator}' list`;
}

function checkLeaf(value: Record<string, unknown>, path: FieldPath, problems: ProblemList, facts: FactLookup): LeafCondition | undefined {
  const before = problems.count;
  const known: readonly string[] = [...subjects, ...conditionOperators, ...combinators, 'changed'];
  const unknown = Object.keys(value).filter((key) => !known.includes(key));
  const expected = `expected fact or var, and one of ${conditionOperators.join(', ')}`;
  for (const key of unknown) {
    problems.add([...path, key], unknownKeyMessage(key, known, expected), { target: 'key', field: path });
  }
  // A misspelt key is most likely the missing subject or operator: say it once, not twice.
  const explainedByTypo = unknown.length > 0;

  const given = subjects.filter((s) => s in value);
  if (given.length === 0 && !explainedByTypo) problems.add(path, "needs 'fact' or 'var': the path of the value to test");
  if (given.length === 2) {
    problems.add([...path, 'var'], "has both 'fact' and 'var'; a test reads one of them", { target: 'key', field: path });
  }
  for (const subject of given) {
    const text = value[subject];
    if (typeof text !== 'string' || !subjectPath.test(text)) {
      problems.add([...path, subject], `must be a dotted path like runtime.name or target_version (found ${describeFound(text)})`);
    }
  }

  const operators = conditionOperators.filter((o) => o in value);
  if (operators.length === 0 && !explainedByTypo) {
    problems.add(path, `needs an operator: one of ${conditionOperators.join(', ')}`);
  }
  const [first, second] = operators;
  if (first && second) {
    problems.add([...path, second], `a test takes one operator, found '${first}' and '${second}'; combine tests with 'all' or 'any'`, {
      target: 'key',
      field: path,
    });
  }
  for (const operator of operators) checkOperand(operator, value[operator], [...path, operator], problems);
  if (problems.count === before && first && typeof value.fact === 'string') checkFactTest(value.fact, first, value[first], path, problems, facts);

  if (problems.count > before || !first) return undefined;
  const leaf: LeafCondition = {};
  if (typeof value.fact === 'string') leaf.fact = value.fact;
  if (typeof value.var === 'string') leaf.var = value.var;
  setOperand(leaf, first, value[first]);
  return leaf;
}

/** The fact exists, and the test fits its type (operands holding a `{{ var }}` are checked once substituted). */
function checkFactTest(name: string, operator: ConditionOperator, operand: unknown, path: FieldPath, problems: ProblemList, facts: FactLookup): void {
  const fact = facts.get(name);
  if (!fact) {
    problems.add([...path, 'fact'], unknownFactMessage(name, facts));
    return;
  }
  if (!isNodeFact(fact)) {
    problems.add([...path, 'fact'], `${name} is a fact of the ${fact.probe === 'local' ? "operator's machine" : 'cluster'}, read by \`slipway doctor\`; when: tests the facts of the node`);
    return;
  }
  const wrongOperator = operatorProblem(fact, operator);
  if (wrongOperator) {
    problems.add([...path, operator], wrongOperator, { target: 'key' });
    return;
  }
  const check = (item: unknown, at: FieldPath): void => {
    if (!isScalar(item) || (typeof item === 'string' && hasTemplate(item))) return;
    const problem = valueProblem(fact, item);
    if (problem) problems.add(at, problem);
  };
  if (operator === 'equals' || operator === 'notEquals') check(operand, [...path, operator]);
  if (operator === 'in' && Array.isArray(operand)) operand.forEach((item, i) => check(item, [...path, 'in', i]));
}

function checkOperand(operator: ConditionOperator, operand: unknown, path: FieldPath, problems: ProblemList): void {
  const found = `(found ${describeFound(operand)})`;
  switch (operator) {
    case 'equals':
    case 'notEquals':
    case 'contains':
      if (!isScalar(operand)) {
        const hint = Array.isArray(operand) && operator === 'equals' ? "; to test against a list use 'in'" : '';
        problems.add(path, `must be a string, a number or true/false ${found}${hint}`);
      } else checkTemplate(operand, path, problems);
      return;
    case 'in':
      if (!Array.isArray(operand) || operand.length === 0) {
        problems.add(path, `must be a non-empty list of values ${found}`);
        return;
      }
      operand.forEach((item, index) => {
        if (!isScalar(item)) problems.add([...path, index], `must be a string, a number or true/false (found ${describeFound(item)})`);
        else checkTemplate(item, [...path, index], problems);
      });
      return;
    case 'satisfies':
      if (typeof operand !== 'string') {
        problems.add(path, `must be a semver range in quotes, like ">=1.27.0" ${found}`);
      } else if (!hasTemplate(operand)) {
        if (operand.trim() === '' || semver.validRange(operand) === null) {
          problems.add(path, `invalid semver range '${operand}' (examples: ">=1.27.0", "~1.28", ">=1.27 <1.29")`);
        }
      } else checkTemplate(operand, path, problems);
      return;
    case 'matches':
      if (typeof operand !== 'string') {
        problems.add(path, `must be a regular expression in quotes ${found}`);
      } else if (!hasTemplate(operand)) {
        const error = regexError(operand);
        if (error) problems.add(path, `invalid regular expression '${operand}': ${error}`);
      } else checkTemplate(operand, path, problems);
      return;
    case 'exists':
      if (typeof operand !== 'boolean') problems.add(path, `must be true or false ${found}`);
      return;
  }
}

function checkTemplate(operand: Scalar, path: FieldPath, problems: ProblemList): void {
  if (typeof operand !== 'string') return;
  const parsed = parseTemplate(operand);
  if (!parsed.ok) problems.add(path, parsed.error);
}

/** The reason a pattern is not a valid regular expression, or undefined when it is. */
export function regexError(pattern: string): string | undefined {
  try {
    new RegExp(pattern);
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
  }
}

function setOperand(leaf: LeafCondition, operator: ConditionOperator, operand: unknown): void {
  switch (operator) {
    case 'equals':
    case 'notEquals':
    case 'contains':
      leaf[operator] = operand as Scalar;
      return;
    case 'in':
      leaf.in = operand as Scalar[];
      return;
    case 'satisfies':
    case 'matches':
      leaf[operator] = operand as string;
      return;
    case 'exists':
      leaf.exists = operand as boolean;
      return;
  }
}

function isScalar(value: unknown): value is Scalar {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}
