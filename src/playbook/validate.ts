/**
 * Everything `slipway validate` checks, offline: the playbook, the inventory, the playbook
 * against the inventory, and every var reference. All problems come back in one InputError.
 */
import { InputError, type InputProblem } from '../errors.js';
import { selectHosts } from '../inventory/host-patterns.js';
import { loadInventory, type LoadInventoryOptions } from '../inventory/load.js';
import type { Inventory, InventoryHost } from '../inventory/types.js';
import { findInventoryProblems } from './check-inventory.js';
import { findPlaybookVarProblems } from './vars.js';
import { loadPlaybook } from './load.js';
import type { StepTypeLookup } from './step-types.js';
import type { Playbook } from './types.js';

export interface ValidateOptions {
  inventoryFile?: string;
  inventoryOptions?: LoadInventoryOptions;
  /** `-e name=value` vars. */
  extraVars?: Record<string, unknown>;
  /** `--limit`. */
  limit?: string;
  stepTypes?: StepTypeLookup;
}

export interface ValidatedRun {
  playbook: Playbook;
  inventory: Inventory | undefined;
  /** The hosts the run would touch; undefined without an inventory. */
  hosts: InventoryHost[] | undefined;
}

export async function validatePlaybook(file: string, options: ValidateOptions = {}): Promise<ValidatedRun> {
  const [playbookResult, inventoryResult] = await Promise.allSettled([
    loadPlaybook(file, { stepTypes: options.stepTypes }),
    options.inventoryFile === undefined ? Promise.resolve(undefined) : loadInventory(options.inventoryFile, options.inventoryOptions),
  ]);
  const loadProblems = [...problemsOf(playbookResult), ...problemsOf(inventoryResult)];
  if (playbookResult.status === 'rejected' || inventoryResult.status === 'rejected') throw new InputError(loadProblems);
  const playbook = playbookResult.value;
  const inventory = inventoryResult.value;

  let hosts: InventoryHost[] | undefined;
  if (inventory) {
    const problems = findInventoryProblems(playbook, inventory);
    if (problems.length > 0) throw new InputError(problems);
    hosts = selectHosts(inventory, playbook.hosts, options.limit);
  }
  const varProblems = findPlaybookVarProblems(playbook, hosts, options.extraVars, { stepTypes: options.stepTypes });
  if (varProblems.length > 0) throw new InputError(varProblems);
  return { playbook, inventory, hosts };
}

/** The problems of a failed load; rethrows anything that is not bad input. */
function problemsOf(result: PromiseSettledResult<unknown>): InputProblem[] {
  if (result.status === 'fulfilled') return [];
  if (result.reason instanceof InputError) return [...result.reason.problems];
  throw result.reason;
}
