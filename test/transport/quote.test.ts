import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { shellJoin, shellQuote, sudoWrap } from '../../src/transport/quote.js';

const dir = mkdtempSync(join(tmpdir(), 'slipway-quote-'));
const canary = join(dir, 'pwned');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hostile: string[] = [
  `$(touch ${canary})`,
  `\`touch ${canary}\``,
  `; touch ${canary}`,
  `&& touch ${canary}`,
  `| touch ${canary}`,
  `\ntouch ${canary}\n`,
  `'; touch ${canary}; '`,
  `"; touch ${canary}; "`,
  `$'\\x41' ${canary}`,
  `> ${canary}`,
  `<(touch ${canary})`,
  `{touch,${canary}}`,
  "it's",
  "''",
  '"',
  "'",
  '\\',
  '',
  ' ',
  '  two  spaces  ',
  '*',
  '?',
  '[a-z]',
  '~',
  '~root',
  '$HOME',
  '${HOME}',
  '$((1+1))',
  '!',
  '!!',
  '#not a comment',
  'a=b',
  '-n',
  '--',
  'tab\there',
  'carriage\rreturn',
  'ünïcödé ✓ 日本語 🚢',
  '\u202Eright-to-left',
];

/** The shells on this machine that the remote side might be. */
const shells = ['sh', 'bash', 'dash'].filter((s) => spawnSync(s, ['-c', 'true']).status === 0);

function argsThroughShell(shell: string, args: string[]): string[] {
  // printf prints each argument followed by NUL, so the split is exact whatever they contain.
  const line = shellJoin(['printf', '%s\\0', ...args]);
  const result = spawnSync(shell, ['-c', line], { encoding: 'utf8' });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  const out = result.stdout.split('\0');
  expect(out.pop()).toBe('');
  return out;
}

describe('shellJoin through a real shell', () => {
  it.each(shells)('%s gets every hostile value as one literal argument and runs nothing', (shell) => {
    expect(argsThroughShell(shell, hostile)).toEqual(hostile);
    expect(existsSync(canary)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it.each(shells)('%s: each value alone is exactly one argument', (shell) => {
    for (const value of hostile) {
      expect(argsThroughShell(shell, [value])).toEqual([value]);
    }
    expect(existsSync(canary)).toBe(false);
  });

  it.each(shells)('%s: an assignment-looking or reserved command word is run as a command', (shell) => {
    for (const word of ['FOO=bar', 'if', 'while', 'until', 'case', 'coproc', '!', '{']) {
      const result = spawnSync(shell, ['-c', shellJoin([word, 'touch', canary])], { encoding: 'utf8' });
      expect(result.status, `${word}: ${result.stderr}`).toBe(127);
    }
    expect(existsSync(canary)).toBe(false);
  });

  it('leaves plain words readable', () => {
    expect(shellJoin(['systemctl', 'show', '-p', 'ActiveState,LoadState', '--', 'kubelet.service'])).toBe(
      'systemctl show -p ActiveState,LoadState -- kubelet.service',
    );
    expect(shellJoin(['stat', '-c', '%a %U:%G', '--', '/etc/x'])).toBe("stat -c '%a %U:%G' -- /etc/x");
    expect(shellQuote('')).toBe("''");
  });

  it('refuses what no argument can carry', () => {
    expect(() => shellJoin([])).toThrow(/empty/);
    expect(() => shellJoin(['echo', 'a\0b'])).toThrow(/NUL/);
  });
});

describe('sudoWrap', () => {
  it('reads the password from stdin without a prompt by default', () => {
    expect(sudoWrap(['systemctl', 'restart', 'kubelet'])).toEqual(['sudo', '-S', '-p', '', '--', 'systemctl', 'restart', 'kubelet']);
  });

  it('can fail instead of asking, and run as another user', () => {
    expect(sudoWrap(['id'], { auth: 'non-interactive', user: 'kube' })).toEqual(['sudo', '-n', '-u', 'kube', '--', 'id']);
  });

  it('keeps a command that looks like an option a command', () => {
    expect(sudoWrap(['-rm'])).toEqual(['sudo', '-S', '-p', '', '--', '-rm']);
  });

  it('stays safe when joined for the shell (the empty prompt survives as an argument)', () => {
    const line = shellJoin(sudoWrap(['echo', '$(id)']));
    expect(line).toBe("sudo -S -p '' -- echo '$(id)'");
  });
});
