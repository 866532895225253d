/**
 * Facts of the operator's machine: the `kind` CLI's version, when kind is there (field note 4:
 * kind's version and the node images' containerd go together).
 */
import type { Remote } from '../transport/types.js';

export interface LocalFacts {
  /** `kind v0.26.0 go1.23.4 linux/amd64` -> `0.26.0`; undefined when kind is not on the PATH. */
  kindVersion: string | undefined;
}

export function parseKindVersion(stdout: string): string | undefined {
  return /\bkind v?(\d+\.\d+\.\d+(?:[-+][\w.]+)*)/.exec(stdout)?.[1];
}

export async function probeLocalFacts(local: Remote): Promise<LocalFacts> {
  const r = await local.exec(['kind', 'version'], { timeoutMs: 10_000 }).catch(() => ({ code: 127, stdout: '', stderr: '' }));
  return { kindVersion: r.code === 0 ? parseKindVersion(r.stdout) : undefined };
}
