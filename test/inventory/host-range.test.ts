import { describe, expect, it } from 'vitest';
import { expandHostRange } from '../../src/inventory/host-range.js';

describe('expandHostRange', () => {
  it('keeps a plain name', () => {
    expect(expandHostRange('node-1')).toEqual({ ok: true, names: ['node-1'] });
  });

  it('expands numbers, keeping zero padding, with an optional step', () => {
    expect(expandHostRange('node[01:03].lan')).toEqual({ ok: true, names: ['node01.lan', 'node02.lan', 'node03.lan'] });
    expect(expandHostRange('n[0:10:5]')).toEqual({ ok: true, names: ['n0', 'n5', 'n10'] });
  });

  it('expands letters and several ranges', () => {
    expect(expandHostRange('db-[a:b][1:2]')).toEqual({ ok: true, names: ['db-a1', 'db-a2', 'db-b1', 'db-b2'] });
  });

  it('says what is wrong with a range', () => {
    expect(expandHostRange('node-[3:1]')).toEqual({ ok: false, error: "invalid host range '[3:1]' in 'node-[3:1]': it counts down (3 > 1)" });
    expect(expandHostRange('node-[1:c]')).toMatchObject({ ok: false, error: expect.stringContaining('mixes a number and a letter') });
    expect(expandHostRange('node-[1:3:0]')).toMatchObject({ ok: false, error: expect.stringContaining('step must be at least 1') });
  });
});
