import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compareDebianVersions } from '../../../src/facts/pkg-version.js';
import { NODE_PROBE_SCRIPT } from '../../../src/facts/node-probe.js';
import {
  paramsSchema,
  pkgInstallStep,
  planPackage,
  tarMembers,
  type PackageFacts,
  type PackageUndo,
  type PkgInstallParams,
  type TarballUndo,
} from '../../../src/steps/pkg/install.js';
import { LocalRemote } from '../../../src/transport/local.js';
import type { ExecOptions, ExecResult } from '../../../src/transport/types.js';
import { contextFor, tempDir, CommandOnlyRemote } from '../helpers.js';

const OLD = '1.4.13~ds1-1~deb11u4';
const NEW = '1.6.20~ds1-1+deb12u1';

/**
 * A Debian node's dpkg and apt for one package: what is installed and held, what the
 * repository offers, and whether `apt-get update` has fetched it yet.
 */
class AptNode extends CommandOnlyRemote {
  readonly host = 'node-1';
  readonly calls: string[][] = [];
  installed: string | null = OLD;
  held = false;
  repository = [OLD, NEW];
  listsFresh = true;
  /** A dpkg run was killed part-way: apt refuses until `dpkg --configure -a` finishes it. */
  interrupted = false;

  /** The commands sent as a step's last command (ExecOptions.last). */
  readonly marked: string[][] = [];

  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    this.calls.push([...argv]);
    if (options?.last === true) this.marked.push([...argv]);
    const out = (stdout: string, code = 0, stderr = ''): Promise<ExecResult> => Promise.resolve({ code, stdout, stderr });
    const known = this.listsFresh ? this.repository : this.repository.filter((v) => v === OLD);
    let args = argv;
    if (argv[0] === 'env') {
      expect(['DEBIAN_FRONTEND=noninteractive', 'LC_ALL=C']).toContain(argv[1]);
      args = argv.slice(2);
    }
    const [cmd, ...rest] = args;
    if (cmd === 'sh' && rest[1] === NODE_PROBE_SCRIPT) return out('pkg=apt-get\nos.id=debian\n');
    if (cmd === 'dpkg-query') {
      return this.installed === null
        ? out('', 1, 'dpkg-query: no packages found matching containerd\n')
        : out(`${this.held ? 'hold' : 'install'} ok installed\t${this.installed}\n`);
    }
    if (cmd === 'apt-cache') {
      const sorted = [...new Set([...known, ...(this.installed ? [this.installed] : [])])].sort((a, b) => compareDebianVersions(b, a));
      const table = sorted
        .map((v) => {
          const mark = v === this.installed ? ' ***' : '    ';
          const sources = [
            ...(known.includes(v) ? ['        500 file:/srv/slipway-repo ./ Packages'] : []),
            ...(v === this.installed ? ['        100 /var/lib/dpkg/status'] : []),
          ];
          return [`${mark} ${v} 500`, ...sources].join('\n');
        })
        .join('\n');
      return out(`containerd:\n  Installed: ${this.installed ?? '(none)'}\n  Candidate: ${sorted[0] ?? '(none)'}\n  Version table:\n${table}\n`);
    }
    if (cmd === 'apt-mark') {
      if (rest[0] === 'showhold') return out(this.held ? 'containerd\n' : '');
      this.held = rest[0] === 'hold';
      return out(`containerd set ${this.held ? 'on hold' : 'back to manual'}.\n`);
    }
    if (cmd === 'dpkg' && rest.join(' ') === '--force-confold --configure -a') {
      this.interrupted = false;
      return out('Setting up containerd (1.6.20~ds1-1+deb12u1) ...\n');
    }
    if (cmd === 'apt-get' && this.interrupted) {
      return out('', 100, "E: dpkg was interrupted, you must manually run 'dpkg --configure -a' to correct the problem. \n");
    }
    if (cmd === 'apt-get' && rest[0] === 'update') {
      this.listsFresh = true;
      return out('Get:1 file:/srv/slipway-repo ./ InRelease\nReading package lists...\n');
    }
    if (cmd === 'apt-get' && rest[0] === 'install') {
      const spec = rest.at(-1) ?? '';
      const version = spec.slice(spec.indexOf('=') + 1);
      if (!known.includes(version)) return out('', 100, `E: Version '${version}' for 'containerd' was not found\n`);
      if (this.held && !rest.includes('--allow-change-held-packages')) {
        return out('', 100, 'E: Held packages were changed and -y was used without --allow-change-held-packages.\n');
      }
      if (this.installed && compareDebianVersions(version, this.installed) < 0 && !rest.includes('--allow-downgrades')) {
        return out('', 100, 'E: Packages were downgraded and -y was used without --allow-downgrades.\n');
      }
      this.installed = version;
      return out(`Setting up containerd (${version}) ...\n`);
    }
    if (cmd === 'apt-get' && rest[0] === 'remove') {
      this.installed = null;
      return out('Removing containerd ...\n');
    }
    return out('', 127, `${cmd}: command not found\n`);
  }

}

