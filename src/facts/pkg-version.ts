/**
 * Package versions as the distributions order them, and the pure parsers of what dpkg-query,
 * apt-cache, rpm and dnf print about one package.
 *
 * Debian: `[epoch:]upstream[-revision]`, compared the way dpkg does (deb-version(7)): epochs as
 * numbers, then upstream and revision each as alternating non-digit and digit runs; in non-digit
 * runs letters sort before other characters and `~` sorts before everything, even the end.
 *
 * RPM: `[epoch:]version[-release]`, each of version and release compared like rpmvercmp: runs of
 * letters or digits, separators ignored, numbers above letters, `~` before everything and `^`
 * after the end but before anything else.
 */

// ------------------------------------------------------------------------------------ Debian

export interface DebianVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

/** Splits a Debian version. Throws on one dpkg would refuse (empty, bad epoch). */
export function parseDebianVersion(text: string): DebianVersion {
  const version = text.trim();
  if (version === '') throw new Error('empty Debian version');
  let epoch = 0;
  let rest = version;
  const colon = version.indexOf(':');
  if (colon !== -1) {
    const e = version.slice(0, colon);
    if (!/^[0-9]+$/.test(e)) throw new Error(`bad epoch in Debian version ${JSON.stringify(text)}`);
    epoch = Number(e);
    rest = version.slice(colon + 1);
  }
  const hyphen = rest.lastIndexOf('-');
  const upstream = hyphen === -1 ? rest : rest.slice(0, hyphen);
  const revision = hyphen === -1 ? '' : rest.slice(hyphen + 1);
  if (upstream === '') throw new Error(`empty upstream version in Debian version ${JSON.stringify(text)}`);
  return { epoch, upstream, revision };
}

const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isAlpha = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

/** Weight of one character in a non-digit run; '' is the end of the string. */
function debianOrder(c: string): number {
  if (c === '' || isDigit(c)) return 0;
  if (isAlpha(c)) return c.charCodeAt(0);
  if (c === '~') return -1;
  return c.charCodeAt(0) + 256;
}

