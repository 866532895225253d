/** Durations as playbooks write them: a number of seconds, or `500ms`, `30s`, `5m`, `1h`, `1h30m`. */
import { InputError } from './errors.js';

const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const plainSeconds = /^[0-9]+(\.[0-9]+)?$/;
const withUnits = /^([0-9]+(?:\.[0-9]+)?(?:ms|s|m|h))+$/;
const oneSegment = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g;

/** `text` is valid for {@link parseDuration}. */
export function isDuration(text: string | number): boolean {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0;
  const trimmed = text.trim();
  return plainSeconds.test(trimmed) || withUnits.test(trimmed);
}

/** Milliseconds. A number is seconds. Throws InputError for anything else. */
export function parseDuration(text: string | number): number {
  if (!isDuration(text)) {
    const shown = typeof text === 'number' ? String(text) : `'${text}'`;
    throw new InputError(
      `invalid duration ${shown}: expected seconds (a number of 0 or more) or a duration like 500ms, 30s, 5m, 1h`,
    );
  }
  if (typeof text === 'number') return Math.round(text * 1000);
  const trimmed = text.trim();
  if (plainSeconds.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(oneSegment)) {
    total += Number(amount) * unitMs[unit as keyof typeof unitMs];
  }
  return Math.round(total);
}
