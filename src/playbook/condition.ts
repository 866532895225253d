/**
 * Evaluates a `when:` condition against a node's facts and vars. Pure. The reason is the text
 * shown when a step is skipped: `runtime.name is 'containerd', not 'docker'`.
 */
import semver from 'semver';
import { InputError } from '../errors.js';
import { isRecord } from './input/field-path.js';
import type { Condition, LeafCondition } from './types.js';
import { VarProblem, VarResolver } from './var-resolver.js';

export interface ConditionResult {
  result: boolean;
  reason: string;
}

type Scalar = string | number | boolean;

/** What an earlier step did to the node in this run: `unsure` when an earlier pass left it mid-way. */
export type StepChange = 'changed' | 'unsure' | 'unchanged';

/** For `changed:` tests: what each earlier step did; `planned` when it is what a plan predicts. */
export interface StepChanges {
  of(id: string): StepChange;
  planned?: boolean;
}

const noChanges: StepChanges = { of: () => 'unchanged' };

/**
 * `facts` is read by dotted path (`runtime.name`); `vars` (as from varsFor) serve `var:` tests
 * and `{{ refs }}` in operands; `changes`, `changed:` tests. A missing fact or var makes a test
 * false, with the reason that it is unknown; only `exists: false` is true for it.
 */
export function evaluateCondition(cond: Condition, facts: unknown, vars: Record<string, unknown>, changes: StepChanges = noChanges): ConditionResult {
  return evaluate(cond, facts, new VarResolver(vars), changes);
}

function evaluate(cond: Condition, facts: unknown, vars: VarResolver, changes: StepChanges): ConditionResult {
  if ('all' in cond) {
    const results: ConditionResult[] = [];
    for (const item of cond.all) {
      const outcome = evaluate(item, facts, vars, changes);
      if (!outcome.result) return outcome;
      results.push(outcome);
    }
    return { result: true, reason: results.map((r) => r.reason).join(' and ') };
  }
  if ('any' in cond) {
    const results: ConditionResult[] = [];
    for (const item of cond.any) {
      const outcome = evaluate(item, facts, vars, changes);
      if (outcome.result) return outcome;
      results.push(outcome);
    }
    return { result: false, reason: results.map((r) => r.reason).join(' and ') };
  }
  if ('not' in cond) {
    const inner = evaluate(cond.not, facts, vars, changes);
    return { result: !inner.result, reason: inner.reason };
  }
  if ('changed' in cond) return evaluateChanged(cond.changed, changes);
  return evaluateLeaf(cond, facts, vars);
}

/** True when one of the steps changed the node (or may have); the reason names it, or all of them. */
function evaluateChanged(ids: readonly string[], changes: StepChanges): ConditionResult {
  for (const id of ids) {
    const change = changes.of(id);
    if (change === 'changed') return { result: true, reason: `${id} ${changes.planned ? 'would change' : 'changed'} the node` };
    if (change === 'unsure') return { result: true, reason: `${id} was cut short in an earlier pass and may have changed the node` };
  }
  const subject = ids.length === 1 ? (ids[0] as string) : `none of ${ids.join(', ')}`;
  const verb = ids.length === 1 ? (changes.planned ? 'would not change' : 'did not change') : changes.planned ? 'would change' : 'changed';
  return { result: false, reason: `${subject} ${verb} the node` };
}

