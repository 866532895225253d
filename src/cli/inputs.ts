/**
 * Loads and validates what a command works on: playbook, inventory, selected hosts, extra
 * vars. Everything offline; every problem is an InputError (exit 2) naming file:line:col.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { InputError } from '../errors.js';
import { loadInventory, selectHosts } from '../inventory/load.js';
import type { Inventory, InventoryHost } from '../inventory/types.js';
import { loadPlaybook } from '../playbook/load.js';
import type { Playbook } from '../playbook/types.js';
import type { RunInputs } from '../runner/events.js';
import { checkPlaybookInventory } from '../playbook/check-inventory.js';
import { retargetPlaybook, type Retarget } from '../playbook/retarget.js';
import { checkPlaybookVars } from '../playbook/vars.js';
import { unusedExtraVarProblems } from '../playbook/extra-vars-check.js';
import { registerSecrets } from './secrets.js';

export interface LoadedInputs {
  playbook: Playbook;
  inventory: Inventory;
  hosts: InventoryHost[];
  inventoryHash: string;
}

/**
 * `-e key=value` (repeatable): the value is a string, as in Ansible (`-e v=1.30` stays "1.30",
 * not the number 1.3). For typed values, pass a JSON object: `-e '{"replicas": 3, "flags": ["--a"]}'`.
 */
export function parseExtraVars(pairs: readonly string[]): Record<string, unknown> {
  const vars: Record<string, unknown> = {};
  for (const pair of pairs) {
    if (pair.trimStart().startsWith('{')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(pair);
      } catch (err) {
        throw new InputError(`-e ${pair}: not valid JSON (${(err as Error).message})`);
      }
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InputError(`-e ${pair}: expected a JSON object of vars`);
      for (const [key, value] of Object.entries(parsed)) vars[checkVarName(key, pair)] = value;
      continue;
    }
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new InputError(`-e ${pair}: expected key=value or a JSON object`);
    vars[checkVarName(pair.slice(0, eq), pair)] = pair.slice(eq + 1);
  }
  return vars;
}

function checkVarName(key: string, pair: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new InputError(`-e ${pair}: '${key}' is not a valid var name (letters, digits, _)`);
  return key;
}

/** The inputs a run was (or is) started with, loaded: run and resume alike. */
export function loadRunInputs(inputs: RunInputs, extraVars: Record<string, unknown>): Promise<LoadedInputs> {
  return loadInputs({
    playbookFile: inputs.playbookFile,
    inventoryFile: inputs.inventoryFile,
    limit: inputs.limit,
    extraVars,
    retarget: { hosts: inputs.hosts, on: inputs.on },
    ...(inputs.sshConfigFile ? { sshConfigFile: inputs.sshConfigFile } : {}),
  });
}

/** Every `-e` name must be read by the playbook: a misspelt one would leave the default in force silently. */
export function checkExtraVarsUsed(playbook: Playbook, extraVars: Record<string, unknown>): void {
  const problems = unusedExtraVarProblems(playbook, extraVars);
  if (problems.length) throw new InputError(problems);
}

export async function loadInputs(args: {
  playbookFile: string;
  inventoryFile: string;
  limit: string | undefined;
  extraVars: Record<string, unknown>;
  sshConfigFile?: string;
  /** `--hosts` and `--on`: where the playbook runs, set on the command line. */
  retarget?: Retarget;
}): Promise<LoadedInputs> {
  const loaded = await loadPlaybook(args.playbookFile);
  checkExtraVarsUsed(loaded, args.extraVars);
  const inventory = await loadInventory(args.inventoryFile, args.sshConfigFile ? { sshConfigFile: args.sshConfigFile } : {});
  const playbook = retargetPlaybook(loaded, inventory, args.retarget ?? {});
  // Before selecting hosts: a `hosts:` that selects nothing is reported at its line.
  checkPlaybookInventory(playbook, inventory);
  const hosts = selectHosts(inventory, playbook.hosts, args.limit);
  registerSecrets(playbook, hosts, args.extraVars);
  checkPlaybookVars(playbook, hosts, args.extraVars, inventory);
  const inventoryHash = createHash('sha256').update(await fs.readFile(args.inventoryFile)).digest('hex');
  return { playbook, inventory, hosts, inventoryHash };
}
