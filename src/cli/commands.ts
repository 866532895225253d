/**
 * The commands: validate, plan, run, runs. Each returns its exit code; errors are thrown
 * (typed) and reported by main.
 */
import { createRequire } from 'node:module';
import { EXIT, InputError } from '../errors.js';
import { loadInventory, selectHosts } from '../inventory/load.js';
import { loadPlaybook } from '../playbook/load.js';
import { checkPlaybookVars } from '../playbook/vars.js';
import { computePlan, planExitCode, runPlaybook } from '../runner/engine.js';
import type { EventListener } from '../runner/events.js';
import { Journal } from '../runner/journal.js';
import { createRunDir, listRuns, newRunId } from '../runner/run-store.js';
import { redactSecrets } from '../runner/redact.js';
import { jsonListener, plainListener } from '../ui/plain.js';
import { formatPlan } from '../ui/plan-printer.js';
import { LiveTree } from '../ui/live-tree.js';
import { connectionOptions, parse, requireInventory } from './args.js';
import { becomePassword } from './become.js';
import { loadInputs, parseExtraVars } from './inputs.js';

const require = createRequire(import.meta.url);

export const USAGE = `usage: slipway <command> [options]

commands:
  validate PLAYBOOK [-i INVENTORY]   check a playbook (and inventory) offline
  plan PLAYBOOK -i INVENTORY         connect, check every step on every node, show what would change
  run PLAYBOOK -i INVENTORY          apply the playbook in rolling batches
  runs                               list runs and their outcome

options for plan and run:
  -i, --inventory FILE        Ansible YAML inventory
  -l, --limit PATTERNS        hosts or groups, comma-separated; !name excludes; globs allowed
  -e, --extra KEY=VALUE       extra var (repeatable; highest precedence)
      --accept-new-host-keys  add unknown host keys to known_hosts instead of refusing them
  -K, --ask-become-pass       prompt for the sudo password (or set SLIPWAY_BECOME_PASSWORD)
      --ssh-config FILE       ssh_config to read instead of ~/.ssh/config
      --output MODE           run: tree (terminal default), plain (default otherwise), json
                              plan: text (default) or json

exit codes: 0 done, 1 a step failed, 2 bad input, 3 a host unreachable, 4 a rollback failed, 130 interrupted`;

function version(): string {
  return (require('../../../package.json') as { version: string }).version;
}

export async function runCommand(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? EXIT.badInput : EXIT.ok;
    case '--version':
    case 'version':
      process.stdout.write(`slipway ${version()}\n`);
      return EXIT.ok;
    case 'validate':
      return validate(rest);
    case 'plan':
      return plan(rest);
    case 'run':
      return run(rest);
    case 'runs':
      return runs(rest);
    default:
      throw new InputError(`unknown command '${command}'\n${USAGE}`);
  }
}

function onePlaybook(positionals: string[], usage: string): string {
  if (positionals.length !== 1) throw new InputError(`expected one PLAYBOOK file (found ${positionals.length})\n${usage}`);
  return positionals[0] as string;
}

async function validate(argv: string[]): Promise<number> {
  const usage = 'usage: slipway validate PLAYBOOK [-i INVENTORY] [-e KEY=VALUE]';
  const { values, positionals } = parse(argv, { inventory: connectionOptions.inventory, extra: connectionOptions.extra, limit: connectionOptions.limit }, usage);
  const playbookFile = onePlaybook(positionals, usage);
  const extraVars = parseExtraVars(values.extra ?? []);
  const playbook = await loadPlaybook(playbookFile);
  if (values.inventory) {
    const inventory = await loadInventory(values.inventory);
    const hosts = selectHosts(inventory, playbook.hosts, values.limit);
    checkPlaybookVars(playbook, hosts, extraVars, inventory);
    process.stdout.write(`${playbookFile}: ok (${playbook.steps.length} steps; ${hosts.length} hosts selected from ${values.inventory})\n`);
  } else {
    checkPlaybookVars(playbook, undefined, extraVars, undefined);
    process.stdout.write(`${playbookFile}: ok (${playbook.steps.length} steps)\n`);
  }
  return EXIT.ok;
}

