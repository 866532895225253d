/**
 * Removing kubelet flags from the files that build kubelet's command line, as a pure text edit:
 * the flag and its value go, with the whitespace (or the continued line) that separated them
 * from the rest; every other byte stays as it was.
 *
 * Two syntaxes:
 * - `systemd`: unit files and drop-ins. Flags are words of `ExecStart=` (which may continue
 *   over lines ending in `\`) and of the values assigned by `Environment=` (`Environment="KUBELET_CONFIG_ARGS=--config=..."`).
 * - `env`: environment files (`/var/lib/kubelet/kubeadm-flags.env`, `/etc/default/kubelet`,
 *   `/etc/sysconfig/kubelet`). Flags are words of the values of `NAME=...` lines, quoted
 *   (`KUBELET_KUBEADM_ARGS="--a=1 --b"`) or not.
 *
 * Words are split at unquoted whitespace; quotes group (`--flag "v w"`, `--flag='v'`) and
 * backslash-newline is whitespace. A flag matches `--flag` or `--flag=...` exactly, so
 * `--container-runtime` never matches `--container-runtime-endpoint`. A flag that takes a value
 * and stands alone (`--flag value`) takes the next word with it, unless that word starts with
 * `-`; a boolean flag never does.
 */

export type FlagFileSyntax = 'systemd' | 'env';

export interface FlagSpec {
  /** With the leading dashes: `--container-runtime`. */
  flag: string;
  /** A boolean flag never takes the next word as its value. */
  boolean?: boolean;
}

export interface FlagRemoval {
  flag: string;
  /** Exactly what was taken out of the word list: `--container-runtime=remote`, `--flag "v w"`. */
  text: string;
  /** 1-based line of the flag in the file as it was. */
  line: number;
}

export interface FlagEdit {
  content: string;
  removals: FlagRemoval[];
}

/** Which syntax a file is read with: units and drop-ins are systemd's, the rest environment files. */
export function syntaxForPath(path: string): FlagFileSyntax {
  if (/\.service$/.test(path) || /\.service\.d\/[^/]+\.conf$/.test(path)) return 'systemd';
  return 'env';
}

/** The content without the flags; `removals` in file order. Pure. */
export function removeKubeletFlags(content: string, syntax: FlagFileSyntax, flags: readonly FlagSpec[]): FlagEdit {
  const removals: FlagRemoval[] = [];
  let text = content;
  // Last match first: deleting it leaves every earlier offset (and line number) as it was.
  for (;;) {
    const matches = findFlagMatches(text, syntax, flags);
    const last = matches.at(-1);
    if (!last) break;
    removals.push({ flag: last.flag, text: text.slice(last.wordsStart, last.wordsEnd), line: lineOf(text, last.wordsStart) });
    text = text.slice(0, last.deleteStart) + text.slice(last.deleteEnd);
  }
  return { content: text, removals: removals.reverse() };
}

/** The flags the file passes to kubelet, among `flags`, without changing anything. */
export function findKubeletFlags(content: string, syntax: FlagFileSyntax, flags: readonly FlagSpec[]): FlagRemoval[] {
  return findFlagMatches(content, syntax, flags).map((m) => ({
    flag: m.flag,
    text: content.slice(m.wordsStart, m.wordsEnd),
    line: lineOf(content, m.wordsStart),
  }));
}

// ------------------------------------------------------------------------------------ regions

type Quote = '' | '"' | "'";

/** A stretch of the file holding command-line words, and the quote it sits inside. */
interface Region {
  start: number;
  end: number;
  quote: Quote;
}

interface Word {
  start: number;
  end: number;
  /** The word with its quotes and escapes resolved. */
  text: string;
}

interface FlagMatch {
  flag: string;
  wordsStart: number;
  wordsEnd: number;
  deleteStart: number;
  deleteEnd: number;
}

interface LogicalLine {
  start: number;
  /** Before the final newline. */
  end: number;
}

