/**
 * Several commands in one remote exec: one round trip instead of one each. The commands run one
 * after the other in a POSIX shell script, each from its quoted argument vector and with stdin
 * from /dev/null. Markers carrying a random nonce frame each command's stdout and stderr and give
 * its exit code, so every command gets back exactly what it would have printed run on its own.
 * Reads, and at most one change ahead of them (a step's last command, then the reads that check
 * it): that one alone may take the exec's stdin (a file's new contents).
 */
import { BackupMismatchError, CommandError } from '../errors.js';
import { shellJoin, shellQuote } from './quote.js';
import type { ExecResult, WriteOptions } from './types.js';

export interface BatchCommand {
  argv: readonly string[];
  /**
   * Kill this command (coreutils `timeout`) after this many milliseconds. A read with a limit
   * runs in a process group of its own (what its timeout kills); without one, in the exec's.
   */
  timeoutMs?: number;
  /**
   * The command changes the host: it stays in the exec's process group (`timeout --foreground`),
   * so killing the exec (a step's deadline, a second Ctrl-C) kills it and whatever it started.
   */
  changes?: boolean;
  /** What the command reads on stdin (the exec's own); at most one command of a batch has it. */
  stdin?: string;
}

export interface BatchOptions {
  become?: boolean;
  /** Aborting kills the whole batch. */
  signal?: AbortSignal;
}

/** A transport that can send several commands as one exec (SSH); others run them one by one. */
export interface BatchingTransport {
  execBatch(commands: readonly BatchCommand[], options?: BatchOptions): Promise<Array<ExecResult | Error>>;
}

export function canBatch(remote: object): remote is BatchingTransport {
  return typeof (remote as Partial<BatchingTransport>).execBatch === 'function';
}

/** Seconds for coreutils `timeout`, which accepts fractions; 0 means no limit. */
export function timeoutArg(ms: number): string {
  return (ms / 1000).toFixed(3).replace(/\.?0+$/, '');
}

const READ_FILE_SCRIPT = 'if [ -e "$1" ]; then exec cat -- "$1"; else exit 3; fi';

/** A file's contents as a command: exit 3 when the file does not exist. */
export function readFileArgv(path: string): string[] {
  return ['sh', '-c', READ_FILE_SCRIPT, 'sh', path];
}

/** A shell function of the batch script's: `slipway_rc N` sets $? to N. */
const RETURN_CODE = 'slipway_rc';

/** The file `argv` reads, when it is readFileArgv's command. */
function fileRead(argv: readonly string[]): string | undefined {
  return argv.length === 5 && argv[0] === 'sh' && argv[1] === '-c' && argv[2] === READ_FILE_SCRIPT ? argv[4] : undefined;
}

/** What `readFileArgv` printed: the contents, or null for a missing file. */
export function readFileResult(host: string, path: string, r: ExecResult): string | null {
  if (r.code === 3) return null;
  if (r.code !== 0) throw new CommandError({ host, argv: ['read', path], code: r.code, stdout: '', stderr: r.stderr });
  return r.stdout;
}

/** writeFileArgv's exit code when the backup does not hold the content the caller read (EX_TEMPFAIL). */
const BACKUP_MISMATCH = 75;

/**
 * How a file is written: through a symlink to its target; missing parent directories are
 * created; a temp file beside the target gets the contents (from stdin, fsync'd by dd), then
 * the owner and the mode asked for (or the file's own), then is renamed over the target. Four
 * or five processes (mktemp, dd, chown, chmod, mv): on a node every process is a fork and exec,
 * and a run writes a file at most steps. With `backup`, the file is first copied there (`cp -p`)
 * and the write goes on only if the copy's sha256 is the one given; else the script prints the
 * copy and exits BACKUP_MISMATCH (two processes more, and no exec of the backup's own).
 */
export function writeFileArgv(path: string, options: Pick<WriteOptions, 'mode' | 'owner' | 'backup'> = {}): string[] {
  const mode = options.mode === undefined ? '' : options.mode.toString(8).padStart(4, '0');
  const script = [
    'set -e',
    'target=$1',
    'if [ -L "$target" ]; then target=$(readlink -f -- "$target" 2>/dev/null || printf %s "$target"); fi',
    'case $target in */*) dir=${target%/*} ;; *) dir=. ;; esac',
    'dir=${dir:-/}',
    `if [ -n "\${4:-}" ]; then cp -p -- "$1" "$4"; sum=$(sha256sum < "$4"); if [ "\${sum%% *}" != "$5" ]; then cat -- "$4"; exit ${BACKUP_MISMATCH}; fi; fi`,
    'if [ ! -d "$dir" ]; then mkdir -p -- "$dir"; fi',
    'tmp=$(mktemp -- "$dir/.slipway.XXXXXXXX")',
    'trap \'rm -f -- "$tmp"\' EXIT',
    'dd of="$tmp" conv=fsync status=none',
    'if [ -n "$3" ]; then chown "$3" -- "$tmp"; elif [ -e "$target" ]; then chown --reference="$target" -- "$tmp"; fi',
    'if [ -n "$2" ]; then chmod "$2" -- "$tmp"; elif [ -e "$target" ]; then chmod --reference="$target" -- "$tmp"; else chmod 0644 -- "$tmp"; fi',
    'mv -f -- "$tmp" "$target"',
    'trap - EXIT',
  ].join('\n');
  const backup = options.backup ? [options.backup.path, options.backup.sha256] : [];
  return ['sh', '-c', script, 'sh', path, mode, options.owner ?? '', ...backup];
}

