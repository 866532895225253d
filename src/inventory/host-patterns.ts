/**
 * Ansible host patterns, as in a playbook's `hosts:` and `--limit`: names of hosts or groups,
 * globs (`node-*`), `~regex`, separated by commas (or colons); `&group` keeps only members of
 * a group, `!name` removes. Unions first, then intersections, then removals, as Ansible does.
 */
import picomatch from 'picomatch';
import { InputError } from '../errors.js';
import { closestMatch } from '../playbook/input/suggest.js';
import type { Inventory, InventoryHost } from './types.js';

export interface PatternMatch {
  /** Matching host names. */
  hosts: Set<string>;
  /** What is wrong with terms that select nothing: `'wrkers' matches no host or group in hosts.yaml (did you mean 'workers'?)`. */
  unmatched: string[];
}

/** The hosts a pattern string selects. `where` completes "matches no host or group" in problems. */
export function matchHostPattern(inventory: Inventory, pattern: string, where = ` in ${inventory.file}`): PatternMatch {
  const terms = splitPattern(pattern);
  const unmatched: string[] = [];
  const termHosts = (term: string): Set<string> => {
    const hosts = hostsOfTerm(inventory, term);
    if (typeof hosts === 'string') unmatched.push(`'${term}' is not a valid regular expression: ${hosts}`);
    else if (hosts === undefined) {
      unmatched.push(`'${term}' matches no host or group${where}${suggestion(inventory, term)}`);
    }
    return typeof hosts === 'object' ? hosts : new Set();
  };
  const unions = terms.filter((t) => !t.startsWith('&') && !t.startsWith('!'));
  const intersections = terms.filter((t) => t.startsWith('&')).map((t) => t.slice(1));
  const removals = terms.filter((t) => t.startsWith('!')).map((t) => t.slice(1));

  const selected = new Set<string>();
  if (unions.length === 0) inventory.hosts.forEach((h) => selected.add(h.name));
  for (const term of unions) termHosts(term).forEach((h) => selected.add(h));
  for (const term of intersections) {
    const keep = termHosts(term);
    for (const host of [...selected]) if (!keep.has(host)) selected.delete(host);
  }
  for (const term of removals) termHosts(term).forEach((h) => selected.delete(h));
  return { hosts: selected, unmatched };
}

/**
 * The hosts to run on: those the playbook targets (`patterns`), narrowed by `--limit`, in
 * inventory order. Throws InputError when a pattern names nothing or nothing is left.
 */
export function selectHosts(inventory: Inventory, patterns: string[], limit: string | undefined): InventoryHost[] {
  const problems: string[] = [];
  // As in Ansible, a list of patterns is one pattern: `[workers, '!node-3']` is `workers,!node-3`.
  const targets = patterns.length > 0 ? patterns : ['all'];
  const match = matchHostPattern(inventory, targets.join(','));
  const targeted = match.hosts;
  problems.push(...match.unmatched.map((problem) => `playbook hosts: ${problem}`));
  let selected = targeted;
  if (limit !== undefined && limit.trim() !== '') {
    const limited = matchHostPattern(inventory, limit);
    problems.push(...limited.unmatched.map((problem) => `--limit: ${problem}`));
    selected = new Set([...targeted].filter((h) => limited.hosts.has(h)));
  }
  if (problems.length > 0) throw new InputError(problems.map((message) => ({ message })));
  if (selected.size === 0) {
    const what = `playbook hosts '${targets.join(', ')}'`;
    throw new InputError(
      limit === undefined || targeted.size === 0
        ? `${what} select no hosts in ${inventory.file}`
        : `--limit '${limit}' leaves none of the ${targeted.size} hosts of ${what}`,
    );
  }
  return inventory.hosts.filter((h) => selected.has(h.name));
}

/** Splits on commas; on colons too when there is no comma and it is not an IPv6 address. */
export function splitPattern(pattern: string): string[] {
  const byComma = pattern.split(',');
  const parts = byComma.length === 1 && !pattern.includes('::') && !pattern.includes('[') ? pattern.split(':') : byComma;
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/**
 * Hosts matched by one term (without its & or ! prefix); undefined when it matches nothing; the
 * reason when a `~regex` term is not a valid regular expression.
 */
function hostsOfTerm(inventory: Inventory, term: string): Set<string> | undefined | string {
  const hosts = new Set<string>();
  const addGroup = (group: string): void => inventory.groups[group]?.forEach((h) => hosts.add(h));
  let matchedSomething = false;
  if (term === 'all' || term === '*') {
    inventory.hosts.forEach((h) => hosts.add(h.name));
    return hosts;
  }
  let matches: (name: string) => boolean;
  try {
    matches = nameMatcher(term);
  } catch (error) {
    return error instanceof Error ? error.message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '') : String(error);
  }
  for (const group of Object.keys(inventory.groups)) {
    if (matches(group)) {
      matchedSomething = true;
      addGroup(group);
    }
  }
  for (const host of inventory.hosts) {
    if (matches(host.name)) {
      matchedSomething = true;
      hosts.add(host.name);
    }
  }
  return matchedSomething ? hosts : undefined;
}

function nameMatcher(term: string): (name: string) => boolean {
  if (term.startsWith('~')) {
    const regex = new RegExp(term.slice(1));
    return (name) => regex.test(name);
  }
  if (/[*?[]/.test(term)) return picomatch(term, { dot: true });
  return (name) => name === term;
}

function suggestion(inventory: Inventory, term: string): string {
  const match = closestMatch(term, [...Object.keys(inventory.groups), ...inventory.hosts.map((h) => h.name)]);
  return match === undefined ? '' : ` (did you mean '${match}'?)`;
}
