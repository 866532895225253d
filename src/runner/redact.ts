/**
 * Keeps secrets out of the journal, logs, reports and everything printed. Two ways, both needed:
 * by key (a var named like a secret is stored as `<redacted>`), and by value (once substituted
 * into a command line, a file's content or a diff, or echoed in a command's error output, the
 * value itself is replaced wherever it appears).
 */

const SECRET_KEY = /(pass(word|wd|phrase)?|secret|token|api[_-]?key|private[_-]?key|credential)s?$/i;

export const REDACTED = '<redacted>';

/** Values shorter than this are not searched for: redacting every "abc" would garble output. */
export const MIN_SECRET_LENGTH = 4;

/** The note a redacted diff ends with, in unified diff's own `\ ` style. */
export const REDACTED_DIFF_NOTE = `\\ secret values are shown as ${REDACTED}; a line showing it is still a change`;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !/_file$|_path$|File$|Path$/.test(key);
}

/** A deep copy with values under secret-looking keys replaced. */
export function redactSecrets<T>(value: T): T {
  return redactKeys(value) as T;
}

function redactKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = isSecretKey(k) && v !== undefined && v !== null ? REDACTED : redactKeys(v);
    return out;
  }
  return value;
}

/** Every string under a secret-looking key, at any depth (a list of tokens, a map of them). */
export function secretStringsIn(data: unknown, underSecret = false): string[] {
  if (typeof data === 'string') return underSecret ? [data] : [];
  if (Array.isArray(data)) return data.flatMap((v) => secretStringsIn(v, underSecret));
  if (data && typeof data === 'object') return Object.entries(data).flatMap(([k, v]) => secretStringsIn(v, underSecret || isSecretKey(k)));
  return [];
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The values to hide, and the replacing. */
export class SecretValues {
  readonly #values = new Set<string>();
  #pattern: RegExp | undefined;

  /** Adds a value to hide (strings of MIN_SECRET_LENGTH or more). */
  add(value: string): void {
    if (value.length < MIN_SECRET_LENGTH || this.#values.has(value)) return;
    this.#values.add(value);
    // Longest first, so a secret that contains another is replaced whole.
    const sorted = [...this.#values].sort((a, b) => b.length - a.length);
    this.#pattern = new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
  }

  get size(): number {
    return this.#values.size;
  }

  redactText(text: string): string {
    return this.#pattern ? text.replace(this.#pattern, REDACTED) : text;
  }

  /** A diff with secrets replaced, and a note saying so when any was: its lines still count as changes. */
  redactDiff(diff: string): string {
    const redacted = this.redactText(diff);
    if (redacted === diff) return diff;
    return `${redacted.replace(/\n?$/, '\n')}${REDACTED_DIFF_NOTE}\n`;
  }

  /**
   * A deep copy of plain data with every string redacted (`diff` fields as diffs). Values under
   * `keep` keys are copied as they are: undo records, which rollback needs whole, stay in the
   * journal (the run folder is readable by its owner only).
   */
  redactData<T>(value: T, keep: readonly string[] = []): T {
    if (!this.#pattern) return value;
    const walk = (v: unknown, key: string | undefined): unknown => {
      if (typeof v === 'string') return key === 'diff' ? this.redactDiff(v) : this.redactText(v);
      if (Array.isArray(v)) return v.map((x) => walk(x, undefined));
      if (v && typeof v === 'object') {
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) out[k] = keep.includes(k) ? x : walk(x, k);
        return out;
      }
      return v;
    };
    return walk(value, undefined) as T;
  }
}

/**
 * The secrets of this process's command: the CLI adds the values of secret-named vars (playbook,
 * inventory, -e) and the become password as it loads them; the engine's events and everything the
 * CLI prints are redacted with them.
 */
export const processSecrets = new SecretValues();
