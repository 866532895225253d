/**
 * Everything the CLI prints goes through here: the values of secret vars replaced, text made
 * terminal-safe (control bytes from playbooks, inventories and nodes shown escaped), JSON lines
 * with the same data, escaped alike.
 */
import { processSecrets } from '../runner/redact.js';
import { terminalSafe, terminalSafeJson } from '../ui/terminal-text.js';

/** A line (or block) on standard output. */
export function printOut(text: string): void {
  process.stdout.write(`${terminalSafe(processSecrets.redactText(text))}\n`);
}

/** A line (or block) on standard error. */
export function printErr(text: string): void {
  process.stderr.write(`${terminalSafe(processSecrets.redactText(text))}\n`);
}

/** One JSON value as one line on standard output. */
export function printJson(value: unknown): void {
  process.stdout.write(`${terminalSafeJson(processSecrets.redactData(value))}\n`);
}

/**
 * Text already built from terminal-safe parts, with slipway's own escape sequences (colours)
 * in it: written as it is.
 */
export function printFormatted(text: string): void {
  process.stdout.write(`${processSecrets.redactText(text)}\n`);
}