/**
 * What `writeFileArgv` returned: nothing, BackupMismatchError (the file changed since it was
 * read: backed up, not written), or the CommandError of a write that failed.
 */
export function writeFileResult(host: string, path: string, r: ExecResult, options: Pick<WriteOptions, 'backup'> = {}): void {
  if (r.code === BACKUP_MISMATCH && options.backup) throw new BackupMismatchError(host, path, r.stdout);
  if (r.code !== 0) throw new CommandError({ host, argv: ['write', path], code: r.code, stdout: r.stdout, stderr: r.stderr });
}

/** The script that runs `commands` in order, framed by markers made of `nonce` (hex). */
export function batchScript(commands: readonly BatchCommand[], nonce: string): string {
  if (!/^[0-9a-f]+$/.test(nonce)) throw new TypeError('a batch nonce is hex');
  if (commands.filter((c) => c.stdin !== undefined).length > 1) throw new TypeError('at most one command of a batch reads stdin');
  const mark = `slipway-batch-${nonce}`;
  const lines: string[] = [];
  let readsInShell = false;
  commands.forEach((c, i) => {
    lines.push(`printf '\\n%s\\n' '${mark} ${i}'`, `printf '\\n%s\\n' '${mark} ${i}' >&2`);
    // Without a time limit, no coreutils `timeout` (a process for nothing, and a read in a group
    // of its own that killing the exec would miss): the command runs in the batch's own group.
    const limited = c.timeoutMs !== undefined && timeoutArg(c.timeoutMs) !== '0';
    const timeout = limited ? ['timeout', ...(c.changes ? ['--foreground'] : []), '-k', '5', timeoutArg(c.timeoutMs as number)] : [];
    const read = limited ? undefined : fileRead(c.argv);
    if (read !== undefined) {
      // readFileArgv's script, run by the batch's shell itself: no `sh` of its own.
      const file = shellQuote(read);
      readsInShell = true;
      lines.push(`if [ -e ${file} ]; then cat -- ${file}; else ${RETURN_CODE} 3; fi </dev/null`);
    } else {
      lines.push(`${shellJoin([...timeout, ...c.argv])}${c.stdin === undefined ? ' </dev/null' : ''}`);
    }
    lines.push(`printf '\\n%s %s\\n' '${mark}-rc ${i}' "$?"`);
  });
  lines.push(`printf '\\n%s\\n' '${mark}-end' >&2`);
  // `return` in a function sets $? without a process (a file read's "missing"): defined where a read needs it.
  if (readsInShell) lines.unshift(`${RETURN_CODE}() { return "$1"; }`);
  return lines.join('\n');
}

/**
 * Each command's result from the batch's output. A command the batch did not finish (the batch
 * was killed, or the host went away) gets a CommandError with what it printed so far.
 */
export function parseBatch(commands: readonly BatchCommand[], nonce: string, batch: ExecResult, host: string, elapsedMs: number): Array<ExecResult | Error> {
  const mark = `slipway-batch-${nonce}`;
  const stderrOf = (i: number): string => {
    const start = batch.stderr.indexOf(`\n${mark} ${i}\n`);
    if (start < 0) return '';
    const from = start + `\n${mark} ${i}\n`.length;
    const next = batch.stderr.indexOf(`\n${mark} ${i + 1}\n`, from);
    const end = next >= 0 ? next : batch.stderr.indexOf(`\n${mark}-end\n`, from);
    return batch.stderr.slice(from, end >= 0 ? end : undefined);
  };
  let at = 0;
  return commands.map((c, i) => {
    const open = `\n${mark} ${i}\n`;
    const start = batch.stdout.indexOf(open, at);
    const from = start + open.length;
    const close = start >= 0 ? batch.stdout.indexOf(`\n${mark}-rc ${i} `, from) : -1;
    const stderr = stderrOf(i);
    if (close < 0) {
      const stdout = start >= 0 ? batch.stdout.slice(from) : '';
      return new CommandError({ host, argv: c.argv, code: null, stdout, stderr: stderr || batch.stderr, interrupted: true });
    }
    const eol = batch.stdout.indexOf('\n', close + 1 + `${mark}-rc ${i} `.length);
    const code = Number(batch.stdout.slice(close + `\n${mark}-rc ${i} `.length, eol));
    at = eol;
    const stdout = batch.stdout.slice(from, close);
    if (c.timeoutMs !== undefined && (code === 124 || code === 137) && elapsedMs >= c.timeoutMs) {
      return new CommandError({ host, argv: c.argv, code, stdout, stderr, timedOut: true });
    }
    return { code, stdout, stderr };
  });
}
