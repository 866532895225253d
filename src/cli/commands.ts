/**
 * The command dispatcher: one module a command, each returning its exit code; errors are
 * thrown (typed) and reported by main.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { packageRoot } from '../package-root.js';
import { EXIT, InputError } from '../errors.js';
import { closestMatch } from '../playbook/input/suggest.js';
import { COMMANDS } from './spec.js';

const require = createRequire(import.meta.url);

/** `slipway --help`: every command with its summary (from spec.ts), then where to read more. */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => `${c.name} ${c.operands}`.length));
  const lines = COMMANDS.map((c) => `  ${`${c.name} ${c.operands}`.padEnd(width)}  ${c.summary}`);
  return `usage: slipway <command> [options]

Run node-upgrade runbooks for Kubernetes clusters over SSH: doctor, plan, rolling run, resume, rollback.

commands:
${lines.join('\n')}

PLAYBOOK is a file or the name of a bundled playbook (slipway playbooks).
slipway <command> --help shows a command's options and examples.

exit codes: 0 done, 1 a step failed, 2 bad input, 3 a host unreachable, 4 a rollback failed, 5 nodes held by another run, 130 interrupted`;
}

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
    case '--help':
    case '-h':
      process.stdout.write(`${mainHelp()}\n`);
      return command === undefined ? EXIT.badInput : EXIT.ok;
    case 'help':
      // `slipway help plan` is `slipway plan --help`.
      if (rest[0] !== undefined && rest[0] !== 'help') return runCommand([rest[0], '--help']);
      process.stdout.write(`${mainHelp()}\n`);
      return EXIT.ok;
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
    case 'playbooks':
      return (await import('./playbooks.js')).playbooks(rest);
    case 'completion':
      return (await import('./completion.js')).completion(rest);
    default: {
      const near = closestMatch(command, COMMANDS.map((c) => c.name));
      throw new InputError(`unknown command '${command}'${near ? ` (did you mean '${near}'?)` : ''}; commands: ${COMMANDS.map((c) => c.name).join(', ')} (slipway --help)`);
    }
  }
}
