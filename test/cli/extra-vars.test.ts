import { describe, expect, it } from 'vitest';
import { parseExtraVars } from '../../src/cli/inputs.js';
import { InputError } from '../../src/errors.js';

describe('-e extra vars', () => {
  it('keeps key=value values as strings, as Ansible does (a version stays a version)', () => {
    expect(parseExtraVars(['target_version=1.30', 'n=3', 'flag=true', 'eq=a=b'])).toEqual({ target_version: '1.30', n: '3', flag: 'true', eq: 'a=b' });
  });
  it('takes typed values from a JSON object', () => {
    expect(parseExtraVars(['{"replicas": 3, "flags": ["--a"]}', 'x=1'])).toEqual({ replicas: 3, flags: ['--a'], x: '1' });
  });
  it('names what is wrong', () => {
    expect(() => parseExtraVars(['novalue'])).toThrow(InputError);
    expect(() => parseExtraVars(['novalue'])).toThrow(/expected key=value/);
    expect(() => parseExtraVars(['1x=2'])).toThrow(/not a valid var name/);
    expect(() => parseExtraVars(['{"a": }'])).toThrow(/not valid JSON/);
    expect(() => parseExtraVars(['{"bad-name": 1}'])).toThrow(/not a valid var name/);
  });
});
