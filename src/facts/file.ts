/**
 * A file's content, mode and owner. The mode and owner come from
 * `stat -L -c '%a %U:%G %u:%g' -- PATH` (GNU coreutils): octal permission bits, then owner
 * and group by name, then by number (a name prints as `UNKNOWN` when the id has none).
 */
import { CommandError } from '../errors.js';
import type { Remote } from '../transport/types.js';
import { execOptions, type ExecLimits } from './exec-options.js';

export interface FileStat {
  /** Permission bits, setuid/setgid/sticky included (`0o644`, `0o4755`). */
  mode: number;
  user: string;
  group: string;
  uid: number;
  gid: number;
}

export const STAT_FORMAT = '%a %U:%G %u:%g';

/** Follows symlinks (`-L`), as reading and writing the file do. */
export function statArgv(path: string): string[] {
  return ['stat', '-L', '-c', STAT_FORMAT, '--', path];
}

/** Parses one line of `STAT_FORMAT`. Throws on anything else. */
export function parseStat(text: string): FileStat {
  const line = text.trim();
  const match = /^([0-7]{1,4}) (\S+):(\S+) (\d+):(\d+)$/.exec(line);
  if (!match) throw new Error(`unexpected stat output: ${JSON.stringify(line)}`);
  const [, mode, user, group, uid, gid] = match as unknown as [string, string, string, string, string, string];
  return { mode: parseInt(mode, 8), user, group, uid: Number(uid), gid: Number(gid) };
}

/** `0o644` as `0644`, the way modes are written in playbooks and `chmod`. */
export function formatMode(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

/** `"0644"`, `"644"` or `"4755"` as a number; undefined when it is not an octal mode. */
export function parseMode(text: string): number | undefined {
  return /^0?[0-7]{3,4}$/.test(text) && parseInt(text, 8) <= 0o7777 ? parseInt(text, 8) : undefined;
}

export interface OwnerSpec {
  user: string;
  /** Absent when only the user is given (`root`): the group is left as it is. */
  group?: string;
}

/** `root` or `root:root` (names or numeric ids). */
export function parseOwner(text: string): OwnerSpec | undefined {
  const match = /^([^:\s]+)(?::([^:\s]+))?$/.exec(text);
  if (!match) return undefined;
  const [, user, group] = match as unknown as [string, string, string | undefined];
  return group === undefined ? { user } : { user, group };
}

/** Whether the file's owner is what `spec` asks for; ids and names both match. */
export function ownerMatches(stat: FileStat, spec: OwnerSpec): boolean {
  const userOk = spec.user === stat.user || spec.user === String(stat.uid);
  const groupOk = spec.group === undefined || spec.group === stat.group || spec.group === String(stat.gid);
  return userOk && groupOk;
}


/**
 * A file's content and, when it exists, its mode and owner: both asked at once, so a remote
 * that batches reads answers them in one round trip.
 */
export async function probeFileWithStat(remote: Remote, path: string, limits: ExecLimits = {}): Promise<{ content: string | null; stat: FileStat | null }> {
  const argv = statArgv(path);
  const [content, stat] = await Promise.all([remote.readFile(path), remote.exec(argv, execOptions(limits))]);
  if (content === null) return { content: null, stat: null };
  if (stat.code !== 0) throw new CommandError({ host: remote.host, argv, code: stat.code, stdout: stat.stdout, stderr: stat.stderr });
  return { content, stat: parseStat(stat.stdout) };
}
