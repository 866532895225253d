/**
 * The commands: validate, plan, run, runs. Each returns its exit code; errors are thrown
 * (typed) and reported by main.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline/promises';
import { EXIT, InputError } from '../errors.js';
import { loadInventory, selectHosts } from '../inventory/load.js';
import { loadPlaybook } from '../playbook/load.js';
import { checkPlaybookInventory } from '../playbook/check-inventory.js';
import { checkPlaybookVars } from '../playbook/vars.js';
import { computePlan, planExitCode, rollbackRun, runPlaybook } from '../runner/engine.js';
import type { EventListener, RunInputs } from '../runner/events.js';
import { Journal, readJournal } from '../runner/journal.js';
import { journalState, type RunJournalState } from '../runner/journal-state.js';
import { createRunDir, latestRunId, listRuns, newRunId, runDirOf, type RunDir } from '../runner/run-store.js';
import { REDACTED, redactSecrets } from '../runner/redact.js';
import type { SshOptions } from '../transport/ssh.js';
import { jsonListener, plainListener } from '../ui/plain.js';
import { formatPlan } from '../ui/plan-printer.js';
import { formatTable } from '../ui/table.js';
import { LiveTree } from '../ui/live-tree.js';
import { connectionOptions, parse, requireInventory } from './args.js';
import { becomePassword } from './become.js';
import { loadInputs, parseExtraVars, type LoadedInputs } from './inputs.js';

const require = createRequire(import.meta.url);

export const USAGE = `usage: slipway <command> [options]

commands:
  validate PLAYBOOK [-i INVENTORY]   check a playbook (and inventory) offline
  plan PLAYBOOK -i INVENTORY         connect, check every step on every node, show what would change
  run PLAYBOOK -i INVENTORY          apply the playbook in rolling batches
  resume [RUN_ID]                    continue a failed or interrupted run (default: the latest)
  rollback RUN_ID [--to start]       take nodes back to their last rollback point (or to the start)
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
    case 'resume':
      return resume(rest);
    case 'rollback':
      return rollback(rest);
    case 'runs':
      return runs(rest);
    default:
      throw new InputError(`unknown command '${command}'\n${USAGE}`);
  }
}

/** `-e` pairs; a malformed one is reported with the command's usage, like other bad arguments. */
function extraVarsOf(pairs: string[] | undefined, usage: string): Record<string, unknown> {
  try {
    return parseExtraVars(pairs ?? []);
  } catch (err) {
    if (err instanceof InputError) throw new InputError(`${err.message}\n${usage}`, { cause: err });
    throw err;
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
  const extraVars = extraVarsOf(values.extra, usage);
  const playbook = await loadPlaybook(playbookFile);
  if (values.inventory) {
    const inventory = await loadInventory(values.inventory);
    // Before selecting hosts: a `hosts:` that selects nothing is reported at its line.
    checkPlaybookInventory(playbook, inventory);
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
  if (output !== 'text' && output !== 'json') throw new InputError(`--output must be text or json (found '${output}')\n${usage}`);
  const inputs = await loadInputs({
    playbookFile: onePlaybook(positionals, usage),
    inventoryFile: requireInventory(values.inventory, usage),
    limit: values.limit,
    extraVars: extraVarsOf(values.extra, usage),
    ...(values['ssh-config'] ? { sshConfigFile: values['ssh-config'] } : {}),
  });
  const sudoPassword = await becomePassword(inputs.hosts, values['ask-become-pass'] === true);
  const result = await computePlan({
    ...inputs,
    extraVars: extraVarsOf(values.extra, usage),
    ssh: { acceptNewHostKeys: values['accept-new-host-keys'] === true, ...(sudoPassword !== undefined ? { sudoPassword } : {}) },
  });
  if (output === 'json') process.stdout.write(`${JSON.stringify(result)}\n`);
  else process.stdout.write(`${formatPlan(result, { color: process.stdout.isTTY === true && !process.env.NO_COLOR })}\n`);
  return planExitCode(result);
}

async function run(argv: string[]): Promise<number> {
  const usage = 'usage: slipway run PLAYBOOK -i INVENTORY [--limit PATTERNS] [-e KEY=VALUE] [--output tree|plain|json]';
  const { values, positionals } = parse(argv, { ...connectionOptions, output: { type: 'string' } }, usage);
  const output = outputMode(values.output, usage);
  const extraVars = extraVarsOf(values.extra, usage);
  const inputs: RunInputs = {
    playbookFile: path.resolve(onePlaybook(positionals, usage)),
    inventoryFile: path.resolve(requireInventory(values.inventory, usage)),
    limit: values.limit,
    extraVars: redactSecrets(extraVars),
    sshConfigFile: values['ssh-config'] ? path.resolve(values['ssh-config']) : undefined,
  };
  const loaded = await loadInputs({
    playbookFile: inputs.playbookFile,
    inventoryFile: inputs.inventoryFile,
    limit: inputs.limit,
    extraVars,
    ...(inputs.sshConfigFile ? { sshConfigFile: inputs.sshConfigFile } : {}),
  });
  checkPauseConfirm(loaded.playbook.rolling.pause);
  const sudoPassword = await becomePassword(loaded.hosts, values['ask-become-pass'] === true);
  const runId = newRunId();
  const runDir = await createRunDir(runId, {
    playbook: { ...loaded.playbook, extraVars },
    inventory: { file: loaded.inventory.file, hosts: loaded.hosts, groups: loaded.inventory.groups },
  });
  return executeRun({
    runId,
    runDir,
    output,
    loaded,
    inputs,
    extraVars,
    ssh: { acceptNewHostKeys: values['accept-new-host-keys'] === true, ...(sudoPassword !== undefined ? { sudoPassword } : {}) },
  });
}

function outputMode(value: string | undefined, usage: string): 'tree' | 'plain' | 'json' {
  const output = value ?? (process.stdout.isTTY ? 'tree' : 'plain');
  if (output !== 'tree' && output !== 'plain' && output !== 'json') throw new InputError(`--output must be tree, plain or json (found '${output}')\n${usage}`);
  return output;
}

function checkPauseConfirm(pause: number | 'confirm'): void {
  if (pause === 'confirm' && !process.stdin.isTTY) {
    throw new InputError('rolling.pause is "confirm", which asks on a terminal before each batch, but standard input is not a terminal; use a number of seconds instead');
  }
}

async function confirmBatch(batch: number, hosts: string[]): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`\nstart batch ${batch} (${hosts.join(', ')})? [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

interface ExecuteRunArgs {
  runId: string;
  runDir: RunDir;
  output: 'tree' | 'plain' | 'json';
  loaded: LoadedInputs;
  inputs: RunInputs;
  extraVars: Record<string, unknown>;
  ssh: SshOptions;
  resume?: { state: RunJournalState; forced: boolean };
}

/** run and resume: subscribers, Ctrl-C handling, the engine, the closing summary. */
async function executeRun(args: ExecuteRunArgs): Promise<number> {
  const { runId, runDir, output } = args;
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
      process.stderr.write(`\nslipway: killing the commands in flight\n`);
    }
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    const { summary } = await runPlaybook({
      ...args.loaded,
      inputs: args.inputs,
      extraVars: args.extraVars,
      ssh: args.ssh,
      runId,
      journal,
      listeners,
      stopSignal: stop.signal,
      killSignal: kill.signal,
      confirm: confirmBatch,
      ...(args.resume ? { resume: args.resume } : {}),
    });
    await tree?.done();
    if (output !== 'json') {
      const t = summary.total;
      const lines = [
        `run ${runId}: ${summary.status}: ${t.ok} ok, ${t.changed} changed, ${t.skipped} skipped, ${t.failed} failed`,
        ...Object.entries(summary.nodes)
          .filter(([, n]) => n.status !== 'done')
          .map(([host, n]) => `  ${host}: ${n.status}`),
      ];
      if (summary.stopped) lines.push(`stopped: ${summary.stopped}`);
      if (summary.status !== 'succeeded') lines.push(`resume with: slipway resume ${runId}    roll back with: slipway rollback ${runId}`);
      lines.push(`journal: ${runDir.journalFile}`);
      if (output === 'tree') process.stderr.write(`\n${lines.join('\n')}\n`);
      else process.stdout.write(`${lines.slice(output === 'plain' ? 1 : 0).join('\n')}\n`);
    }
    return summary.exitCode;
  } finally {
    journal.close();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

/** Loads a run's journal and the inputs it was started with. */
async function openRun(runIdArg: string | undefined): Promise<{ runId: string; runDir: RunDir; state: RunJournalState; tornTail: boolean }> {
  const runId = runIdArg ?? (await latestRunId());
  if (!runId) throw new InputError('no runs yet: nothing to resume or roll back');
  const runDir = runDirOf(runId);
  let contents;
  try {
    contents = await readJournal(runDir.journalFile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new InputError(`no run '${runId}' (no ${runDir.journalFile}); \`slipway runs\` lists them`);
    throw new InputError(`run ${runId}: ${(err as Error).message}`);
  }
  let state: RunJournalState;
  try {
    state = journalState(contents.events);
  } catch (err) {
    throw new InputError(`run ${runId}: ${(err as Error).message}`);
  }
  return { runId, runDir, state, tornTail: contents.tornTail };
}

