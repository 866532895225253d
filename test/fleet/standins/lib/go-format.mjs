// Small helpers that print like the Go programs the stand-ins replace.

/** A Go %q of a string (strconv.Quote for the characters our messages carry). */
export function goQuote(s) {
  return JSON.stringify(String(s)).replace(/[\u007f-\uffff]/g, (c) => c);
}

/** A logrus text-formatter line, as a non-terminal stderr gets it. */
export function logrusLine(level, msg) {
  const time = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return `time=${goQuote(time)} level=${level} msg=${goQuote(msg)}\n`;
}

/** JSON like Go's encoding/json of map[string]any: keys sorted at every level, <>& escaped. */
export function goJson(value, indent = '  ') {
  const sort = (v) => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') {
      const out = {};
      for (const k of Object.keys(v).sort()) out[k] = sort(v[k]);
      return out;
    }
    return v;
  };
  return JSON.stringify(sort(value), null, indent)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026');
}

/** time.Time.Format(time.RFC3339Nano) in UTC for nanoseconds since the epoch (a bigint or decimal string). */
export function rfc3339Nano(ns) {
  const n = BigInt(ns);
  const ms = Number(n / 1_000_000n);
  const frac = (n % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  const base = new Date(ms).toISOString().replace(/\.\d+Z$/, '');
  return `${base}${frac ? `.${frac}` : ''}Z`;
}

/** go-units HumanDuration. */
export function humanDuration(ms) {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3_600_000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(hours / 24 / 365)} years`;
}

/** text/tabwriter with minwidth 20, tabwidth 1, padding 3, padchar ' ' (crictl's table display). */
export function tabwrite(rows, { minWidth = 20, padding = 3 } = {}) {
  const widths = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      if (i === row.length - 1) return;
      widths[i] = Math.max(widths[i] ?? 0, minWidth, cell.length + padding);
    });
  }
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('') + '\n').join('');
}

/** Parses a Go time.Duration string ("2s", "1m30s", "500ms") or bare seconds; milliseconds. */
export function parseDuration(text) {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  const unit = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(re)) {
    total += Number(m[1]) * unit[m[2]];
    consumed += m[0].length;
  }
  if (consumed !== text.length || consumed === 0) throw new Error(`time: invalid duration ${goQuote(text)}`);
  return total;
}
