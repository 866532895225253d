/**
 * The pause image for pod sandboxes, made offline: a static `pause` compiled from pause.c, put
 * in one layer, with an OCI image config, manifest and index, packed as an OCI image archive
 * that `ctr -n k8s.io images import` loads. Digests are computed here; the build is
 * deterministic, so every fleet gets the same image ID.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { cached, hashOf } from '../cache.js';
import { tar } from './tar.js';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));

/** The name nodes know the image by (containerd's CRI `sandbox_image`). */
export const PAUSE_IMAGE = 'registry.fleet.local/pause:3.9';
/** Where nodes find the archive to import. */
export const PAUSE_ARCHIVE_NODE_PATH = '/usr/local/share/fleet/images/pause.oci.tar';

const MEDIA = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

function sha256(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

function ociArch(): string {
  const arch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };
  return arch[process.arch] ?? process.arch;
}

async function gccVersion(): Promise<string> {
  try {
    return (await run('gcc', ['--version'])).stdout.split('\n')[0] ?? '';
  } catch {
    throw new Error('the fleet builds its pause image with gcc: apt-get install -y gcc libc6-dev');
  }
}

/** Compiles pause.c into a static binary; the path of the cached binary. */
export async function pauseBinary(): Promise<string> {
  const source = await fs.readFile(path.join(here, 'pause.c'));
  const dir = await cached('pause-bin', hashOf(source, await gccVersion(), process.arch), async (out) => {
    const src = path.join(out, 'pause.c');
    await fs.writeFile(src, source);
    try {
      await run('gcc', ['-static', '-Os', '-s', '-o', path.join(out, 'pause'), src]);
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? String(err);
      throw new Error(`could not build the pause binary (needs gcc and libc6-dev): ${stderr}`);
    }
  });
  return path.join(dir, 'pause');
}

export interface PauseImage {
  /** Host path of the OCI image archive. */
  archive: string;
  name: string;
  /** Digest of the image config: the image ID containerd reports. */
  id: string;
  manifestDigest: string;
}

/** Builds (or finds in the cache) the OCI archive of the pause image. */
export async function pauseImage(): Promise<PauseImage> {
  const binary = await fs.readFile(await pauseBinary());
  const dir = await cached('pause-image', hashOf(binary, PAUSE_IMAGE, ociArch(), 'v1'), async (out) => {
    const layerTar = tar([{ path: 'pause', content: binary, mode: 0o755 }]);
    const layer = gzipSync(layerTar, { level: 9 });
    const config = Buffer.from(
      JSON.stringify({
        created: '2024-01-01T00:00:00Z',
        architecture: ociArch(),
        os: 'linux',
        config: { Entrypoint: ['/pause'], WorkingDir: '/', User: '65535:65535' },
        rootfs: { type: 'layers', diff_ids: [sha256(layerTar)] },
        history: [{ created: '2024-01-01T00:00:00Z', created_by: 'slipway fleet: static pause from test/fleet/images/pause.c' }],
      }),
    );
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA.manifest,
        config: { mediaType: MEDIA.config, digest: sha256(config), size: config.length },
        layers: [{ mediaType: MEDIA.layer, digest: sha256(layer), size: layer.length }],
      }),
    );
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: MEDIA.manifest,
            digest: sha256(manifest),
            size: manifest.length,
            platform: { architecture: ociArch(), os: 'linux' },
            annotations: {
              'io.containerd.image.name': PAUSE_IMAGE,
              'org.opencontainers.image.ref.name': PAUSE_IMAGE.slice(PAUSE_IMAGE.lastIndexOf(':') + 1),
            },
          },
        ],
      }),
    );
    const blob = (b: Buffer) => ({ path: `blobs/sha256/${sha256(b).slice(7)}`, content: b });
    const archive = tar([
      { path: 'oci-layout', content: Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })) },
      { path: 'index.json', content: index },
      { path: 'blobs' },
      { path: 'blobs/sha256' },
      blob(config),
      blob(manifest),
      blob(layer),
    ]);
    await fs.writeFile(path.join(out, 'pause.oci.tar'), archive);
    await fs.writeFile(path.join(out, 'image.json'), JSON.stringify({ id: sha256(config), manifestDigest: sha256(manifest) }));
  });
  const meta = JSON.parse(await fs.readFile(path.join(dir, 'image.json'), 'utf8')) as { id: string; manifestDigest: string };
  return { archive: path.join(dir, 'pause.oci.tar'), name: PAUSE_IMAGE, ...meta };
}