const aptFacts = (over: Partial<PackageFacts>): PackageFacts => ({ method: 'apt', installed: OLD, held: false, available: [OLD, NEW], ...over });

describe('pkg.install plan', () => {
  it('tells install, upgrade, downgrade and hold apart in distribution order', () => {
    const p: PkgInstallParams = { name: 'containerd', version: NEW };
    expect(planPackage(p, aptFacts({}))).toEqual({ install: true, hold: false, direction: 'upgrade' });
    expect(planPackage(p, aptFacts({ installed: null }))).toEqual({ install: true, hold: false, direction: 'not installed' });
    expect(planPackage({ ...p, version: OLD }, aptFacts({ installed: NEW }))).toMatchObject({ direction: 'downgrade' });
    expect(planPackage(p, aptFacts({ installed: NEW }))).toBeNull();
    expect(planPackage({ ...p, holdAfter: true }, aptFacts({ installed: NEW }))).toEqual({ install: false, hold: true, direction: 'same version' });
    // 1:1.0 and 1.0 differ for dpkg; 1.0 and 1.0-0 do not.
    expect(planPackage({ name: 'x', version: '1.0' }, aptFacts({ installed: '1.0-0' }))).toBeNull();
  });

  it('summarises for the plan', () => {
    const p: PkgInstallParams = { name: 'containerd', version: NEW };
    expect(pkgInstallStep.check(p, aptFacts({}))).toEqual({
      status: 'change',
      summary: `install containerd=${NEW} (installed ${OLD}, upgrade)`,
      versions: [{ name: 'containerd', from: OLD, to: NEW }], // for the run's report: before and after
    });
    expect(pkgInstallStep.check(p, aptFacts({ installed: NEW, held: true }))).toEqual({ status: 'ok', summary: `containerd ${NEW} is installed (apt, held)` });
    expect(pkgInstallStep.check({ ...p, version: OLD }, aptFacts({ installed: NEW }))).toEqual({
      status: 'change',
      summary: `install containerd=${OLD} (installed ${NEW}, downgrade; apply will refuse: set allowDowngrade: true)`,
      versions: [{ name: 'containerd', from: NEW, to: OLD }],
    });
    expect(pkgInstallStep.check(p, aptFacts({ available: [OLD] }))).toEqual({
      status: 'change',
      summary: `install containerd=${NEW} (installed ${OLD}, upgrade; not in apt's lists yet: apt-get update runs first; apt knows ${OLD})`,
      versions: [{ name: 'containerd', from: OLD, to: NEW }],
    });
    expect(
      pkgInstallStep.check({ name: 'cri-o', version: '1.30.6-1.1' }, { method: 'dnf', installed: '1.29.9-1.1', held: false, available: ['1.30.6-1.1'] }),
    ).toEqual({ status: 'change', summary: 'install cri-o-1.30.6-1.1 (installed 1.29.9-1.1, upgrade)', versions: [{ name: 'cri-o', from: '1.29.9-1.1', to: '1.30.6-1.1' }] });
    expect(pkgInstallStep.check({ name: 'cri-o', version: '1.30.6' }, { method: 'dnf', installed: '1.30.6-1.1', held: false, available: [] }).status).toBe('ok');
  });

  it('declares its params strictly (ajv strict mode), with descriptions', () => {
    const valid = new Ajv({ strict: true, allErrors: true }).compile(paramsSchema);
    expect(valid({ name: 'containerd', version: NEW, method: 'apt', allowDowngrade: true, holdAfter: true })).toBe(true);
    expect(valid({ name: 'containerd', version: NEW })).toBe(true);
    expect(valid({ name: 'containerd', method: 'apt' })).toBe(false);
    expect(valid({ name: 'crictl', path: '/tmp/crictl.tgz', sha256: 'a'.repeat(64), dest: '/usr/local/bin' })).toBe(true);
    expect(valid({ name: 'crictl', url: 'https://example.org/crictl.tgz', sha256: 'a'.repeat(64), dest: '/usr/local/bin', method: 'tarball' })).toBe(true);
    expect(valid({ name: 'crictl', url: 'https://example.org/crictl.tgz', dest: '/usr/local/bin' })).toBe(false);
    expect(valid({ name: 'crictl', method: 'tarball', sha256: 'a'.repeat(64), dest: '/x' })).toBe(false);
    expect(valid({ name: 'crictl', url: 'https://x/y', path: '/y', sha256: 'a'.repeat(64), dest: '/x' })).toBe(false);
    expect(valid({ name: '-oops', version: '1' })).toBe(false);
    expect(valid({ name: 'containerd', version: '1.6; rm -rf /' })).toBe(false);
    for (const prop of Object.values(paramsSchema.properties as Record<string, { description?: string }>)) expect(prop.description).toBeTruthy();
  });
});

