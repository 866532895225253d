#!/usr/bin/env node
/**
 * slipway's entry: parses the command line, runs one command, and is the only place that
 * turns errors into a message and an exit code.
 */
// First: V8's tiering limit must be set before the rest of the CLI runs (see tiering.ts).
import './tiering.js';
import { EXIT, HelpRequested, SlipwayError } from '../errors.js';
import { runCommand } from './commands.js';
import { printErr } from './output.js';

async function main(): Promise<number> {
  try {
    return await runCommand(process.argv.slice(2));
  } catch (err) {
    if (err instanceof HelpRequested) {
      process.stdout.write(err.text);
      return EXIT.ok;
    }
    if (err instanceof SlipwayError) {
      printErr(`slipway: ${err.message}`);
      return err.exitCode;
    }
    const msg = err instanceof Error ? err.message : String(err);
    printErr(`slipway: internal error: ${msg}`);
    if (process.env.SLIPWAY_DEBUG && err instanceof Error && err.stack) printErr(err.stack);
    else process.stderr.write('(set SLIPWAY_DEBUG=1 for details, and please report it)\n');
    return EXIT.stepFailed;
  }
}

main().then((code) => {
  process.exitCode = code;
  // Everything is closed by now; if a stray handle keeps the loop alive, do not hang.
  setTimeout(() => process.exit(code), 3000).unref();
});
