/** The node probe's sections, parsed: kubelet units in systemd's order, runtime config, packages. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseNodeFacts } from '../../src/facts/node.js';
import { NODE_PROBE_SCRIPT, parseProbeOutput } from '../../src/facts/node-probe.js';
import { parseAptPolicies, parsePackageVersions } from '../../src/facts/packages.js';
import { probeOutput } from './probe-output.js';

const sample = (name: string) => readFileSync(new URL(`./samples/${name}`, import.meta.url), 'utf8');

describe('node probe', () => {
  it('frames files in base64, so any byte survives, and keeps repeated lines', () => {
    const out = parseProbeOutput(probeOutput({ sock: ['/a.sock', '/b.sock'] }, [{ kind: 'env', path: '/x', content: 'A="1\t2"\nB=\\\n' }, { kind: 'env', path: '/y', content: null }]));
    expect(out.values.get('sock')).toEqual(['/a.sock', '/b.sock']);
    expect(out.files).toEqual([{ kind: 'env', path: '/x', content: 'A="1\t2"\nB=\\\n' }, { kind: 'env', path: '/y', content: null }]);
    expect(NODE_PROBE_SCRIPT).not.toMatch(/\$\{(?!\w)/); // shell parameter expansion only where meant
  });

  it('kubelet: the first unit file in the search path, drop-ins by name with /etc hiding a packaged one of the same name', () => {
    const facts = parseNodeFacts(
      probeOutput({ 'bin.kubelet': '1' }, [
        { kind: 'unit', path: '/etc/systemd/system/kubelet.service', content: '[Service]\nExecStart=/opt/kubelet --from-etc\n' },
        { kind: 'unit', path: '/lib/systemd/system/kubelet.service', content: sample('kubelet.service.pkgs-k8s-io') },
        { kind: 'dropin', path: '/etc/systemd/system/kubelet.service.d/10-kubeadm.conf', content: '[Service]\nEnvironment="KUBELET_EXTRA_ARGS=--site"\n' },
        { kind: 'dropin', path: '/etc/systemd/system/kubelet.service.d/05-first.conf', content: '[Service]\nExecStart=\nExecStart=/opt/kubelet $KUBELET_EXTRA_ARGS\n' },
        { kind: 'dropin', path: '/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf', content: sample('10-kubeadm.conf.deb') },
        { kind: 'env', path: '/etc/default/kubelet', content: null },
      ]),
    );
    expect(facts.kubelet.commandLine?.execStartFrom).toBe('/etc/systemd/system/kubelet.service.d/05-first.conf');
    expect(facts.kubelet.flags).toEqual(['--site']);
  });

  it('runtime config: containerd config version, CRI-O merged in CRI-O\'s order, runtimes with containers', () => {
    const facts = parseNodeFacts(
      probeOutput({ 'bin.crio': '1', 'oci.runc': '3', 'oci.crun': '0' }, [
        { kind: 'containerd-config', path: '/etc/containerd/config.toml', content: null },
        { kind: 'crio-config', path: '/etc/crio/crio.conf', content: '[crio.runtime]\ndefault_runtime = "runc"\n' },
        { kind: 'crio-config', path: '/etc/crio/crio.conf.d/zz-site.conf', content: '[crio.runtime]\ndefault_runtime = "crun"\n' },
        { kind: 'crio-config', path: '/etc/crio/crio.conf.d/10-crio.conf', content: '[crio.runtime]\ndefault_runtime = "runc"\n' },
      ]),
    );
    expect(facts.containerd).toMatchObject({ config: null, configVersion: 1 });
    expect(facts.crio.config?.files.map((f) => f.path)).toEqual(['/etc/crio/crio.conf', '/etc/crio/crio.conf.d/10-crio.conf', '/etc/crio/crio.conf.d/zz-site.conf']);
    expect(facts.crio).toMatchObject({ defaultRuntime: 'crun', runningRuntimes: ['runc'] });
    expect(facts.crio.config?.setBy).toBe('/etc/crio/crio.conf.d/zz-site.conf');
  });

  it('packages: apt-cache policy of several packages (Debian 12, the fleet\'s repository); rpm and dnf', () => {
    const debian = parseAptPolicies(sample('apt-policy-debian12.txt'));
    expect(debian.get('containerd')).toEqual({ installed: '1.6.20~ds1-1+deb12u3', candidate: '1.6.20~ds1-1+deb12u3', available: ['1.6.20~ds1-1+deb12u3', '1.6.20~ds1-1+deb12u2'] });
    expect(debian.get('runc')?.installed).toBe('1.1.5+ds1-1+deb12u1');
    expect(debian.has('nonexistent-pkg')).toBe(false);
    const fleet = parsePackageVersions([{ kind: 'apt-policy', path: '-', content: sample('apt-policy-fleet.txt') }]);
    expect(fleet?.['cri-o']).toEqual({ installed: '1.29.9-1', candidate: '1.30.6-1', available: ['1.30.6-1', '1.29.9-1'] });
    expect(fleet?.containerd).toEqual({ installed: undefined, candidate: '1.6.20~ds1-1+deb12u3', available: ['1.6.20~ds1-1+deb12u3'] });
    expect(fleet?.kubeadm).toEqual({ installed: undefined, candidate: undefined, available: [] });
    const rpm = parsePackageVersions([
      { kind: 'rpm-query', path: '-', content: 'kubelet (none):1.29.3-150500.1.1\ncri-o (none):1.29.2-150500.1.1\npackage kubeadm is not installed\n' },
      { kind: 'dnf-list', path: '-', content: 'Installed Packages\nkubelet.x86_64  1.29.3-150500.1.1  @kubernetes\nAvailable Packages\nkubelet.x86_64  1.29.3-150500.1.1  kubernetes\nkubelet.x86_64  1.29.6-150500.1.1  kubernetes\ncri-o.x86_64 1.29.2-150500.1.1 cri-o\n' },
    ]);
    expect(rpm?.kubelet).toEqual({ installed: '1.29.3-150500.1.1', candidate: '1.29.6-150500.1.1', available: ['1.29.3-150500.1.1', '1.29.6-150500.1.1'] });
    expect(rpm?.['cri-o']).toEqual({ installed: '1.29.2-150500.1.1', candidate: '1.29.2-150500.1.1', available: ['1.29.2-150500.1.1'] });
  });
});