function evaluateLeaf(leaf: LeafCondition, facts: unknown, vars: VarResolver): ConditionResult {
  const subject = leaf.fact ?? leaf.var ?? '';
  const value = leaf.fact !== undefined ? readPath(facts, leaf.fact) : substituted(() => vars.lookupOptional(subject));
  const known = value !== undefined && value !== null;

  if (leaf.exists !== undefined) {
    return { result: known === leaf.exists, reason: known ? `${subject} is ${show(value)}` : `${subject} is unknown` };
  }
  if (!known) return { result: false, reason: `${subject} is unknown` };
  const is = `${subject} is ${show(value)}`;

  if (leaf.equals !== undefined) {
    const expected = operand(leaf.equals, vars);
    return sameValue(value, expected) ? { result: true, reason: is } : { result: false, reason: `${is}, not ${show(expected)}` };
  }
  if (leaf.notEquals !== undefined) {
    const unwanted = operand(leaf.notEquals, vars);
    return sameValue(value, unwanted) ? { result: false, reason: is } : { result: true, reason: `${is}, not ${show(unwanted)}` };
  }
  if (leaf.in !== undefined) {
    const allowed = leaf.in.map((item) => operand(item, vars));
    const listed = allowed.map(show).join(', ');
    return allowed.some((item) => sameValue(value, item))
      ? { result: true, reason: `${is} (one of ${listed})` }
      : { result: false, reason: `${is}, not one of ${listed}` };
  }
  if (leaf.satisfies !== undefined) {
    const range = String(operand(leaf.satisfies, vars));
    if (semver.validRange(range) === null) {
      throw new InputError(`when: invalid semver range '${range}' (examples: ">=1.27.0", "~1.28")`);
    }
    const version = coerceVersion(value);
    if (version === null) return { result: false, reason: `${is}, which is not a version` };
    return semver.satisfies(version, range)
      ? { result: true, reason: `${is}, which satisfies '${range}'` }
      : { result: false, reason: `${is}, which does not satisfy '${range}'` };
  }
  if (leaf.contains !== undefined) {
    const item = operand(leaf.contains, vars);
    if (!Array.isArray(value)) return { result: false, reason: `${is}, which is not a list` };
    return value.some((v) => sameValue(v, item))
      ? { result: true, reason: `${subject} contains ${show(item)}` }
      : { result: false, reason: `${subject} does not contain ${show(item)}` };
  }
  if (leaf.matches !== undefined) {
    const pattern = String(operand(leaf.matches, vars));
    let regex: RegExp;
    try {
      regex = new RegExp(pattern);
    } catch (error) {
      throw new InputError(`when: invalid regular expression '${pattern}'`, { cause: error });
    }
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    return regex.test(text)
      ? { result: true, reason: `${is}, which matches /${pattern}/` }
      : { result: false, reason: `${is}, which does not match /${pattern}/` };
  }
  throw new InputError(`when: the test on '${subject}' has no operator`);
}

/** Every fact name a condition tests. */
export function conditionFacts(cond: Condition): string[] {
  if ('all' in cond) return cond.all.flatMap(conditionFacts);
  if ('any' in cond) return cond.any.flatMap(conditionFacts);
  if ('not' in cond) return conditionFacts(cond.not);
  if ('changed' in cond) return [];
  return cond.fact !== undefined ? [cond.fact] : [];
}

/**
 * A version for semver from what tools print: `v1.27.3` -> 1.27.3, `1.30` -> 1.30.0,
 * Debian's `2:1.6.20~ds1-1+deb12u3` -> 1.6.20 (epoch and packaging suffix dropped).
 */
export function coerceVersion(value: unknown): string | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  const withoutEpoch = String(value).trim().replace(/^[0-9]+:(?=[0-9])/, '');
  return semver.coerce(withoutEpoch)?.version ?? null;
}

/** The value at a dotted path in plain data (keys of maps, indices of lists). */
export function readPath(data: unknown, path: string): unknown {
  let current = data;
  for (const key of path.split('.')) {
    if (Array.isArray(current) && /^[0-9]+$/.test(key)) current = current[Number(key)];
    else if (current instanceof Map) current = current.get(key);
    else if (isRecord(current)) current = current[key];
    else return undefined;
  }
  return current;
}

function operand(value: Scalar, vars: VarResolver): unknown {
  return typeof value === 'string' ? substituted(() => vars.substitute(value)) : value;
}

function substituted<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof VarProblem) throw new InputError(`when: ${error.message}`, { cause: error });
    throw error;
  }
}

/** Equal as written: `1.27` (a number) equals '1.27' (a string), `true` equals 'true'. */
function sameValue(actual: unknown, expected: unknown): boolean {
  if (actual === expected) return true;
  const scalar = (v: unknown): boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
  return scalar(actual) && scalar(expected) && String(actual) === String(expected);
}

function show(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? String(value);
}
