/**
 * Vars for callers: substituting them into a step for one host, and the validation-time check
 * that every `{{ ref }}` resolves (on every host of the inventory, when one is given). The
 * substitution itself is in var-resolver.ts; the syntax is described in VARS.md.
 */
import semver from 'semver';
import { InputError, type InputProblem } from '../errors.js';
import type { Inventory, InventoryHost } from '../inventory/types.js';
import { findInventoryProblems } from './check-inventory.js';
import { registeredFacts } from '../facts/registry.js';
import { regexError } from './condition-check.js';
import { valueProblem } from './fact-tests.js';
import { type FieldPath, isRecord } from './input/field-path.js';
import { validateWithSchema } from './input/json-schema.js';
import { schemaProblems, type Locator } from './input/schema-problems.js';
import { sortProblems } from './input/yaml-source.js';
import { playbookLocator } from './locations.js';
import { paramsSchemaOf, registeredStepTypes, type StepTypeLookup } from './step-types.js';
import { hasTemplate, templateRefs } from './templates.js';
import { strings, varsUsedBy } from './extra-vars-check.js';
import type { Condition, Playbook, StepSpec } from './types.js';
import { varsFor, VarProblem, VarResolver } from './var-resolver.js';

export { varsFor } from './var-resolver.js';

export interface VarCheckOptions {
  /** Step types whose params schemas the substituted `with:` must fit. Default: the registry. */
  stepTypes?: StepTypeLookup;
}

/** Collects problems located in the playbook. */
interface Problems {
  locator: Locator;
  list: InputProblem[];
}

/**
 * Every `{{ ref }}` that does not resolve, and every substituted `with:` that no longer fits its
 * step type. With `hosts`, each host is checked with its inventory vars and the message names
 * the hosts when only some fail; without, only playbook vars, extra vars and built-ins count.
 */
export function findPlaybookVarProblems(
  playbook: Playbook,
  hosts: InventoryHost[] | undefined,
  extraVars: Record<string, unknown> = {},
  options: VarCheckOptions = {},
): InputProblem[] {
  const locator = playbookLocator(playbook);
  const targets: Array<InventoryHost | undefined> = hosts && hosts.length > 0 ? hosts : [undefined];
  const failing = new Map<string, { problem: InputProblem; hosts: string[] }>();
  // Hosts whose vars look the same to the playbook resolve the same: each look is resolved once
  // (10,000 hosts that differ only in ansible_host are one resolution).
  const used = varsUsedBy(playbook);
  const byLook = new Map<string, InputProblem[]>();
  for (const host of targets) {
    const vars = varsFor(playbook, host, extraVars);
    const look = host ? resolutionLook(vars, used) : '';
    let problems = byLook.get(look);
    if (!problems) {
      problems = [];
      playbook.steps.forEach((step, index) => {
        // Without a host, node.* are placeholders: the params schema is checked per host only.
        const stepTypes = host ? (options.stepTypes ?? registeredStepTypes) : undefined;
        problems?.push(...resolveStep({ step, index, vars, locator, stepTypes, checkWhen: true }).problems);
      });
      byLook.set(look, problems);
    }
    for (const problem of problems) {
      const where = problem.location;
      const key = `${where?.line}:${where?.col}:${where?.field}\0${problem.message}`;
      const entry = failing.get(key) ?? { problem, hosts: [] };
      if (host) entry.hosts.push(host.name);
      failing.set(key, entry);
    }
  }
  const problems = [...failing.values()].map(({ problem, hosts: failed }) => {
    const some = hosts !== undefined && failed.length > 0 && failed.length < hosts.length;
    return some ? { ...problem, message: `${problem.message} on ${failed.join(', ')}` } : problem;
  });
  return sortProblems(problems);
}

/**
 * What resolving the playbook can see of a host's vars: the names of them all (a misspelt
 * reference suggests the nearest), and the values of those the playbook reads, with the vars
 * their values refer to in turn. Two hosts with the same look resolve alike. Pure.
 */
