/**
 * Checks of a playbook against the inventory it will run with: its `hosts:` patterns select
 * something, and every group named by `on:` and `rolling.serialFirst` exists.
 */
import { InputError, type InputProblem } from '../errors.js';
import { matchHostPattern } from '../inventory/host-patterns.js';
import type { Inventory } from '../inventory/types.js';
import type { FieldPath } from './input/field-path.js';
import { sortProblems } from './input/yaml-source.js';
import { closestMatch } from './input/suggest.js';
import { playbookLocator } from './locations.js';
import type { Playbook } from './types.js';

export function findInventoryProblems(playbook: Playbook, inventory: Inventory): InputProblem[] {
  const locator = playbookLocator(playbook);
  const problems: InputProblem[] = [];
  const add = (path: FieldPath, message: string): void => {
    problems.push({ location: locator.locate(path), message });
  };

  playbook.hosts.forEach((pattern, index) => {
    const path = playbook.hosts.length === 1 ? ['hosts'] : ['hosts', index];
    for (const problem of matchHostPattern(inventory, pattern, ' in the inventory').unmatched) add(path, problem);
  });

  playbook.steps.forEach((step, index) => {
    if (step.on === undefined || step.on === 'local') return;
    const problem = groupProblem(step.on, inventory, "'on:' takes a group name or 'local'");
    if (problem) add(['steps', index, 'on'], problem);
  });

  playbook.rolling.serialFirst.forEach((group, index) => {
    const problem = groupProblem(group, inventory, 'serialFirst takes group names');
    if (problem) add(['rolling', 'serialFirst', index], problem);
  });
  return sortProblems(problems);
}

export function checkPlaybookInventory(playbook: Playbook, inventory: Inventory): void {
  const problems = findInventoryProblems(playbook, inventory);
  if (problems.length > 0) throw new InputError(problems);
}

export function groupProblem(group: string, inventory: Inventory, rule: string): string | undefined {
  const members = inventory.groups[group];
  if (members === undefined) {
    if (inventory.hosts.some((h) => h.name === group)) return `'${group}' is a host, not a group; ${rule}`;
    const match = closestMatch(group, Object.keys(inventory.groups));
    const hint = match === undefined ? '' : ` (did you mean '${match}'?)`;
    return `unknown group '${group}' in the inventory${hint}`;
  }
  if (members.length === 0) return `group '${group}' has no hosts in the inventory`;
  return undefined;
}