/** Physical lines joined where a line ends in an odd number of backslashes. */
function logicalLines(text: string): LogicalLine[] {
  const lines: LogicalLine[] = [];
  let start = 0;
  let pos = 0;
  while (pos <= text.length) {
    const nl = text.indexOf('\n', pos);
    const end = nl === -1 ? text.length : nl;
    let backslashes = 0;
    for (let k = end - 1; k >= pos && text[k] === '\\'; k--) backslashes++;
    if (backslashes % 2 === 1 && nl !== -1) {
      pos = nl + 1;
      continue;
    }
    lines.push({ start, end });
    if (nl === -1) break;
    start = nl + 1;
    pos = start;
  }
  return lines;
}

function regionsOf(text: string, syntax: FlagFileSyntax): Region[] {
  return syntax === 'systemd' ? systemdRegions(text) : envRegions(text);
}

function systemdRegions(text: string): Region[] {
  const regions: Region[] = [];
  for (const line of logicalLines(text)) {
    const body = text.slice(line.start, line.end);
    const m = /^[ \t]*([A-Za-z][A-Za-z0-9]*)[ \t]*=[ \t]*/.exec(body);
    if (!m) continue; // blank, comment (# or ;), section header
    const key = m[1];
    const valueStart = line.start + m[0].length;
    if (key === 'ExecStart') {
      regions.push({ start: valueStart, end: line.end, quote: '' });
    } else if (key === 'Environment') {
      // A list of assignments; the value of each is a command line of its own.
      for (const word of wordsIn(text, { start: valueStart, end: line.end, quote: '' })) {
        const region = assignmentValueRegion(text, word);
        if (region) regions.push(region);
      }
    }
  }
  return regions;
}

