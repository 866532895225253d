import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  compareDebianVersions,
  compareRpmVersions,
  dpkgQueryArgv,
  parseAptPolicy,
  parseDebianVersion,
  parseDnfList,
  parseDpkgQuery,
  parseRpmEvr,
  parseRpmQuery,
  rpmvercmp,
} from '../../src/facts/pkg-version.js';
import { LocalRemote } from '../../src/transport/local.js';

const sign = (n: number): -1 | 0 | 1 => (n < 0 ? -1 : n > 0 ? 1 : 0);
const flip = (n: -1 | 0 | 1): -1 | 0 | 1 => (n === 0 ? 0 : n === 1 ? -1 : 1);

// [a, b, expected sign of compare(a, b)], as dpkg --compare-versions orders them.
const debianCases: Array<[string, string, -1 | 0 | 1]> = [
  ['1.0', '1.0', 0],
  ['1.0', '1.1', -1],
  ['1.2', '1.10', -1],
  ['1.0-1', '1.0-2', -1],
  ['1.0-10', '1.0-9', 1],
  ['1:0.1', '2.0', 1],
  ['2:1', '1:9', 1],
  ['0:1.0', '1.0', 0],
  ['1.0~rc1', '1.0', -1],
  ['1.0~rc1', '1.0~rc2', -1],
  ['1.0~~', '1.0~', -1],
  ['1.0~~a', '1.0~', -1],
  ['1.0~', '1.0', -1],
  ['1.0', '1.0+b1', -1],
  ['1.0', '1.0a', -1],
  ['1.0a', '1.0b', -1],
  ['1.0a', '1.0+', -1],
  ['1.0+1', '1.0.1', -1],
  ['1.0', '1.0.0', -1],
  ['1.0', '1.0-0', 0],
  ['01', '1', 0],
  ['1.01', '1.1', 0],
  ['1.6.20~ds1-1+deb12u1', '1.6.20~ds1-1', 1],
  ['1.6.20~ds1-1+deb12u3', '1.6.20~ds1-1+deb12u2', 1],
  ['1.4.13~ds1-1~deb11u4', '1.6.20~ds1-1+deb12u1', -1],
  ['1.5.0~rc.1-1', '1.5.0-1', -1],
  ['1.29.9-1.1', '1.30.6-1.1', -1],
  ['1.27.16-1.1', '1.26.15-1.1', 1],
  ['2.0.0-1', '1.7.24-1', 1],
];

describe('Debian version order', () => {
  it.each(debianCases)('%s vs %s -> %i', (a, b, expected) => {
    expect(sign(compareDebianVersions(a, b))).toBe(expected);
    expect(sign(compareDebianVersions(b, a))).toBe(flip(expected));
  });

  it('splits epoch, upstream and revision', () => {
    expect(parseDebianVersion('1:1.6.20~ds1-1+deb12u1')).toEqual({ epoch: 1, upstream: '1.6.20~ds1', revision: '1+deb12u1' });
    expect(parseDebianVersion('1.0-rc-1')).toEqual({ epoch: 0, upstream: '1.0-rc', revision: '1' });
    expect(parseDebianVersion('2.0')).toEqual({ epoch: 0, upstream: '2.0', revision: '' });
    expect(() => parseDebianVersion('')).toThrow();
    expect(() => parseDebianVersion('x:1.0')).toThrow(/bad epoch/);
  });

  it.runIf(existsSync('/usr/bin/dpkg'))('agrees with dpkg --compare-versions on this machine', async () => {
    const local = new LocalRemote();
    for (const [a, b, expected] of debianCases) {
      const lt = (await local.exec(['dpkg', '--compare-versions', a, 'lt', b])).code === 0;
      const eq = (await local.exec(['dpkg', '--compare-versions', a, 'eq', b])).code === 0;
      expect({ a, b, order: lt ? -1 : eq ? 0 : 1 }).toEqual({ a, b, order: expected });
    }
  });
});

// [a, b, expected rpmvercmp sign], following rpm's own test suite.
const rpmCases: Array<[string, string, -1 | 0 | 1]> = [
  ['1.0', '1.0', 0],
  ['1.0', '2.0', -1],
  ['2.0.1', '2.0', 1],
  ['2.0.1a', '2.0.1', 1],
  ['5.5p1', '5.5p2', -1],
  ['5.5p10', '5.5p1', 1],
  ['10xyz', '10.1xyz', -1],
  ['xyz10', 'xyz10.1', -1],
  ['xyz.4', 'xyz.4', 0],
  ['xyz.4', '8', -1],
  ['5.5p2', '5.6p1', -1],
  ['1.01', '1.1', 0],
  ['1.0.0', '1.0', 1],
  ['1b.fc17', '1b.fc17', 0],
  ['1b.fc17', '1.fc17', -1],
  ['1.0~rc1', '1.0', -1],
  ['1.0~rc1', '1.0~rc2', -1],
  ['1.0~rc1~git123', '1.0~rc1', -1],
  ['1.0^', '1.0', 1],
  ['1.0^git1', '1.0', 1],
  ['1.0^git1', '1.0.1', -1],
  ['1.0^git1', '1.0^git2', -1],
  ['1.0^20160101', '1.0.1', -1],
  ['1.0~rc1^git1', '1.0~rc1', 1],
  ['1.0^git1~pre', '1.0^git1', -1],
  ['a+', 'a_', 0],
];

