/**
 * Ansible host ranges: `node[01:03]` -> node01, node02, node03; `db-[a:c]` -> db-a, db-b,
 * db-c; an optional step: `node[0:10:5]`.
 */

export type HostRangeResult = { ok: true; names: string[] } | { ok: false; error: string };

const range = /\[([0-9]+|[a-zA-Z]):([0-9]+|[a-zA-Z])(?::([0-9]+))?\]/;
const maxHosts = 10_000;

export function expandHostRange(pattern: string): HostRangeResult {
  const match = range.exec(pattern);
  if (!match) return { ok: true, names: [pattern] };
  const [whole, from = '', to = '', stepText] = match;
  const prefix = pattern.slice(0, match.index);
  const rest = pattern.slice(match.index + whole.length);
  const step = stepText === undefined ? 1 : Number(stepText);
  const values = rangeValues(from, to, step);
  if (typeof values === 'string') return { ok: false, error: `invalid host range '${whole}' in '${pattern}': ${values}` };
  const tails = expandHostRange(rest);
  if (!tails.ok) return tails;
  const names = values.flatMap((value) => tails.names.map((tail) => `${prefix}${value}${tail}`));
  if (names.length > maxHosts) return { ok: false, error: `host range '${pattern}' expands to more than ${maxHosts} hosts` };
  return { ok: true, names };
}

/** The values of one range, or the reason it is invalid. */
function rangeValues(from: string, to: string, step: number): string[] | string {
  if (step < 1) return 'the step must be at least 1';
  const numeric = /^[0-9]+$/;
  if (numeric.test(from) && numeric.test(to)) {
    const start = Number(from);
    const end = Number(to);
    if (start > end) return `it counts down (${from} > ${to})`;
    if ((end - start) / step > maxHosts) return `it has more than ${maxHosts} values`;
    const width = from.startsWith('0') && from.length > 1 ? from.length : 0;
    const values: string[] = [];
    for (let n = start; n <= end; n += step) values.push(String(n).padStart(width, '0'));
    return values;
  }
  if (numeric.test(from) || numeric.test(to)) return 'it mixes a number and a letter';
  const start = from.charCodeAt(0);
  const end = to.charCodeAt(0);
  if (start > end) return `it counts down (${from} > ${to})`;
  const values: string[] = [];
  for (let c = start; c <= end; c += step) values.push(String.fromCharCode(c));
  return values;
}