/** The value part of one `NAME=value` or `"NAME=value"` word of `Environment=`. */
function assignmentValueRegion(text: string, word: Word): Region | undefined {
  const raw = text.slice(word.start, word.end);
  const quoted = /^(["'])([A-Za-z_][A-Za-z0-9_]*)=/.exec(raw);
  if (quoted && raw.length >= 2 && raw.endsWith(quoted[1] as string)) {
    return { start: word.start + quoted[0].length, end: word.end - 1, quote: quoted[1] as Quote };
  }
  const plain = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(raw);
  if (plain) return { start: word.start + plain[0].length, end: word.end, quote: '' };
  return undefined;
}

function envRegions(text: string): Region[] {
  const regions: Region[] = [];
  const lines = logicalLines(text);
  let skipUntil = 0;
  for (const line of lines) {
    if (line.start < skipUntil) continue;
    const body = text.slice(line.start, line.end);
    const m = /^[ \t]*(?:export[ \t]+)?[A-Za-z_][A-Za-z0-9_]*=/.exec(body);
    if (!m) continue;
    const valueStart = line.start + m[0].length;
    const first = text[valueStart];
    if (first === '"' || first === "'") {
      // A quoted value may run over several lines.
      const close = closingQuote(text, valueStart + 1, text.length, first);
      if (close === -1) continue; // unterminated: not touched
      regions.push({ start: valueStart + 1, end: close, quote: first });
      skipUntil = close;
    } else {
      let end = line.end;
      while (end > valueStart && /[ \t\r]/.test(text[end - 1] as string)) end--;
      regions.push({ start: valueStart, end, quote: '' });
    }
  }
  return regions;
}

/** Index of the quote closing one opened just before `from`, or -1. Backslash escapes in double quotes. */
function closingQuote(text: string, from: number, end: number, quote: string): number {
  for (let i = from; i < end; i++) {
    const c = text[i];
    if (quote === '"' && c === '\\') {
      i++;
      continue;
    }
    if (c === quote) return i;
  }
  return -1;
}

// ------------------------------------------------------------------------------------ words

/** Length of the whitespace at `i` (backslash-newline counts where backslashes escape), or 0. */
function whitespaceAt(text: string, i: number, end: number, quote: Quote): number {
  const c = text[i];
  if (c === ' ' || c === '\t' || c === '\n' || c === '\r') return 1;
  if (quote !== "'" && c === '\\' && i + 1 < end) {
    if (text[i + 1] === '\n') return 2;
    if (text[i + 1] === '\r' && text[i + 2] === '\n') return 3;
  }
  return 0;
}

function wordsIn(text: string, region: Region): Word[] {
  const { end, quote } = region;
  const words: Word[] = [];
  let i = region.start;
  while (i < end) {
    const ws = whitespaceAt(text, i, end, quote);
    if (ws > 0) {
      i += ws;
      continue;
    }
    const start = i;
    let value = '';
    while (i < end && whitespaceAt(text, i, end, quote) === 0) {
      const c = text[i] as string;
      const next = text[i + 1];
      if (quote === '"' && c === '\\' && next === '"') {
        // \"...\" inside a double-quoted value groups like quotes would on a command line.
        const close = text.indexOf('\\"', i + 2);
        const stop = close === -1 || close >= end ? end : close;
        value += text.slice(i + 2, stop);
        i = close === -1 || close >= end ? end : close + 2;
        continue;
      }
      if (quote !== "'" && c === '\\' && i + 1 < end) {
        value += next;
        i += 2;
        continue;
      }
      const opens = (c === '"' && quote !== '"') || (c === "'" && quote !== "'");
      if (opens) {
        const close = closingQuote(text, i + 1, end, c);
        const stop = close === -1 ? end : close;
        value += unescape(text.slice(i + 1, stop), c === '"' && quote === '');
        i = close === -1 ? end : close + 1;
        continue;
      }
      value += c;
      i++;
    }
    words.push({ start, end: i, text: value });
  }
  return words;
}

function unescape(s: string, backslashes: boolean): string {
  return backslashes ? s.replace(/\\(.)/g, '$1') : s;
}

// ------------------------------------------------------------------------------------ matching

function findFlagMatches(text: string, syntax: FlagFileSyntax, flags: readonly FlagSpec[]): FlagMatch[] {
  const matches: FlagMatch[] = [];
  for (const region of regionsOf(text, syntax)) {
    const words = wordsIn(text, region);
    for (let k = 0; k < words.length; k++) {
      const word = words[k] as Word;
      const spec = flags.find((f) => word.text === f.flag || word.text.startsWith(`${f.flag}=`));
      if (!spec) continue;
      let last = k;
      const next = words[k + 1];
      if (word.text === spec.flag && !spec.boolean && next && !next.text.startsWith('-')) last = k + 1;
      matches.push({ flag: spec.flag, ...deletion(text, region, words, k, last) });
      k = last;
    }
  }
  return matches.sort((a, b) => a.wordsStart - b.wordsStart);
}

/** What to cut for words[first..last]: the words and the whitespace that set them apart. */
function deletion(
  text: string,
  region: Region,
  words: readonly Word[],
  first: number,
  last: number,
): Omit<FlagMatch, 'flag'> {
  const wordsStart = (words[first] as Word).start;
  const wordsEnd = (words[last] as Word).end;
  const prev = words[first - 1];
  const next = words[last + 1];
  const lineStart = text.lastIndexOf('\n', wordsStart - 1) + 1;
  const startsLine = lineStart >= region.start && /^[ \t]*$/.test(text.slice(lineStart, wordsStart));
  const result = (deleteStart: number, deleteEnd: number) => ({ wordsStart, wordsEnd, deleteStart, deleteEnd });

  if (startsLine && region.quote !== "'") {
    // Alone on a continued line: the whole line goes.
    const continued = /^[ \t]*\\\r?\n/.exec(text.slice(wordsEnd, region.end));
    if (continued) return result(lineStart, wordsEnd + continued[0].length);
    // First on its line, more words after it on the same line: cut up to the next word.
    if (next && !text.slice(wordsEnd, next.start).includes('\n')) return result(wordsStart, next.start);
  }
  if (prev) return result(prev.end, wordsEnd);
  if (next) return result(wordsStart, next.start);
  return result(wordsStart, wordsEnd);
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (text[i] === '\n') line++;
  return line;
}
