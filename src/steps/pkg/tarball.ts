/**
 * `pkg.install` with `method: tarball`: a release tarball, checked against its sha256, extracted
 * into a directory. A marker file in the directory records the sha256 last extracted (the step's
 * facts); rollback deletes the files the tarball added and restores the ones it replaced from a
 * backup archive taken before extracting.
 */
import { randomBytes } from 'node:crypto';
import { SlipwayError } from '../../errors.js';
import { execOptions } from '../../facts/exec-options.js';
import type { ExecOptions } from '../../transport/types.js';
import type { CheckResult, StepContext } from '../types.js';
import { backupStamp } from '../file/backup.js';
import type { PkgInstallParams } from './install.js';

export interface TarballFacts {
  method: 'tarball';
  /** sha256 of the tarball last extracted into dest by this step, or null. */
  extracted: string | null;
}

export interface TarballUndo {
  method: 'tarball';
  dest: string;
  markerPath: string;
  /** The marker before apply, or null. */
  previousMarker: string | null;
  /** An archive of the files the tarball replaced (relative to dest), or null when it replaced none. */
  backup: string | null;
  /** Files the tarball added (relative to dest); rollback deletes them. */
  created: string[];
  changed: boolean;
}

/** Where the sha256 of the tarball last extracted into dest is kept. */
function markerPath(params: PkgInstallParams): string {
  return `${(params.dest ?? '/').replace(/\/+$/, '')}/.slipway-${params.name}.sha256`;
}

export async function probeTarball(ctx: StepContext, params: PkgInstallParams): Promise<TarballFacts> {
  const marker = await ctx.remote.readFile(markerPath(params));
  return { method: 'tarball', extracted: marker === null ? null : marker.trim().toLowerCase() };
}

export function checkTarball(params: PkgInstallParams, facts: TarballFacts): CheckResult {
  const sha = (params.sha256 ?? '').toLowerCase();
  const from = params.url ?? params.path ?? '?';
  if (facts.extracted === sha) return { status: 'ok', summary: `${params.name} (sha256 ${sha.slice(0, 12)}…) is extracted in ${params.dest}` };
  const now = facts.extracted === null ? 'not extracted by slipway yet' : `now ${facts.extracted.slice(0, 12)}…`;
  return { status: 'change', summary: `extract ${params.name} from ${from} (sha256 ${sha.slice(0, 12)}…) into ${params.dest} (${now})` };
}

/** `./bin/x` -> `bin/x`; directories (trailing `/`) and the archive root are left out. Pure. */
export function tarMembers(listing: string): string[] {
  return listing
    .split('\n')
    .map((l) => l.replace(/^\.\//, '').replace(/\r$/, ''))
    .filter((l) => l !== '' && l !== '.' && !l.endsWith('/'));
}

/** Prints, NUL-separated, the arguments after $1 that exist relative to directory $1. */
const EXISTING_SCRIPT = 'cd "$1" || exit 1; shift; for f in "$@"; do if [ -e "$f" ] || [ -L "$f" ]; then printf "%s\\0" "$f"; fi; done';

export async function applyTarball(ctx: StepContext, params: PkgInstallParams, facts: TarballFacts): Promise<TarballUndo> {
  const { remote } = ctx;
  const opts: ExecOptions = execOptions(ctx);
  const dest = (params.dest ?? '').replace(/\/+$/, '') || '/';
  const marker = markerPath(params);
  const sha = (params.sha256 ?? '').toLowerCase();
  const undo: TarballUndo = { method: 'tarball', dest, markerPath: marker, previousMarker: facts.extracted, backup: null, created: [], changed: false };
  if (facts.extracted === sha) return undo;

  const tmp = (await remote.run(['mktemp', '-d'], opts)).stdout.trim();
  try {
    let archive = params.path;
    if (archive === undefined) {
      archive = `${tmp}/archive`;
      await remote.run(['curl', '-fsSL', '--retry', '3', '-o', archive, '--', params.url ?? ''], opts);
    }
    const sum = (await remote.run(['sha256sum', '--', archive], opts)).stdout.trim().split(/\s+/)[0]?.toLowerCase();
    if (sum !== sha) {
      throw new SlipwayError(`${remote.host}: ${params.url ?? archive} has sha256 ${sum}, not ${sha}: not extracting it`);
    }
    const members = tarMembers((await remote.run(['tar', '-tf', archive], opts)).stdout);
    await remote.run(['mkdir', '-p', '--', dest], opts);
    const existing =
      members.length === 0
        ? []
        : (await remote.run(['sh', '-c', EXISTING_SCRIPT, 'sh', dest, ...members], opts)).stdout.split('\0').filter((s) => s !== '');
    const existingSet = new Set(existing);
    if (existing.length > 0) {
      undo.backup = `${dest}/.slipway-${params.name}-${backupStamp()}-${randomBytes(3).toString('hex')}.bak.tar`;
      await remote.run(['tar', '-cpf', undo.backup, '-C', dest, '--', ...existing], opts);
    }
    undo.created = members.filter((m) => !existingSet.has(m));
    undo.changed = true;
    await remote.run(['tar', '-xpf', archive, '-C', dest], opts);
    await remote.writeFile(marker, `${sha}\n`);
    return undo;
  } finally {
    await remote.exec(['rm', '-rf', '--', tmp], opts).catch(() => undefined);
  }
}

export async function rollbackTarball(ctx: StepContext, undo: TarballUndo): Promise<void> {
  if (!undo.changed) return;
  const { remote } = ctx;
  const opts = execOptions(ctx);
  if (undo.created.length > 0) {
    await remote.run(['rm', '-f', '--', ...undo.created.map((m) => `${undo.dest}/${m}`)], opts);
  }
  if (undo.backup !== null) await remote.run(['tar', '-xpf', undo.backup, '-C', undo.dest], opts);
  if (undo.previousMarker === null) await remote.run(['rm', '-f', '--', undo.markerPath], opts);
  else await remote.writeFile(undo.markerPath, `${undo.previousMarker}\n`);
}
