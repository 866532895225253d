/** `slipway plan`: connect, check every step on every node, show what would change. */
import { InputError } from '../errors.js';
import { computePlan, planExitCode } from '../runner/plan.js';
import { sshRemotes } from '../transport/ssh.js';
import { formatPlan } from '../ui/plan-printer.js';
import { terminalSafeData } from '../ui/terminal-text.js';
import { connectionOptions, targetOptions, extraVarsOf, onePlaybook, parse, requireInventory, sshOptionsOf } from './args.js';
import { becomePassword } from './become.js';
import { loadInputs } from './inputs.js';
import { printFormatted, printJson } from './output.js';

export async function plan(argv: string[]): Promise<number> {
  const usage = 'usage: slipway plan PLAYBOOK -i INVENTORY [--limit PATTERNS] [--hosts PATTERNS] [--on GROUP] [-e KEY=VALUE] [--output text|json]';
  const { values, positionals } = parse(argv, { ...connectionOptions, ...targetOptions, output: { type: 'string', default: 'text' } }, usage);
  const output = values.output;
  if (output !== 'text' && output !== 'json') throw new InputError(`--output must be text or json (found '${output}')\n${usage}`);
  const extraVars = extraVarsOf(values.extra, usage);
  const inputs = await loadInputs({
    playbookFile: onePlaybook(positionals, usage),
    inventoryFile: requireInventory(values.inventory, usage),
    limit: values.limit,
    extraVars,
    retarget: { hosts: values.hosts, on: values.on },
    ...(values['ssh-config'] ? { sshConfigFile: values['ssh-config'] } : {}),
  });
  const sudoPassword = await becomePassword(inputs.hosts, values['ask-become-pass'] === true);
  const result = await computePlan({
    ...inputs,
    extraVars,
    remotes: sshRemotes(sshOptionsOf(values, sudoPassword)),
  });
  if (output === 'json') printJson(result);
  else printFormatted(formatPlan(terminalSafeData(result), { color: process.stdout.isTTY === true && !process.env.NO_COLOR }));
  return planExitCode(result);
}
