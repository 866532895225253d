import { describe, expect, it } from 'vitest';
import { terminalSafe, terminalSafeData, terminalSafeJson } from '../../src/ui/terminal-text.js';

describe('terminal-safe text', () => {
  it('shows ESC sequences and other control bytes escaped, keeps newlines and tabs', () => {
    expect(terminalSafe('a\x1b[2Jb')).toBe('a\\x1b[2Jb');
    expect(terminalSafe('title\x1b]0;pwned\x07')).toBe('title\\x1b]0;pwned\\x07');
    expect(terminalSafe('over\rwrite')).toBe('over\\x0dwrite');
    expect(terminalSafe('bs\b\x00\x7f')).toBe('bs\\x08\\x00\\x7f');
    expect(terminalSafe('one\n\ttwo')).toBe('one\n\ttwo');
    expect(terminalSafe('csi\u009b2J')).toBe('csi\\x9b2J'); // 8-bit CSI
    expect(terminalSafe('admin\u202eexe.txt')).toBe('admin\\u202eexe.txt'); // right-to-left override
    expect(terminalSafe('plain ünïcode ✓')).toBe('plain ünïcode ✓');
  });

  it('makes every string of plain data safe, keys included, and leaves other values alone', () => {
    const data = { host: 'n\x1b[1m1', steps: [{ error: 'x\x1b[Ky', n: 3, ok: true, none: null }], ['k\x1b']: 'v' };
    expect(terminalSafeData(data)).toEqual({ host: 'n\\x1b[1m1', steps: [{ error: 'x\\x1b[Ky', n: 3, ok: true, none: null }], 'k\\x1b': 'v' });
    expect(data.host).toBe('n\x1b[1m1'); // a copy: the original is untouched
  });

  it('JSON lines carry the same data with no raw control character in them', () => {
    const value = { a: 'esc\x1b[2J', b: 'c1\u009b', c: 'bidi\u2066' };
    const line = terminalSafeJson(value);
    expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2066]/);
    expect(JSON.parse(line)).toEqual(value);
  });
});
