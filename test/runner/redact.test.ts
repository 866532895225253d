import { describe, expect, it } from 'vitest';
import { MIN_SECRET_LENGTH, REDACTED, REDACTED_DIFF_NOTE, SecretValues, secretStringsIn } from '../../src/runner/redact.js';

describe('secret values', () => {
  it('finds every string under a secret-named key, at any depth', () => {
    expect(
      secretStringsIn({ api_token: 'a1b2c3', db: { password: 'pw-1', port: 5432 }, tokens: ['t-1', { x: 't-2' }], name: 'web', key_file: '/k' }).sort(),
    ).toEqual(['a1b2c3', 'pw-1', 't-1', 't-2']);
  });

  it('replaces each value wherever it appears, the longer one first', () => {
    const s = new SecretValues();
    s.add('hunter2');
    s.add('hunter2-admin');
    s.add('abc'); // too short to search for
    expect(MIN_SECRET_LENGTH).toBe(4);
    expect(s.size).toBe(2);
    expect(s.redactText('curl -u admin:hunter2-admin https://x?t=hunter2 abc')).toBe(`curl -u admin:${REDACTED} https://x?t=${REDACTED} abc`);
    expect(s.redactText('a.b*c')).toBe('a.b*c');
    s.add('a.b*c'); // regex characters are literal
    expect(s.redactText('x a.b*c y aXbbc')).toBe(`x ${REDACTED} y aXbbc`);
  });

  it('a redacted diff keeps its changed lines and says they are changes', () => {
    const s = new SecretValues();
    s.add('tok-old-1');
    s.add('tok-new-2');
    const diff = '--- /etc/app.conf\n+++ /etc/app.conf\n@@ -1,2 +1,2 @@\n user = app\n-token = tok-old-1\n+token = tok-new-2\n';
    expect(s.redactDiff(diff)).toBe(
      `--- /etc/app.conf\n+++ /etc/app.conf\n@@ -1,2 +1,2 @@\n user = app\n-token = ${REDACTED}\n+token = ${REDACTED}\n${REDACTED_DIFF_NOTE}\n`,
    );
    expect(s.redactDiff('--- a\n+++ a\n-x\n+y\n')).toBe('--- a\n+++ a\n-x\n+y\n'); // nothing to hide: as it was
  });

  it('redacts every string of an event but its undo record, and diffs as diffs', () => {
    const s = new SecretValues();
    s.add('s3cr3t-v');
    const event = { type: 'step.done', summary: 'write token s3cr3t-v', diff: '+t = s3cr3t-v\n', undo: { previous: 't = s3cr3t-v\n' }, n: 1 };
    expect(s.redactData(event, ['undo'])).toEqual({
      type: 'step.done',
      summary: `write token ${REDACTED}`,
      diff: `+t = ${REDACTED}\n${REDACTED_DIFF_NOTE}\n`,
      undo: { previous: 't = s3cr3t-v\n' },
      n: 1,
    });
    expect(new SecretValues().redactData(event)).toBe(event); // nothing registered: untouched
  });
});
