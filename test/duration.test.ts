import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { isDuration, parseDuration } from '../src/duration.js';

describe('parseDuration', () => {
  it.each([
    [30, 30_000],
    [0.5, 500],
    ['45', 45_000],
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1_500],
    [' 2m ', 120_000],
  ] as const)('%j is %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each(['5 minutes', '5min', '', 'm', '-5s', '1d'])('refuses %j with an InputError that says what is expected', (input) => {
    expect(() => parseDuration(input)).toThrow(InputError);
    expect(() => parseDuration(input)).toThrow(/expected seconds .* or a duration like 500ms, 30s, 5m, 1h/);
  });

  it('refuses negative and non-finite numbers', () => {
    expect(isDuration(-1)).toBe(false);
    expect(isDuration(Number.POSITIVE_INFINITY)).toBe(false);
    expect(() => parseDuration(-1)).toThrow(InputError);
  });
});
