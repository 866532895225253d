/**
 * `file.line`: one line present in (or every matching line absent from) a text file.
 */
import { InputError } from '../../errors.js';
import type { Projection } from '../projection.js';
import type { CheckResult, ParamsSchema, StepContext, StepType } from '../types.js';
import { changedOrUndefined, editWithBackup, fileDiff, restoreFile, sha256, type FileUndo } from './backup.js';

export interface FileLineParams {
  path: string;
  line?: string;
  regexp?: string;
  state: 'present' | 'absent';
  backup?: boolean;
}

export interface FileLineFacts {
  /** The file's text, or null when it does not exist. */
  content: string | null;
}

export type FileLineUndo = FileUndo;

export const paramsSchema: ParamsSchema = {
  type: 'object',
  description: 'Ensure one line is present in a text file, or that matching lines are absent.',
  additionalProperties: false,
  required: ['path', 'state'],
  properties: {
    path: {
      type: 'string',
      pattern: '^/',
      description: 'Absolute path of the file on the node. A missing file is created when `state` is `present`.',
    },
    line: {
      type: 'string',
      pattern: '^[^\\n]*$',
      description:
        'The whole line, without its newline. `present`: written in place of the last line matching `regexp` ' +
        '(or appended). `absent` without `regexp`: every line equal to it is removed.',
    },
    regexp: {
      type: 'string',
      minLength: 1,
      description:
        'JavaScript regular expression, tested against each line. `present`: the last matching line is ' +
        'replaced by `line`; make it match `line` too, so a second run finds the line and changes nothing. ' +
        '`absent`: every matching line is removed.',
    },
    state: {
      enum: ['present', 'absent'],
      description: '`present`: the line is in the file. `absent`: no line matches.',
    },
    backup: {
      type: 'boolean',
      default: true,
      description:
        'Keep a copy of the previous file next to it (`<path>.slipway-<time>.bak`) so rollback can restore it. ' +
        'Without it, rollback can only delete a file the step created.',
    },
  },
  // The `properties: { x: true }` beside each `required` keeps ajv's strict mode content.
  allOf: [
    {
      if: { properties: { state: { const: 'present' } }, required: ['state'] },
      then: { properties: { line: true }, required: ['line'] },
    },
    { anyOf: [{ properties: { line: true }, required: ['line'] }, { properties: { regexp: true }, required: ['regexp'] }] },
  ],
};

/** The text with the edit made; pure. Line ends are `\n`; a last line without one keeps it so. */
export function editLines(content: string | null, params: FileLineParams): string {
  const matcher = lineMatcher(params);
  const { lines, finalNewline } = splitLines(content ?? '');

  if (params.state === 'absent') {
    const kept = lines.filter((l) => !matcher(l));
    if (kept.length === lines.length) return content ?? '';
    return joinLines(kept, finalNewline);
  }

  const line = params.line ?? '';
  let last = -1;
  lines.forEach((l, i) => {
    if (matcher(l)) last = i;
  });
  if (last === -1 && params.regexp !== undefined && lines.includes(line)) {
    // Nothing matches the pattern any more, but the line is there: done.
    return content ?? '';
  }
  if (last !== -1) {
    if (lines[last] === line) return content ?? '';
    const next = [...lines];
    next[last] = line;
    return joinLines(next, finalNewline);
  }
  // Appended lines always end with a newline, and so does the one before them.
  return joinLines([...lines, line], true);
}

function lineMatcher(params: FileLineParams): (line: string) => boolean {
  if (params.regexp !== undefined) {
    let re: RegExp;
    try {
      re = new RegExp(params.regexp);
    } catch (err) {
      throw new InputError(`file.line: regexp ${JSON.stringify(params.regexp)} is not a valid regular expression`, {
        cause: err,
      });
    }
    return (l) => re.test(l);
  }
  if (params.line === undefined) throw new InputError('file.line: give `line` or `regexp`');
  const wanted = params.line;
  return (l) => l === wanted;
}

function splitLines(text: string): { lines: string[]; finalNewline: boolean } {
  if (text === '') return { lines: [], finalNewline: true };
  const finalNewline = text.endsWith('\n');
  const lines = (finalNewline ? text.slice(0, -1) : text).split('\n');
  return { lines, finalNewline };
}

function joinLines(lines: string[], finalNewline: boolean): string {
  if (lines.length === 0) return '';
  return lines.join('\n') + (finalNewline ? '\n' : '');
}

function describeEdit(params: FileLineParams): string {
  if (params.state === 'absent') {
    return params.regexp !== undefined ? `lines matching /${params.regexp}/` : `line ${JSON.stringify(params.line)}`;
  }
  return `line ${JSON.stringify(params.line)}`;
}

export const fileLineStep: StepType<FileLineParams, FileLineFacts, FileLineUndo> = {
  kind: 'file.line',
  description: 'Ensure a line is present in a text file (replacing the last match of a pattern), or that matching lines are absent.',
  paramsSchema,

  async facts(ctx: StepContext, params: FileLineParams): Promise<FileLineFacts> {
    return { content: await ctx.remote.readFile(params.path) };
  },

  project(params: FileLineParams, facts: FileLineFacts, projection: Projection): FileLineFacts {
    return { content: projection.file(params.path, facts.content) };
  },

  predict(params: FileLineParams, facts: FileLineFacts, projection: Projection): void {
    projection.setFile(params.path, editLines(facts.content, params));
  },

  check(params: FileLineParams, facts: FileLineFacts): CheckResult {
    const what = describeEdit(params);
    if (facts.content === null && params.state === 'absent') {
      return { status: 'ok', summary: `${params.path} does not exist (no ${what})` };
    }
    const next = editLines(facts.content, params);
    if (next === facts.content) {
      return { status: 'ok', summary: `${params.path}: ${what} ${params.state === 'present' ? 'present' : 'absent'}` };
    }
    const verb = facts.content === null ? `create ${params.path} with` : params.state === 'present' ? `set in ${params.path}:` : `remove from ${params.path}:`;
    return { status: 'change', summary: `${verb} ${what}`, diff: fileDiff(params.path, facts.content, next) };
  },

  async apply(ctx: StepContext, params: FileLineParams, facts: FileLineFacts): Promise<FileLineUndo> {
    const { remote } = ctx;
    const path = params.path;
    if (facts.content === null) {
      if (params.state !== 'present') return unchangedUndo(path, null);
      const created = editLines(null, params);
      await remote.writeFile(path, created, { last: true });
      return { path, changed: true, existed: false, backupPath: null, previousSha256: null, afterSha256: sha256(created) };
    }
    // The backup goes with the write; the edit is of what the backup holds (editWithBackup).
    const edited = await editWithBackup(ctx, path, facts.content, (before) => changedOrUndefined(before, editLines(before, params)), { backup: params.backup !== false, last: true });
    if (!edited.written) return unchangedUndo(path, edited.before);
    return {
      path,
      changed: true,
      existed: true,
      backupPath: edited.backupPath,
      previousSha256: sha256(edited.before),
      afterSha256: sha256(edited.after),
    };
  },

  async rollback(ctx: StepContext, _params: FileLineParams, undo: FileLineUndo): Promise<void> {
    await restoreFile(ctx, undo);
  },
};

function unchangedUndo(path: string, content: string | null): FileUndo {
  const sha = sha256(content ?? '');
  return {
    path,
    changed: false,
    existed: content !== null,
    backupPath: null,
    previousSha256: content === null ? null : sha,
    afterSha256: sha,
  };
}
