/**
 * Shared command-line parsing, on commander: each command's options, operands, help and
 * examples come from spec.ts. Unknown options (with commander's did-you-mean), a bad choice or a
 * missing value are InputErrors (exit 2); `--help` ends the command with its help (exit 0).
 */
import { Command, CommanderError, Option } from 'commander';
import { HelpRequested, InputError } from '../errors.js';
import type { SshOptions } from '../transport/ssh.js';
import { parseExtraVars } from './inputs.js';
import { registerSecretVars } from './secrets.js';
import { commandSpec, longFlag, usageLine, type CommandSpec } from './spec.js';

/** Parsed options by long name (`inventory`, `accept-new-host-keys`); values are strings, lists (`-e`) or true. */
export type OptionValues = Record<string, string | string[] | true | undefined>;

const camel = (long: string) => long.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

/** The commander command for a spec: options, choices, defaults, help text with examples. */
export function commanderFor(spec: CommandSpec): Command {
  const cmd = new Command(spec.name)
    .usage(`${spec.operands ? `${spec.operands} ` : ''}[options]`)
    .description(spec.summary)
    .allowExcessArguments(true)
    .helpOption('-h, --help', 'show this help')
    .showSuggestionAfterError(true);
  cmd.name(`slipway ${spec.name}`);
  for (const o of spec.options) {
    const option = new Option(o.flags, o.description);
    if (o.choices) option.choices(o.choices);
    if (o.default !== undefined) option.default(o.default);
    if (o.repeatable) option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
    cmd.addOption(option);
  }
  if (spec.examples.length) cmd.addHelpText('after', `\nExamples:\n${spec.examples.map((e) => `  ${e}`).join('\n')}\n`);
  return cmd;
}

/** Parses a command's arguments by its spec (spec.ts). */
export function parse(argv: string[], name: string): { values: OptionValues; positionals: string[]; usage: string } {
  const spec = commandSpec(name);
  const usage = usageLine(spec);
  let out = '';
  let errText = '';
  const cmd = commanderFor(spec)
    .exitOverride()
    .configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (errText += s), outputError: (s) => (errText += s) });
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help') throw new HelpRequested(out);
      const message = (errText || err.message).trim().replace(/^error: /, '').replace(/\n\(Did you mean/, ' (did you mean');
      throw new InputError(`${message}\n${usage}`);
    }
    throw err;
  }
  const opts = cmd.opts<Record<string, string | string[] | boolean | undefined>>();
  const values: OptionValues = {};
  for (const o of spec.options) {
    const long = longFlag(o).slice(2);
    const value = opts[camel(long)];
    if (value === true || typeof value === 'string' || Array.isArray(value)) values[long] = value;
  }
  return { values, positionals: cmd.args, usage };
}

/** A string option's value (undefined when not given). */
export function str(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function flag(values: OptionValues, name: string): boolean {
  return values[name] === true;
}

export function list(values: OptionValues, name: string): string[] | undefined {
  const v = values[name];
  return Array.isArray(v) ? v : undefined;
}

/** SSH options from `--accept-new-host-keys` and the become password. */
export function sshOptionsOf(values: OptionValues, sudoPassword: string | undefined): SshOptions {
  return { acceptNewHostKeys: flag(values, 'accept-new-host-keys'), ...(sudoPassword !== undefined ? { sudoPassword } : {}) };
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
  if (positionals.length !== 1) throw new InputError(`expected one PLAYBOOK, a file or a bundled playbook's name (found ${positionals.length})\n${usage}`);
  return positionals[0] as string;
}

/** `--output` of run, resume: the live tree on a terminal, plain lines elsewhere (`text` and `plain` are one mode). */
export function outputMode(value: string | undefined): 'tree' | 'plain' | 'json' {
  const output = value ?? (process.stdout.isTTY ? 'tree' : 'plain');
  return output === 'text' ? 'plain' : (output as 'tree' | 'plain' | 'json');
}

/** `--output` of the commands that print a result: `text` (or `plain`) or `json`. */
export function textOrJson(value: string | undefined): 'text' | 'json' {
  return value === 'json' ? 'json' : 'text';
}