async function plan(argv: string[]): Promise<number> {
  const usage = 'usage: slipway plan PLAYBOOK -i INVENTORY [--limit PATTERNS] [-e KEY=VALUE] [--output text|json]';
  const { values, positionals } = parse(argv, { ...connectionOptions, output: { type: 'string', default: 'text' } }, usage);
  const output = values.output;
  if (output !== 'text' && output !== 'json') throw new InputError(`--output must be text or json (found '${output}')`);
  const inputs = await loadInputs({
    playbookFile: onePlaybook(positionals, usage),
    inventoryFile: requireInventory(values.inventory, usage),
    limit: values.limit,
    extraVars: parseExtraVars(values.extra ?? []),
    ...(values['ssh-config'] ? { sshConfigFile: values['ssh-config'] } : {}),
  });
  const sudoPassword = await becomePassword(inputs.hosts, values['ask-become-pass'] === true);
  const result = await computePlan({
    ...inputs,
    extraVars: parseExtraVars(values.extra ?? []),
    ssh: { acceptNewHostKeys: values['accept-new-host-keys'] === true, ...(sudoPassword !== undefined ? { sudoPassword } : {}) },
  });
  if (output === 'json') process.stdout.write(`${JSON.stringify(result)}\n`);
  else process.stdout.write(`${formatPlan(result, { color: process.stdout.isTTY === true && !process.env.NO_COLOR })}\n`);
  return planExitCode(result);
}

async function run(argv: string[]): Promise<number> {
  const usage = 'usage: slipway run PLAYBOOK -i INVENTORY [--limit PATTERNS] [-e KEY=VALUE] [--output tree|plain|json]';
  const { values, positionals } = parse(argv, { ...connectionOptions, output: { type: 'string' } }, usage);
  const output = values.output ?? (process.stdout.isTTY ? 'tree' : 'plain');
  if (output !== 'tree' && output !== 'plain' && output !== 'json') throw new InputError(`--output must be tree, plain or json (found '${output}')`);
  const extraVars = parseExtraVars(values.extra ?? []);
  const inputs = await loadInputs({
    playbookFile: onePlaybook(positionals, usage),
    inventoryFile: requireInventory(values.inventory, usage),
    limit: values.limit,
    extraVars,
    ...(values['ssh-config'] ? { sshConfigFile: values['ssh-config'] } : {}),
  });
  const sudoPassword = await becomePassword(inputs.hosts, values['ask-become-pass'] === true);

  const runId = newRunId();
  const runDir = await createRunDir(runId, {
    playbook: { ...inputs.playbook, extraVars },
    inventory: { file: inputs.inventory.file, hosts: inputs.hosts, groups: inputs.inventory.groups },
  });
  const journal = new Journal(runDir.journalFile);

  const listeners: EventListener[] = [];
  let tree: LiveTree | undefined;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (output === 'json') listeners.push(jsonListener(out));
  else if (output === 'plain') listeners.push(plainListener(out));
  else {
    tree = new LiveTree();
    listeners.push(tree.listener);
  }

  // Ctrl-C once: finish the steps in flight and stop. Twice: kill the commands in flight.
  const stop = new AbortController();
  const kill = new AbortController();
  const onSigint = () => {
    if (!stop.signal.aborted) {
      stop.abort();
      process.stderr.write(`\nslipway: stopping after the steps in flight (Ctrl-C again to kill them)\n`);
    } else {
      kill.abort();
    }
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    const { summary } = await runPlaybook({
      ...inputs,
      extraVars,
      ssh: { acceptNewHostKeys: values['accept-new-host-keys'] === true, ...(sudoPassword !== undefined ? { sudoPassword } : {}) },
      runId,
      journal,
      listeners,
      stopSignal: stop.signal,
      killSignal: kill.signal,
    });
    await tree?.done();
    if (output === 'tree') {
      const t = summary.total;
      process.stderr.write(
        `\nrun ${runId}: ${summary.status} — ${t.ok} ok, ${t.changed} changed, ${t.skipped} skipped, ${t.failed} failed\n` +
          Object.entries(summary.nodes)
            .filter(([, n]) => n.status !== 'done')
            .map(([host, n]) => `  ${host}: ${n.status}\n`)
            .join('') +
          `journal: ${runDir.journalFile}\n`,
      );
    } else if (output === 'plain') {
      process.stdout.write(`journal: ${runDir.journalFile}\n`);
    }
    return summary.exitCode;
  } finally {
    journal.close();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

async function runs(argv: string[]): Promise<number> {
  const usage = 'usage: slipway runs [--output text|json]';
  const { values } = parse(argv, { output: { type: 'string', default: 'text' } }, usage);
  const list = await listRuns();
  if (values.output === 'json') {
    process.stdout.write(`${JSON.stringify(redactSecrets(list))}\n`);
    return EXIT.ok;
  }
  if (list.length === 0) {
    process.stdout.write('no runs yet\n');
    return EXIT.ok;
  }
  const rows = [['RUN', 'PLAYBOOK', 'STARTED', 'NODES', 'OUTCOME', 'STEPS'], ...list.map((r) => [r.id, r.playbook, r.started, String(r.hosts), r.status, r.counts])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()}\n`);
  return EXIT.ok;
}
