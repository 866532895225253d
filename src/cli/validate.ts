/** `slipway validate`: a playbook (and inventory) checked offline. */
import { EXIT } from '../errors.js';
import { loadInventory, selectHosts } from '../inventory/load.js';
import { checkPlaybookInventory } from '../playbook/check-inventory.js';
import { loadPlaybook } from '../playbook/load.js';
import { checkPlaybookVars } from '../playbook/vars.js';
import { connectionOptions, extraVarsOf, onePlaybook, parse } from './args.js';
import { printOut } from './output.js';
import { registerSecrets } from './secrets.js';

export async function validate(argv: string[]): Promise<number> {
  const usage = 'usage: slipway validate PLAYBOOK [-i INVENTORY] [-e KEY=VALUE]';
  const { values, positionals } = parse(argv, { inventory: connectionOptions.inventory, extra: connectionOptions.extra, limit: connectionOptions.limit }, usage);
  const playbookFile = onePlaybook(positionals, usage);
  const extraVars = extraVarsOf(values.extra, usage);
  const playbook = await loadPlaybook(playbookFile);
  if (values.inventory) {
    const inventory = await loadInventory(values.inventory);
    // Before selecting hosts: a `hosts:` that selects nothing is reported at its line.
    checkPlaybookInventory(playbook, inventory);
    const hosts = selectHosts(inventory, playbook.hosts, values.limit);
    registerSecrets(playbook, hosts, extraVars);
    checkPlaybookVars(playbook, hosts, extraVars, inventory);
    printOut(`${playbookFile}: ok (${playbook.steps.length} steps; ${hosts.length} hosts selected from ${values.inventory})`);
  } else {
    registerSecrets(playbook, undefined, extraVars);
    checkPlaybookVars(playbook, undefined, extraVars, undefined);
    printOut(`${playbookFile}: ok (${playbook.steps.length} steps)`);
  }
  return EXIT.ok;
}
