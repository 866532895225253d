/**
 * Bundles a stand-in (test/fleet/standins/NAME.mjs) and the npm packages it imports into one
 * self-contained CommonJS file with a `#!<node>` shebang, so it runs on a node that cannot see
 * the project's node_modules (a node's /tmp is private; the checkout may live there).
 *
 * Bundles are cached by the hash of every stand-in source, the lock file, the defines and the
 * node binary: a fleet of 50 nodes bundles once, and the nodes get hard links to the result.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cached, hashOf } from './cache.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const STANDINS_DIR = path.join(here, 'standins');
const projectRoot = path.resolve(here, '..', '..');

let sourcesHash: string | undefined;

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const p = path.join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out;
}

/** Hash of what a bundle depends on besides its defines. */
function inputsHash(): string {
  if (sourcesHash) return sourcesHash;
  const parts: Array<string | Buffer> = [process.execPath, process.version];
  for (const f of listFiles(STANDINS_DIR)) parts.push(path.relative(STANDINS_DIR, f), readFileSync(f));
  try {
    parts.push(readFileSync(path.join(projectRoot, 'package-lock.json')));
  } catch {
    /* no lock file: sources alone */
  }
  sourcesHash = hashOf(...parts);
  return sourcesHash;
}

export interface BundleOptions {
  /** Compile-time constants (esbuild `define`): identifier -> JSON value. */
  define?: Record<string, string | number | boolean>;
}

/**
 * The host path of the bundled stand-in `name` (an executable file beginning `#!<node>`).
 * The file is shared through the cache: hard-link or copy it, never write to it.
 */
export async function bundleStandin(name: string, options: BundleOptions = {}): Promise<string> {
  const define = Object.fromEntries(Object.entries(options.define ?? {}).map(([k, v]) => [k, JSON.stringify(v)]));
  const key = hashOf(inputsHash(), name, JSON.stringify(define));
  const dir = await cached(`bundle-${name}`, key, async (out) => {
    const esbuild = await import('esbuild').catch(() => {
      throw new Error('the fleet bundles its stand-ins with esbuild: run `npm install` (esbuild is a devDependency)');
    });
    const result = await esbuild.build({
      entryPoints: [path.join(STANDINS_DIR, `${name}.mjs`)],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: `node${process.versions.node.split('.')[0]}`,
      define,
      write: false,
      logLevel: 'silent',
      legalComments: 'inline',
      absWorkingDir: projectRoot,
    });
    const text = result.outputFiles[0]?.text ?? '';
    const file = path.join(out, name);
    await fs.writeFile(file, `#!${process.execPath}\n${text}`, { mode: 0o755 });
    await fs.chmod(out, 0o755);
  });
  return path.join(dir, name);
}
