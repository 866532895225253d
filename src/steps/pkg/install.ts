/**
 * `pkg.install`: a package at exactly this version, through the node's package manager (apt or
 * dnf), or a release tarball extracted into a directory.
 *
 * Versions are compared the way the distribution orders them (dpkg's order for apt, rpm's for
 * dnf), so the plan says whether the change is an install, an upgrade or a downgrade; a
 * downgrade needs `allowDowngrade`. apt runs non-interactively and keeps changed config files
 * (`--force-confold`). When apt does not know the version yet, `apt-get update` runs first.
 *
 * Rollback puts the previous version back (or removes a package that was absent) and restores
 * the hold. When no repository has the previous version any more, it installs the package file
 * a step kept for that (kept-packages.ts: `pkg.kubernetesRepo` keeps the old minor's). The
 * tarball method is tarball.ts.
 */
import { SlipwayError } from '../../errors.js';
import { execOptions } from '../../facts/exec-options.js';
import { probeNodeFacts } from '../../facts/node.js';
import {
  compareDebianVersions,
  compareRpmVersions,
  dpkgQueryArgv,
  parseAptPolicy,
  parseDnfList,
  parseDpkgQuery,
  parseRpmQuery,
  rpmQueryArgv,
} from '../../facts/pkg-version.js';
import { PACKAGE_UNITS, type Projection } from '../projection.js';
import { NONINTERACTIVE, runApt } from './apt-run.js';
import { keptPackageFile } from './kept-packages.js';
import { applyTarball, checkTarball, probeTarball, rollbackTarball, type TarballFacts, type TarballUndo } from './tarball.js';
import type { CheckResult, ParamsSchema, StepContext, StepType } from '../types.js';

export type PkgMethod = 'apt' | 'dnf' | 'tarball';

export interface PkgInstallParams {
  name: string;
  version?: string;
  method?: PkgMethod;
  allowDowngrade?: boolean;
  holdAfter?: boolean;
  updateCache?: boolean;
  url?: string;
  path?: string;
  sha256?: string;
  dest?: string;
}

export interface PackageFacts {
  method: 'apt' | 'dnf';
  /** The installed version, or null when the package is not installed. */
  installed: string | null;
  /** Held (apt-mark hold) or version-locked (dnf versionlock). */
  held: boolean;
  /** Versions the package manager can install now. */
  available: string[];
}

export type PkgInstallFacts = PackageFacts | TarballFacts;
export type { TarballFacts, TarballUndo } from './tarball.js';
export { tarMembers } from './tarball.js';

export interface PackageUndo {
  method: 'apt' | 'dnf';
  name: string;
  /** The version before apply; null when it was not installed (rollback removes it). */
  previous: string | null;
  /** apply installed something (false: only the hold changed, or nothing). */
  installed: boolean;
  wasHeld: boolean;
  /** apply put the hold on. */
  heldByApply: boolean;
}

export type PkgInstallUndo = PackageUndo | TarballUndo;

