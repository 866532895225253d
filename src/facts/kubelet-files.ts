/**
 * Where kubelet's command line is built on a node: its unit file and drop-ins (as systemd finds
 * them), the environment files they load, and the environment files kubeadm and the distribution
 * packages use. Read-only probes with pure parsers.
 */
import type { Remote } from '../transport/types.js';
import { execOptions, type ExecLimits } from './exec-options.js';
import { parseKeyValueLines } from './systemd.js';

/** Environment files kubeadm and the kubelet packages use, read even when no unit names them. */
export const KUBELET_ENV_FILES = ['/var/lib/kubelet/kubeadm-flags.env', '/etc/default/kubelet', '/etc/sysconfig/kubelet'] as const;

/** systemd's unit search path for system units, highest precedence first. */
export const SYSTEMD_UNIT_DIRS = [
  '/etc/systemd/system',
  '/run/systemd/system',
  '/usr/local/lib/systemd/system',
  '/lib/systemd/system',
  '/usr/lib/systemd/system',
] as const;

/**
 * Prints, resolved through symlinks, the files given after $1 that exist, then the unit file and
 * `*.conf` drop-ins of the unit named by $1 in every directory of the search path (resolving
 * makes /lib and /usr/lib on a merged-/usr system count once). Constant text: the unit name and
 * paths are arguments, never pasted in.
 */
export const LIST_UNIT_FILES_SCRIPT = String.raw`
u=$1; shift
for f in "$@"; do [ -f "$f" ] && readlink -f -- "$f"; done
for d in ${SYSTEMD_UNIT_DIRS.join(' ')}; do
  [ -f "$d/$u" ] && readlink -f -- "$d/$u"
  for f in "$d/$u.d"/*.conf; do [ -f "$f" ] && readlink -f -- "$f"; done
done
exit 0
`;

/** `kubelet` -> `kubelet.service`. */
export function unitName(unit: string): string {
  return /\.[a-z]+$/.test(unit) ? unit : `${unit}.service`;
}

export function systemctlUnitPathsArgv(unit: string): string[] {
  return ['systemctl', 'show', '-p', 'FragmentPath', '-p', 'DropInPaths', '--', unitName(unit)];
}

/** `FragmentPath=/lib/...` and `DropInPaths=/etc/... /etc/...` (space-separated) from `systemctl show`. */
export function parseUnitPaths(stdout: string): string[] {
  const props = parseKeyValueLines(stdout);
  const paths: string[] = [];
  const fragment = props.get('FragmentPath')?.trim();
  if (fragment) paths.push(fragment);
  for (const p of (props.get('DropInPaths') ?? '').split(/\s+/)) if (p.startsWith('/')) paths.push(p);
  return paths;
}

/**
 * The files named by `EnvironmentFile=` in a unit or drop-in (a leading `-` only means "may be
 * missing"). An empty assignment resets the list, as in systemd.
 */
export function parseEnvironmentFiles(unitText: string): string[] {
  let files: string[] = [];
  for (const line of unitText.split('\n')) {
    const m = /^[ \t]*EnvironmentFile[ \t]*=[ \t]*(.*?)[ \t\r]*$/.exec(line);
    if (!m) continue;
    const value = m[1] as string;
    if (value === '') {
      files = [];
      continue;
    }
    for (const word of value.split(/[ \t]+/)) {
      const path = word.replace(/^-/, '').replace(/^"(.*)"$/, '$1');
      if (path.startsWith('/')) files.push(path);
    }
  }
  return files;
}

export interface KubeletFile {
  path: string;
  content: string;
  /** A unit file or drop-in (systemd syntax), or an environment file. */
  kind: 'unit' | 'env';
}

/**
 * Every existing file that builds kubelet's command line: unit and drop-ins (from systemd and
 * from the search path), the environment files they load, and {@link KUBELET_ENV_FILES}.
 */
export async function probeKubeletFiles(remote: Remote, unit: string, limits: ExecLimits = {}): Promise<KubeletFile[]> {
  const name = unitName(unit);
  const fromSystemd = await remote.exec(systemctlUnitPathsArgv(name), execOptions(limits));
  const known = fromSystemd.code === 0 ? parseUnitPaths(fromSystemd.stdout) : [];
  const listed = await remote.exec(['sh', '-c', LIST_UNIT_FILES_SCRIPT, 'sh', name, ...known], execOptions(limits));
  const unitPaths = listed.stdout.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('/'));

  const files: KubeletFile[] = [];
  const seen = new Set<string>();
  const add = async (path: string, kind: KubeletFile['kind']): Promise<string | null> => {
    if (seen.has(path)) return null;
    seen.add(path);
    const content = await remote.readFile(path);
    if (content !== null) files.push({ path, content, kind });
    return content;
  };
  const envFiles: string[] = [];
  for (const path of unitPaths) {
    const content = await add(path, 'unit');
    if (content !== null) envFiles.push(...parseEnvironmentFiles(content));
  }
  for (const path of [...envFiles, ...KUBELET_ENV_FILES]) await add(path, 'env');
  return files;
}
