import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatMode, ownerMatches, parseMode, parseOwner, parseStat, statArgv } from '../../src/facts/file.js';
import { LocalRemote } from '../../src/transport/local.js';

describe('stat parsing', () => {
  it('asks stat for mode, names and ids, following symlinks', () => {
    expect(statArgv('/etc/x y')).toEqual(['stat', '-L', '-c', '%a %U:%G %u:%g', '--', '/etc/x y']);
  });

  it('reads mode, owner and group', () => {
    expect(parseStat('644 root:root 0:0\n')).toEqual({ mode: 0o644, user: 'root', group: 'root', uid: 0, gid: 0 });
    expect(parseStat('4755 kube:UNKNOWN 1000:4242')).toEqual({ mode: 0o4755, user: 'kube', group: 'UNKNOWN', uid: 1000, gid: 4242 });
    expect(parseStat('0 nobody:nogroup 65534:65534').mode).toBe(0);
  });

  it('throws on anything else', () => {
    expect(() => parseStat('')).toThrow(/unexpected stat output/);
    expect(() => parseStat('644 root:root')).toThrow();
    expect(() => parseStat('stat: cannot stat')).toThrow();
    expect(() => parseStat('899 root:root 0:0')).toThrow();
  });

  it('matches what the real stat prints', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slipway-stat-'));
    try {
      const path = join(dir, 'with space');
      await writeFile(path, '');
      await chmod(path, 0o2640);
      const { stdout } = await new LocalRemote().run(statArgv(path));
      expect(parseStat(stdout)).toMatchObject({ mode: 0o2640, uid: process.getuid?.() });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('modes and owners', () => {
  it('reads and writes octal modes', () => {
    expect(parseMode('0644')).toBe(0o644);
    expect(parseMode('644')).toBe(0o644);
    expect(parseMode('4755')).toBe(0o4755);
    expect(parseMode('04755')).toBe(0o4755);
    expect(parseMode('0o644')).toBeUndefined();
    expect(parseMode('0844')).toBeUndefined();
    expect(parseMode('64')).toBeUndefined();
    expect(formatMode(0o644)).toBe('0644');
    expect(formatMode(0o4755)).toBe('4755');
  });

  it('reads user and user:group', () => {
    expect(parseOwner('root')).toEqual({ user: 'root' });
    expect(parseOwner('root:adm')).toEqual({ user: 'root', group: 'adm' });
    expect(parseOwner('0:0')).toEqual({ user: '0', group: '0' });
    expect(parseOwner('a:b:c')).toBeUndefined();
    expect(parseOwner('')).toBeUndefined();
    expect(parseOwner('root:')).toBeUndefined();
  });

  it('matches owners by name or id, the group only when asked', () => {
    const stat = { mode: 0o644, user: 'root', group: 'adm', uid: 0, gid: 4 };
    expect(ownerMatches(stat, { user: 'root' })).toBe(true);
    expect(ownerMatches(stat, { user: '0', group: '4' })).toBe(true);
    expect(ownerMatches(stat, { user: 'root', group: 'adm' })).toBe(true);
    expect(ownerMatches(stat, { user: 'root', group: 'root' })).toBe(false);
    expect(ownerMatches(stat, { user: 'kube' })).toBe(false);
  });
});