export const paramsSchema: ParamsSchema = {
  type: 'object',
  description: 'Install a package at an exact version (apt or dnf), or extract a verified release tarball.',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: {
      type: 'string',
      pattern: '^[A-Za-z0-9][A-Za-z0-9.+_-]*$',
      description: 'Package name (for a tarball: a name for it, used for its marker file in dest).',
    },
    version: {
      type: 'string',
      pattern: '^[A-Za-z0-9.+~:_-]+$',
      description:
        'The exact version as the package manager spells it, e.g. "1.6.20~ds1-1+deb12u1" (apt) or "1.6.20-3.1.el8" (dnf). ' +
        'Required for apt and dnf.',
    },
    method: {
      enum: ['apt', 'dnf', 'tarball'],
      description: "How to install. Default: tarball when `url` or `path` is given, else the node's package manager (facts: pkg.manager).",
    },
    allowDowngrade: {
      type: 'boolean',
      default: false,
      description: 'Allow installing a version older than the installed one. Without it a downgrade is refused.',
    },
    holdAfter: {
      type: 'boolean',
      default: false,
      description: 'Hold the package at this version afterwards (apt-mark hold; dnf versionlock add).',
    },
    updateCache: {
      type: 'boolean',
      default: true,
      description: 'Run `apt-get update` first when apt does not know the version yet. Set false to never refresh the lists.',
    },
    url: {
      type: 'string',
      pattern: '^https?://',
      description: 'tarball: where to fetch it (with curl on the node).',
    },
    path: {
      type: 'string',
      pattern: '^/',
      description: 'tarball: a tarball already on the node.',
    },
    sha256: {
      type: 'string',
      pattern: '^[0-9a-fA-F]{64}$',
      description: 'tarball: its sha256; a tarball that does not match is not extracted.',
    },
    dest: {
      type: 'string',
      pattern: '^/',
      description: 'tarball: the directory to extract into (tar -C), e.g. "/usr/local".',
    },
  },
  allOf: [
    { not: { properties: { url: true, path: true }, required: ['url', 'path'] } },
    {
      if: { properties: { method: { const: 'tarball' } }, required: ['method'] },
      then: {
        properties: { sha256: true, dest: true, url: true, path: true },
        required: ['sha256', 'dest'],
        anyOf: [
          { properties: { url: true }, required: ['url'] },
          { properties: { path: true }, required: ['path'] },
        ],
      },
    },
    {
      if: { anyOf: [{ properties: { url: true }, required: ['url'] }, { properties: { path: true }, required: ['path'] }] },
      then: { properties: { sha256: true, dest: true }, required: ['sha256', 'dest'] },
    },
    {
      if: { properties: { method: { enum: ['apt', 'dnf'] } }, required: ['method'] },
      then: { properties: { version: true }, required: ['version'] },
    },
  ],
};

/**
 * An exact version asked for by name is installed even where a repository excludes the package:
 * pkgs.k8s.io's yum repo has `exclude=kubelet kubeadm kubectl cri-tools kubernetes-cni` so that a
 * `dnf update` leaves them alone, and its docs install with `--disableexcludes=kubernetes`.
 * slipway manages holds itself (versionlock, lifted around the install).
 */
const DNF_NO_EXCLUDES = '--disableexcludes=all';

function methodFromParams(params: PkgInstallParams): PkgMethod | undefined {
  if (params.method !== undefined) return params.method;
  if (params.url !== undefined || params.path !== undefined) return 'tarball';
  return undefined;
}

function compare(method: 'apt' | 'dnf', a: string, b: string): number {
  return method === 'apt' ? compareDebianVersions(a, b) : compareRpmVersions(a, b);
}

function wantedVersion(params: PkgInstallParams): string {
  if (params.version === undefined) throw new SlipwayError(`pkg.install ${params.name}: \`version\` is required for apt and dnf`);
  return params.version;
}

function isAvailable(facts: PackageFacts, version: string): boolean {
  return facts.available.some((v) => compare(facts.method, v, version) === 0);
}

// ------------------------------------------------------------------------------------ probes

async function probeApt(ctx: StepContext, name: string): Promise<PackageFacts> {
  const { remote } = ctx;
  // Asked together: the three reads go to the node in one exec (transport/batching-remote.ts).
  const [query, policyOut, holds] = await Promise.all([
    remote.exec(dpkgQueryArgv(name), execOptions(ctx)),
    // apt translates its labels ("Installed:"); the C locale keeps them parseable.
    remote.exec(['env', 'LC_ALL=C', 'apt-cache', 'policy', name], execOptions(ctx)),
    remote.exec(['apt-mark', 'showhold', name], execOptions(ctx)),
  ]);
  const dpkg = parseDpkgQuery(query.stdout);
  const policy = parseAptPolicy(policyOut.stdout);
  const held = holds.code === 0 && holds.stdout.split('\n').some((l) => l.trim() === name);
  return {
    method: 'apt',
    // Part-way through an upgrade (a killed dpkg), the node is still on the version it had
    // configured: the step upgrades from there, and rollback goes back to it.
    installed: dpkg.installed ? (dpkg.version ?? null) : (dpkg.interruptedFrom ?? null),
    held,
    available: policy.versions.filter((v) => v.fromRepository).map((v) => v.version),
  };
}