export function resolutionLook(vars: Record<string, unknown>, used: ReadonlySet<string>): string {
  const seen = new Set<string>();
  const queue = [...used];
  while (queue.length) {
    const name = queue.pop() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    const texts: string[] = [];
    strings(vars[name], texts);
    for (const text of texts) for (const ref of templateRefs(text)) queue.push(ref.split('.')[0] as string);
  }
  const values = [...seen].filter((n) => n in vars).sort().map((n) => [n, vars[n]]);
  return JSON.stringify([Object.keys(vars).sort(), values]);
}

/**
 * Throws InputError with every problem of findPlaybookVarProblems. Given the inventory too,
 * it also checks the playbook against it (hosts patterns, `on:` and serialFirst groups), so one
 * call validates a playbook for a run.
 */
export function checkPlaybookVars(
  playbook: Playbook,
  hosts: InventoryHost[] | undefined,
  extraVars: Record<string, unknown> = {},
  inventory?: Inventory,
  options: VarCheckOptions = {},
): void {
  const problems = [
    ...(inventory ? findInventoryProblems(playbook, inventory) : []),
    ...findPlaybookVarProblems(playbook, hosts, extraVars, options),
  ];
  if (problems.length > 0) throw new InputError(sortProblems(problems));
}

/**
 * The step's `with:` for one host, vars substituted, checked against the step type's params
 * schema. Substituted values are plain data (argv elements, file contents), never shell code.
 */
export function resolveStepParams(
  step: StepSpec,
  playbook: Playbook,
  host: InventoryHost,
  extraVars: Record<string, unknown> = {},
  options: VarCheckOptions = {},
): Record<string, unknown> {
  const resolved = resolveStep({
    step,
    index: Math.max(playbook.steps.findIndex((s) => s === step || s.id === step.id), 0),
    vars: varsFor(playbook, host, extraVars),
    locator: playbookLocator(playbook),
    stepTypes: options.stepTypes ?? registeredStepTypes,
    checkWhen: false,
  });
  if (resolved.problems.length > 0) {
    throw new InputError(resolved.problems.map((p) => ({ ...p, message: `${p.message} on ${host.name}` })));
  }
  return resolved.params;
}

/**
 * The step's name for one host (or, without one, with playbook and extra vars only), vars
 * substituted: `Install containerd {{ containerd_version }}` becomes `Install containerd 1.7.22`.
 * A reference that does not resolve here (a host var, asked without the host) stays as written.
 */
export function stepTitle(step: Pick<StepSpec, 'name'>, playbook: Pick<Playbook, 'vars'>, host: InventoryHost | undefined, extraVars: Record<string, unknown> = {}): string {
  if (!hasTemplate(step.name)) return step.name;
  try {
    // Without a host, node.* have no values (varsFor's placeholders would render as empty).
    const vars = host ? varsFor(playbook, host, extraVars) : { ...playbook.vars, ...extraVars };
    return String(new VarResolver(vars).substitute(step.name));
  } catch (err) {
    if (err instanceof VarProblem) return step.name;
    throw err;
  }
}

interface StepToResolve {
  step: StepSpec;
  /** Position in the playbook, for locations. */
  index: number;
  vars: Record<string, unknown>;
  locator: Locator;
  /** Check the substituted params against their schema; not without a real host. */
  stepTypes: StepTypeLookup | undefined;
  /** Also check the references in `when:` (evaluateCondition substitutes them at run time). */
  checkWhen: boolean;
}

