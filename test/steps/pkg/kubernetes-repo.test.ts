import { describe, expect, it } from 'vitest';
import type { ExecOptions, ExecResult, WriteOptions } from '../../../src/transport/types.js';
import { CommandOnlyRemote, contextFor } from '../helpers.js';
import { isKeptFileOf } from '../../../src/steps/pkg/kept-packages.js';
import { kubernetesRepoStep, minorOfVersion, minorsIn, parseInstalled, pointAtMinor } from '../../../src/steps/pkg/kubernetes-repo.js';

// As pkgs.k8s.io's install instructions write them (kubernetes.io, "Installing kubeadm").
const APT = 'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.26/deb/ /\n';
const DNF = `[kubernetes]
name=Kubernetes
baseurl=https://pkgs.k8s.io/core:/stable:/v1.26/rpm/
enabled=1
gpgcheck=1
gpgkey=https://pkgs.k8s.io/core:/stable:/v1.26/rpm/repodata/repomd.xml.key
exclude=kubelet kubeadm kubectl cri-tools kubernetes-cni
`;

describe('pkg.kubernetesRepo', () => {
  it('rewrites only the minor of an apt line, keeping its options and host (a mirror too)', () => {
    expect(pointAtMinor(APT, '1.27')).toBe(APT.replace('v1.26', 'v1.27'));
    const mirror = 'deb [trusted=yes] http://mirror.internal/k8s/core:/stable:/v1.26/deb/ /\n# v1.26 notes stay\n';
    expect(pointAtMinor(mirror, '1.27')).toBe('deb [trusted=yes] http://mirror.internal/k8s/core:/stable:/v1.27/deb/ /\n# v1.26 notes stay\n');
    expect(pointAtMinor(pointAtMinor(APT, '1.27'), '1.27')).toBe(pointAtMinor(APT, '1.27'));
  });

  it('rewrites baseurl and gpgkey of a yum repo file, nothing else', () => {
    const next = pointAtMinor(DNF, '1.27');
    expect(next).toContain('baseurl=https://pkgs.k8s.io/core:/stable:/v1.27/rpm/\n');
    expect(next).toContain('gpgkey=https://pkgs.k8s.io/core:/stable:/v1.27/rpm/repodata/repomd.xml.key\n');
    expect(next.replace(/v1\.27/g, 'v1.26')).toBe(DNF);
    expect(minorsIn(DNF)).toEqual(['1.26']);
  });

  it('takes the minor of a whole version', () => {
    expect(minorOfVersion('1.27.16')).toBe('1.27');
    expect(minorOfVersion('v1.30')).toBe('1.30');
  });

  it('check: a change with a diff per file, ok once every file names the minor, fail without such a repository', () => {
    const facts = { files: [{ path: '/etc/apt/sources.list.d/kubernetes.list', content: APT }] };
    const change = kubernetesRepoStep.check({ version: '1.27.16' }, facts);
    expect(change).toMatchObject({ status: 'change', summary: 'Kubernetes repository v1.26 -> v1.27 in /etc/apt/sources.list.d/kubernetes.list' });
    expect(change.status === 'change' && change.diff).toContain('-deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.26/deb/ /\n+deb');
    const done = { files: [{ path: facts.files[0]!.path, content: pointAtMinor(APT, '1.27') }] };
    expect(kubernetesRepoStep.check({ version: '1.27' }, done)).toMatchObject({ status: 'ok' });
    expect(kubernetesRepoStep.check({ version: '1.27' }, { files: [] })).toMatchObject({ status: 'fail', reason: expect.stringContaining("no Kubernetes package repository of pkgs.k8s.io's layout") });
  });

  it('reads installed packages and finds the package files it kept', () => {
    expect(parseInstalled('kubelet 1.26.15-1.1\nkubeadm 1.26.15-1.1\n\n')).toEqual([
      { name: 'kubelet', version: '1.26.15-1.1' },
      { name: 'kubeadm', version: '1.26.15-1.1' },
    ]);
    expect(isKeptFileOf('kubelet_1.26.15-1.1_amd64.deb', 'apt', 'kubelet', '1.26.15-1.1')).toBe(true);
    expect(isKeptFileOf('kubelet_1.26.15-1.1_amd64.deb', 'apt', 'kubeadm', '1.26.15-1.1')).toBe(false);
    expect(isKeptFileOf('docker-ce_5%3a24.0.7-1_amd64.deb', 'apt', 'docker-ce', '5:24.0.7-1')).toBe(true);
    expect(isKeptFileOf('kubelet-1.26.15-150500.1.1.x86_64.rpm', 'dnf', 'kubelet', '1.26.15-150500.1.1')).toBe(true);
  });

  it('apply: backs up and rewrites each stale file; only the last write is marked as the step\'s last command', async () => {
    const remote = new RepoHost();
    const ctx = contextFor(remote);
    const files = [
      { path: '/etc/apt/sources.list.d/kubernetes.list', content: APT },
      { path: '/etc/apt/sources.list.d/current.list', content: APT.replace('v1.26', 'v1.27') },
      { path: '/etc/apt/sources.list.d/mirror.list', content: APT.replace('pkgs.k8s.io', 'mirror.example') },
    ];
    const undo = await kubernetesRepoStep.apply(ctx, { version: '1.27.16' }, { files });
    expect(undo.files.map((f) => f.path)).toEqual([files[0]?.path, files[2]?.path]);
    expect(remote.writes.map((w) => [w.path, w.last === true])).toEqual([
      [files[0]?.path, false],
      [files[2]?.path, true],
    ]);
    expect(remote.writes.every((w) => w.content.includes('/core:/stable:/v1.27/deb/'))).toBe(true);
  });
});

/** A Debian node with kubelet 1.26 installed: answers dpkg-query, apt-get download and the backup's cp + cat; records writes. */
class RepoHost extends CommandOnlyRemote {
  readonly host = 'node-1';
  readonly writes: Array<{ path: string; content: string; last?: boolean }> = [];
  private readonly files = new Map<string, string>([
    ['/etc/apt/sources.list.d/kubernetes.list', APT],
    ['/etc/apt/sources.list.d/mirror.list', APT.replace('pkgs.k8s.io', 'mirror.example')],
  ]);
  exec(argv: readonly string[], _options?: ExecOptions): Promise<ExecResult> {
    if (argv[0] === 'dpkg-query') return Promise.resolve({ code: 0, stdout: 'installed kubelet 1.26.15-1.1\n', stderr: '' });
    if (argv[0] === 'sh' && argv.includes('kubelet=1.26.15-1.1')) return Promise.resolve({ code: 0, stdout: '', stderr: '' });
    if (argv[0] === 'sh' && argv[2]?.startsWith('cp -p')) return Promise.resolve({ code: 0, stdout: this.files.get(argv[4] ?? '') ?? '', stderr: '' });
    return Promise.resolve({ code: 127, stdout: '', stderr: `${argv[0]}: not expected here\n` });
  }
  override writeFile(path: string, content: string, options: WriteOptions = {}): Promise<void> {
    this.writes.push({ path, content, ...(options.last === undefined ? {} : { last: options.last }) });
    return Promise.resolve();
  }
}
