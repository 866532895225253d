import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError, RollbackError } from '../../../src/errors.js';
import { flagsRemovedBy } from '../../../src/kb/kubelet-flags.js';
import {
  kubeletRemoveFlagsStep,
  paramsSchema,
  resolveFlags,
  type KubeletRemoveFlagsParams,
} from '../../../src/steps/kubelet/remove-flags.js';
import { LocalRemote } from '../../../src/transport/local.js';
import type { ExecOptions, ExecResult, Remote } from '../../../src/transport/types.js';
import { contextFor, expectUnifiedDiff, snapshot, tempDir } from '../helpers.js';

/** The local machine, except that `systemctl` is only recorded: tests must not reload this host's systemd. */
class NoSystemctl implements Remote {
  readonly host = 'node-1';
  readonly local = new LocalRemote({ host: 'node-1' });
  readonly systemctl: string[][] = [];
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    if (argv[0] === 'systemctl') {
      this.systemctl.push([...argv]);
      return Promise.resolve({ code: 0, stdout: '', stderr: '' });
    }
    return this.local.exec(argv, options);
  }
  run(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    if (argv[0] === 'systemctl') return this.exec(argv, options);
    return this.local.run(argv, options);
  }
  readFile(path: string): Promise<string | null> {
    return this.local.readFile(path);
  }
  writeFile(path: string, content: string, options?: { mode?: number; owner?: string }): Promise<void> {
    return this.local.writeFile(path, content, options);
  }
  openUnixSocket(): never {
    throw new Error('no sockets here');
  }
}

const DROP_IN = `[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
ExecStart=
ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS \\
  --container-runtime=remote \\
  --v=2
`;
const FLAGS_ENV =
  'KUBELET_KUBEADM_ARGS="--container-runtime=remote --container-runtime-endpoint=unix:///run/containerd/containerd.sock --pod-infra-container-image=registry.k8s.io/pause:3.9"\n';
const DEFAULTS = 'KUBELET_EXTRA_ARGS=--node-ip=10.0.0.11\n';

describe('kubelet.removeFlags params', () => {
  it('takes flags from the params and, with removedBy, from the knowledge base', () => {
    expect(resolveFlags({ flags: ['container-runtime', '--v'] })).toEqual([
      { flag: '--container-runtime', boolean: false },
      { flag: '--v', boolean: false },
    ]);
    const fromKb = resolveFlags({ removedBy: '1.27.16' }).map((f) => f.flag);
    expect(fromKb).toContain('--container-runtime');
    expect(fromKb).toContain('--network-plugin');
    expect(fromKb).not.toContain('--pod-infra-container-image');
    expect(resolveFlags({ removedBy: 'v1.35.0' }).map((f) => f.flag)).toContain('--pod-infra-container-image');
    expect(resolveFlags({ removedBy: '1.31' }).find((f) => f.flag === '--keep-terminated-pod-volumes')).toEqual({
      flag: '--keep-terminated-pod-volumes',
      boolean: true,
    });
    expect(resolveFlags({ removedBy: '1.27', flags: ['--container-runtime'] }).length).toBe(flagsRemovedBy('1.27').length);
    expect(() => resolveFlags({ removedBy: 'latest' })).toThrow(InputError);
  });

  it('declares its params strictly (ajv strict mode), with descriptions', () => {
    const validate = new Ajv({ strict: true, allErrors: true }).compile(paramsSchema);
    expect(validate({ flags: ['--container-runtime'] })).toBe(true);
    expect(validate({ removedBy: '1.27.16', unit: 'kubelet', backup: false, daemonReload: true })).toBe(true);
    expect(validate({ removedBy: 'v1.27' })).toBe(true);
    expect(validate({ files: ['/etc/default/kubelet'], flags: ['x'] })).toBe(true);
    expect(validate({})).toBe(false);
    expect(validate({ flags: [] })).toBe(false);
    expect(validate({ flags: ['--a b'] })).toBe(false);
    expect(validate({ removedBy: 'latest' })).toBe(false);
    expect(validate({ flags: ['--x'], files: ['relative'] })).toBe(false);
    expect(validate({ flags: ['--x'], extra: 1 })).toBe(false);
    for (const prop of Object.values(paramsSchema.properties as Record<string, { description?: string }>)) {
      expect(prop.description).toBeTruthy();
    }
  });
});