/** dpkg's comparison of one version part (upstream or revision). */
function compareDebianPart(a: string, b: string): number {
  let i = 0;
  let j = 0;
  const at = (s: string, k: number): string => (k < s.length ? (s[k] as string) : '');
  while (i < a.length || j < b.length) {
    // A run of non-digits.
    while ((i < a.length && !isDigit(at(a, i))) || (j < b.length && !isDigit(at(b, j)))) {
      const ac = debianOrder(at(a, i));
      const bc = debianOrder(at(b, j));
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    // A run of digits, compared as a number.
    while (at(a, i) === '0') i++;
    while (at(b, j) === '0') j++;
    let firstDiff = 0;
    while (isDigit(at(a, i)) && isDigit(at(b, j))) {
      if (firstDiff === 0) firstDiff = at(a, i).charCodeAt(0) - at(b, j).charCodeAt(0);
      i++;
      j++;
    }
    if (isDigit(at(a, i))) return 1;
    if (isDigit(at(b, j))) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

/** Negative, zero or positive, as `dpkg --compare-versions a lt|eq|gt b` would say. */
export function compareDebianVersions(a: string, b: string): number {
  const va = parseDebianVersion(a);
  const vb = parseDebianVersion(b);
  if (va.epoch !== vb.epoch) return va.epoch - vb.epoch;
  const upstream = compareDebianPart(va.upstream, vb.upstream);
  if (upstream !== 0) return upstream;
  return compareDebianPart(va.revision, vb.revision);
}

// ------------------------------------------------------------------------------------ RPM

const isAlnum = (c: string): boolean => isDigit(c) || isAlpha(c);

/** rpmvercmp: negative, zero or positive. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const at = (s: string, k: number): string => (k < s.length ? (s[k] as string) : '');
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(at(a, i)) && at(a, i) !== '~' && at(a, i) !== '^') i++;
    while (j < b.length && !isAlnum(at(b, j)) && at(b, j) !== '~' && at(b, j) !== '^') j++;

    // `~` sorts before everything else, the end included.
    if (at(a, i) === '~' || at(b, j) === '~') {
      if (at(a, i) !== '~') return 1;
      if (at(b, j) !== '~') return -1;
      i++;
      j++;
      continue;
    }
    // `^` sorts after the end but before anything else.
    if (at(a, i) === '^' || at(b, j) === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (at(a, i) !== '^') return 1;
      if (at(b, j) !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;

    const numeric = isDigit(at(a, i));
    const runOf = (s: string, k: number): number => {
      let end = k;
      while (end < s.length && (numeric ? isDigit(at(s, end)) : isAlpha(at(s, end)))) end++;
      return end;
    };
    const ea = runOf(a, i);
    const eb = runOf(b, j);
    // A numeric run beats an alphabetic one (the other side has no run of this kind here).
    if (eb === j) return numeric ? 1 : -1;
    let sa = a.slice(i, ea);
    let sb = b.slice(j, eb);
    if (numeric) {
      sa = sa.replace(/^0+/, '');
      sb = sb.replace(/^0+/, '');
      if (sa.length !== sb.length) return sa.length > sb.length ? 1 : -1;
    }
    if (sa !== sb) return sa < sb ? -1 : 1;
    i = ea;
    j = eb;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

export interface RpmEvr {
  epoch: number;
  version: string;
  /** Absent when not given (`1.6.20` asks for any release). */
  release: string | undefined;
}

/** `[epoch:]version[-release]`; rpm prints a missing epoch as `(none)`. */
export function parseRpmEvr(text: string): RpmEvr {
  let rest = text.trim();
  let epoch = 0;
  const colon = rest.indexOf(':');
  if (colon !== -1) {
    const e = rest.slice(0, colon);
    epoch = e === '(none)' || e === '' ? 0 : Number(e);
    if (!Number.isInteger(epoch)) throw new Error(`bad epoch in RPM version ${JSON.stringify(text)}`);
    rest = rest.slice(colon + 1);
  }
  const hyphen = rest.lastIndexOf('-');
  if (hyphen === -1) return { epoch, version: rest, release: undefined };
  return { epoch, version: rest.slice(0, hyphen), release: rest.slice(hyphen + 1) };
}

/** Compares epoch, version, then release; a side without a release matches any release. */
export function compareRpmVersions(a: string, b: string): number {
  const va = parseRpmEvr(a);
  const vb = parseRpmEvr(b);
  if (va.epoch !== vb.epoch) return va.epoch - vb.epoch;
  const v = rpmvercmp(va.version, vb.version);
  if (v !== 0) return v;
  if (va.release === undefined || vb.release === undefined) return 0;
  return rpmvercmp(va.release, vb.release);
}

// ------------------------------------------------------------------------------------ probes

/** What dpkg knows of one package. */
export interface DpkgPackageState {
  /** Unpacked and configured (`install ok installed`, or held: `hold ok installed`). */
  installed: boolean;
  /** The version dpkg records, also for a removed package that left its config files. */
  version: string | undefined;
  /** dpkg's status words, e.g. `deinstall ok config-files`; empty when dpkg does not know it. */
  status: string;
  /**
   * A package dpkg left part-way through an upgrade (`unpacked`, `half-configured`,
   * `half-installed`: the dpkg run was killed): the version last configured, which is what the
   * node ran before (dpkg's `Config-Version`). Undefined otherwise, and for a first install.
   */
  interruptedFrom?: string;
}

/** dpkg states of a package whose install or upgrade did not finish (dpkg-query(1), "Package states"). */
const PART_WAY = new Set(['unpacked', 'half-configured', 'half-installed']);

/** The query: status and version, tab-separated. Exits 1 when dpkg never heard of the package. */
export function dpkgQueryArgv(name: string): string[] {
  // dpkg-query expands the \t and \n escapes itself. Package names never start with a dash
  // (the step's params schema makes sure), so no `--` is needed.
  return ['dpkg-query', '-W', '--showformat=${Status}\\t${Version}\\t${Config-Version}\\n', name];
}

/** Output of {@link dpkgQueryArgv}; empty output (exit 1) means not known. */
export function parseDpkgQuery(stdout: string): DpkgPackageState {
  const line = stdout.split('\n').find((l) => l.trim() !== '');
  if (line === undefined) return { installed: false, version: undefined, status: '' };
  const [status = '', version = '', configVersion = ''] = line.split('\t');
  const words = status.trim().split(/\s+/);
  return {
    installed: words[2] === 'installed',
    version: version.trim() === '' ? undefined : version.trim(),
    status: status.trim(),
    ...(PART_WAY.has(words[2] ?? '') && configVersion.trim() !== '' ? { interruptedFrom: configVersion.trim() } : {}),
  };
}

/** `apt-cache policy NAME`: what is installed, what apt would pick, and every version it knows. */
export interface AptPolicy {
  installed: string | undefined;
  candidate: string | undefined;
  /** Versions from the version table, each with whether a repository (not only dpkg's status) offers it. */
  versions: Array<{ version: string; fromRepository: boolean }>;
}

/**
 * Parses `apt-cache policy` for one package. `Installed: (none)` and `Candidate: (none)` are
 * undefined; an unknown package (no output) has neither and no versions.
 */
export function parseAptPolicy(stdout: string): AptPolicy {
  const policy: AptPolicy = { installed: undefined, candidate: undefined, versions: [] };
  let inTable = false;
  let current: { version: string; fromRepository: boolean } | undefined;
  for (const raw of stdout.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const field = /^\s+(Installed|Candidate):\s*(\S+)/.exec(line);
    if (field) {
      const value = field[2] === '(none)' ? undefined : field[2];
      if (field[1] === 'Installed') policy.installed = value;
      else policy.candidate = value;
      continue;
    }
    if (/^\s+Version table:/.test(line)) {
      inTable = true;
      continue;
    }
    if (!inTable) continue;
    // A version line: ` *** 1.4.13~ds1-1 100` or `     1.6.20~ds1-1 500` (priority last).
    const version = /^\s(?:\*\*\*|   )\s+(\S+)\s+-?\d+\s*$/.exec(line);
    if (version) {
      current = { version: version[1] as string, fromRepository: false };
      policy.versions.push(current);
      continue;
    }
    // A source line under it: `        500 http://deb.debian.org/debian bookworm/main amd64 Packages`.
    const source = /^\s+-?\d+\s+(\S+)/.exec(line);
    if (source && current && source[1] !== '/var/lib/dpkg/status') current.fromRepository = true;
  }
  return policy;
}

/** `rpm -q` with a format that tells "not installed" apart: EPOCH:VERSION-RELEASE, one a line. */
export function rpmQueryArgv(name: string): string[] {
  return ['rpm', '-q', '--qf', '%{EPOCH}:%{VERSION}-%{RELEASE}\\n', name];
}

/** The installed version (`1.6.20-3.1.el8`, with `2:` when there is an epoch), or undefined. */
export function parseRpmQuery(stdout: string, exitCode: number): string | undefined {
  if (exitCode !== 0) return undefined;
  const line = stdout.split('\n').find((l) => /^\S+:\S+-\S+$/.test(l.trim()));
  if (line === undefined) return undefined;
  const evr = parseRpmEvr(line);
  return `${evr.epoch === 0 ? '' : `${evr.epoch}:`}${evr.version}-${evr.release ?? ''}`;
}

/**
 * `dnf list --showduplicates NAME` (installed and available sections): the versions it lists
 * for NAME, whatever the architecture suffix.
 */
export function parseDnfList(stdout: string, name: string): { installed: string[]; available: string[] } {
  const result = { installed: [] as string[], available: [] as string[] };
  let section: 'installed' | 'available' | undefined;
  for (const line of stdout.split('\n')) {
    if (/^Installed Packages/i.test(line)) section = 'installed';
    else if (/^Available Packages/i.test(line)) section = 'available';
    const m = /^(\S+?)(?:\.[A-Za-z0-9_]+)?\s+(\S+)\s+\S+/.exec(line);
    if (!section || !m || m[1] !== name) continue;
    result[section].push(m[2] as string);
  }
  return result;
}
