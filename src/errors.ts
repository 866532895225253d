/**
 * Typed errors. Only the CLI entry catches them, prints `message` (one clear line or block)
 * and exits with `exitCode`. Everything else throws or chains with `{ cause }`.
 */

/** Exit codes, documented in the README. */
export const EXIT = {
  ok: 0,
  stepFailed: 1,
  badInput: 2,
  unreachable: 3,
  rollbackFailed: 4,
  /** The nodes are held by another live slipway process; nothing was done. */
  busy: 5,
  interrupted: 130,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class SlipwayError extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, options: { cause?: unknown; exitCode?: ExitCode } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options.exitCode ?? EXIT.stepFailed;
  }
}

/** Where in an input file something is. Lines and columns are 1-based. */
export interface SourceLocation {
  file: string;
  line: number;
  col: number;
  /** Path of the offending field, e.g. `steps[3].uses`. */
  field?: string;
}

export function formatLocation(loc: SourceLocation): string {
  return `${loc.file}:${loc.line}:${loc.col}`;
}

/** A malformed playbook, inventory, var or CLI argument. Exit 2. */
/** `--help` was asked for: its text goes to standard output, and the command ends with exit 0. */
export class HelpRequested extends Error {
  constructor(readonly text: string) {
    super('help requested');
    this.name = 'HelpRequested';
  }
}

export class InputError extends SlipwayError {
  readonly location: SourceLocation | undefined;
  readonly problems: readonly InputProblem[];
  constructor(problems: InputProblem[] | string, options: { cause?: unknown } = {}) {
    const list: InputProblem[] = typeof problems === 'string' ? [{ message: problems }] : problems;
    super(list.map(formatProblem).join('\n'), { ...options, exitCode: EXIT.badInput });
    this.problems = list;
    this.location = list[0]?.location;
  }
}

export interface InputProblem {
  location?: SourceLocation;
  message: string;
}

export function formatProblem(p: InputProblem): string {
  if (!p.location) return p.message;
  const field = p.location.field ? `${p.location.field}: ` : '';
  return `${formatLocation(p.location)}: ${field}${p.message}`;
}

export type TransportFailure =
  | 'unreachable'
  | 'auth-refused'
  | 'host-key-unknown'
  | 'host-key-mismatch'
  | 'timeout'
  | 'connection-lost';

/** The node could not be reached or the connection broke. Exit 3. */
export class TransportError extends SlipwayError {
  readonly host: string;
  readonly failure: TransportFailure;
  constructor(host: string, failure: TransportFailure, message: string, options: { cause?: unknown } = {}) {
    super(`${host}: ${message}`, { ...options, exitCode: EXIT.unreachable });
    this.host = host;
    this.failure = failure;
  }
}

/** A remote (or local) command exited non-zero or was killed. */
export class CommandError extends SlipwayError {
  readonly host: string;
  readonly argv: readonly string[];
  readonly code: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  /** Killed because the operator asked (a second Ctrl-C, or an abort of the run). */
  readonly interrupted: boolean;
  constructor(init: {
    host: string;
    argv: readonly string[];
    code: number | null;
    signal?: string | null;
    stdout: string;
    stderr: string;
    timedOut?: boolean;
    interrupted?: boolean;
  }) {
    const what = init.timedOut
      ? 'timed out and was killed'
      : init.interrupted
        ? 'was interrupted (killed on the operator\'s request)'
        : init.signal
          ? `was killed by ${init.signal}`
          : `exited with code ${init.code}`;
    const detail = lastLines(init.stderr || init.stdout, 5);
    super(`${init.host}: command \`${displayArgv(init.argv)}\` ${what}${detail ? `:\n${indent(detail)}` : ''}`);
    this.host = init.host;
    this.argv = init.argv;
    this.code = init.code;
    this.signal = init.signal ?? null;
    this.stdout = init.stdout;
    this.stderr = init.stderr;
    this.timedOut = init.timedOut ?? false;
    this.interrupted = init.interrupted ?? false;
  }
}

/**
 * A write with a backup (WriteOptions.backup) found the file changed since it was read: the
 * backup was taken, nothing was written. `backupContent` is what the backup holds.
 */
export class BackupMismatchError extends SlipwayError {
  readonly host: string;
  readonly path: string;
  readonly backupContent: string;
  constructor(host: string, path: string, backupContent: string) {
    super(`${host}: ${path} changed since it was read; its backup was taken and it was not written`);
    this.host = host;
    this.path = path;
    this.backupContent = backupContent;
  }
}

/** A step failed on a node. Wraps the underlying cause with host, step and location. */
export class StepError extends SlipwayError {
  readonly host: string;
  readonly stepId: string;
  readonly location: SourceLocation | undefined;
  constructor(host: string, stepId: string, message: string, options: { cause?: unknown; location?: SourceLocation } = {}) {
    const where = options.location ? ` (${formatLocation(options.location)})` : '';
    super(`${host}: step '${stepId}'${where}: ${message}`, { cause: options.cause, exitCode: EXIT.stepFailed });
    this.host = host;
    this.stepId = stepId;
    this.location = options.location;
  }
}

export class RollbackError extends SlipwayError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, exitCode: EXIT.rollbackFailed });
  }
}

/** argv for messages: one line, long inline scripts shortened. */
export function displayArgv(argv: readonly string[]): string {
  return argv
    .map((a) => {
      const first = a.split('\n')[0] ?? '';
      if (first.length > 60) return `${first.slice(0, 59)}…`;
      return first !== a ? `${first} …` : a;
    })
    .join(' ');
}

export function lastLines(text: string, n: number): string {
  const lines = text.trimEnd().split('\n');
  return lines.slice(-n).join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