describe('pkg.install with apt', () => {
  it('refreshes the lists, upgrades non-interactively keeping config files, holds; rollback puts it back', async () => {
    const node = new AptNode();
    node.listsFresh = false;
    const ctx = contextFor(node);
    const params: PkgInstallParams = { name: 'containerd', version: NEW, holdAfter: true };
    const undo = (await pkgInstallStep.apply(ctx, params, await pkgInstallStep.facts(ctx, params))) as PackageUndo;
    expect(undo).toEqual({ method: 'apt', name: 'containerd', previous: OLD, installed: true, wasHeld: false, heldByApply: true });
    expect(node.calls.filter((c) => c.includes('apt-get') || c[0] === 'apt-mark' && c[1] !== 'showhold')).toEqual([
      ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'update'],
      ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '--allow-downgrades', '-o', 'Dpkg::Options::=--force-confold', `containerd=${NEW}`],
      ['apt-mark', 'hold', 'containerd'],
    ]);
    expect(pkgInstallStep.check(params, await pkgInstallStep.facts(ctx, params)).status).toBe('ok');
    const installs = node.calls.length;
    const again = await pkgInstallStep.apply(ctx, params, await pkgInstallStep.facts(ctx, params));
    expect(again).toMatchObject({ installed: false, heldByApply: false });
    const readOnly = (c: string[]): boolean =>
      ['sh', 'dpkg-query', 'apt-mark', 'env'].includes(c[0] ?? '') && (c[0] !== 'apt-mark' || c[1] === 'showhold') && (c[0] !== 'env' || c[2] === 'apt-cache');
    expect(node.calls.slice(installs).every(readOnly)).toBe(true);

    await pkgInstallStep.rollback(ctx, params, undo);
    expect(node).toMatchObject({ installed: OLD, held: false });
    expect(node.calls.find((c) => c.at(-1) === `containerd=${OLD}`)).toContain('--allow-change-held-packages');
  });

  it('after an interrupted dpkg (a run killed mid-install) finishes its work with dpkg --configure -a, says so, then installs', async () => {
    const node = new AptNode();
    node.interrupted = true;
    const waits: string[] = [];
    const ctx = { ...contextFor(node), waiting: (what: string) => waits.push(what) };
    const params: PkgInstallParams = { name: 'containerd', version: NEW };
    await pkgInstallStep.apply(ctx, params, await pkgInstallStep.facts(ctx, params));
    expect(node.installed).toBe(NEW);
    expect(node.calls.filter((c) => c.includes('apt-get') || c.includes('dpkg')).map((c) => c.slice(2, 4).join(' '))).toEqual([
      'apt-get install',
      'dpkg --force-confold',
      'apt-get install',
    ]);
    expect(waits).toEqual(['dpkg --configure -a: an earlier dpkg run on this node was interrupted']);
  });

  it("marks the install as the step's last command when nothing follows it; with holdAfter, nothing", async () => {
    const node = new AptNode();
    const ctx = contextFor(node);
    const params: PkgInstallParams = { name: 'containerd', version: NEW };
    await pkgInstallStep.apply(ctx, params, await pkgInstallStep.facts(ctx, params));
    expect(node.marked.map((c) => c.slice(2, 4).join(' '))).toEqual(['apt-get install']);
    expect(node.calls.at(-1)).toEqual(node.marked[0]);

    const held = new AptNode();
    const heldCtx = contextFor(held);
    const holding: PkgInstallParams = { ...params, holdAfter: true };
    await pkgInstallStep.apply(heldCtx, holding, await pkgInstallStep.facts(heldCtx, holding));
    expect(held).toMatchObject({ installed: NEW, held: true });
    expect(held.marked).toEqual([]);
  });

  it('does not hide any other apt failure behind the recovery', async () => {
    const node = new AptNode();
    node.repository = [OLD];
    const ctx = contextFor(node);
    const params: PkgInstallParams = { name: 'containerd', version: NEW, updateCache: false };
    await expect(pkgInstallStep.apply(ctx, params, { method: 'apt', installed: OLD, held: false, available: [OLD, NEW] })).rejects.toThrow(`Version '${NEW}' for 'containerd' was not found`);
    expect(node.calls.some((c) => c.includes('dpkg'))).toBe(false);
  });

  it('refuses a downgrade unless allowed, and installs a held package past its hold', async () => {
    const node = new AptNode();
    node.installed = NEW;
    node.held = true;
    const ctx = contextFor(node);
    const down: PkgInstallParams = { name: 'containerd', version: OLD };
    await expect(pkgInstallStep.apply(ctx, down, await pkgInstallStep.facts(ctx, down))).rejects.toThrow(
      `node-1: containerd ${NEW} is newer than ${OLD}: refusing to downgrade (set allowDowngrade: true)`,
    );
    const allowed = { ...down, allowDowngrade: true };
    const undo = (await pkgInstallStep.apply(ctx, allowed, await pkgInstallStep.facts(ctx, allowed))) as PackageUndo;
    expect(node).toMatchObject({ installed: OLD, held: true });
    expect(undo).toMatchObject({ previous: NEW, wasHeld: true, heldByApply: false });
    await pkgInstallStep.rollback(ctx, allowed, undo);
    expect(node).toMatchObject({ installed: NEW, held: true });
  });

  it('removes on rollback what was not installed, and says which versions exist when one is missing', async () => {
    const node = new AptNode();
    node.installed = null;
    const ctx = contextFor(node);
    const params: PkgInstallParams = { name: 'containerd', version: NEW };
    const undo = await pkgInstallStep.apply(ctx, params, await pkgInstallStep.facts(ctx, params));
    await pkgInstallStep.rollback(ctx, params, undo);
    expect(node.installed).toBeNull();
    const missing: PkgInstallParams = { name: 'containerd', version: '1.7.99-1' };
    await expect(pkgInstallStep.apply(ctx, missing, await pkgInstallStep.facts(ctx, missing))).rejects.toThrow(
      `node-1: containerd 1.7.99-1 is not available from apt (available: ${NEW}, ${OLD})`,
    );
  });
});

