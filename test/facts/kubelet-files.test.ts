import { describe, expect, it } from 'vitest';
import {
  KUBELET_ENV_FILES,
  LIST_UNIT_FILES_SCRIPT,
  parseEnvironmentFiles,
  parseUnitPaths,
  probeKubeletFiles,
  systemctlUnitPathsArgv,
  unitName,
} from '../../src/facts/kubelet-files.js';
import type { ExecOptions, ExecResult, Remote } from '../../src/transport/types.js';

describe('kubelet unit files', () => {
  it('asks systemd where the unit and its drop-ins are', () => {
    expect(unitName('kubelet')).toBe('kubelet.service');
    expect(unitName('kubelet.service')).toBe('kubelet.service');
    expect(systemctlUnitPathsArgv('kubelet')).toEqual(['systemctl', 'show', '-p', 'FragmentPath', '-p', 'DropInPaths', '--', 'kubelet.service']);
    expect(
      parseUnitPaths(
        'FragmentPath=/lib/systemd/system/kubelet.service\nDropInPaths=/etc/systemd/system/kubelet.service.d/10-kubeadm.conf /etc/systemd/system/kubelet.service.d/20-extra.conf\n',
      ),
    ).toEqual([
      '/lib/systemd/system/kubelet.service',
      '/etc/systemd/system/kubelet.service.d/10-kubeadm.conf',
      '/etc/systemd/system/kubelet.service.d/20-extra.conf',
    ]);
    expect(parseUnitPaths('FragmentPath=\nDropInPaths=\n')).toEqual([]);
  });

  it('finds the environment files a unit loads', () => {
    expect(
      parseEnvironmentFiles(
        '[Service]\nEnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env\nEnvironmentFile=-/etc/default/kubelet\n# EnvironmentFile=/nope\nEnvironmentFile=/etc/kubelet.env\n',
      ),
    ).toEqual(['/var/lib/kubelet/kubeadm-flags.env', '/etc/default/kubelet', '/etc/kubelet.env']);
    expect(parseEnvironmentFiles('EnvironmentFile=/a\nEnvironmentFile=\nEnvironmentFile=-/b\n')).toEqual(['/b']);
  });
});

/** A node whose systemd knows kubelet from a unit and a drop-in, and whose files are in a map. */
class KubeletNode implements Remote {
  readonly host = 'node-1';
  constructor(readonly files: Record<string, string>) {}
  exec(argv: readonly string[], _options?: ExecOptions): Promise<ExecResult> {
    const ok = (stdout: string): Promise<ExecResult> => Promise.resolve({ code: 0, stdout, stderr: '' });
    if (argv[0] === 'systemctl') {
      return ok('FragmentPath=/lib/systemd/system/kubelet.service\nDropInPaths=/etc/systemd/system/kubelet.service.d/10-kubeadm.conf\n');
    }
    if (argv[0] === 'sh' && argv[2] === LIST_UNIT_FILES_SCRIPT) {
      expect(argv.slice(3)).toEqual([
        'sh',
        'kubelet.service',
        '/lib/systemd/system/kubelet.service',
        '/etc/systemd/system/kubelet.service.d/10-kubeadm.conf',
      ]);
      // Resolved through the /lib -> /usr/lib symlink: the same unit, listed twice.
      return ok('/usr/lib/systemd/system/kubelet.service\n/etc/systemd/system/kubelet.service.d/10-kubeadm.conf\n/usr/lib/systemd/system/kubelet.service\n');
    }
    return Promise.resolve({ code: 127, stdout: '', stderr: 'not found' });
  }
  run(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    return this.exec(argv, options);
  }
  readFile(path: string): Promise<string | null> {
    return Promise.resolve(this.files[path] ?? null);
  }
  writeFile(): Promise<void> {
    return Promise.resolve();
  }
  openUnixSocket(): never {
    throw new Error('not here');
  }
}

describe('probeKubeletFiles', () => {
  it('reads unit, drop-ins, the env files they load and the usual env files, once each', async () => {
    const node = new KubeletNode({
      '/usr/lib/systemd/system/kubelet.service': '[Service]\nExecStart=/usr/bin/kubelet\n',
      '/etc/systemd/system/kubelet.service.d/10-kubeadm.conf': '[Service]\nEnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env\nEnvironmentFile=-/etc/kubelet/extra.env\n',
      '/var/lib/kubelet/kubeadm-flags.env': 'KUBELET_KUBEADM_ARGS="--container-runtime=remote"\n',
      '/etc/kubelet/extra.env': 'X=1\n',
      '/etc/default/kubelet': 'KUBELET_EXTRA_ARGS=\n',
    });
    const files = await probeKubeletFiles(node, 'kubelet');
    expect(files.map((f) => [f.path, f.kind])).toEqual([
      ['/usr/lib/systemd/system/kubelet.service', 'unit'],
      ['/etc/systemd/system/kubelet.service.d/10-kubeadm.conf', 'unit'],
      ['/var/lib/kubelet/kubeadm-flags.env', 'env'],
      ['/etc/kubelet/extra.env', 'env'],
      ['/etc/default/kubelet', 'env'],
    ]);
    expect(KUBELET_ENV_FILES).toContain('/etc/sysconfig/kubelet');
  });
});
