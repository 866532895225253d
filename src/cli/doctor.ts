/** `slipway doctor -i INVENTORY [--target-version V]`: which known failure each node is about to hit. */
import { InputError } from '../errors.js';
import { loadInventory, selectHosts } from '../inventory/load.js';
import { coerce } from '../kb/versions.js';
import { runDoctor } from '../runner/doctor.js';
import { saveDoctorSnapshot } from '../runner/doctor-store.js';
import { sshRemotes } from '../transport/ssh.js';
import { formatDoctor } from '../ui/doctor-printer.js';
import { terminalSafeData } from '../ui/terminal-text.js';
import { extraVarsOf, flag, list, parse, requireInventory, sshOptionsOf, str, textOrJson } from './args.js';
import { becomePassword } from './become.js';
import { printFormatted, printJson } from './output.js';

export async function doctor(argv: string[]): Promise<number> {
  const { values, positionals, usage } = parse(argv, 'doctor');
  if (positionals.length) throw new InputError(`doctor takes no PLAYBOOK (found ${positionals.join(' ')})\n${usage}`);
  const output = textOrJson(str(values, 'output'));
  const target = str(values, 'target-version');
  if (target !== undefined && coerce(target) === undefined) throw new InputError(`--target-version ${JSON.stringify(target)} is not a Kubernetes version (e.g. 1.27.16)\n${usage}`);
  // Values for the fixes' commands (and secret ones hidden in the output).
  const extraVars = Object.fromEntries(Object.entries(extraVarsOf(list(values, 'extra'), usage)).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  const inventoryFile = requireInventory(str(values, 'inventory'), usage);
  const sshConfig = str(values, 'ssh-config');
  const inventory = await loadInventory(inventoryFile, sshConfig ? { sshConfigFile: sshConfig } : {});
  const hosts = selectHosts(inventory, ['all'], str(values, 'limit'));
  const sudoPassword = await becomePassword(hosts, flag(values, 'ask-become-pass'));
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
  if (output === 'json') printJson(report);
  else printFormatted(formatDoctor(terminalSafeData(report)));
  return report.exitCode;
}
