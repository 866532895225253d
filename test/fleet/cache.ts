/**
 * A content-addressed build cache for what the fleet makes at `up` time (bundled stand-ins,
 * the pause image, .deb packages, the local apt repository): each artifact is a directory named
 * by the hash of its inputs, built once and shared by every node, fleet and test worker.
 *
 * The cache lives under SLIPWAY_FLEET_CACHE, or the system temp dir. Builds go to a private
 * temporary directory renamed into place, so workers that race build twice and keep one.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export function cacheRoot(): string {
  return process.env.SLIPWAY_FLEET_CACHE ?? path.join(os.tmpdir(), 'slipway-fleet-cache');
}

export function hashOf(...parts: ReadonlyArray<string | Buffer>): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(typeof p === 'string' ? `s${p.length}:${p}` : Buffer.concat([Buffer.from(`b${p.length}:`), p]));
  return h.digest('hex').slice(0, 24);
}

const building = new Map<string, Promise<string>>();

/**
 * The directory holding the artifact `name` for inputs hashed to `key`; `build` fills a fresh
 * directory when the cache has none yet.
 */
export function cached(name: string, key: string, build: (dir: string) => Promise<void>): Promise<string> {
  const dir = path.join(cacheRoot(), `${name}-${key}`);
  let p = building.get(dir);
  if (!p) {
    p = buildOnce(dir, build);
    building.set(dir, p);
    p.catch(() => building.delete(dir));
  }
  return p;
}

async function buildOnce(dir: string, build: (dir: string) => Promise<void>): Promise<string> {
  if (existsSync(path.join(dir, '.complete'))) return dir;
  await fs.mkdir(path.dirname(dir), { recursive: true });
  const tmp = await fs.mkdtemp(`${dir}.building-`);
  try {
    await build(tmp);
    // Nodes read cached files (apt as its sandbox user, too): mkdtemp's 0700 would hide them.
    await fs.chmod(tmp, 0o755);
    await fs.writeFile(path.join(tmp, '.complete'), '');
    try {
      await fs.rename(tmp, dir);
    } catch (err) {
      // Another worker finished first (or left a broken one behind): keep a complete one.
      if (!existsSync(path.join(dir, '.complete'))) {
        await fs.rm(dir, { recursive: true, force: true });
        await fs.rename(tmp, dir).catch(() => {
          throw err;
        });
      }
    }
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
  return dir;
}