async function probeDnf(ctx: StepContext, name: string): Promise<PackageFacts> {
  const { remote } = ctx;
  const [rpm, list, locks] = await Promise.all([
    remote.exec(rpmQueryArgv(name), execOptions(ctx)),
    remote.exec(['dnf', 'list', '--showduplicates', '--quiet', DNF_NO_EXCLUDES, name], execOptions(ctx)),
    remote.exec(['dnf', 'versionlock', 'list'], execOptions(ctx)),
  ]);
  return {
    method: 'dnf',
    installed: parseRpmQuery(rpm.stdout, rpm.code) ?? null,
    held: locks.code === 0 && locks.stdout.split('\n').some((l) => l.trim().replace(/^\d+:/, '').startsWith(`${name}-`)),
    available: list.code === 0 ? parseDnfList(list.stdout, name).available : [],
  };
}

async function probePackage(ctx: StepContext, method: 'apt' | 'dnf', name: string): Promise<PackageFacts> {
  return method === 'apt' ? probeApt(ctx, name) : probeDnf(ctx, name);
}

// ------------------------------------------------------------------------------------ check

/** What apply would do to the package; null when nothing. Pure. */
export function planPackage(params: PkgInstallParams, facts: PackageFacts): { install: boolean; hold: boolean; direction: string } | null {
  const version = wantedVersion(params);
  const same = facts.installed !== null && compare(facts.method, facts.installed, version) === 0;
  const hold = params.holdAfter === true && !facts.held;
  if (same && !hold) return null;
  let direction = 'not installed';
  if (facts.installed !== null) {
    direction = same ? 'same version' : compare(facts.method, facts.installed, version) < 0 ? 'upgrade' : 'downgrade';
  }
  return { install: !same, hold, direction };
}

function checkPackage(params: PkgInstallParams, facts: PackageFacts): CheckResult {
  const version = wantedVersion(params);
  const plan = planPackage(params, facts);
  const heldNote = facts.held ? ', held' : '';
  if (plan === null) return { status: 'ok', summary: `${params.name} ${version} is installed (${facts.method}${heldNote})` };
  if (!plan.install) return { status: 'change', summary: `hold ${params.name} at ${version} (installed, not held)` };
  const notes: string[] = [];
  notes.push(facts.installed === null ? 'not installed' : `installed ${facts.installed}, ${plan.direction}`);
  if (plan.direction === 'downgrade' && params.allowDowngrade !== true) notes.push('apply will refuse: set allowDowngrade: true');
  if (!isAvailable(facts, version)) {
    const known = facts.available.length > 0 ? `; ${facts.method} knows ${facts.available.slice(0, 5).join(', ')}` : '';
    notes.push(
      facts.method === 'apt' && params.updateCache !== false
        ? `not in apt's lists yet: apt-get update runs first${known}`
        : `not available from ${facts.method}${known}`,
    );
  }
  if (plan.hold) notes.push('then hold it');
  const spec = facts.method === 'apt' ? `${params.name}=${version}` : `${params.name}-${version}`;
  return { status: 'change', summary: `install ${spec} (${notes.join('; ')})`, versions: [{ name: params.name, from: facts.installed, to: version }] };
}

// ------------------------------------------------------------------------------------ apply

function aptInstallArgv(name: string, version: string, held: boolean): string[] {
  return [
    ...NONINTERACTIVE,
    'apt-get',
    'install',
    '-y',
    '--allow-downgrades',
    ...(held ? ['--allow-change-held-packages'] : []),
    '-o',
    'Dpkg::Options::=--force-confold',
    `${name}=${version}`,
  ];
}

