/** `slipway run`, and what run and resume share: subscribers, Ctrl-C, the engine, the summary. */
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline/promises';
import { InputError } from '../errors.js';
import { runPlaybook } from '../runner/run.js';
import type { EventListener, RunInputs, RunOperator } from '../runner/events.js';
import { Journal } from '../runner/journal.js';
import type { RunJournalState } from '../runner/journal-state.js';
import { redactSecrets } from '../runner/redact.js';
import { currentOwner, NodeLocks } from '../runner/node-locks.js';
import { createRunDir, newRunId, stateDir, type RunDir } from '../runner/run-store.js';
import { clearStopRequest, readStopRequest, STOP_SIGNAL, stopRequestReason } from '../runner/stop-request.js';
import { sshRemotes, type SshOptions } from '../transport/ssh.js';
import { writeRunReport } from '../report/write.js';
import { cordonedLines } from '../ui/cordon-report.js';
import { LiveTree } from '../ui/live-tree.js';
import { countsText } from '../ui/words.js';
import { jsonListener, plainListener } from '../ui/plain.js';
import { terminalSafe, terminalSafeData } from '../ui/terminal-text.js';
import { extraVarsOf, flag, list, onePlaybook, outputMode, parse, requireInventory, sshOptionsOf, str } from './args.js';
import { resolvePlaybookArg } from './bundled.js';
import { becomePassword } from './become.js';
import { loadRunInputs, type LoadedInputs } from './inputs.js';
import { printErr, printOut } from './output.js';

export async function run(argv: string[]): Promise<number> {
  const { values, positionals, usage } = parse(argv, 'run');
  const output = outputMode(str(values, 'output'));
  const extraVars = extraVarsOf(list(values, 'extra'), usage);
  const hosts = str(values, 'hosts');
  const on = str(values, 'on');
  const sshConfig = str(values, 'ssh-config');
  const inputs: RunInputs = {
    playbookFile: path.resolve(resolvePlaybookArg(onePlaybook(positionals, usage))),
    inventoryFile: path.resolve(requireInventory(str(values, 'inventory'), usage)),
    limit: str(values, 'limit'),
    ...(hosts !== undefined ? { hosts } : {}),
    ...(on !== undefined ? { on } : {}),
    extraVars: redactSecrets(extraVars),
    sshConfigFile: sshConfig ? path.resolve(sshConfig) : undefined,
  };
  const loaded = await loadRunInputs(inputs, extraVars);
  checkPauseConfirm(loaded.playbook.rolling.pause);
  const sudoPassword = await becomePassword(loaded.hosts, flag(values, 'ask-become-pass'));
  const runId = newRunId();
  // Before the run folder: a run refused because its nodes are busy leaves nothing behind.
  const locks = await NodeLocks.acquire(stateDir(), currentOwner(runId, 'run'), loaded.hosts);
  let runDir: RunDir;
  try {
    runDir = await createRunDir(runId, {
      playbook: { ...loaded.playbook, extraVars },
      inventory: { file: loaded.inventory.file, hosts: loaded.hosts, groups: loaded.inventory.groups },
    });
  } catch (err) {
    await locks.release();
    throw err;
  }
  return executeRun({
    runId,
    runDir,
    locks,
    output,
    loaded,
    inputs,
    extraVars,
    ssh: sshOptionsOf(values, sudoPassword),
  });
}

export function checkPauseConfirm(pause: number | 'confirm'): void {
  if (pause === 'confirm' && !process.stdin.isTTY) {
    throw new InputError('rolling.pause is "confirm", which asks on a terminal before each batch, but standard input is not a terminal; use a number of seconds instead');
  }
}

async function confirmBatch(batch: number, hosts: string[]): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`\nstart batch ${batch} (${terminalSafe(hosts.join(', '))})? [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

export interface ExecuteRunArgs {
  runId: string;
  runDir: RunDir;
  /** The nodes' locks, held for the run; released when it ends. */
  locks: NodeLocks;
  output: 'tree' | 'plain' | 'json';
  loaded: LoadedInputs;
  inputs: RunInputs;
  extraVars: Record<string, unknown>;
  ssh: SshOptions;
  resume?: { state: RunJournalState; forced: boolean; skip?: string[]; skipReason?: string };
}

/** The run's report into its folder; a failure to write it is said, and does not change the run's outcome. */
export async function writeReportOrSay(runDir: RunDir): Promise<string | undefined> {
  try {
    return await writeRunReport(runDir);
  } catch (err) {
    printErr(`slipway: the run's report could not be written: ${(err as Error).message}`);
    return undefined;
  }
}

/** Who runs slipway, and where: the person behind sudo, not root. */
export function currentOperator(): RunOperator {
  let user = process.env.SUDO_USER;
  if (!user) {
    try {
      user = os.userInfo().username;
    } catch {
      user = process.env.USER ?? process.env.LOGNAME ?? `uid ${process.getuid?.() ?? '?'}`;
    }
  }
  return { user, host: os.hostname(), cwd: process.cwd() };
}

