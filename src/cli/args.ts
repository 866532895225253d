/** Shared command-line parsing: node's parseArgs, with errors as InputError (exit 2). */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InputError } from '../errors.js';
import type { SshOptions } from '../transport/ssh.js';
import { parseExtraVars } from './inputs.js';
import { registerSecretVars } from './secrets.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

export function parse<O extends Options>(argv: string[], options: O, usage: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new InputError(`${(err as Error).message.replace(/\. To specify a positional.*$/s, '')}\n${usage}`);
  }
}

export const connectionOptions = {
  inventory: { type: 'string', short: 'i' },
  limit: { type: 'string', short: 'l' },
  extra: { type: 'string', short: 'e', multiple: true },
  'accept-new-host-keys': { type: 'boolean' },
  'ask-become-pass': { type: 'boolean', short: 'K' },
  'ssh-config': { type: 'string' },
} as const satisfies Options;

/** plan and run: where the playbook runs, set on the command line (`--hosts`, `--on`). */
export const targetOptions = {
  hosts: { type: 'string' },
  on: { type: 'string' },
} as const satisfies Options;

/** SSH options from `--accept-new-host-keys` and the become password. */
export function sshOptionsOf(values: { 'accept-new-host-keys'?: boolean }, sudoPassword: string | undefined): SshOptions {
  return { acceptNewHostKeys: values['accept-new-host-keys'] === true, ...(sudoPassword !== undefined ? { sudoPassword } : {}) };
}

export function requireInventory(value: string | undefined, usage: string): string {
  if (!value) throw new InputError(`an inventory is required: -i INVENTORY\n${usage}`);
  return value;
}

/** `-e` pairs; a malformed one is reported with the command's usage, like other bad arguments. */
export function extraVarsOf(pairs: string[] | undefined, usage: string): Record<string, unknown> {
  try {
    const vars = parseExtraVars(pairs ?? []);
    registerSecretVars(vars);
    return vars;
  } catch (err) {
    if (err instanceof InputError) throw new InputError(`${err.message}\n${usage}`, { cause: err });
    throw err;
  }
}

export function onePlaybook(positionals: string[], usage: string): string {
  if (positionals.length !== 1) throw new InputError(`expected one PLAYBOOK file (found ${positionals.length})\n${usage}`);
  return positionals[0] as string;
}

/** `--output` of run and resume: the live tree on a terminal, plain lines elsewhere. */
export function outputMode(value: string | undefined, usage: string): 'tree' | 'plain' | 'json' {
  const output = value ?? (process.stdout.isTTY ? 'tree' : 'plain');
  if (output !== 'tree' && output !== 'plain' && output !== 'json') throw new InputError(`--output must be tree, plain or json (found '${output}')\n${usage}`);
  return output;
}
