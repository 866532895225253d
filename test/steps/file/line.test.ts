import { chmod, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError, RollbackError } from '../../../src/errors.js';
import { editLines, fileLineStep, paramsSchema, type FileLineParams } from '../../../src/steps/file/line.js';
import { sha256 } from '../../../src/steps/file/backup.js';
import { LocalRemote } from '../../../src/transport/local.js';
import type { ExecOptions, ExecResult, WriteOptions } from '../../../src/transport/types.js';
import { contextFor, expectUnifiedDiff, lifecycle, snapshot, tempDir } from '../helpers.js';

interface EditCase {
  name: string;
  before: string | null;
  params: Omit<FileLineParams, 'path'>;
  after: string;
}

// One case a behaviour: what the file holds, what is asked, what it holds after.
const editCases: EditCase[] = [
  { name: 'appends a missing line', before: 'a\nb\n', params: { line: 'c', state: 'present' }, after: 'a\nb\nc\n' },
  { name: 'leaves a present line', before: 'a\nc\nb\n', params: { line: 'c', state: 'present' }, after: 'a\nc\nb\n' },
  { name: 'adds the missing final newline before appending', before: 'a', params: { line: 'c', state: 'present' }, after: 'a\nc\n' },
  { name: 'creates the content of a missing file', before: null, params: { line: 'c', state: 'present' }, after: 'c\n' },
  { name: 'fills an empty file', before: '', params: { line: 'c', state: 'present' }, after: 'c\n' },
  {
    name: 'replaces the last match of the pattern',
    before: 'x=1\ny=2\nx=3\n',
    params: { regexp: '^x=', line: 'x=9', state: 'present' },
    after: 'x=1\ny=2\nx=9\n',
  },
  {
    name: 'keeps a line without final newline so',
    before: 'x=1\ny=2',
    params: { regexp: '^y=', line: 'y=5', state: 'present' },
    after: 'x=1\ny=5',
  },
  {
    name: 'appends when the pattern matches nothing',
    before: 'a\n',
    params: { regexp: '^x=', line: 'x=9', state: 'present' },
    after: 'a\nx=9\n',
  },
  {
    name: 'is done when the pattern matches nothing but the line is there',
    before: 'new\n',
    params: { regexp: '^old$', line: 'new', state: 'present' },
    after: 'new\n',
  },
  {
    name: 'removes every matching line',
    before: '--a\nkeep\n--b\n--a\n',
    params: { regexp: '^--', state: 'absent' },
    after: 'keep\n',
  },
  { name: 'removes every equal line', before: 'a\nb\na\n', params: { line: 'a', state: 'absent' }, after: 'b\n' },
  { name: 'removes the only line', before: 'a\n', params: { line: 'a', state: 'absent' }, after: '' },
  { name: 'keeps a file without the line', before: 'b', params: { line: 'a', state: 'absent' }, after: 'b' },
  {
    name: 'takes the line literally, not as a pattern',
    before: 'a.b\n',
    params: { line: 'a*b', state: 'present' },
    after: 'a.b\na*b\n',
  },
  {
    name: 'keeps carriage returns as part of lines',
    before: 'a\r\nb\r\n',
    params: { regexp: '^b', line: 'b2', state: 'present' },
    after: 'a\r\nb2\n',
  },
];

describe('editLines', () => {
  it.each(editCases)('$name', ({ before, params, after }) => {
    const full = { path: '/etc/x', ...params };
    expect(editLines(before, full)).toBe(after);
    // Whatever it wrote, a second edit leaves alone.
    expect(editLines(after, full)).toBe(after);
  });

  it('rejects a pattern that does not compile', () => {
    expect(() => editLines('a', { path: '/x', regexp: '(', line: 'b', state: 'present' })).toThrow(InputError);
  });

  it('declares its params strictly, with descriptions', () => {
    expect(paramsSchema.additionalProperties).toBe(false);
    for (const prop of Object.values(paramsSchema.properties as Record<string, { description?: string }>)) {
      expect(prop.description).toBeTruthy();
    }
  });
});

