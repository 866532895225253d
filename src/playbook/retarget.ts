/**
 * The command line's say over where a playbook runs, without editing it: `--hosts PATTERN`
 * replaces its `hosts:`, `--on GROUP` the group of every step with `on: <group>` (where kubectl
 * runs; `on: local` stays). Each value is checked against the inventory, its message naming the
 * option.
 */
import { InputError } from '../errors.js';
import { matchHostPattern } from '../inventory/host-patterns.js';
import type { Inventory } from '../inventory/types.js';
import { groupProblem } from './check-inventory.js';
import { playbookLocator, rememberLocations } from './locations.js';
import type { Playbook } from './types.js';

export interface Retarget {
  /** Host patterns, as `hosts:` takes them. */
  hosts?: string | undefined;
  /** The group `on: <group>` steps run on. */
  on?: string | undefined;
}

export function retargetPlaybook(playbook: Playbook, inventory: Inventory, to: Retarget): Playbook {
  if (to.hosts === undefined && to.on === undefined) return playbook;
  const problems: string[] = [];
  if (to.hosts !== undefined) problems.push(...matchHostPattern(inventory, to.hosts, ' in the inventory').unmatched.map((p) => `--hosts: ${p}`));
  if (to.on !== undefined && to.on !== 'local') {
    const problem = groupProblem(to.on, inventory, "--on takes a group name or 'local'");
    if (problem) problems.push(`--on: ${problem}`);
  }
  if (problems.length) throw new InputError(problems.map((message) => ({ message: `${message} (${inventory.file})` })));
  const on = to.on;
  const retargeted: Playbook = {
    ...playbook,
    ...(to.hosts !== undefined ? { hosts: [to.hosts] } : {}),
    steps: on === undefined ? playbook.steps : playbook.steps.map((s) => (s.on !== undefined && s.on !== 'local' ? { ...s, on } : s)),
  };
  rememberLocations(retargeted, playbookLocator(playbook));
  return retargeted;
}
