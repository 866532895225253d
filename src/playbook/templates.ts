/**
 * `{{ name }}` and `{{ dotted.path }}` references inside strings. Only references: no
 * expressions, no filters, nothing evaluated. `{{ '{{' }}` writes a literal `{{`.
 */

export type TemplatePart = { kind: 'text'; text: string } | { kind: 'var'; path: string };

export type ParsedTemplate = { ok: true; parts: TemplatePart[] } | { ok: false; error: string };

/** A var path: a name, then dot-separated keys or list indices (`node.groups.0`). */
export const varPathPattern = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_-]+)*$/;
const escapedBraces = /^(['"])\{\{\1$/;
const open = '{{';
const close = '}}';

/** True when the string holds at least one `{{`, i.e. needs substitution or has a mistake. */
export function hasTemplate(text: string): boolean {
  return text.includes(open);
}

export function parseTemplate(text: string): ParsedTemplate {
  const parts: TemplatePart[] = [];
  let literal = '';
  let at = 0;
  for (;;) {
    const start = text.indexOf(open, at);
    if (start < 0) break;
    literal += text.slice(at, start);
    const end = text.indexOf(close, start + open.length);
    if (end < 0) {
      return { ok: false, error: `unclosed '{{' in ${show(text)} (write {{ '{{' }} for a literal '{{')` };
    }
    const inner = text.slice(start + open.length, end).trim();
    const written = text.slice(start, end + close.length);
    if (escapedBraces.test(inner)) {
      literal += open;
    } else if (varPathPattern.test(inner)) {
      if (literal !== '') parts.push({ kind: 'text', text: literal });
      literal = '';
      parts.push({ kind: 'var', path: inner });
    } else {
      return { ok: false, error: referenceError(inner, written) };
    }
    at = end + close.length;
  }
  literal += text.slice(at);
  if (literal !== '') parts.push({ kind: 'text', text: literal });
  return { ok: true, parts };
}

/** Paths of every var a string refers to (empty for a string with a mistake). */
export function templateRefs(text: string): string[] {
  const parsed = parseTemplate(text);
  return parsed.ok ? parsed.parts.flatMap((p) => (p.kind === 'var' ? [p.path] : [])) : [];
}

function referenceError(inner: string, written: string): string {
  const supported = "only {{ name }} and {{ dotted.path }} are supported";
  if (inner === '') return `empty reference '${written}': ${supported}`;
  if (inner.includes('|')) return `filters are not supported in '${written}': ${supported}`;
  return `'${written}' is not a var reference: ${supported} (no expressions)`;
}

function show(text: string): string {
  return text.length > 60 ? `'${text.slice(0, 59)}…'` : `'${text}'`;
}
