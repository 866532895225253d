/**
 * A file step's backup with its write, on a node over SSH (a fleet node, its real sshd), straight
 * and through the batching remote a run uses: one exec; a file changed since it was read is backed
 * up and not written (BackupMismatchError), and the step then edits what the backup holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupMismatchError } from '../../src/errors.js';
import { sha256 } from '../../src/steps/file/backup.js';
import { fileLineStep } from '../../src/steps/file/line.js';
import { BatchingRemote } from '../../src/transport/batching-remote.js';
import { SshRemote } from '../../src/transport/ssh.js';
import { useFleet } from '../fleet/fixture.js';
import { fleetHost } from '../fleet/hosts.js';
import { contextFor } from '../steps/helpers.js';

const f = useFleet({ nodes: 1 });
let ssh: SshRemote;

beforeAll(() => {
  ssh = new SshRemote(fleetHost(f.fleet, 'node-1'));
});
afterAll(async () => {
  if (ssh) await ssh.close();
});

const node = () => f.fleet.nodes.find((n) => n.name === 'node-1')!;

describe('a write with a backup over SSH', () => {
  it.each([
    ['straight', () => ssh],
    ['batched, as the last command', () => new BatchingRemote(ssh)],
  ])('%s: backed up and written when the file holds what was read; backed up and not written when it changed', async (_, remote) => {
    const path = `/etc/slipway-test/backup-${Math.random().toString(16).slice(2)}.conf`;
    await node().writeFile(path, 'a = 1\n');
    await remote().writeFile(path, 'a = 2\n', { last: true, backup: { path: `${path}.bak1`, sha256: sha256('a = 1\n') } });
    expect(await node().readFile(path)).toBe('a = 2\n');
    expect(await node().readFile(`${path}.bak1`)).toBe('a = 1\n');

    const stale = remote().writeFile(path, 'a = 3\n', { last: true, backup: { path: `${path}.bak2`, sha256: sha256('a = 1\n') } });
    await expect(stale).rejects.toThrow(BackupMismatchError);
    await expect(stale).rejects.toMatchObject({ backupContent: 'a = 2\n' });
    expect(await node().readFile(path)).toBe('a = 2\n');
    expect(await node().readFile(`${path}.bak2`)).toBe('a = 2\n');
  });

  it('file.line on a file edited by hand after its facts were read: the edit is of what the backup holds', async () => {
    const path = '/etc/slipway-test/line.conf';
    await node().writeFile(path, 'a\n');
    const ctx = contextFor(new BatchingRemote(ssh));
    const params = { path, line: 'b', state: 'present' as const };
    const facts = await fileLineStep.facts(ctx, params);
    await node().writeFile(path, 'edited by hand\n');
    const undo = await fileLineStep.apply(ctx, params, facts);
    expect(await node().readFile(path)).toBe('edited by hand\nb\n');
    expect(await node().readFile(undo.backupPath ?? '')).toBe('edited by hand\n');
    expect(undo.previousSha256).toBe(sha256('edited by hand\n'));
  });
});
