/**
 * Installed and candidate versions of the packages a node upgrade is about, from the probe's
 * `packages` section: `apt-cache policy` for several packages, or `rpm -q` and `dnf list`. Pure.
 */
import type { ProbeFile, ProbedPackage } from './node-probe.js';
import { PROBED_PACKAGES } from './node-probe.js';
import { compareRpmVersions, parseAptPolicy, parseDnfList } from './pkg-version.js';

export interface PackageVersion {
  installed: string | undefined;
  /** What the package manager would install now (apt's Candidate, dnf's newest available). */
  candidate: string | undefined;
  /** Every version a repository offers (not only dpkg's record of the installed one). */
  available: string[];
}

export type PackageVersions = Record<ProbedPackage, PackageVersion>;

/** `apt-cache policy A B C`: one block a package, headed `A:`. */
export function parseAptPolicies(stdout: string): Map<string, PackageVersion> {
  const blocks = new Map<string, string>();
  let current: string | undefined;
  for (const line of stdout.split('\n')) {
    const header = /^(\S+):$/.exec(line);
    if (header) {
      current = header[1] as string;
      blocks.set(current, '');
      continue;
    }
    if (current !== undefined) blocks.set(current, `${blocks.get(current)}${line}\n`);
  }
  return new Map([...blocks].map(([name, text]) => {
    const p = parseAptPolicy(text);
    return [name, { installed: p.installed, candidate: p.candidate, available: p.versions.filter((v) => v.fromRepository).map((v) => v.version) }];
  }));
}

export function parsePackageVersions(files: readonly ProbeFile[]): PackageVersions | undefined {
  const apt = files.find((f) => f.kind === 'apt-policy');
  const rpm = files.find((f) => f.kind === 'rpm-query');
  if (!apt && !rpm) return undefined;
  const empty = (): PackageVersion => ({ installed: undefined, candidate: undefined, available: [] });
  const result = Object.fromEntries(PROBED_PACKAGES.map((p) => [p, empty()])) as PackageVersions;
  if (apt?.content) {
    for (const [name, v] of parseAptPolicies(apt.content)) if (name in result) result[name as ProbedPackage] = v;
    return result;
  }
  const dnf = files.find((f) => f.kind === 'dnf-list')?.content ?? '';
  for (const line of (rpm?.content ?? '').split('\n')) {
    const m = /^(\S+) (\S+)$/.exec(line.trim());
    if (!m || !(m[1] as string in result)) continue;
    const evr = (m[2] as string).replace(/^\(none\):/, '');
    result[m[1] as ProbedPackage].installed = evr;
  }
  for (const name of PROBED_PACKAGES) {
    const listed = parseDnfList(dnf, name);
    const newest = [...listed.available, ...listed.installed].sort(compareRpmVersions).at(-1);
    result[name].candidate = newest ?? result[name].installed;
    result[name].available = [...new Set(listed.available)].sort(compareRpmVersions);
  }
  return result;
}
