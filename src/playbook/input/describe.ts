/** How values appear inside messages: `'text'`, `42`, `a list`, `a map`, `nothing`. */

const maxShown = 60;

/** A value as it was found: strings quoted, collections named by kind. */
export function describeFound(value: unknown, sourceText?: string): string {
  if (value === undefined || value === null) return 'nothing';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean') {
    // Keep what the user wrote: `1.30` stays `1.30`, not `1.3`.
    return sourceText !== undefined && sourceText !== '' ? sourceText : String(value);
  }
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (typeof value === 'object') return Object.keys(value).length === 0 ? 'an empty map' : 'a map';
  return typeof value;
}

/** `'text'`, shortened when long. */
export function quote(text: string): string {
  const shown = text.length > maxShown ? `${text.slice(0, maxShown - 1)}…` : text;
  return `'${shown.replace(/\n/g, '\\n')}'`;
}

/** A scalar for listing alternatives: strings quoted, the rest as written. */
export function showScalar(value: unknown): string {
  return typeof value === 'string' ? quote(value) : JSON.stringify(value) ?? String(value);
}

/** `a, b or c`. */
export function listWords(words: readonly string[], conjunction = 'or'): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} ${conjunction} ${words[words.length - 1]}`;
}

/** JSON Schema type name -> words for "must be ...". */
export function typeWords(type: string): string {
  switch (type) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'integer':
      return 'a whole number';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list';
    case 'object':
      return 'a map';
    case 'null':
      return 'empty';
    default:
      return type;
  }
}