/** Re-reads the run's playbook and inventory; refuses when they changed, unless forced. */
async function reloadInputs(state: RunJournalState, extra: Record<string, unknown>, force: boolean, runId: string): Promise<{ loaded: LoadedInputs; extraVars: Record<string, unknown>; changed: string[] }> {
  const inputs = state.start.inputs;
  const extraVars = { ...inputs.extraVars, ...extra };
  const missing = Object.entries(extraVars).filter(([, v]) => v === REDACTED).map(([k]) => k);
  if (missing.length) throw new InputError(`run ${runId} was started with secret extra vars (${missing.join(', ')}); give them again: ${missing.map((k) => `-e ${k}=...`).join(' ')}`);
  const changed: string[] = [];
  const playbookHash = await fileHash(inputs.playbookFile).catch(() => 'missing');
  const inventoryHash = await fileHash(inputs.inventoryFile).catch(() => 'missing');
  if (playbookHash !== state.start.playbookHash) changed.push(`playbook ${inputs.playbookFile}${playbookHash === 'missing' ? ' is gone' : ' changed'}`);
  if (inventoryHash !== state.start.inventoryHash) changed.push(`inventory ${inputs.inventoryFile}${inventoryHash === 'missing' ? ' is gone' : ' changed'}`);
  if (changed.length && !force) {
    throw new InputError(`run ${runId}: the ${changed.join(' and the ')} since the run started, so going on could apply a different runbook than the journal recorded. Check the changes, then pass --force to go on anyway`);
  }
  const loaded = await loadInputs({
    playbookFile: inputs.playbookFile,
    inventoryFile: inputs.inventoryFile,
    limit: inputs.limit,
    extraVars,
    ...(inputs.sshConfigFile ? { sshConfigFile: inputs.sshConfigFile } : {}),
  });
  return { loaded, extraVars, changed };
}

