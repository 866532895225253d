/**
 * Where an unclosed quote or bracket was opened. The YAML parser reports these where it gave up
 * (often the end of the file); the user needs to see where the string or list began.
 */

export interface OpenState {
  /** Offset of an opening quote still open at the end of the scan. */
  quote: number | undefined;
  /** Offsets of `[` and `{` still open, outermost first. */
  brackets: Array<{ char: '[' | '{'; offset: number }>;
}

/** Scans `text` up to `end`, skipping comments and quoted strings. */
export function openAt(text: string, end: number): OpenState {
  const brackets: OpenState['brackets'] = [];
  let i = 0;
  while (i < end) {
    const c = text[i];
    if (c === '#' && (i === 0 || /\s/.test(text[i - 1] ?? ''))) {
      const newline = text.indexOf('\n', i);
      i = newline < 0 ? end : newline;
    } else if ((c === "'" || c === '"') && startsScalar(text, i)) {
      const close = closingQuote(text, i);
      if (close === undefined || close >= end) return { quote: i, brackets };
      i = close + 1;
    } else if (c === '[' || c === '{') {
      brackets.push({ char: c, offset: i });
      i++;
    } else if (c === ']' || c === '}') {
      const top = brackets[brackets.length - 1];
      if (top && top.char === (c === ']' ? '[' : '{')) brackets.pop();
      i++;
    } else {
      i++;
    }
  }
  return { quote: undefined, brackets };
}

/** A quote opens a scalar only where a value can start (not inside `don't`). */
function startsScalar(text: string, at: number): boolean {
  const before = text.slice(text.lastIndexOf('\n', at - 1) + 1, at);
  const prior = before.trimEnd();
  if (prior === '' || /[,[{]$/.test(prior)) return true;
  // After `key:`, `-` or `?` a space is needed: `a-'b` is plain text.
  return /[:\-?]$/.test(prior) && prior.length < before.length;
}

function closingQuote(text: string, open: number): number | undefined {
  const quote = text[open];
  for (let i = open + 1; i < text.length; i++) {
    if (quote === "'" && text[i] === "'") {
      if (text[i + 1] === "'") i++; // '' is an escaped quote
      else return i;
    } else if (quote === '"') {
      if (text[i] === '\\') i++;
      else if (text[i] === '"') return i;
    }
  }
  return undefined;
}