describe('kubelet.removeFlags on real files', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let dropIn: string;
  let flagsEnv: string;
  let defaults: string;
  let remote: NoSystemctl;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('slipway-kubelet-'));
    await mkdir(join(dir, 'kubelet.service.d'));
    dropIn = join(dir, 'kubelet.service.d', '10-kubeadm.conf');
    flagsEnv = join(dir, 'kubeadm-flags.env');
    defaults = join(dir, 'kubelet');
    await writeFile(dropIn, DROP_IN);
    await writeFile(flagsEnv, FLAGS_ENV);
    await writeFile(defaults, DEFAULTS);
    remote = new NoSystemctl();
  });
  afterEach(() => cleanup());

  it('removes the flags from every file, reloads systemd once, converges, and rolls back byte for byte', async () => {
    const ctx = contextFor(remote);
    const params: KubeletRemoveFlagsParams = { removedBy: '1.35.0', files: [dropIn, flagsEnv, defaults, join(dir, 'absent.env')] };
    const before = { dropIn: await snapshot(dropIn), flagsEnv: await snapshot(flagsEnv), defaults: await snapshot(defaults) };

    const first = kubeletRemoveFlagsStep.check(params, await kubeletRemoveFlagsStep.facts(ctx, params));
    expect(first.status).toBe('change');
    if (first.status !== 'change') throw new Error('unreachable');
    expect(first.summary).toBe(
      `remove --container-runtime=remote from ${dropIn}; --container-runtime=remote, ` +
        `--pod-infra-container-image=registry.k8s.io/pause:3.9 from ${flagsEnv}; then systemctl daemon-reload`,
    );
    expectUnifiedDiff(first.diff, dropIn, dropIn);
    expect(first.diff).toContain(`+++ ${flagsEnv}`);
    expect(first.diff).toContain('-  --container-runtime=remote \\\n');

    const undo = await kubeletRemoveFlagsStep.apply(ctx, params, await kubeletRemoveFlagsStep.facts(ctx, params));
    expect(JSON.parse(JSON.stringify(undo))).toEqual(undo);
    expect(undo.daemonReloaded).toBe(true);
    expect(undo.files.map((f) => f.path)).toEqual([dropIn, flagsEnv]);
    expect(remote.systemctl).toEqual([['systemctl', 'daemon-reload']]);
    expect(await readFile(flagsEnv, 'utf8')).toBe(
      'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///run/containerd/containerd.sock"\n',
    );
    expect(await readFile(dropIn, 'utf8')).toBe(DROP_IN.replace('  --container-runtime=remote \\\n', ''));
    expect(await snapshot(defaults)).toEqual(before.defaults);

    const second = kubeletRemoveFlagsStep.check(params, await kubeletRemoveFlagsStep.facts(ctx, params));
    expect(second).toMatchObject({ status: 'ok' });
    // Applying again changes nothing and reloads nothing.
    const again = await kubeletRemoveFlagsStep.apply(ctx, params, await kubeletRemoveFlagsStep.facts(ctx, params));
    expect(again).toEqual({ files: [], daemonReloaded: false });
    expect(remote.systemctl.length).toBe(1);

    await kubeletRemoveFlagsStep.rollback(ctx, params, undo);
    expect((await snapshot(dropIn))?.bytes.equals(before.dropIn?.bytes ?? Buffer.alloc(0))).toBe(true);
    expect((await snapshot(flagsEnv))?.bytes.equals(before.flagsEnv?.bytes ?? Buffer.alloc(0))).toBe(true);
    expect(remote.systemctl).toEqual([
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'daemon-reload'],
    ]);
    // The backups stay, outside the *.conf glob systemd reads drop-ins with.
    const dropIns = await readdir(join(dir, 'kubelet.service.d'));
    expect(dropIns.filter((n) => n.endsWith('.conf'))).toEqual(['10-kubeadm.conf']);
    expect(dropIns.some((n) => /^10-kubeadm\.conf\.slipway-\d{8}T\d{9}Z\.bak$/.test(n))).toBe(true);
  });

  it('does not reload systemd when only environment files changed, or when told not to', async () => {
    const ctx = contextFor(remote);
    const envOnly: KubeletRemoveFlagsParams = { flags: ['--pod-infra-container-image'], files: [dropIn, flagsEnv] };
    const undo = await kubeletRemoveFlagsStep.apply(ctx, envOnly, await kubeletRemoveFlagsStep.facts(ctx, envOnly));
    expect(undo.daemonReloaded).toBe(false);
    const noReload: KubeletRemoveFlagsParams = { flags: ['--container-runtime'], files: [dropIn], daemonReload: false, backup: false };
    const check = kubeletRemoveFlagsStep.check(noReload, await kubeletRemoveFlagsStep.facts(ctx, noReload));
    expect(check.status === 'change' && check.summary).not.toContain('daemon-reload');
    const undo2 = await kubeletRemoveFlagsStep.apply(ctx, noReload, await kubeletRemoveFlagsStep.facts(ctx, noReload));
    expect(undo2).toMatchObject({ daemonReloaded: false, files: [{ path: dropIn, backupPath: null }] });
    expect(remote.systemctl).toEqual([]);
  });

  it('says ok, naming the files it read, when no flag is there', async () => {
    const ctx = contextFor(remote);
    const params: KubeletRemoveFlagsParams = { flags: ['--network-plugin'], files: [dropIn, defaults] };
    expect(kubeletRemoveFlagsStep.check(params, await kubeletRemoveFlagsStep.facts(ctx, params))).toEqual({
      status: 'ok',
      summary: `none of --network-plugin in the given files (${dropIn}, ${defaults})`,
    });
  });

  it('refuses to roll back over a file changed since', async () => {
    const ctx = contextFor(remote);
    const params: KubeletRemoveFlagsParams = { flags: ['--container-runtime'], files: [flagsEnv] };
    const undo = await kubeletRemoveFlagsStep.apply(ctx, params, await kubeletRemoveFlagsStep.facts(ctx, params));
    await writeFile(flagsEnv, 'KUBELET_KUBEADM_ARGS="--edited-by-hand"\n');
    await expect(kubeletRemoveFlagsStep.rollback(ctx, params, undo)).rejects.toThrow(RollbackError);
  });
});