/** `last`: the install is apply's last command (ExecOptions.last); nothing is sent after it. */
async function installVersion(ctx: StepContext, facts: PackageFacts, name: string, version: string, held: boolean, last = false): Promise<void> {
  const opts = execOptions(ctx);
  if (facts.method === 'apt') {
    await runApt(ctx, aptInstallArgv(name, version, held), execOptions(ctx, { last }));
    return;
  }
  if (held) await ctx.remote.run(['dnf', 'versionlock', 'delete', name], opts);
  const down = facts.installed !== null && compareRpmVersions(facts.installed, version) > 0;
  await ctx.remote.run(['dnf', down ? 'downgrade' : 'install', '-y', DNF_NO_EXCLUDES, `${name}-${version}`], execOptions(ctx, { last }));
}

/** Installs a package file slipway kept (kept-packages.ts): the previous version, when no repository has it any more. */
async function installFile(ctx: StepContext, facts: PackageFacts, name: string, file: string, held: boolean): Promise<void> {
  const opts = execOptions(ctx);
  if (facts.method === 'apt') {
    await runApt(ctx, [...NONINTERACTIVE, 'apt-get', 'install', '-y', '--allow-downgrades', ...(held ? ['--allow-change-held-packages'] : []), '-o', 'Dpkg::Options::=--force-confold', file], opts);
    return;
  }
  if (held) await ctx.remote.run(['dnf', 'versionlock', 'delete', name], opts);
  await ctx.remote.run(['dnf', 'install', '-y', DNF_NO_EXCLUDES, file], opts);
}

async function setHold(ctx: StepContext, method: 'apt' | 'dnf', name: string, hold: boolean, last = false): Promise<void> {
  const argv =
    method === 'apt' ? ['apt-mark', hold ? 'hold' : 'unhold', name] : ['dnf', 'versionlock', hold ? 'add' : 'delete', name];
  await ctx.remote.run(argv, execOptions(ctx, { last }));
}

async function applyPackage(ctx: StepContext, params: PkgInstallParams, facts: PackageFacts): Promise<PackageUndo> {
  const version = wantedVersion(params);
  const undo: PackageUndo = {
    method: facts.method,
    name: params.name,
    previous: facts.installed,
    installed: false,
    wasHeld: facts.held,
    heldByApply: false,
  };
  const plan = planPackage(params, facts);
  if (plan === null) return undo;
  if (plan.install) {
    if (plan.direction === 'downgrade' && params.allowDowngrade !== true) {
      throw new SlipwayError(
        `${ctx.remote.host}: ${params.name} ${facts.installed} is newer than ${version}: refusing to downgrade (set allowDowngrade: true)`,
      );
    }
    let current = facts;
    if (!isAvailable(current, version) && current.method === 'apt' && params.updateCache !== false) {
      await runApt(ctx, [...NONINTERACTIVE, 'apt-get', 'update'], execOptions(ctx));
      current = await probeApt(ctx, params.name);
    }
    if (!isAvailable(current, version)) {
      const known = current.available.length > 0 ? current.available.join(', ') : 'none';
      throw new SlipwayError(`${ctx.remote.host}: ${params.name} ${version} is not available from ${current.method} (available: ${known})`);
    }
    // The step's last command carries its check in the same exec: the install, or dnf's lock put back after it. With
    // holdAfter, a fresh probe and maybe a hold follow: nothing is marked (a read-only probe may come last).
    const relock = current.method === 'dnf' && current.held && params.holdAfter !== true;
    await installVersion(ctx, current, params.name, version, current.held, params.holdAfter !== true && !relock);
    undo.installed = true;
    if (relock) await setHold(ctx, 'dnf', params.name, true, true);
  }
  if (params.holdAfter === true) {
    const after = await probePackage(ctx, facts.method, params.name);
    if (!after.held) {
      await setHold(ctx, facts.method, params.name, true);
      undo.heldByApply = !facts.held;
    }
  }
  return undo;
}

