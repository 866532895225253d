import { chmod, chown, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../../../src/errors.js';
import type { FileStat } from '../../../src/facts/file.js';
import { fileContentStep, type FileContentFacts, type FileContentParams } from '../../../src/steps/file/content.js';
import { sha256 } from '../../../src/steps/file/backup.js';
import { LocalRemote } from '../../../src/transport/local.js';
import { contextFor, expectUnifiedDiff, lifecycle, snapshot, tempDir } from '../helpers.js';

const rootStat: FileStat = { mode: 0o644, user: 'root', group: 'root', uid: 0, gid: 0 };

describe('file.content check', () => {
  const path = '/etc/containerd/config.toml';
  const facts = (content: string | null, stat: FileStat | null = rootStat): FileContentFacts => ({ content, stat });

  it('is ok when content, mode and owner match', () => {
    const params: FileContentParams = { path, content: 'a\n', mode: '0644', owner: 'root:root' };
    expect(fileContentStep.check(params, facts('a\n'))).toEqual({ status: 'ok', summary: `${path} is up to date` });
    expect(fileContentStep.check({ path, content: 'a\n', mode: '644', owner: '0' }, facts('a\n')).status).toBe('ok');
  });

  it('shows a unified diff for content', () => {
    const result = fileContentStep.check({ path, content: 'version = 2\n' }, facts('version = 1\n'));
    expect(result).toMatchObject({ status: 'change', summary: `update ${path}: content` });
    if (result.status !== 'change') throw new Error('unreachable');
    expectUnifiedDiff(result.diff, path, path);
    expect(result.diff).toContain('-version = 1\n+version = 2\n');
  });

  it('names mode and owner changes, without a diff when the content matches', () => {
    const result = fileContentStep.check({ path, content: 'a\n', mode: '0600', owner: 'kube:kube' }, facts('a\n'));
    expect(result).toEqual({ status: 'change', summary: `update ${path}: mode 0644 -> 0600, owner root:root -> kube:kube` });
  });

  it('creates a missing file', () => {
    const result = fileContentStep.check({ path, content: 'a\n' }, facts(null, null));
    expect(result).toMatchObject({ status: 'change', summary: `create ${path}` });
    if (result.status !== 'change') throw new Error('unreachable');
    expectUnifiedDiff(result.diff, '/dev/null', path);
  });

  it('rejects a malformed mode or owner', () => {
    expect(() => fileContentStep.check({ path, content: '', mode: 'rw-r--r--' }, facts(''))).toThrow(InputError);
    expect(() => fileContentStep.check({ path, content: '', owner: 'a:b:c' }, facts(''))).toThrow(InputError);
  });
});

describe('file.content on a real file', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const remote = new LocalRemote();
  const ctx = contextFor(remote);
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('slipway-content-'));
  });
  afterEach(() => cleanup());

  it('writes content and mode, is idempotent, and rolls back to the original bytes and mode', async () => {
    const path = join(dir, 'config.toml');
    const original = 'version = 1\n[plugins]\n';
    await writeFile(path, original);
    await chmod(path, 0o644);
    await utimes(path, new Date('2024-01-02T03:04:05Z'), new Date('2024-01-02T03:04:05Z'));
    const before = await snapshot(path);
    const params: FileContentParams = { path, content: 'version = 2\n[plugins]\n', mode: '0600' };

    const { first, undo } = await lifecycle(fileContentStep, ctx, params, path);
    expect(first).toMatchObject({ status: 'change', summary: `update ${path}: content, mode 0644 -> 0600` });
    expect(await readFile(path, 'utf8')).toBe(params.content);
    expect((await stat(path)).mode & 0o7777).toBe(0o600);
    expect(undo).toMatchObject({ path, changed: true, existed: true, previousMode: '0644' });
    expect(await readFile(undo.backupPath ?? '', 'utf8')).toBe(original);

    await fileContentStep.rollback(ctx, params, undo);
    const restored = await snapshot(path);
    expect(restored?.bytes.equals(before?.bytes ?? Buffer.alloc(0))).toBe(true);
    expect(restored).toMatchObject({ mode: 0o644, mtimeMs: before?.mtimeMs });
  });

  it('a file changed since its facts were read: the backup and the undo record hold what was there, and rollback puts that back', async () => {
    const path = join(dir, 'crictl.yaml');
    await writeFile(path, 'runtime-endpoint: old\n');
    const params: FileContentParams = { path, content: 'runtime-endpoint: new\n' };
    const facts = await fileContentStep.facts(ctx, params);
    await writeFile(path, 'edited by hand\n');
    const undo = await fileContentStep.apply(ctx, params, facts);
    expect(await readFile(path, 'utf8')).toBe('runtime-endpoint: new\n');
    expect(await readFile(undo.backupPath ?? '', 'utf8')).toBe('edited by hand\n');
    expect(undo.previousSha256).toBe(sha256('edited by hand\n'));
    await fileContentStep.rollback(ctx, params, undo);
    expect(await readFile(path, 'utf8')).toBe('edited by hand\n');
  });

  it('changes only the mode in place when the content matches, and puts it back', async () => {
    const path = join(dir, 'kubeconfig');
    await writeFile(path, 'x\n');
    await chmod(path, 0o644);
    const params: FileContentParams = { path, content: 'x\n', mode: '0600', backup: false };
    const inode = (await stat(path)).ino;
    const { undo } = await lifecycle(fileContentStep, ctx, params, path);
    expect((await stat(path)).ino).toBe(inode);
    expect((await stat(path)).mode & 0o7777).toBe(0o600);
    expect(undo).toMatchObject({ backupPath: null, previousMode: '0644' });
    await fileContentStep.rollback(ctx, params, undo);
    expect((await stat(path)).mode & 0o7777).toBe(0o644);
    expect(await readdir(dir)).toEqual(['kubeconfig']);
  });

  it('creates a missing file with mode and owner, and rollback deletes it', async () => {
    const path = join(dir, 'new.conf');
    const me = `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`;
    const params: FileContentParams = { path, content: 'net.ipv4.ip_forward = 1\n', mode: '0640', owner: me };
    const { undo } = await lifecycle(fileContentStep, ctx, params, path);
    expect(undo).toMatchObject({ existed: false, backupPath: null });
    expect((await stat(path)).mode & 0o7777).toBe(0o640);
    await fileContentStep.rollback(ctx, params, undo);
    expect(await snapshot(path)).toBeNull();
  });

  it.runIf(process.getuid?.() === 0)('changes the owner and restores it', async () => {
    const path = join(dir, 'owned');
    await writeFile(path, 'x\n');
    await chown(path, 0, 0);
    const params: FileContentParams = { path, content: 'x\n', owner: 'nobody' };
    const { first, undo } = await lifecycle(fileContentStep, ctx, params, path);
    expect(first.status === 'change' && first.summary).toMatch(/owner root:root -> nobody$/);
    expect((await stat(path)).uid).not.toBe(0);
    await fileContentStep.rollback(ctx, params, undo);
    expect((await stat(path)).uid).toBe(0);
  });
});
