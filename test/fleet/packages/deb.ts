/**
 * Builds real .deb files with `dpkg-deb --build` (dpkg-dev's tools do the rest): control
 * fields, conffiles and maintainer scripts included. Cached by the hash of everything that goes
 * in, so a fleet builds each package once.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { cached, hashOf } from '../cache.js';

const run = promisify(execFile);

export interface DebFile {
  /** Absolute path the package installs. */
  path: string;
  content?: string | Buffer;
  /** A host file to package instead of `content`. */
  from?: string;
  /** A symlink to this target instead of a file. */
  symlink?: string;
  mode?: number;
}

export interface DebSpec {
  name: string;
  version: string;
  description: string;
  depends?: string;
  files: DebFile[];
  /** Absolute paths of the files dpkg must treat as configuration (kept when the admin changed them). */
  conffiles?: string[];
  postinst?: string;
  prerm?: string;
  postrm?: string;
}

let arch: string | undefined;

export function debArchitecture(): string {
  if (!arch) {
    const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'armhf', ppc64: 'ppc64el', s390x: 's390x' };
    arch = map[process.arch] ?? process.arch;
  }
  return arch;
}

/** The file name apt and dpkg-scanpackages expect: name_version_arch.deb. */
export function debFileName(spec: Pick<DebSpec, 'name' | 'version'>): string {
  return `${spec.name}_${spec.version.replace(/^\d+:/, '')}_${debArchitecture()}.deb`;
}

/** Builds (or finds in the cache) the package; the host path of the .deb. */
export async function buildDeb(spec: DebSpec): Promise<string> {
  const contents = spec.files.map((f) => (f.from ? readFileSync(f.from) : (f.content ?? '')));
  const key = hashOf(JSON.stringify({ ...spec, files: spec.files.map((f) => ({ ...f, content: undefined, from: undefined })) }), ...contents.map((c) => (typeof c === 'string' ? c : c)));
  const dir = await cached(`deb-${spec.name}-${spec.version}`, key, async (out) => {
    const root = path.join(out, 'root');
    let size = 0;
    for (const [i, f] of spec.files.entries()) {
      const dest = path.join(root, f.path);
      await fs.mkdir(path.dirname(dest), { recursive: true });
      if (f.symlink !== undefined) {
        await fs.symlink(f.symlink, dest);
        continue;
      }
      const data = contents[i] ?? '';
      await fs.writeFile(dest, data);
      await fs.chmod(dest, f.mode ?? 0o644);
      size += Buffer.byteLength(data);
    }
    const control = [
      `Package: ${spec.name}`,
      `Version: ${spec.version}`,
      `Architecture: ${debArchitecture()}`,
      'Maintainer: slipway test fleet <fleet@localhost>',
      `Installed-Size: ${Math.max(1, Math.ceil(size / 1024))}`,
      ...(spec.depends ? [`Depends: ${spec.depends}`] : []),
      'Section: admin',
      'Priority: optional',
      `Description: ${spec.description}`,
      ' Built for the slipway test fleet; not the upstream package.',
      '',
    ].join('\n');
    await fs.mkdir(path.join(root, 'DEBIAN'), { recursive: true });
    await fs.writeFile(path.join(root, 'DEBIAN', 'control'), control);
    if (spec.conffiles?.length) await fs.writeFile(path.join(root, 'DEBIAN', 'conffiles'), spec.conffiles.join('\n') + '\n');
    for (const script of ['postinst', 'prerm', 'postrm'] as const) {
      const text = spec[script];
      if (text) await fs.writeFile(path.join(root, 'DEBIAN', script), text.startsWith('#!') ? text : `#!/bin/sh\nset -e\n${text}\n`, { mode: 0o755 });
    }
    try {
      await run('dpkg-deb', ['--root-owner-group', '-Zgzip', '-z1', '--build', root, path.join(out, debFileName(spec))]);
    } catch (err) {
      throw new Error(`dpkg-deb could not build ${spec.name} ${spec.version}: ${(err as { stderr?: string }).stderr ?? String(err)}`);
    }
    await fs.rm(root, { recursive: true, force: true });
  });
  return path.join(dir, debFileName(spec));
}
