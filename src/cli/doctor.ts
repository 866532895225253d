/** `slipway doctor -i INVENTORY [--target-version V]`: which known failure each node is about to hit. */
import { InputError } from '../errors.js';
import { loadInventory, selectHosts } from '../inventory/load.js';
import { coerce } from '../kb/versions.js';
import { runDoctor } from '../runner/doctor.js';
import { saveDoctorSnapshot } from '../runner/doctor-store.js';
import { sshRemotes } from '../transport/ssh.js';
import { formatDoctor } from '../ui/doctor-printer.js';
import { terminalSafeData } from '../ui/terminal-text.js';
import { connectionOptions, extraVarsOf, parse, requireInventory, sshOptionsOf } from './args.js';
import { becomePassword } from './become.js';
import { printFormatted, printJson } from './output.js';

export async function doctor(argv: string[]): Promise<number> {
  const usage = 'usage: slipway doctor -i INVENTORY [--target-version V] [--limit PATTERNS] [-e KEY=VALUE] [--output text|json]';
  const { values, positionals } = parse(argv, { ...connectionOptions, 'target-version': { type: 'string' }, output: { type: 'string', default: 'text' } }, usage);
  if (positionals.length) throw new InputError(`doctor takes no PLAYBOOK (found ${positionals.join(' ')})\n${usage}`);
  if (values.output !== 'text' && values.output !== 'json') throw new InputError(`--output must be text or json (found '${values.output}')\n${usage}`);
  const target = values['target-version'];
  if (target !== undefined && coerce(target) === undefined) throw new InputError(`--target-version ${JSON.stringify(target)} is not a Kubernetes version (e.g. 1.27.16)\n${usage}`);
  // Values for the fixes' commands (and secret ones hidden in the output).
  const extraVars = Object.fromEntries(Object.entries(extraVarsOf(values.extra, usage)).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  const inventoryFile = requireInventory(values.inventory, usage);
  const inventory = await loadInventory(inventoryFile, values['ssh-config'] ? { sshConfigFile: values['ssh-config'] } : {});
  const hosts = selectHosts(inventory, ['all'], values.limit);
  const sudoPassword = await becomePassword(hosts, values['ask-become-pass'] === true);
  const report = await runDoctor({
    inventory,
    hosts,
    inventoryFile,
    target: target === undefined ? undefined : (coerce(target) as string),
    extraVars,
    remotes: sshRemotes(sshOptionsOf(values, sudoPassword)),
  });
  // Kept for the reports of runs before and after it.
  await saveDoctorSnapshot(report);
  if (values.output === 'json') printJson(report);
  else printFormatted(formatDoctor(terminalSafeData(report)));
  return report.exitCode;
}
