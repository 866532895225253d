/**
 * The values to hide in everything this command prints or writes: every string under a
 * secret-named var (`*password`, `*token`, `*secret`, ...) of the playbook, the inventory's hosts
 * and `-e`, as substituted for each host (a secret may be a `{{ ref }}` to another var).
 */
import type { InventoryHost } from '../inventory/types.js';
import { hasTemplate } from '../playbook/templates.js';
import type { Playbook } from '../playbook/types.js';
import { varsFor, VarResolver } from '../playbook/var-resolver.js';
import { processSecrets, secretStringsIn } from '../runner/redact.js';

export function registerSecretVars(vars: Record<string, unknown>): void {
  for (const value of secretStringsIn(vars)) processSecrets.add(value);
}

export function registerSecrets(playbook: Playbook, hosts: readonly InventoryHost[] | undefined, extraVars: Record<string, unknown>): void {
  for (const host of hosts && hosts.length > 0 ? hosts : [undefined]) {
    const vars = varsFor(playbook, host, extraVars);
    const resolver = new VarResolver(vars);
    registerSecretVars(host?.vars ?? {}); // also those the playbook's vars shadow
    for (const value of secretStringsIn(vars)) {
      processSecrets.add(value);
      if (hasTemplate(value)) {
        try {
          processSecrets.add(String(resolver.substitute(value)));
        } catch {
          // An unresolvable reference is reported by validation; nothing to hide yet.
        }
      }
    }
  }
}
