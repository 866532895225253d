/**
 * `command`: run a program. Idempotent only through its guards: `check` (a command whose exit
 * 0 means "already done") and `creates` (a path that exists once it is done). With both, both
 * must say done. Without either, it always runs.
 *
 * A command cannot be undone in general: rollback runs `undo` when the step declares one and
 * does nothing otherwise.
 */
import { execOptions } from '../facts/exec-options.js';
import type { ExecOptions } from '../transport/types.js';
import type { Projection } from './projection.js';
import type { CheckResult, ParamsSchema, StepContext, StepType } from './types.js';

export interface CommandParams {
  argv: string[];
  check?: string[];
  creates?: string;
  become?: boolean;
  undo?: string[];
}

export interface CommandFacts {
  /** Exit code of `check`, or null when there is no `check`. */
  checkExitCode: number | null;
  /** Whether `creates` exists, or null when there is no `creates`. */
  createsExists: boolean | null;
}

/** Undo record: the command rollback runs, copied from the params when apply ran. */
export interface CommandUndo {
  undo?: string[];
}

const argvSchema = (description: string): Record<string, unknown> => ({
  type: 'array',
  items: { type: 'string' },
  minItems: 1,
  description,
});

export const paramsSchema: ParamsSchema = {
  type: 'object',
  description: 'Run a command, given as an argument vector (no shell).',
  additionalProperties: false,
  required: ['argv'],
  properties: {
    argv: argvSchema(
      'The program and its arguments, one item each. Each arrives as exactly that string: no shell, ' +
        'no expansion. For pipes or redirection, run a shell explicitly: ["sh", "-c", "..."].',
    ),
    check: argvSchema(
      'A read-only command telling whether the work is already done: exit 0 means done (the step is ok), ' +
        'anything else means run `argv`.',
    ),
    creates: {
      type: 'string',
      minLength: 1,
      description: 'A path that exists once the work is done; when it exists the step is ok.',
    },
    become: {
      type: 'boolean',
      description: "Run through sudo (overrides the host's `become`). Applies to `check` and `undo` too.",
    },
    undo: argvSchema(
      'The command that reverses `argv`, run by rollback. Without it, rollback of this step does nothing.',
    ),
  },
};

function show(argv: readonly string[]): string {
  return `\`${argv.join(' ')}\``;
}

function commandOptions(ctx: StepContext, params: CommandParams): ExecOptions {
  return execOptions(ctx, params.become === undefined ? {} : { become: params.become });
}

export const commandStep: StepType<CommandParams, CommandFacts, CommandUndo> = {
  kind: 'command',
  description: 'Run a command; idempotent through a `check` command or a `creates` path.',
  paramsSchema,

  alwaysChanges(params: CommandParams): boolean {
    return params.check === undefined && params.creates === undefined;
  },

  async facts(ctx: StepContext, params: CommandParams): Promise<CommandFacts> {
    const options = commandOptions(ctx, params);
    const [check, creates] = await Promise.all([
      params.check ? ctx.remote.exec(params.check, options) : undefined,
      params.creates === undefined ? undefined : ctx.remote.exec(['test', '-e', params.creates], options),
    ]);
    const checkExitCode = check ? check.code : null;
    const createsExists = creates ? creates.code === 0 : null;
    return { checkExitCode, createsExists };
  },

  project(params: CommandParams, facts: CommandFacts, projection: Projection): CommandFacts {
    if (params.creates === undefined || !projection.hasFile(params.creates)) return facts;
    return { ...facts, createsExists: projection.file(params.creates, null) !== null };
  },

  predict(params: CommandParams, _facts: CommandFacts, projection: Projection): void {
    // What a command does is its own: only the marker it creates is known.
    if (params.creates !== undefined) projection.setFile(params.creates, '');
    if (params.creates === undefined || params.check !== undefined) projection.unmodeled.push(projection.step);
  },

  applied(params: CommandParams): string {
    return `ran ${show(params.argv)}`;
  },

  check(params: CommandParams, facts: CommandFacts): CheckResult {
    const runs = `runs ${show(params.argv)}`;
    if (params.check === undefined && params.creates === undefined) {
      return { status: 'change', summary: `${runs} (no check: always runs)` };
    }
    const done: string[] = [];
    const notDone: string[] = [];
    if (params.check !== undefined) {
      (facts.checkExitCode === 0 ? done : notDone).push(
        facts.checkExitCode === 0 ? `check ${show(params.check)} passed` : `check ${show(params.check)} exited ${facts.checkExitCode}`,
      );
    }
    if (params.creates !== undefined) {
      (facts.createsExists ? done : notDone).push(`${params.creates} ${facts.createsExists ? 'exists' : 'does not exist'}`);
    }
    if (notDone.length === 0) return { status: 'ok', summary: done.join(', ') };
    return { status: 'change', summary: `${runs} (${notDone.join(', ')})` };
  },

  async apply(ctx: StepContext, params: CommandParams, facts: CommandFacts): Promise<CommandUndo> {
    // Guards that say the work is done: nothing runs, so there is nothing to undo.
    if (commandStep.check(params, facts).status === 'ok') return {};
    await ctx.remote.run(params.argv, { ...commandOptions(ctx, params), last: true });
    return params.undo === undefined ? {} : { undo: [...params.undo] };
  },

  async rollback(ctx: StepContext, params: CommandParams, undo: CommandUndo): Promise<void> {
    if (undo.undo === undefined) return;
    await ctx.remote.run(undo.undo, commandOptions(ctx, params));
  },
};
