/**
 * Text from playbooks, inventories and nodes' command output is shown to an operator; a value
 * holding an ESC sequence (or another control byte) would otherwise clear, repaint or retitle
 * their terminal. Everything slipway prints passes through here: control characters are shown
 * escaped (`\x1b`), newlines and tabs kept. The journal keeps the data as it was, as JSON.
 *
 * Escaped: C0 controls but newline and tab, DEL, C1 controls (U+0080-U+009F, which some
 * terminals take as 8-bit CSI/OSC), and the Unicode bidirectional overrides and isolates that
 * reorder what a line appears to say (U+202A-U+202E, U+2066-U+2069).
 */

const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
/** JSON.stringify escapes C0 controls itself. */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

function escapeChar(ch: string): string {
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `text` with every control character shown as an escape; newlines and tabs kept. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** A deep copy of plain data with every string made terminal-safe (keys included). */
export function terminalSafeData<T>(value: T): T {
  return walk(value) as T;
}

function walk(value: unknown): unknown {
  if (typeof value === 'string') return terminalSafe(value);
  if (Array.isArray(value)) return value.map(walk);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[terminalSafe(k)] = walk(v);
    return out;
  }
  return value;
}

/**
 * One JSON line that is safe on a terminal and still the same data: JSON.stringify escapes C0
 * controls; DEL, C1 and the bidi controls are escaped as `\uXXXX` too.
 */
export function terminalSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(UNSAFE_IN_JSON, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
