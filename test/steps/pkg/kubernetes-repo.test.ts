import { describe, expect, it } from 'vitest';
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
});
