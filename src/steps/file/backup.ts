/**
 * What the file steps share: the diff shown by `check`, the backup taken by `apply` and the
 * restore done by `rollback`.
 *
 * A backup is a `cp -p` of the file next to it (`<path>.slipway-<time>.bak`): same bytes,
 * mode, owner and times. The `.bak` suffix keeps it out of the `*.conf` / `*.list` globs that
 * systemd, apt, sysctl and friends read from their `.d` directories. Backups are kept after a
 * rollback; they are small and the operator may want them.
 */
import { createHash, randomBytes } from 'node:crypto';
import { basename, dirname } from 'node:path';
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import { BackupMismatchError, RollbackError } from '../../errors.js';
import { execOptions } from '../../facts/exec-options.js';
import type { StepContext } from '../types.js';

/** Undo record of `file.line` and `file.content` (plain JSON, journaled). */
export interface FileUndo {
  path: string;
  /** `apply` changed something. When false, rollback has nothing to do. */
  changed: boolean;
  /** The file existed before `apply`; when it did not, rollback deletes it. */
  existed: boolean;
  /** The node-side copy of the previous file, or null (no previous file, or `backup: false`). */
  backupPath: string | null;
  /** sha256 (hex, of the UTF-8 text) of the previous content; null when there was no file. */
  previousSha256: string | null;
  /** sha256 of the content `apply` left. Rollback refuses to touch a file changed since. */
  afterSha256: string;
  /** Mode (`0644`) and owner (`user:group`) before `apply`, when the step looked at them. */
  previousMode?: string;
  previousOwner?: string;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** A unified diff from the current content (null: no file yet) to the wanted one. */
export function fileDiff(path: string, before: string | null, after: string): string {
  return createTwoFilesPatch(before === null ? '/dev/null' : path, path, before ?? '', after, undefined, undefined, {
    headerOptions: FILE_HEADERS_ONLY,
  });
}

/** `20250131T120000123Z`: the time in a backup's name, so that backups sort by time. */
export function backupStamp(now: Date = new Date()): string {
  return now.toISOString().replace(/[-:.]/g, '');
}

/** `<path>.slipway-20250131T120000123Z.bak`: sorts by time, and says who made it. */
export function backupPathFor(path: string, now: Date = new Date()): string {
  return `${path}.slipway-${backupStamp(now)}.bak`;
}

/**
 * Copies `path` to a new backup next to it and reads what the backup holds, in one command, so
 * the edit starts from the bytes the backup and the undo record describe. Without a backup the
 * edit starts from `current`, the content the step's facts just read.
 */
export async function backupAndRead(ctx: StepContext, path: string, backup: boolean, current: string): Promise<{ backupPath: string | null; before: string }> {
  if (!backup) return { backupPath: null, before: current };
  const backupPath = backupPathFor(path);
  const r = await ctx.remote.run(['sh', '-c', 'cp -p -- "$1" "$2" && exec cat -- "$2"', 'sh', path, backupPath], execOptions(ctx));
  return { backupPath, before: r.stdout };
}

/** An edit's result, or undefined when it leaves the content as it was (nothing to write). */
export function changedOrUndefined(before: string, after: string): string | undefined {
  return after === before ? undefined : after;
}

/** What `editWithBackup` did: the content it edited (what the backup holds), and what it wrote. */
export interface BackedUpEdit {
  backupPath: string | null;
  before: string;
  after: string;
  /** False when the edit had nothing to write: no write was made. */
  written: boolean;
}

/**
 * Writes `edit(current)` over `path`, `current` being the content the step's facts read, after a
 * backup when `backup` holds, in one command: the node copies the file, checks that the copy
 * holds `current`, and only then writes. When the file changed since it was read, nothing is
 * written on that try; the edit is made again from what the backup holds and written, so that
 * the backup and the undo record describe the same content (one command more, only then).
 * `edit` returns undefined when there is nothing to write.
 */
export async function editWithBackup(
  ctx: StepContext,
  path: string,
  current: string,
  edit: (before: string) => string | undefined,
  options: { backup: boolean; last?: boolean; mode?: number; owner?: string },
): Promise<BackedUpEdit> {
  const { backup, ...write } = options;
  const after = edit(current);
  if (after === undefined) return { backupPath: null, before: current, after: current, written: false };
  if (!backup) {
    await ctx.remote.writeFile(path, after, write);
    return { backupPath: null, before: current, after, written: true };
  }
  const backupPath = backupPathFor(path);
  try {
    await ctx.remote.writeFile(path, after, { ...write, backup: { path: backupPath, sha256: sha256(current) } });
    return { backupPath, before: current, after, written: true };
  } catch (err) {
    if (!(err instanceof BackupMismatchError)) throw err;
    const before = err.backupContent;
    const again = edit(before);
    if (again === undefined) return { backupPath, before, after: before, written: false };
    await ctx.remote.writeFile(path, again, write);
    return { backupPath, before, after: again, written: true };
  }
}

/**
 * Puts the file back as it was before `apply`: deletes it if it did not exist, else copies the
 * backup to a temp file beside it and renames that over the file (atomic, bytes, mode, owner
 * and times as they were). Safe to run again after it succeeded.
 */
export async function restoreFile(ctx: StepContext, undo: FileUndo): Promise<void> {
  if (!undo.changed) return;
  const { remote } = ctx;
  const current = await remote.readFile(undo.path);
  const currentSha = current === null ? null : sha256(current);

  if (!undo.existed) {
    if (current === null) return;
    if (currentSha !== undo.afterSha256) throw changedSince(remote.host, undo.path, 'delete it');
    await remote.run(['rm', '-f', '--', undo.path], execOptions(ctx));
    return;
  }

  if (currentSha === undo.previousSha256 && undo.previousSha256 !== undo.afterSha256) {
    // Already restored (a rollback that ran but was not journaled). When only the mode or
    // owner changed the hashes are equal and the restore below runs again, harmlessly.
    return;
  }
  if (currentSha !== undo.afterSha256 && currentSha !== undo.previousSha256) {
    throw changedSince(remote.host, undo.path, `restore it${undo.backupPath ? ` from ${undo.backupPath}` : ''}`);
  }
  if (undo.backupPath === null) {
    if (currentSha === undo.previousSha256) {
      // Only mode or owner changed: those are recorded, no backup needed.
      if (undo.previousOwner !== undefined) await remote.run(['chown', '--', undo.previousOwner, undo.path], execOptions(ctx));
      if (undo.previousMode !== undefined) await remote.run(['chmod', '--', undo.previousMode, undo.path], execOptions(ctx));
      return;
    }
    throw new RollbackError(`${remote.host}: cannot restore ${undo.path}: no backup was kept (backup: false)`);
  }
  const saved = await remote.readFile(undo.backupPath);
  if (saved === null) {
    throw new RollbackError(`${remote.host}: cannot restore ${undo.path}: its backup ${undo.backupPath} is gone`);
  }
  if (sha256(saved) !== undo.previousSha256) {
    throw new RollbackError(
      `${remote.host}: cannot restore ${undo.path}: its backup ${undo.backupPath} does not hold the content it was taken with`,
    );
  }
  const temp = `${dirname(undo.path)}/.${basename(undo.path)}.slipway-restore-${randomBytes(6).toString('hex')}.tmp`;
  await remote.run(['cp', '-p', '--', undo.backupPath, temp], execOptions(ctx));
  try {
    await remote.run(['mv', '-f', '--', temp, undo.path], execOptions(ctx));
  } catch (err) {
    await remote.exec(['rm', '-f', '--', temp], execOptions(ctx)).catch(() => undefined);
    throw err;
  }
}

function changedSince(host: string, path: string, action: string): RollbackError {
  return new RollbackError(
    `${host}: ${path} changed after slipway wrote it; not touching it. Check it by hand and ${action} if that is still right.`,
  );
}