describe('pkg.install from a tarball', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let archive: string;
  let sha: string;
  let dest: string;
  const ctx = contextFor(new LocalRemote({ host: 'node-1' }));
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('slipway-tarball-'));
    const src = join(dir, 'src');
    await mkdir(join(src, 'bin'), { recursive: true });
    await writeFile(join(src, 'bin', 'crictl'), '#!/bin/sh\necho crictl v1.30\n');
    await writeFile(join(src, 'bin', 'critest'), 'critest\n');
    archive = join(dir, 'crictl.tar.gz');
    await new LocalRemote().run(['tar', '-czf', archive, '-C', src, '.']);
    sha = createHash('sha256').update(await readFile(archive)).digest('hex');
    dest = join(dir, 'usr-local');
    await mkdir(join(dest, 'bin'), { recursive: true });
    await writeFile(join(dest, 'bin', 'crictl'), 'old crictl\n');
  });
  afterEach(() => cleanup());

  it('verifies, extracts, converges, and rollback restores replaced files and deletes added ones', async () => {
    const params: PkgInstallParams = { name: 'crictl', path: archive, sha256: sha, dest };
    const first = pkgInstallStep.check(params, await pkgInstallStep.facts(ctx, params));
    expect(first).toMatchObject({ status: 'change' });
    expect(first.status === 'change' && first.summary).toContain('not extracted by slipway yet');
    const undo = (await pkgInstallStep.apply(ctx, params, await pkgInstallStep.facts(ctx, params))) as TarballUndo;
    expect(JSON.parse(JSON.stringify(undo))).toEqual(undo);
    expect(undo).toMatchObject({ method: 'tarball', dest, previousMarker: null, created: ['bin/critest'], changed: true });
    expect(await readFile(join(dest, 'bin', 'crictl'), 'utf8')).toBe('#!/bin/sh\necho crictl v1.30\n');
    expect(pkgInstallStep.check(params, await pkgInstallStep.facts(ctx, params)).status).toBe('ok');
    const again = (await pkgInstallStep.apply(ctx, params, await pkgInstallStep.facts(ctx, params))) as TarballUndo;
    expect(again.changed).toBe(false);
    await pkgInstallStep.rollback(ctx, params, again);
    expect(await readFile(join(dest, 'bin', 'critest'), 'utf8')).toBe('critest\n');

    await pkgInstallStep.rollback(ctx, params, undo);
    expect(await readFile(join(dest, 'bin', 'crictl'), 'utf8')).toBe('old crictl\n');
    expect(await readdir(join(dest, 'bin'))).toEqual(['crictl']);
    expect((await readdir(dest)).filter((n) => n.endsWith('.sha256'))).toEqual([]);
  });

  it('does not extract a tarball whose sha256 does not match', async () => {
    const params: PkgInstallParams = { name: 'crictl', path: archive, sha256: 'b'.repeat(64), dest };
    await expect(pkgInstallStep.apply(ctx, params, await pkgInstallStep.facts(ctx, params))).rejects.toThrow(/has sha256 [0-9a-f]{64}, not b{64}: not extracting it/);
    expect(await readFile(join(dest, 'bin', 'crictl'), 'utf8')).toBe('old crictl\n');
  });

  it('lists members without directories', () => {
    expect(tarMembers('./\n./bin/\n./bin/crictl\nbin/critest\n')).toEqual(['bin/crictl', 'bin/critest']);
  });
});