async function resume(argv: string[]): Promise<number> {
  const usage = 'usage: slipway resume [RUN_ID] [--force] [-e KEY=VALUE] [--output tree|plain|json]';
  const { values, positionals } = parse(
    argv,
    { extra: connectionOptions.extra, force: { type: 'boolean' }, output: { type: 'string' }, 'accept-new-host-keys': connectionOptions['accept-new-host-keys'], 'ask-become-pass': connectionOptions['ask-become-pass'] },
    usage,
  );
  if (positionals.length > 1) throw new InputError(`expected at most one RUN_ID\n${usage}`);
  const output = outputMode(values.output, usage);
  const { runId, runDir, state, tornTail } = await openRun(positionals[0]);
  if (!state.unfinished && state.summary?.status === 'succeeded') {
    process.stdout.write(`run ${runId} already succeeded: nothing to resume\n`);
    return EXIT.ok;
  }
  const { loaded, extraVars, changed } = await reloadInputs(state, extraVarsOf(values.extra, usage), values.force === true, runId);
  if (changed.length) process.stderr.write(`slipway: resuming although the ${changed.join(' and the ')} (--force)\n`);
  if (tornTail) process.stderr.write(`slipway: the journal's last line was cut short by a crash; it is ignored\n`);
  checkPauseConfirm(loaded.playbook.rolling.pause);
  const sudoPassword = await becomePassword(loaded.hosts, values['ask-become-pass'] === true);
  return executeRun({
    runId,
    runDir,
    output,
    loaded,
    inputs: state.start.inputs,
    extraVars,
    ssh: { acceptNewHostKeys: values['accept-new-host-keys'] === true, ...(sudoPassword !== undefined ? { sudoPassword } : {}) },
    resume: { state, forced: changed.length > 0 },
  });
}