function resolveStep({ step, index, vars, locator, stepTypes, checkWhen }: StepToResolve): {
  params: Record<string, unknown>;
  problems: InputProblem[];
} {
  const resolver = new VarResolver(vars);
  const problems: Problems = { locator, list: [] };
  const withPath = ['steps', index, 'with'];
  const params = substituteAll(step.with, withPath, resolver, problems) as Record<string, unknown>;
  // A `{{ ref }}` in the name must resolve too: titles are shown rendered (plan, live tree, report).
  if (checkWhen && hasTemplate(step.name)) substituteAll(step.name, ['steps', index, 'name'], resolver, problems);
  if (step.when && checkWhen) checkConditionVars(step.when, ['steps', index, 'when'], resolver, problems);

  const type = stepTypes?.get(step.uses);
  if (type && problems.list.length === 0 && hasTemplates(step.with)) {
    const errors = validateWithSchema(paramsSchemaOf(type), params);
    problems.list.push(...schemaProblems(errors, params, { locator, basePath: withPath, foundNote: 'after substituting vars' }));
  }
  return { params, problems: problems.list };
}

function substituteAll(value: unknown, path: FieldPath, resolver: VarResolver, problems: Problems): unknown {
  if (typeof value === 'string') {
    if (!hasTemplate(value)) return value;
    try {
      return resolver.substitute(value);
    } catch (error) {
      if (!(error instanceof VarProblem)) throw error;
      problems.list.push({ location: problems.locator.locate(path), message: error.message });
      return value;
    }
  }
  if (Array.isArray(value)) return value.map((item, i) => substituteAll(item, [...path, i], resolver, problems));
  if (isRecord(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteAll(v, [...path, k], resolver, problems)]));
  }
  return value;
}

function checkConditionVars(cond: Condition, path: FieldPath, resolver: VarResolver, problems: Problems): void {
  if ('all' in cond) return cond.all.forEach((c, i) => checkConditionVars(c, [...path, 'all', i], resolver, problems));
  if ('any' in cond) return cond.any.forEach((c, i) => checkConditionVars(c, [...path, 'any', i], resolver, problems));
  if ('not' in cond) return checkConditionVars(cond.not, [...path, 'not'], resolver, problems);
  if ('changed' in cond) return; // step ids, checked when the playbook loads

  if (cond.var !== undefined && cond.exists === undefined) {
    try {
      resolver.lookup(cond.var);
    } catch (error) {
      if (!(error instanceof VarProblem)) throw error;
      problems.list.push({ location: problems.locator.locate([...path, 'var']), message: error.message });
    }
  }
  const add = (at: FieldPath, message: string): void => {
    problems.list.push({ location: problems.locator.locate(at), message });
  };
  // A value a boolean or enum fact never takes, once its {{ var }} is substituted.
  const fact = cond.fact !== undefined ? registeredFacts.get(cond.fact) : undefined;
  const compare = (operand: string | number | boolean | undefined, at: FieldPath): void => {
    const before = problems.list.length;
    const value = substituteAll(operand, at, resolver, problems);
    const substituted = problems.list.length === before && typeof operand === 'string' && hasTemplate(operand);
    const problem = fact && substituted && typeof value === 'string' ? valueProblem(fact, value) : undefined;
    if (problem) add(at, `${problem} (after substituting vars)`);
  };
  for (const operator of ['equals', 'notEquals', 'contains'] as const) compare(cond[operator], [...path, operator]);
  cond.in?.forEach((item, i) => compare(item, [...path, 'in', i]));
  const before = problems.list.length;
  const range = substituteAll(cond.satisfies, [...path, 'satisfies'], resolver, problems);
  const rangeChanged = problems.list.length === before && typeof range === 'string' && range !== cond.satisfies;
  if (rangeChanged && semver.validRange(range) === null) {
    add([...path, 'satisfies'], `invalid semver range '${range}' (after substituting vars)`);
  }
  const pattern = substituteAll(cond.matches, [...path, 'matches'], resolver, problems);
  const invalid = typeof pattern === 'string' && pattern !== cond.matches ? regexError(pattern) : undefined;
  if (invalid) add([...path, 'matches'], `invalid regular expression '${pattern}' (after substituting vars): ${invalid}`);
}

function hasTemplates(value: unknown): boolean {
  if (typeof value === 'string') return hasTemplate(value);
  if (Array.isArray(value)) return value.some(hasTemplates);
  if (isRecord(value)) return Object.values(value).some(hasTemplates);
  return false;
}
