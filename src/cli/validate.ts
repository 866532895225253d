/** `slipway validate`: a playbook (and inventory) checked offline. */
import { EXIT } from '../errors.js';
import { loadInventory, selectHosts } from '../inventory/load.js';
import { checkPlaybookInventory } from '../playbook/check-inventory.js';
import { loadPlaybook } from '../playbook/load.js';
import { checkPlaybookVars } from '../playbook/vars.js';
import { extraVarsOf, list, onePlaybook, parse, str } from './args.js';
import { resolvePlaybookArg } from './bundled.js';
import { checkExtraVarsUsed } from './inputs.js';
import { printOut } from './output.js';
import { registerSecrets } from './secrets.js';

export async function validate(argv: string[]): Promise<number> {
  const { values, positionals, usage } = parse(argv, 'validate');
  const playbookFile = resolvePlaybookArg(onePlaybook(positionals, usage));
  const extraVars = extraVarsOf(list(values, 'extra'), usage);
  const playbook = await loadPlaybook(playbookFile);
  checkExtraVarsUsed(playbook, extraVars);
  const inventoryFile = str(values, 'inventory');
  if (inventoryFile) {
    const inventory = await loadInventory(inventoryFile);
    // Before selecting hosts: a `hosts:` that selects nothing is reported at its line.
    checkPlaybookInventory(playbook, inventory);
    const hosts = selectHosts(inventory, playbook.hosts, str(values, 'limit'));
    registerSecrets(playbook, hosts, extraVars);
    checkPlaybookVars(playbook, hosts, extraVars, inventory);
    printOut(`${playbookFile}: ok (${playbook.steps.length} steps; ${hosts.length} hosts selected from ${inventoryFile})`);
  } else {
    registerSecrets(playbook, undefined, extraVars);
    checkPlaybookVars(playbook, undefined, extraVars, undefined);
    printOut(`${playbookFile}: ok (${playbook.steps.length} steps)`);
  }
  return EXIT.ok;
}