async function rollback(argv: string[]): Promise<number> {
  const usage = 'usage: slipway rollback RUN_ID [--limit NODES] [--to start] [--force] [-e KEY=VALUE] [--output plain|json]';
  const { values, positionals } = parse(
    argv,
    {
      limit: connectionOptions.limit,
      to: { type: 'string', default: 'checkpoint' },
      extra: connectionOptions.extra,
      force: { type: 'boolean' },
      output: { type: 'string', default: 'plain' },
      'accept-new-host-keys': connectionOptions['accept-new-host-keys'],
      'ask-become-pass': connectionOptions['ask-become-pass'],
    },
    usage,
  );
  if (positionals.length !== 1) throw new InputError(`expected one RUN_ID\n${usage}`);
  if (values.to !== 'checkpoint' && values.to !== 'start') throw new InputError(`--to must be checkpoint or start (found '${values.to}')\n${usage}`);
  if (values.output !== 'plain' && values.output !== 'json') throw new InputError(`--output must be plain or json (found '${values.output}')\n${usage}`);
  const { runId, runDir, state } = await openRun(positionals[0]);
  const { loaded, extraVars } = await reloadInputs(state, extraVarsOf(values.extra, usage), values.force === true, runId);
  const runHosts = new Set(state.start.hosts);
  const hosts = (values.limit ? selectHosts(loaded.inventory, state.start.hosts, values.limit) : loaded.hosts).filter((h) => runHosts.has(h.name));
  const sudoPassword = await becomePassword(hosts, values['ask-become-pass'] === true);
  const journal = new Journal(runDir.journalFile);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    const result = await rollbackRun({
      playbook: loaded.playbook,
      inventory: loaded.inventory,
      hosts,
      extraVars,
      ssh: { acceptNewHostKeys: values['accept-new-host-keys'] === true, ...(sudoPassword !== undefined ? { sudoPassword } : {}) },
      journal,
      state,
      to: values.to,
      listeners: [values.output === 'json' ? jsonListener(out) : plainListener(out)],
    });
    if (values.output === 'plain') {
      for (const [host, outcome] of Object.entries(result.nodes)) out(`${host}: ${outcome}`);
    }
    return result.exitCode;
  } finally {
    journal.close();
  }
}

async function fileHash(file: string): Promise<string> {
  return createHash('sha256').update(await fs.readFile(file)).digest('hex');
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
  const rows = list.map((r) => [r.id, r.playbook, r.started.replace('T', ' ').slice(0, 19), r.status, r.nodes, r.counts]);
  process.stdout.write(`${formatTable(['RUN', 'PLAYBOOK', 'STARTED', 'OUTCOME', 'NODES', 'LAST PASS'], rows)}\n`);
  return EXIT.ok;
}
