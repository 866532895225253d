import { describe, expect, it } from 'vitest';
import { parseNodeFacts, versionFrom } from '../../src/facts/node.js';

describe('node facts parser', () => {
  it('reads versions as the programs print them', () => {
    expect(versionFrom('Kubernetes v1.26.15')).toBe('1.26.15');
    expect(versionFrom('containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u3')).toBe('1.6.20~ds1');
    expect(versionFrom('version 1.30.6')).toBe('1.30.6');
    expect(versionFrom('Docker version 24.0.7, build afdd53b')).toBe('24.0.7');
    expect(versionFrom(undefined)).toBeUndefined();
  });

  it('tells the runtime by served socket first, then active unit, then installed binary', () => {
    const served = parseNodeFacts('bin.containerd=1\nbin.crio=1\nsock=/var/run/crio/crio.sock\nver.crio=version 1.29.9\n');
    expect(served.runtime).toEqual({ name: 'crio', version: '1.29.9', socket: '/var/run/crio/crio.sock' });
    const active = parseNodeFacts('bin.containerd=1\nbin.crio=1\nactive.containerd=inactive\nactive.crio=active\n');
    expect(active.runtime.name).toBe('crio');
    // A docker client alone is not a runtime; an installed containerd wins over an idle dockerd.
    const installed = parseNodeFacts('bin.containerd=1\nbin.dockerd=1\nver.containerd=containerd x 1.4.13 y\n');
    expect(installed.runtime).toEqual({ name: 'containerd', version: '1.4.13', socket: undefined });
    expect(parseNodeFacts('').runtime.name).toBe('none');
  });

  it('reads os, kubelet and package manager', () => {
    const f = parseNodeFacts(
      'hostname=node-1\nos.id=debian\nos.versionId=12\npkg=apt-get\nbin.kubelet=1\nver.kubelet=Kubernetes v1.27.16\nactive.kubelet=active\nbin.kubectl=1\n',
    );
    expect(f.hostname).toBe('node-1');
    expect(f.os).toMatchObject({ id: 'debian', versionId: '12' });
    expect(f.pkg.manager).toBe('apt');
    expect(f.kubelet).toEqual({ installed: true, version: '1.27.16', active: true });
    expect(f.kubectl.installed).toBe(true);
    expect(f.crictl.installed).toBe(false);
  });
});
