/** Shared command-line parsing: node's parseArgs, with errors as InputError (exit 2). */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InputError } from '../errors.js';

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

export function requireInventory(value: string | undefined, usage: string): string {
  if (!value) throw new InputError(`an inventory is required: -i INVENTORY\n${usage}`);
  return value;
}