describe('file.line on a real file', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const remote = new LocalRemote();
  const ctx = contextFor(remote);
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('slipway-line-'));
  });
  afterEach(() => cleanup());

  it('replaces a flag, is idempotent, and rolls back to the original bytes, mode and times', async () => {
    const path = join(dir, 'kubelet.env');
    const original = 'KUBELET_A=1\nKUBELET_ARGS=--container-runtime=remote --x\n# end\n';
    await writeFile(path, original);
    await chmod(path, 0o600);
    await utimes(path, new Date('2024-01-02T03:04:05Z'), new Date('2024-01-02T03:04:05Z'));
    const before = await snapshot(path);
    const params: FileLineParams = { path, regexp: '^KUBELET_ARGS=', line: 'KUBELET_ARGS=--x', state: 'present' };

    const { first, undo, second } = await lifecycle(fileLineStep, ctx, params, path);
    expect(first).toMatchObject({ status: 'change', summary: `set in ${path}: line "KUBELET_ARGS=--x"` });
    if (first.status !== 'change') throw new Error('unreachable');
    expectUnifiedDiff(first.diff, path, path);
    expect(first.diff).toContain('\n-KUBELET_ARGS=--container-runtime=remote --x\n+KUBELET_ARGS=--x\n');
    expect(second.status).toBe('ok');

    expect(await readFile(path, 'utf8')).toBe('KUBELET_A=1\nKUBELET_ARGS=--x\n# end\n');
    expect((await stat(path)).mode & 0o7777).toBe(0o600);
    expect(undo).toMatchObject({ path, changed: true, existed: true });
    expect(undo.backupPath).toMatch(/^.*\/kubelet\.env\.slipway-\d{8}T\d{9}Z\.bak$/);
    expect(await readFile(undo.backupPath ?? '', 'utf8')).toBe(original);

    await fileLineStep.rollback(ctx, params, undo);
    const restored = await snapshot(path);
    expect(restored?.bytes.equals(before?.bytes ?? Buffer.alloc(0))).toBe(true);
    expect(restored).toMatchObject({ mode: before?.mode, mtimeMs: before?.mtimeMs });
    // A second rollback (say, after a crash before it was journaled) changes nothing.
    await fileLineStep.rollback(ctx, params, undo);
    expect(await snapshot(path)).toEqual(restored);
    const names = (await readdir(dir)).sort();
    expect(names).toHaveLength(2);
    expect(names[0]).toBe('kubelet.env');
  });

  it('creates a missing file, and rollback deletes it', async () => {
    const path = join(dir, 'modules.conf');
    const params: FileLineParams = { path, line: 'br_netfilter', state: 'present' };
    const { first, undo } = await lifecycle(fileLineStep, ctx, params, path);
    expect(first).toMatchObject({ summary: `create ${path} with line "br_netfilter"` });
    if (first.status !== 'change') throw new Error('unreachable');
    expectUnifiedDiff(first.diff, '/dev/null', path);
    expect(undo).toMatchObject({ existed: false, backupPath: null, previousSha256: null });
    expect(await readFile(path, 'utf8')).toBe('br_netfilter\n');
    await fileLineStep.rollback(ctx, params, undo);
    expect(await snapshot(path)).toBeNull();
    await fileLineStep.rollback(ctx, params, undo);
  });

  it('removes lines and puts them back', async () => {
    const path = join(dir, 'fstab');
    const original = 'UUID=1 / ext4 defaults 0 1\n/swap.img none swap sw 0 0\n';
    await writeFile(path, original);
    const params: FileLineParams = { path, regexp: '\\sswap\\s', state: 'absent' };
    const { first, undo } = await lifecycle(fileLineStep, ctx, params, path);
    expect(first).toMatchObject({ summary: `remove from ${path}: lines matching /\\sswap\\s/` });
    expect(await readFile(path, 'utf8')).toBe('UUID=1 / ext4 defaults 0 1\n');
    await fileLineStep.rollback(ctx, params, undo);
    expect(await readFile(path, 'utf8')).toBe(original);
  });

  it('says ok for absent on a missing file', async () => {
    const path = join(dir, 'none');
    const params: FileLineParams = { path, line: 'x', state: 'absent' };
    expect(fileLineStep.check(params, await fileLineStep.facts(ctx, params))).toEqual({
      status: 'ok',
      summary: `${path} does not exist (no line "x")`,
    });
  });

  it('refuses to roll back over a file changed since apply', async () => {
    const path = join(dir, 'f');
    await writeFile(path, 'a\n');
    const params: FileLineParams = { path, line: 'b', state: 'present' };
    const undo = await fileLineStep.apply(ctx, params, await fileLineStep.facts(ctx, params));
    await writeFile(path, 'someone else\n');
    await expect(fileLineStep.rollback(ctx, params, undo)).rejects.toThrow(RollbackError);
    await expect(fileLineStep.rollback(ctx, params, undo)).rejects.toThrow(/changed after slipway wrote it/);
    expect(await readFile(path, 'utf8')).toBe('someone else\n');
  });

  it('refuses to restore from a backup that no longer holds the old content', async () => {
    const path = join(dir, 'f');
    await writeFile(path, 'a\n');
    const params: FileLineParams = { path, line: 'b', state: 'present' };
    const undo = await fileLineStep.apply(ctx, params, await fileLineStep.facts(ctx, params));
    await writeFile(undo.backupPath ?? '', 'tampered\n');
    await expect(fileLineStep.rollback(ctx, params, undo)).rejects.toThrow(/does not hold the content/);
    expect(await readFile(path, 'utf8')).toBe('a\nb\n');
  });

  it('takes its backup in the write itself: one command on the node, not a copy and then a write', async () => {
    const path = join(dir, 'f');
    await writeFile(path, 'a\n');
    const calls: string[] = [];
    const counting = new (class extends LocalRemote {
      override exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
        calls.push(`exec ${argv[0]}`);
        return super.exec(argv, options);
      }
      override run(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
        calls.push(`run ${argv[0]}`);
        return super.run(argv, options);
      }
      override writeFile(p: string, content: string, options?: WriteOptions): Promise<void> {
        calls.push(`write${options?.backup ? ' with backup' : ''}`);
        return super.writeFile(p, content, options);
      }
    })();
    const params: FileLineParams = { path, line: 'b', state: 'present' };
    const facts = await fileLineStep.facts(contextFor(counting), params);
    calls.length = 0;
    const undo = await fileLineStep.apply(contextFor(counting), params, facts);
    // LocalRemote's write runs its `cp -p` through its own run(): what the step asked is the write.
    expect(calls.filter((c) => !c.startsWith('run cp'))).toEqual(['write with backup']);
    expect(await readFile(undo.backupPath ?? '', 'utf8')).toBe('a\n');
    expect(await readFile(path, 'utf8')).toBe('a\nb\n');
  });

  it('a file changed since its facts were read: the backup holds what is there, and the edit is made from that', async () => {
    const path = join(dir, 'f');
    await writeFile(path, 'a\n');
    const params: FileLineParams = { path, line: 'b', state: 'present' };
    const facts = await fileLineStep.facts(ctx, params);
    await writeFile(path, 'edited by hand\n');
    const undo = await fileLineStep.apply(ctx, params, facts);
    expect(await readFile(path, 'utf8')).toBe('edited by hand\nb\n');
    expect(await readFile(undo.backupPath ?? '', 'utf8')).toBe('edited by hand\n');
    expect(undo).toMatchObject({ changed: true, previousSha256: sha256('edited by hand\n'), afterSha256: sha256('edited by hand\nb\n') });
    await fileLineStep.rollback(ctx, params, undo);
    expect(await readFile(path, 'utf8')).toBe('edited by hand\n');
  });

  it('a file that got the line by hand since its facts were read: backed up, not written, and nothing to undo', async () => {
    const path = join(dir, 'f');
    await writeFile(path, 'a\n');
    const params: FileLineParams = { path, line: 'b', state: 'present' };
    const facts = await fileLineStep.facts(ctx, params);
    await writeFile(path, 'b\n');
    const undo = await fileLineStep.apply(ctx, params, facts);
    expect(await readFile(path, 'utf8')).toBe('b\n');
    expect(undo).toMatchObject({ changed: false });
  });

  it('with backup: false keeps no copy, and cannot restore an edited file', async () => {
    const path = join(dir, 'f');
    await writeFile(path, 'a\n');
    const params: FileLineParams = { path, line: 'b', state: 'present', backup: false };
    const undo = await fileLineStep.apply(ctx, params, await fileLineStep.facts(ctx, params));
    expect(undo.backupPath).toBeNull();
    expect(await readdir(dir)).toEqual(['f']);
    await expect(fileLineStep.rollback(ctx, params, undo)).rejects.toThrow(/no backup was kept/);
  });
});
