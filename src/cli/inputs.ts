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
import { checkPlaybookInventory } from '../playbook/check-inventory.js';
import { checkPlaybookVars } from '../playbook/vars.js';

export interface LoadedInputs {
  playbook: Playbook;
  inventory: Inventory;
  hosts: InventoryHost[];
  inventoryHash: string;
}

/** `-e key=value` (repeatable); a value that parses as JSON (number, list, ...) keeps its type. */
export function parseExtraVars(pairs: readonly string[]): Record<string, unknown> {
  const vars: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new InputError(`-e ${pair}: expected key=value`);
    const key = pair.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new InputError(`-e ${pair}: '${key}' is not a valid var name (letters, digits, _)`);
    const raw = pair.slice(eq + 1);
    let value: unknown = raw;
    if (/^(-?\d+(\.\d+)?|true|false|null|\[.*\]|\{.*\})$/s.test(raw)) {
      try {
        value = JSON.parse(raw);
      } catch {
        value = raw;
      }
    }
    vars[key] = value;
  }
  return vars;
}

export async function loadInputs(args: {
  playbookFile: string;
  inventoryFile: string;
  limit: string | undefined;
  extraVars: Record<string, unknown>;
  sshConfigFile?: string;
}): Promise<LoadedInputs> {
  const playbook = await loadPlaybook(args.playbookFile);
  const inventory = await loadInventory(args.inventoryFile, args.sshConfigFile ? { sshConfigFile: args.sshConfigFile } : {});
  // Before selecting hosts: a `hosts:` that selects nothing is reported at its line.
  checkPlaybookInventory(playbook, inventory);
  const hosts = selectHosts(inventory, playbook.hosts, args.limit);
  checkPlaybookVars(playbook, hosts, args.extraVars, inventory);
  const inventoryHash = createHash('sha256').update(await fs.readFile(args.inventoryFile)).digest('hex');
  return { playbook, inventory, hosts, inventoryHash };
}
