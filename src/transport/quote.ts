/**
 * Turning an argument vector into one POSIX shell command line, for transports whose far end
 * is a shell (an SSH exec channel runs the user's login shell with `-c`).
 *
 * Every argument is quoted by `shlex`, so it reaches the program as one literal argument:
 * no expansion, globbing, word splitting or command substitution happens on the far side.
 */
import { quote } from 'shlex';

/**
 * Words the shell recognises as syntax when they stand where a command name is expected.
 * `shlex` leaves them bare (they are made of safe characters), so the command word gets
 * forced quotes when it is one of them.
 */
const RESERVED_WORDS = new Set([
  'case', 'do', 'done', 'elif', 'else', 'esac', 'fi', 'for', 'function', 'if', 'in',
  'select', 'then', 'time', 'until', 'while', 'coproc',
]);

/** Quotes one argument for a POSIX shell. Throws on NUL, which no argument can carry. */
export function shellQuote(arg: string): string {
  if (arg.includes('\0')) {
    throw new TypeError('a command argument cannot contain a NUL byte');
  }
  return quote(arg);
}

/**
 * Quotes the command word. Besides what `shellQuote` does, a bare `NAME=value` would be taken
 * as a variable assignment (and the next argument as the command), and a bare reserved word
 * as syntax; both get single quotes, which makes them plain words.
 */
function quoteCommandWord(arg: string): string {
  const quoted = shellQuote(arg);
  if (quoted === arg && (arg.includes('=') || RESERVED_WORDS.has(arg))) {
    return `'${arg}'`;
  }
  return quoted;
}

/**
 * One shell command line that runs `argv[0]` with the rest as its arguments, each arriving
 * as exactly the string given.
 */
export function shellJoin(argv: readonly string[]): string {
  if (argv.length === 0) {
    throw new TypeError('cannot build a command line from an empty argument vector');
  }
  const [command, ...args] = argv as [string, ...string[]];
  return [quoteCommandWord(command), ...args.map(shellQuote)].join(' ');
}

export interface SudoOptions {
  /**
   * `password` (the default): `sudo -S -p ''` reads the password as the first line of stdin
   * without printing a prompt; the caller writes `password + "\n"` before the command's own
   * stdin. `non-interactive`: `sudo -n` fails at once instead of asking.
   */
  auth?: 'password' | 'non-interactive';
  /** Run as this user instead of root. */
  user?: string;
}

/**
 * The argument vector that runs `argv` through sudo. `--` ends sudo's options, so a command
 * starting with `-` is still taken as the command.
 *
 * With `auth: 'password'`, sudo only consumes the password line when it needs one; when it
 * does not (NOPASSWD, cached credentials) that line would reach the command. Callers that
 * cannot tell ahead of time validate first (`sudo -S -p '' -v`) and then use `non-interactive`.
 */
export function sudoWrap(argv: readonly string[], options: SudoOptions = {}): string[] {
  const auth = options.auth === 'non-interactive' ? ['-n'] : ['-S', '-p', ''];
  const user = options.user === undefined ? [] : ['-u', options.user];
  return ['sudo', ...auth, ...user, '--', ...argv];
}
