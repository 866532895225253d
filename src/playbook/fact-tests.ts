/**
 * What a `when:` test may ask of a fact, by the fact's type (src/facts/registry.ts): an unknown
 * fact name, `satisfies` on a fact that is not a version, `matches` on true/false, a value that
 * a boolean or an enum fact never takes. Pure; each returns the message, or undefined when fine.
 */
import { describeFactType, type FactLookup, type FactSpec } from '../facts/registry.js';
import { closestMatch } from './input/suggest.js';

/** The message for a fact name the registry does not know. */
export function unknownFactMessage(name: string, facts: FactLookup): string {
  const names = facts.names();
  const groupOf = (n: string): string => (n.includes('.') ? n.slice(0, n.indexOf('.')) : '');
  const group = groupOf(name);
  const sameGroup = group ? names.filter((n) => groupOf(n) === group) : [];
  // Within a known group, only the rest of the name is compared: `kubelet.flags` is not a typo
  // of `kubelet.active` because both start with `kubelet.`.
  const leaf = sameGroup.length > 0 ? closestMatch(name.slice(group.length + 1), sameGroup.map((n) => n.slice(group.length + 1))) : undefined;
  const match = sameGroup.length > 0 ? (leaf === undefined ? undefined : `${group}.${leaf}`) : closestMatch(name, names);
  if (match !== undefined) return `unknown fact '${name}' (did you mean '${match}'?)`;
  const known = sameGroup.length > 0 ? sameGroup : [...new Set(names.map((n) => (n.includes('.') ? `${n.split('.')[0]}.*` : n)))];
  return `unknown fact '${name}' (known: ${known.join(', ')}; the README lists every fact)`;
}

type Scalar = string | number | boolean;

/** A problem with testing `fact` by `operator` at all (before looking at the operand). */
export function operatorProblem(fact: FactSpec, operator: string): string | undefined {
  const kind = fact.type.kind;
  if (operator === 'satisfies' && kind !== 'version') {
    return `'satisfies' tests a version, but ${fact.name} is ${describeFactType(fact.type)}${kind === 'boolean' ? ": use 'equals'" : ''}`;
  }
  if (operator === 'matches' && kind === 'boolean') {
    return `'matches' tests text, but ${fact.name} is true or false: use 'equals'`;
  }
  if (operator === 'contains' && kind !== 'list') {
    return `'contains' tests a list, but ${fact.name} is ${describeFactType(fact.type)}: use 'equals'`;
  }
  if (kind === 'list' && operator !== 'contains' && operator !== 'exists') {
    return `${fact.name} is a list: test it with 'contains' (or 'exists')`;
  }
  return undefined;
}

/** A problem with comparing `fact` to `value` (equals, notEquals, an item of in). */
export function valueProblem(fact: FactSpec, value: Scalar): string | undefined {
  const type = fact.type;
  if (type.kind === 'boolean') {
    if (typeof value === 'boolean' || value === 'true' || value === 'false') return undefined;
    return `${fact.name} is true or false (found ${shown(value)})`;
  }
  if (type.kind === 'enum') {
    const text = String(value);
    if (type.values.includes(text)) return undefined;
    const match = closestMatch(text, type.values);
    return `${fact.name} is one of ${type.values.join(', ')} (found ${shown(value)}${match ? `; did you mean '${match}'?` : ''})`;
  }
  return undefined;
}

function shown(value: Scalar): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}
