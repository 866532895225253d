/**
 * Package files slipway keeps on a node so that a rollback can reinstall a version the node's
 * repositories no longer carry. A step that takes a version out of reach (pointing the
 * Kubernetes repository at the next minor: the old minor's packages are then in no list apt
 * reads) first downloads the installed versions here; `pkg.install`'s rollback installs from here
 * when the package manager cannot find the previous version any more.
 */
import { posix } from 'node:path';
import { execOptions } from '../../facts/exec-options.js';
import type { StepContext } from '../types.js';

export const KEPT_PACKAGES_DIR = '/var/cache/slipway/packages';

/**
 * Downloads each installed package at its installed version into KEPT_PACKAGES_DIR (apt-get
 * download, dnf download), from the lists the package manager has now. A package it cannot
 * download (not installed, or no repository has that version) is left out; the names of those
 * kept are returned.
 */
export async function keepInstalledPackages(ctx: StepContext, method: 'apt' | 'dnf', packages: ReadonlyArray<{ name: string; version: string }>): Promise<string[]> {
  if (packages.length === 0) return [];
  const opts = execOptions(ctx);
  const download = (specs: string[]) =>
    ctx.remote.exec(
      method === 'apt'
        ? ['sh', '-c', 'mkdir -p -- "$1" && cd -- "$1" && shift && exec apt-get download "$@"', 'sh', KEPT_PACKAGES_DIR, ...specs]
        : ['sh', '-c', 'mkdir -p -- "$1" && d=$1 && shift && exec dnf download --destdir "$d" "$@"', 'sh', KEPT_PACKAGES_DIR, ...specs],
      opts,
    );
  const spec = (p: { name: string; version: string }) => (method === 'apt' ? `${p.name}=${p.version}` : `${p.name}-${p.version}`);
  // One command for all; when one of them cannot be had, each on its own, keeping those that can.
  if ((await download(packages.map(spec))).code === 0) return packages.map((p) => p.name);
  const kept: string[] = [];
  for (const p of packages) if ((await download([spec(p)])).code === 0) kept.push(p.name);
  return kept;
}

/** apt-get download's file name: `name_version_arch.deb`, the epoch's colon written `%3a`. Pure. */
export function isKeptFileOf(file: string, method: 'apt' | 'dnf', name: string, version: string): boolean {
  if (method === 'apt') return file.startsWith(`${name}_${version.replace(/:/g, '%3a')}_`) && file.endsWith('.deb');
  return file.startsWith(`${name}-${version.replace(/^\d+:/, '')}.`) && file.endsWith('.rpm');
}

/** The kept package file of `name` at `version`, or null. */
export async function keptPackageFile(ctx: StepContext, method: 'apt' | 'dnf', name: string, version: string): Promise<string | null> {
  const r = await ctx.remote.exec(['ls', '-1', '--', KEPT_PACKAGES_DIR], execOptions(ctx));
  if (r.code !== 0) return null;
  const file = r.stdout.split('\n').find((f) => isKeptFileOf(f, method, name, version));
  return file ? posix.join(KEPT_PACKAGES_DIR, file) : null;
}
