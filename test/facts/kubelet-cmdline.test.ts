/**
 * kubelet's effective command line from real-world unit layouts: the pkgs.k8s.io packages' unit
 * with kubeadm's drop-in (deb: /etc/default/kubelet; rpm: /etc/sysconfig/kubelet), a kubespray
 * unit with its kubelet.env, and a site drop-in that overrides a variable.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assembleKubeletCommandLine, parseEnvironmentFile, splitWords } from '../../src/facts/kubelet-cmdline.js';

const sample = (name: string) => readFileSync(new URL(`./samples/${name}`, import.meta.url), 'utf8');
const UNIT = '/lib/systemd/system/kubelet.service';
const DROP_IN = '/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf';
const FLAGS_ENV = '/var/lib/kubelet/kubeadm-flags.env';

const files = (map: Record<string, string>) => (path: string) => map[path] ?? null;
const flagSources = (cl: ReturnType<typeof assembleKubeletCommandLine>) => cl.flags.map((f) => `${f.text} <- ${f.from}${f.variable ? ` $${f.variable}` : ''}`);

describe('kubelet command line as systemd assembles it', () => {
  it('deb: the unit, kubeadm\'s drop-in, kubeadm-flags.env and /etc/default/kubelet; /etc/sysconfig/kubelet is not read', () => {
    const cl = assembleKubeletCommandLine(
      [{ path: UNIT, content: sample('kubelet.service.pkgs-k8s-io') }, { path: DROP_IN, content: sample('10-kubeadm.conf.deb') }],
      files({ [FLAGS_ENV]: sample('kubeadm-flags.env.1.26'), '/etc/default/kubelet': sample('default-kubelet'), '/etc/sysconfig/kubelet': sample('sysconfig-kubelet') }),
    );
    expect(cl.execStartFrom).toBe(DROP_IN);
    expect(cl.program).toBe('/usr/bin/kubelet');
    expect(cl.environmentFiles).toEqual([FLAGS_ENV, '/etc/default/kubelet']);
    expect(flagSources(cl)).toEqual([
      `--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf <- ${DROP_IN} $KUBELET_KUBECONFIG_ARGS`,
      `--kubeconfig=/etc/kubernetes/kubelet.conf <- ${DROP_IN} $KUBELET_KUBECONFIG_ARGS`,
      `--config=/var/lib/kubelet/config.yaml <- ${DROP_IN} $KUBELET_CONFIG_ARGS`,
      `--container-runtime=remote <- ${FLAGS_ENV} $KUBELET_KUBEADM_ARGS`,
      `--container-runtime-endpoint=unix:///run/containerd/containerd.sock <- ${FLAGS_ENV} $KUBELET_KUBEADM_ARGS`,
      `--pod-infra-container-image=registry.k8s.io/pause:3.9 <- ${FLAGS_ENV} $KUBELET_KUBEADM_ARGS`,
      `--pod-infra-container-image=registry.k8s.io/pause:3.9 <- /etc/default/kubelet $KUBELET_EXTRA_ARGS`,
    ]);
    expect(cl.flags.find((f) => f.name === '--container-runtime')?.value).toBe('remote');
  });

  it('rpm: /etc/sysconfig/kubelet is read, a space-separated value is the flag\'s; a missing kubeadm-flags.env is fine', () => {
    const cl = assembleKubeletCommandLine(
      [{ path: '/usr/lib/systemd/system/kubelet.service', content: sample('kubelet.service.pkgs-k8s-io') }, { path: DROP_IN, content: sample('10-kubeadm.conf.rpm') }],
      files({ '/etc/sysconfig/kubelet': sample('sysconfig-kubelet'), '/etc/default/kubelet': sample('default-kubelet') }),
    );
    expect(cl.missingEnvironmentFiles).toEqual([FLAGS_ENV]);
    expect(cl.flags.filter((f) => f.from === '/etc/sysconfig/kubelet').map((f) => [f.name, f.value, f.text])).toEqual([
      ['--container-runtime', 'remote', '--container-runtime remote'],
      ['--runtime-request-timeout', '15m', '--runtime-request-timeout 15m'],
    ]);
    expect(cl.flags.some((f) => f.from === '/etc/default/kubelet')).toBe(false);
  });

  it('kubespray: a distribution unit with its own env file, continued lines, and no drop-in', () => {
    const unit = '/etc/systemd/system/kubelet.service';
    const cl = assembleKubeletCommandLine([{ path: unit, content: sample('kubelet.service.kubespray') }], files({ '/etc/kubernetes/kubelet.env': sample('kubelet.env.kubespray') }));
    expect(cl.program).toBe('/usr/local/bin/kubelet');
    expect(cl.flags.map((f) => f.name)).toEqual([
      '--logtostderr',
      '--v',
      '--node-ip',
      '--hostname-override',
      '--bootstrap-kubeconfig',
      '--config',
      '--kubeconfig',
      '--container-runtime',
      '--container-runtime-endpoint',
      '--runtime-cgroups',
      '--network-plugin',
      '--cni-conf-dir',
      '--cni-bin-dir',
      '--cloud-provider',
    ]);
    expect(cl.flags.every((f) => f.from === '/etc/kubernetes/kubelet.env')).toBe(true);
    expect(cl.flags.find((f) => f.name === '--cloud-provider')).toMatchObject({ value: 'aws', variable: 'KUBELET_CLOUDPROVIDER' });
  });

  it('a site drop-in: Environment= of a later drop-in wins over an earlier one, an environment file wins over Environment=', () => {
    const site = '/etc/systemd/system/kubelet.service.d/20-extra.conf';
    const cl = assembleKubeletCommandLine(
      [
        { path: UNIT, content: sample('kubelet.service.pkgs-k8s-io') },
        { path: DROP_IN, content: sample('10-kubeadm.conf.deb') },
        { path: site, content: '[Service]\nEnvironment="KUBELET_CONFIG_ARGS=--config=/etc/site.yaml" "KUBELET_EXTRA_ARGS=--container-runtime remote"\n' },
      ],
      files({ '/etc/default/kubelet': 'KUBELET_EXTRA_ARGS="--max-pods=200"\n' }),
    );
    expect(flagSources(cl).slice(2)).toEqual([`--config=/etc/site.yaml <- ${site} $KUBELET_CONFIG_ARGS`, '--max-pods=200 <- /etc/default/kubelet $KUBELET_EXTRA_ARGS']);
  });

  it('an ExecStart= without a reset in a later drop-in does not replace the earlier one; a reset and a new one does', () => {
    const a = { path: UNIT, content: '[Service]\nExecStart=/usr/bin/kubelet --a\n' };
    const b = { path: '/etc/systemd/system/kubelet.service.d/b.conf', content: '[Service]\nExecStart=\nExecStart=-/opt/kubelet --b=1\n' };
    const cl = assembleKubeletCommandLine([a, b], files({}));
    expect(cl).toMatchObject({ execStartFrom: b.path, program: '/opt/kubelet' });
    expect(cl.flags.map((f) => f.text)).toEqual(['--b=1']);
    expect(assembleKubeletCommandLine([{ path: UNIT, content: '[Unit]\nDescription=x\n' }], files({})).execStartFrom).toBeUndefined();
  });

  it('parses environment files and words as systemd does', () => {
    expect([...parseEnvironmentFile('# c\n; c\nA=1\nB="two words"\nC=\'q\'\nD="x\\\n y"\n bad line\n')]).toEqual([
      ['A', '1'],
      ['B', 'two words'],
      ['C', 'q'],
      ['D', 'x  y'],
    ]);
    expect(splitWords(`a "b c" 'd e' f\\ g`)).toEqual(['a', 'b c', 'd e', 'f g']);
  });
});
