/**
 * kubelet's effective command line, assembled the way systemd does it from the unit file, its
 * drop-ins and the environment files they load, with the file each word comes from. Pure.
 *
 * systemd's rules, as far as a kubelet unit uses them (systemd.service(5), systemd.exec(5)):
 * - The unit file comes first, then drop-ins in the lexical order of their file names; a later
 *   `ExecStart=` replaces an earlier one only after an empty `ExecStart=` reset (a service that
 *   is not oneshot has one). Prefixes `-@:+!` on the command are not part of it.
 * - `Environment=` takes space-separated `NAME=value` assignments, each of which may be quoted;
 *   an empty assignment resets the list. `EnvironmentFile=` names files (`-` means "may be
 *   missing"); their settings override `Environment=`, later files override earlier ones.
 * - In the command, a word that is exactly `$NAME` becomes the variable's value split at
 *   whitespace (no word at all when it is empty or unset); `${NAME}` is replaced in place.
 * - Environment files: `NAME=value` lines, `#` and `;` comments, values in single or double
 *   quotes, a trailing backslash continues the line.
 */

export interface UnitFile {
  path: string;
  content: string;
}

/** One word of the command line and where it comes from. */
export interface CommandWord {
  text: string;
  /** The file that wrote the word: the one with the ExecStart, or the one that set its variable. */
  from: string;
  /** The variable the word came through (`KUBELET_KUBEADM_ARGS`), when it did. */
  variable?: string;
}

export interface KubeletFlag {
  /** `--container-runtime` */
  name: string;
  /** `remote` (from `--flag=remote` or `--flag remote`); undefined for a bare flag. */
  value?: string;
  /** As written: `--container-runtime=remote`, or the two words joined with a space. */
  text: string;
  from: string;
  variable?: string;
}

export interface KubeletCommandLine {
  /** The file whose ExecStart= is in effect; undefined when no file sets one. */
  execStartFrom: string | undefined;
  /** The program (`/usr/bin/kubelet`). */
  program: string | undefined;
  args: CommandWord[];
  flags: KubeletFlag[];
  /** Environment files named by the unit, in order, and those of them that do not exist. */
  environmentFiles: string[];
  missingEnvironmentFiles: string[];
}

interface Setting {
  value: string;
  from: string;
}

/** Logical lines of a unit or environment file: continuations joined, comments and blanks dropped. */
function logicalLines(text: string): string[] {
  const out: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const trimmed = line.trim();
    if (pending === '' && (trimmed.startsWith('#') || trimmed.startsWith(';'))) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    out.push(pending + line);
    pending = '';
  }
  if (pending) out.push(pending);
  return out.map((l) => l.trim()).filter(Boolean);
}

/** Splits at unquoted whitespace; quotes group and are removed; backslash escapes the next character. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < text.length) word += text[++i];
      else word += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** `[Service]` settings of a unit file, in order: [key, value]. */
function serviceSettings(content: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let section = '';
  for (const line of logicalLines(content)) {
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      section = header[1] as string;
      continue;
    }
    if (section !== 'Service') continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    out.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  return out;
}

/** The settings of an environment file. Pure. */
export function parseEnvironmentFile(content: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of logicalLines(content)) {
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    const raw = (m[2] as string).trim();
    const quoted = /^"(.*)"$/s.exec(raw) ?? /^'(.*)'$/s.exec(raw);
    vars.set(m[1] as string, quoted ? (quoted[1] as string).replace(/\\(["\\$`])/g, '$1') : raw.replace(/\s+#.*$/, ''));
  }
  return vars;
}

/**
 * The effective command line. `units`: the unit file, then its drop-ins in systemd's order.
 * `readEnvFile`: an environment file's content, or null when it does not exist.
 */
export function assembleKubeletCommandLine(units: readonly UnitFile[], readEnvFile: (path: string) => string | null): KubeletCommandLine {
  const environment = new Map<string, Setting>();
  let envFiles: string[] = [];
  let execStart: Setting | undefined;
  for (const unit of units) {
    for (const [key, value] of serviceSettings(unit.content)) {
      if (key === 'Environment') {
        if (value === '') environment.clear();
        for (const assignment of splitWords(value)) {
          const eq = assignment.indexOf('=');
          if (eq > 0) environment.set(assignment.slice(0, eq), { value: assignment.slice(eq + 1), from: unit.path });
        }
      } else if (key === 'EnvironmentFile') {
        if (value === '') envFiles = [];
        else envFiles.push(...splitWords(value).map((f) => f.replace(/^-/, '')).filter((f) => f.startsWith('/')));
      } else if (key === 'ExecStart') {
        execStart = value === '' ? undefined : { value: value.replace(/^[-@:+!]+/, ''), from: unit.path };
      }
    }
  }
  const missing: string[] = [];
  for (const file of envFiles) {
    const content = readEnvFile(file);
    if (content === null) {
      missing.push(file);
      continue;
    }
    for (const [name, value] of parseEnvironmentFile(content)) environment.set(name, { value, from: file });
  }
  const words: CommandWord[] = [];
  for (const word of execStart ? splitWords(execStart.value) : []) {
    const whole = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(word);
    if (whole) {
      const name = whole[1] as string;
      const setting = environment.get(name);
      for (const text of setting ? splitWords(setting.value) : []) words.push({ text, from: setting?.from ?? '', variable: name });
      continue;
    }
    let variable: string | undefined;
    let from = execStart?.from ?? '';
    const text = word.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const setting = environment.get(name);
      if (setting) {
        variable = name;
        from = setting.from;
      }
      return setting?.value ?? '';
    });
    words.push({ text, from, ...(variable ? { variable } : {}) });
  }
  const [program, ...args] = words;
  return {
    execStartFrom: execStart?.from,
    program: program?.text,
    args,
    flags: flagsOf(args),
    environmentFiles: envFiles,
    missingEnvironmentFiles: missing,
  };
}

/** Flags of kubelet's arguments: `--name=value`, `--name value` (kubelet takes no positional arguments), `--name`. */
function flagsOf(args: readonly CommandWord[]): KubeletFlag[] {
  const flags: KubeletFlag[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i] as CommandWord;
    if (!word.text.startsWith('-')) continue;
    const name = `--${word.text.replace(/^-+/, '').split('=')[0]}`;
    const where = { from: word.from, ...(word.variable ? { variable: word.variable } : {}) };
    const eq = word.text.indexOf('=');
    if (eq >= 0) {
      flags.push({ name, value: word.text.slice(eq + 1), text: word.text, ...where });
      continue;
    }
    const next = args[i + 1];
    if (next && !next.text.startsWith('-')) {
      flags.push({ name, value: next.text, text: `${word.text} ${next.text}`, ...where });
      i++;
    } else {
      flags.push({ name, text: word.text, ...where });
    }
  }
  return flags;
}
