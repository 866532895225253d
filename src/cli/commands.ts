/**
 * The command dispatcher: one module a command, each returning its exit code; errors are
 * thrown (typed) and reported by main.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { packageRoot } from '../package-root.js';
import { EXIT, InputError } from '../errors.js';

const require = createRequire(import.meta.url);

export const USAGE = `usage: slipway <command> [options]

commands:
  doctor -i INVENTORY                which known failure each node is about to hit, and its fix
  validate PLAYBOOK [-i INVENTORY]   check a playbook (and inventory) offline
  plan PLAYBOOK -i INVENTORY         connect, check every step on every node, show what would change
  run PLAYBOOK -i INVENTORY          apply the playbook in rolling batches
  resume [RUN_ID]                    continue a failed or interrupted run (default: the latest);
                                     --limit PATTERNS: only these nodes now; --skip HOSTS: give them up
  rollback RUN_ID [--to start]       take nodes back to their last rollback point (or to the start)
  runs [RUN_ID]                      list runs and their outcome; one run node by node
  report [RUN_ID] [--format F]       a run's report for the change ticket: md (default), html, json
  stop [RUN_ID] [--wait]             from another terminal: stop a run after the steps in flight

options for plan and run:
  -i, --inventory FILE        Ansible YAML inventory
  -l, --limit PATTERNS        hosts or groups, comma-separated; !name excludes; globs allowed
      --hosts PATTERNS        run on these instead of the playbook's hosts: (e.g. kube_node)
      --on GROUP              run the playbook's on: <group> steps (kubectl) on GROUP instead
  -e, --extra KEY=VALUE       extra var (repeatable; highest precedence)
      --accept-new-host-keys  add unknown host keys to known_hosts instead of refusing them
  -K, --ask-become-pass       prompt for the sudo password (or set SLIPWAY_BECOME_PASSWORD)
      --ssh-config FILE       ssh_config to read instead of ~/.ssh/config
      --output MODE           run: tree (terminal default), plain (default otherwise), json
                              plan: text (default) or json

exit codes: 0 done, 1 a step failed, 2 bad input, 3 a host unreachable, 4 a rollback failed, 5 nodes held by another run, 130 interrupted`;

function version(): string {
  return (require(path.join(packageRoot(), 'package.json')) as { version: string }).version;
}

/**
 * Each command's module is loaded when it runs: `slipway --version` or `validate` does not load
 * ssh2, gRPC and the rest that `run` needs (start-up time).
 */
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
      return (await import('./validate.js')).validate(rest);
    case 'doctor':
      return (await import('./doctor.js')).doctor(rest);
    case 'plan':
      return (await import('./plan.js')).plan(rest);
    case 'run':
      return (await import('./run.js')).run(rest);
    case 'resume':
      return (await import('./resume.js')).resume(rest);
    case 'rollback':
      return (await import('./rollback.js')).rollback(rest);
    case 'runs':
      return (await import('./runs.js')).runs(rest);
    case 'report':
      return (await import('./report.js')).report(rest);
    case 'stop':
      return (await import('./stop.js')).stop(rest);
    default:
      throw new InputError(`unknown command '${command}'\n${USAGE}`);
  }
}
