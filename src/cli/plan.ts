/** `slipway plan`: connect, check every step on every node, show what would change. */
import { computePlan, planExitCode } from '../runner/plan.js';
import { sshRemotes } from '../transport/ssh.js';
import { formatPlan } from '../ui/plan-printer.js';
import { terminalSafeData } from '../ui/terminal-text.js';
import { extraVarsOf, flag, list, onePlaybook, parse, requireInventory, sshOptionsOf, str, textOrJson } from './args.js';
import { becomePassword } from './become.js';
import { loadInputs } from './inputs.js';
import { resolvePlaybookArg } from './bundled.js';
import { printFormatted, printJson } from './output.js';

export async function plan(argv: string[]): Promise<number> {
  const { values, positionals, usage } = parse(argv, 'plan');
  const output = textOrJson(str(values, 'output'));
  const extraVars = extraVarsOf(list(values, 'extra'), usage);
  const sshConfig = str(values, 'ssh-config');
  const inputs = await loadInputs({
    playbookFile: resolvePlaybookArg(onePlaybook(positionals, usage)),
    inventoryFile: requireInventory(str(values, 'inventory'), usage),
    limit: str(values, 'limit'),
    extraVars,
    retarget: { hosts: str(values, 'hosts'), on: str(values, 'on') },
    ...(sshConfig ? { sshConfigFile: sshConfig } : {}),
  });
  const sudoPassword = await becomePassword(inputs.hosts, flag(values, 'ask-become-pass'));
  const result = await computePlan({
    ...inputs,
    extraVars,
    remotes: sshRemotes(sshOptionsOf(values, sudoPassword)),
  });
  if (output === 'json') printJson(result);
  else printFormatted(formatPlan(terminalSafeData(result), { color: process.stdout.isTTY === true && !process.env.NO_COLOR }));
  return planExitCode(result);
}