async function rollbackPackage(ctx: StepContext, undo: PackageUndo): Promise<void> {
  const now = await probePackage(ctx, undo.method, undo.name);
  if (undo.installed) {
    if (undo.previous === null) {
      if (now.held) await setHold(ctx, undo.method, undo.name, false);
      if (now.installed !== null) {
        const argv = undo.method === 'apt' ? [...NONINTERACTIVE, 'apt-get', 'remove', '-y', undo.name] : ['dnf', 'remove', '-y', undo.name];
        await (undo.method === 'apt' ? runApt(ctx, argv, execOptions(ctx)) : ctx.remote.run(argv, execOptions(ctx)));
      }
      return;
    }
    if (now.installed === null || compare(undo.method, now.installed, undo.previous) !== 0) {
      const kept = isAvailable(now, undo.previous) ? null : await keptPackageFile(ctx, undo.method, undo.name, undo.previous);
      if (kept !== null) await installFile(ctx, now, undo.name, kept, now.held);
      else await installVersion(ctx, now, undo.name, undo.previous, now.held);
      if (undo.method === 'dnf' && now.held) await setHold(ctx, 'dnf', undo.name, true);
    }
  }
  const held = (await probePackage(ctx, undo.method, undo.name)).held;
  if (undo.wasHeld && !held) await setHold(ctx, undo.method, undo.name, true);
  if (!undo.wasHeld && held && undo.heldByApply) await setHold(ctx, undo.method, undo.name, false);
}

// ------------------------------------------------------------------------------------ step

export const pkgInstallStep: StepType<PkgInstallParams, PkgInstallFacts, PkgInstallUndo> = {
  kind: 'pkg.install',
  description: 'Install a package at an exact version (apt or dnf, distribution version order), or extract a verified tarball.',
  paramsSchema,

  async facts(ctx: StepContext, params: PkgInstallParams): Promise<PkgInstallFacts> {
    let method = methodFromParams(params);
    if (method === undefined) {
      const manager = (await probeNodeFacts(ctx.remote, ctx)).pkg.manager;
      if (manager === 'none') throw new SlipwayError(`${ctx.remote.host}: no apt-get, dnf or yum on the node; set method`);
      method = manager === 'apt' ? 'apt' : 'dnf';
    }
    return method === 'tarball' ? probeTarball(ctx, params) : probePackage(ctx, method, params.name);
  },

  applied(params: PkgInstallParams, facts: PkgInstallFacts): string | undefined {
    if (facts.method === 'tarball') return undefined;
    const version = wantedVersion(params);
    const plan = planPackage(params, facts);
    if (!plan?.install) return `held ${params.name} at ${version}`;
    const was = facts.installed === null ? 'was not installed' : `was ${facts.installed}`;
    return `installed ${params.name} ${version} (${was})${plan.hold ? ', held' : ''}`;
  },

  check(params: PkgInstallParams, facts: PkgInstallFacts): CheckResult {
    return facts.method === 'tarball' ? checkTarball(params, facts) : checkPackage(params, facts);
  },

  project(params: PkgInstallParams, facts: PkgInstallFacts, projection: Projection): PkgInstallFacts {
    const planned = projection.package(params.name);
    return planned && facts.method !== 'tarball' ? { ...facts, installed: planned.version } : facts;
  },

  predict(params: PkgInstallParams, facts: PkgInstallFacts, projection: Projection): void {
    if (facts.method === 'tarball') {
      projection.unmodeled.push(projection.step);
      return;
    }
    projection.setPackage(params.name, wantedVersion(params));
    // A package's maintainer scripts restart its running service on upgrade (dh_installsystemd's try-restart).
    const unit = PACKAGE_UNITS[params.name];
    if (unit && facts.installed !== null) projection.setUnit(unit, { restarted: true });
  },

  async apply(ctx: StepContext, params: PkgInstallParams, facts: PkgInstallFacts): Promise<PkgInstallUndo> {
    return facts.method === 'tarball' ? applyTarball(ctx, params, facts) : applyPackage(ctx, params, facts);
  },

  async rollback(ctx: StepContext, _params: PkgInstallParams, undo: PkgInstallUndo): Promise<void> {
    if (undo.method === 'tarball') await rollbackTarball(ctx, undo);
    else await rollbackPackage(ctx, undo);
  },
};