/** A second SIGINT sooner than this after the first is the same key press, delivered twice. */
const DUPLICATE_SIGNAL_MS = 150;

/** Tree and plain lines show event data on a terminal: made terminal-safe first. */
function onTerminal(listener: EventListener): EventListener {
  return (e) => listener(terminalSafeData(e));
}

/** run and resume: subscribers, Ctrl-C handling, the engine, the closing summary. */
export async function executeRun(args: ExecuteRunArgs): Promise<number> {
  // From the moment the run folder names this process, `slipway stop`'s signal must not end it
  // (its default action); the run reads the request once it is going.
  const early = () => undefined;
  process.on(STOP_SIGNAL, early);
  try {
    await args.locks.recordOwner(args.runDir.dir);
    return await executeLockedRun(args);
  } finally {
    process.off(STOP_SIGNAL, early);
    await args.locks.release();
  }
}

async function executeLockedRun(args: ExecuteRunArgs): Promise<number> {
  const { runId, runDir, output } = args;
  const journal = new Journal(runDir.journalFile);
  const listeners: EventListener[] = [];
  let tree: LiveTree | undefined;
  if (output === 'json') listeners.push(jsonListener((line) => process.stdout.write(`${line}\n`)));
  // The tree is drawn on a terminal only; asked for elsewhere (a pipe, CI), it is plain lines.
  else if (output === 'plain' || !process.stdout.isTTY) listeners.push(onTerminal(plainListener(printOut)));
  else {
    tree = new LiveTree({ playbookName: args.loaded.playbook.name });
    listeners.push(onTerminal(tree.listener));
  }
  /** A notice on standard error; above the tree when one is drawn. */
  const notice = (text: string) => (tree ? tree.interject(text) : process.stderr.write(text));

  // Ctrl-C once: finish the steps in flight and stop. Twice: kill the commands in flight.
  // One key press can arrive as two signals: the terminal sends SIGINT to the whole foreground
  // process group, and a wrapper in it (npm run, timeout, tini) forwards its own copy. A
  // second signal within DUPLICATE_SIGNAL_MS of the first is that same press.
  const stop = new AbortController();
  const kill = new AbortController();
  let stoppedAt = 0;
  const onSigint = () => {
    if (!stop.signal.aborted) {
      stop.abort();
      stoppedAt = Date.now();
      notice(`\nslipway: stopping after the steps in flight (Ctrl-C again to kill them)\n`);
    } else if (Date.now() - stoppedAt < DUPLICATE_SIGNAL_MS) {
      return;
    } else {
      kill.abort();
      notice(`\nslipway: killing the commands in flight\n`);
    }
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  // `slipway stop` from another terminal: the first Ctrl-C's effect, never the second's.
  clearStopRequest(runDir.dir);
  const onStopRequest = () => {
    const request = readStopRequest(runDir.dir);
    if (!request || stop.signal.aborted) return;
    const reason = stopRequestReason(request);
    stop.abort(reason);
    notice(`\nslipway: ${reason}: stopping after the steps in flight\n`);
  };
  process.on(STOP_SIGNAL, onStopRequest);
  const polling = setInterval(onStopRequest, 1000);
  polling.unref();
  try {
    const { summary } = await runPlaybook({
      ...args.loaded,
      inputs: args.inputs,
      extraVars: args.extraVars,
      remotes: sshRemotes(args.ssh),
      runId,
      journal,
      listeners,
      stopSignal: stop.signal,
      killSignal: kill.signal,
      confirm: confirmBatch,
      operator: currentOperator(),
      ...(args.resume ? { resume: args.resume } : {}),
    });
    await tree?.done();
    // JSON output is events only; the report is in the run folder (report.html, .md, .json).
    const report = await writeReportOrSay(runDir);
    if (output !== 'json') {
      const lines = [
        `run ${runId}: ${summary.status}: ${countsText(summary.total)}`,
        ...Object.entries(summary.nodes)
          .filter(([, n]) => n.status !== 'done')
          .map(([host, n]) => `  ${host}: ${n.status}`),
      ];
      if (summary.stopped) lines.push(`stopped: ${summary.stopped}`);
      lines.push(...cordonedLines(runId, summary.cordoned));
      if (summary.status !== 'succeeded') lines.push(`resume with: slipway resume ${runId}    roll back with: slipway rollback ${runId}`);
      lines.push(`journal: ${runDir.journalFile}`);
      if (report) lines.push(`report: ${report}    (again, or as Markdown: slipway report ${runId} --format md)`);
      if (output === 'tree') printErr(`\n${lines.join('\n')}`);
      else printOut(lines.slice(output === 'plain' ? 1 : 0).join('\n'));
    }
    return summary.exitCode;
  } finally {
    await tree?.done(); // also when the run threw: the tree's redraw timer must not keep the process
    journal.close();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    process.off(STOP_SIGNAL, onStopRequest);
    clearInterval(polling);
  }
}