describe('RPM version order', () => {
  it.each(rpmCases)('rpmvercmp(%s, %s) -> %i', (a, b, expected) => {
    expect(sign(rpmvercmp(a, b))).toBe(expected);
    expect(sign(rpmvercmp(b, a))).toBe(flip(expected));
  });

  it('compares epoch, version and release; a missing release matches any', () => {
    expect(sign(compareRpmVersions('1:1.0-1', '2.0-1'))).toBe(1);
    expect(sign(compareRpmVersions('1.6.20-3.1.el8', '1.6.20'))).toBe(0);
    expect(sign(compareRpmVersions('1.6.20-3.1.el8', '1.6.20-3.2.el8'))).toBe(-1);
    expect(sign(compareRpmVersions('(none):1.29.9-1.el8', '1.29.9-1.el8'))).toBe(0);
    expect(parseRpmEvr('2:1.6.20-3.1.el8')).toEqual({ epoch: 2, version: '1.6.20', release: '3.1.el8' });
  });
});

describe('package manager output', () => {
  it('reads dpkg-query: installed, removed with config files, unknown', () => {
    expect(dpkgQueryArgv('containerd')).toEqual(['dpkg-query', '-W', '--showformat=${Status}\\t${Version}\\t${Config-Version}\\n', 'containerd']);
    expect(parseDpkgQuery('install ok installed\t1.6.20~ds1-1+deb12u3\n')).toEqual({
      installed: true,
      version: '1.6.20~ds1-1+deb12u3',
      status: 'install ok installed',
    });
    expect(parseDpkgQuery('hold ok installed\t1.4.13-1\n').installed).toBe(true);
    expect(parseDpkgQuery('deinstall ok config-files\t1.4.13-1\n')).toMatchObject({ installed: false, version: '1.4.13-1' });
    expect(parseDpkgQuery('')).toEqual({ installed: false, version: undefined, status: '' });
    // An upgrade a killed dpkg left half-configured: still on the version it had configured.
    expect(parseDpkgQuery('install ok half-configured\t1.27.16-1.1\t1.26.15-1.1\n')).toEqual({
      installed: false,
      version: '1.27.16-1.1',
      status: 'install ok half-configured',
      interruptedFrom: '1.26.15-1.1',
    });
    expect(parseDpkgQuery('install ok unpacked\t1.27.16-1.1\t\n')).toEqual({ installed: false, version: '1.27.16-1.1', status: 'install ok unpacked' });
    expect(parseDpkgQuery('install ok installed\t1.27.16-1.1\t1.27.16-1.1\n')).not.toHaveProperty('interruptedFrom');
  });

  it('reads apt-cache policy, telling repository versions from dpkg status', () => {
    const policy = parseAptPolicy(`containerd:
  Installed: 1.4.13~ds1-1~deb11u4
  Candidate: 1.6.20~ds1-1+deb12u1
  Version table:
     1.6.20~ds1-1+deb12u1 500
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
 *** 1.4.13~ds1-1~deb11u4 100
        100 /var/lib/dpkg/status
     1.4.12-1 -10
        -10 file:/srv/repo ./ Packages
`);
    expect(policy).toEqual({
      installed: '1.4.13~ds1-1~deb11u4',
      candidate: '1.6.20~ds1-1+deb12u1',
      versions: [
        { version: '1.6.20~ds1-1+deb12u1', fromRepository: true },
        { version: '1.4.13~ds1-1~deb11u4', fromRepository: false },
        { version: '1.4.12-1', fromRepository: true },
      ],
    });
    expect(parseAptPolicy('kubelet:\n  Installed: (none)\n  Candidate: (none)\n  Version table:\n')).toEqual({
      installed: undefined,
      candidate: undefined,
      versions: [],
    });
    expect(parseAptPolicy('')).toEqual({ installed: undefined, candidate: undefined, versions: [] });
  });

  it.runIf(existsSync('/usr/bin/apt-cache') && existsSync('/usr/bin/dpkg-query'))('matches what apt and dpkg print on this machine', async () => {
    const local = new LocalRemote();
    const dpkg = await local.exec(dpkgQueryArgv('dpkg'));
    expect(parseDpkgQuery(dpkg.stdout)).toMatchObject({ installed: true });
    const policy = parseAptPolicy((await local.exec(['apt-cache', 'policy', 'dpkg'])).stdout);
    expect(policy.installed).toBe(parseDpkgQuery(dpkg.stdout).version);
    expect(policy.versions.map((v) => v.version)).toContain(policy.installed);
  });

  it('reads rpm -q and dnf list', () => {
    expect(parseRpmQuery('(none):1.6.20-3.1.el8\n', 0)).toBe('1.6.20-3.1.el8');
    expect(parseRpmQuery('2:1.6.20-3.1.el8\n', 0)).toBe('2:1.6.20-3.1.el8');
    expect(parseRpmQuery('package cri-o is not installed\n', 1)).toBeUndefined();
    const list = parseDnfList(
      `Installed Packages
cri-o.x86_64                     1.29.9-1.1                     @cri-o
Available Packages
cri-o.x86_64                     1.29.9-1.1                     cri-o
cri-o.x86_64                     1.30.6-1.1                     cri-o
cri-o-debuginfo.x86_64           1.30.6-1.1                     cri-o
`,
      'cri-o',
    );
    expect(list).toEqual({ installed: ['1.29.9-1.1'], available: ['1.29.9-1.1', '1.30.6-1.1'] });
  });
});
