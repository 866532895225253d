/** Every doctor rule, in memory: typed facts in, exact findings out. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ClusterFacts } from '../../src/facts/cluster.js';
import { parseNodeFacts, type NodeFacts } from '../../src/facts/node.js';
import type { DiagnosedNode, DoctorInputs } from '../../src/kb/findings.js';
import { CLUSTER_RULES, NODE_RULES } from '../../src/kb/rules/index.js';
import { containerdUpgradeVersion } from '../../src/kb/rules/cri.js';
import { probeOutput } from '../facts/probe-output.js';

const sample = (name: string) => readFileSync(new URL(`../facts/samples/${name}`, import.meta.url), 'utf8');

type Files = NonNullable<Parameters<typeof probeOutput>[1]>;

function facts(values: Record<string, string | string[]>, files: Files = [], extra: Partial<NodeFacts> = {}): NodeFacts {
  return { ...parseNodeFacts(probeOutput(values, files)), ...extra };
}

const CONTAINERD_14 = { 'bin.containerd': '1', 'ver.containerd': 'containerd github.com/containerd/containerd v1.4.13 x', 'active.containerd': 'active', sock: '/run/containerd/containerd.sock' };
const KUBELET = (v: string) => ({ 'bin.kubelet': '1', 'ver.kubelet': `Kubernetes v${v}`, 'active.kubelet': 'active' });
const cri = (v1: boolean | undefined, v1alpha2: boolean | undefined) => ({ cri: { socket: '/run/containerd/containerd.sock', v1, v1alpha2, runtimeName: 'containerd', runtimeVersion: 'v1.4.13', error: undefined } });
const cluster = (over: Partial<ClusterFacts> = {}): ClusterFacts => ({ via: 'cp-1', serverVersion: '1.27.16', nodes: [], kruiseVersion: undefined, errors: [], ...over });

function inputs(nodes: Array<[string, NodeFacts]>, over: Partial<DoctorInputs> = {}): DoctorInputs {
  return { target: undefined, cluster: undefined, local: { kindVersion: undefined }, nodes: nodes.map(([host, f]): DiagnosedNode => ({ host, facts: f, clusterNode: undefined })), ...over };
}

/** Rule ids found on the one node of `i`. */
function onNode(i: DoctorInputs): string[] {
  const node = i.nodes[0] as DiagnosedNode;
  return NODE_RULES.flatMap((r) => r.check(node, i)).map((f) => f.rule);
}
const findingsOf = (i: DoctorInputs) => NODE_RULES.flatMap((r) => r.check(i.nodes[0] as DiagnosedNode, i));
const onCluster = (i: DoctorInputs) => CLUSTER_RULES.flatMap((r) => r.check(i)).map((f) => f.rule);

describe('cri-v1-missing', () => {
  const old = facts({ ...CONTAINERD_14, ...KUBELET('1.23.17') }, [], cri(false, true));

  it('a v1alpha2-only containerd is fine for kubelet 1.23 alone, not under OpenKruise 1.7 or a 1.26 target', () => {
    expect(onNode(inputs([['n', old]]))).toEqual([]);
    expect(onNode(inputs([['n', old]], { cluster: cluster({ kruiseVersion: '1.7.2' }) }))).toEqual(['cri-v1-missing']);
    expect(onNode(inputs([['n', old]], { target: '1.26.0' }))).toEqual(['cri-v1-missing']);
    expect(onNode(inputs([['n', old]], { cluster: cluster({ kruiseVersion: '1.5.3' }) }))).toEqual([]);
  });

  it('kubelet 1.26 on it is broken now; a runtime that answers v1 is fine', () => {
    const f = facts({ ...CONTAINERD_14, ...KUBELET('1.26.15') }, [], cri(false, true));
    const [finding] = findingsOf(inputs([['n', f]]));
    expect(finding).toMatchObject({ rule: 'cri-v1-missing', severity: 'error', fix: { playbook: 'containerd-cri-v1' } });
    expect(finding?.title).toBe('containerd 1.4.13 does not answer CRI v1, which kubelet 1.26.15 needs');
    expect(finding?.sources).toContain('kubernetes/kubernetes#110618: kubelet 1.26 dropped CRI v1alpha2');
    expect(onNode(inputs([['n', facts({ ...CONTAINERD_14, ...KUBELET('1.26.15') }, [], cri(true, true))]]))).toEqual([]);
  });

  it('without a live answer, containerd 1.5 counts as v1alpha2-only by its release (containerd#7863)', () => {
    const f = facts({ ...CONTAINERD_14, 'ver.containerd': 'containerd github.com/containerd/containerd v1.5.18 x', ...KUBELET('1.26.15') }, [], cri(undefined, undefined));
    expect(findingsOf(inputs([['n', f]]))[0]?.detail).toContain("nothing answered on its socket; by containerd 1.5.18's release");
  });

  it('a disabled CRI plugin is said so, with no playbook that upgrades (the version is not the problem)', () => {
    const f = facts({ ...CONTAINERD_14, ...KUBELET('1.26.15') }, [{ kind: 'containerd-config', path: '/etc/containerd/config.toml', content: 'version = 2\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n' }], cri(false, false));
    const [finding] = findingsOf(inputs([['n', f]]));
    expect(finding?.fix.playbook).toBeUndefined();
    expect(finding?.fix.advice).toContain('remove io.containerd.grpc.v1.cri from disabled_plugins');
  });

  it('upgrades to the newest 1.6/1.7 the repositories offer, never to 2.x in one go', () => {
    const f = facts(CONTAINERD_14, [{ kind: 'apt-policy', path: '-', content: 'containerd:\n  Installed: 1.4.13-1\n  Candidate: 2.0.5-1\n  Version table:\n     2.0.5-1 500\n        500 file:/r ./ Packages\n     1.7.24-1 500\n        500 file:/r ./ Packages\n     1.6.20-1 500\n        500 file:/r ./ Packages\n *** 1.4.13-1 100\n        100 /var/lib/dpkg/status\n' }]);
    expect(containerdUpgradeVersion({ host: 'n', facts: f, clusterNode: undefined })).toBe('1.7.24-1');
  });
});

describe('kruise-needs-v1alpha2', () => {
  it('OpenKruise 1.4 on a v1-only runtime; not 1.5, not on a runtime that serves both', () => {
    const only = facts({ ...CONTAINERD_14, 'ver.containerd': 'containerd x v2.0.5 y' }, [], cri(true, false));
    expect(onNode(inputs([['n', only]], { cluster: cluster({ kruiseVersion: '1.4.0' }) }))).toEqual(['kruise-needs-v1alpha2']);
    expect(onNode(inputs([['n', only]], { cluster: cluster({ kruiseVersion: '1.5.1' }) }))).toEqual([]);
    expect(onNode(inputs([['n', facts(CONTAINERD_14, [], cri(true, true))]], { cluster: cluster({ kruiseVersion: '1.4.0' }) }))).toEqual([]);
  });
});

describe('kubelet-removed-flags', () => {
  const kubeadm = (flagsEnv: string, extra: Files = []) =>
    facts(KUBELET('1.26.15'), [
      { kind: 'unit', path: '/lib/systemd/system/kubelet.service', content: sample('kubelet.service.pkgs-k8s-io') },
      { kind: 'dropin', path: '/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf', content: sample('10-kubeadm.conf.deb') },
      { kind: 'env', path: '/var/lib/kubelet/kubeadm-flags.env', content: flagsEnv },
      ...extra,
    ]);

  it('a flag the target removed, with its file; --container-runtime-endpoint is never --container-runtime', () => {
    const f = kubeadm(sample('kubeadm-flags.env.1.26'));
    expect(onNode(inputs([['n', f]]))).toEqual([]); // checked against the installed 1.26: fine
    const [finding] = findingsOf(inputs([['n', f]], { target: '1.27.16' }));
    expect(finding).toMatchObject({ rule: 'kubelet-removed-flags', fix: { playbook: 'kubelet-removed-flags', vars: { target_version: '1.27.16' } } });
    expect(finding?.title).toBe("kubelet's command line has a flag that the target 1.27.16 refuses: --container-runtime");
    const endpointOnly = kubeadm('KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///run/containerd/containerd.sock"\n');
    expect(onNode(inputs([['n', endpointOnly]], { target: '1.27.16' }))).toEqual([]);
  });

  it('--pod-infra-container-image only at 1.35; KUBELET_EXTRA_ARGS, which kubeadm never cleans, is said so', () => {
    const f = kubeadm('KUBELET_KUBEADM_ARGS=""\n', [{ kind: 'env', path: '/etc/default/kubelet', content: sample('default-kubelet') }]);
    expect(onNode(inputs([['n', f]], { target: '1.34.2' }))).toEqual([]);
    const [finding] = findingsOf(inputs([['n', f]], { target: '1.35.0' }));
    expect(finding?.detail).toContain('`--pod-infra-container-image=registry.k8s.io/pause:3.9` in /etc/default/kubelet ($KUBELET_EXTRA_ARGS), removed in 1.35');
    expect(finding?.detail).toContain('kubeadm upgrade removes flags only from /var/lib/kubelet/kubeadm-flags.env');
  });

  it('--cloud-provider with an in-tree provider is refused from 1.31; external is fine', () => {
    const f = (v: string) => kubeadm(`KUBELET_KUBEADM_ARGS="--cloud-provider=${v}"\n`);
    expect(onNode(inputs([['n', f('aws')]], { target: '1.31.0' }))).toEqual(['kubelet-flag-value-removed']);
    expect(onNode(inputs([['n', f('external')]], { target: '1.31.0' }))).toEqual([]);
    expect(onNode(inputs([['n', f('aws')]], { target: '1.30.9' }))).toEqual([]);
  });
});

describe('CRI-O rules', () => {
  const crio = (files: Files, values: Record<string, string> = {}) =>
    facts({ 'bin.crio': '1', 'ver.crio': 'Version: 1.29.9', sock: '/var/run/crio/crio.sock', ...values }, [{ kind: 'containerd-config', path: '/etc/containerd/config.toml', content: null }, ...files]);
  const POLICY = (installed: string, candidate: string) => ({ kind: 'apt-policy', path: '-', content: `cri-o:\n  Installed: ${installed}\n  Candidate: ${candidate}\n  Version table:\n` });

  it('the merged default differs from the runtime the containers run under', () => {
    const f = crio([{ kind: 'crio-config', path: '/etc/crio/crio.conf.d/10-crio.conf', content: '[crio.runtime]\ndefault_runtime = "crun"\n' }], { 'oci.runc': '4' });
    const [finding] = findingsOf(inputs([['n', f]]));
    expect(finding).toMatchObject({ rule: 'crio-runtime-mismatch', fix: { playbook: 'crio-pin-runtime', vars: { runtime: 'runc' } } });
    expect(onNode(inputs([['n', crio([{ kind: 'crio-config', path: '/etc/crio/crio.conf', content: '[crio.runtime]\ndefault_runtime = "runc"\n' }], { 'oci.runc': '4' })]]))).toEqual([]);
  });

  it('an upgrade to 1.28 or later whose packaged drop-in would switch to crun; not with a pin after it, not when nothing is newer', () => {
    const conf = { kind: 'crio-config', path: '/etc/crio/crio.conf', content: '[crio.runtime]\ndefault_runtime = "runc"\n' };
    const ahead = crio([conf, POLICY('1.29.9-1', '1.30.6-1')], { 'oci.runc': '2' });
    const [finding] = findingsOf(inputs([['n', ahead]]));
    expect(finding).toMatchObject({ rule: 'crio-upgrade-switches-runtime', fix: { vars: { crio_version: '1.30.6-1', crio_target: '1.30.6', runtime: 'runc' } } });
    const pinned = crio([conf, { kind: 'crio-config', path: '/etc/crio/crio.conf.d/99-slipway-default-runtime.conf', content: '[crio.runtime]\ndefault_runtime = "runc"\n' }, POLICY('1.29.9-1', '1.30.6-1')]);
    expect(onNode(inputs([['n', pinned]]))).toEqual([]);
    expect(onNode(inputs([['n', crio([conf, POLICY('1.27.1-1', '1.27.3-1')])]]))).toEqual([]);
    expect(onNode(inputs([['n', crio([conf, POLICY('1.30.6-1', '1.30.6-1')])]]))).toEqual([]);
  });
});

describe('cri-dockerd rules', () => {
  const docker = { 'bin.dockerd': '1', 'ver.dockerd': 'Docker version 24.0.7, build afdd53b', 'active.docker': 'active', sock: '/var/run/docker.sock' };
  it('Docker Engine on kubelet 1.24+ needs cri-dockerd; before 1.24, or with it, nothing', () => {
    expect(onNode(inputs([['n', facts({ ...docker, ...KUBELET('1.26.15') })]]))).toEqual(['cri-dockerd-missing']);
    expect(onNode(inputs([['n', facts({ ...docker, ...KUBELET('1.23.17') })]]))).toEqual([]);
    expect(onNode(inputs([['n', facts({ ...docker, ...KUBELET('1.23.17') })]], { target: '1.24.0' }))).toEqual(['cri-dockerd-missing']);
    expect(onNode(inputs([['n', facts({ ...docker, ...KUBELET('1.26.15'), 'bin.cri-dockerd': '1' })]]))).toEqual([]);
  });
  it('cri-dockerd installed or enabled on a containerd node: a warning', () => {
    expect(findingsOf(inputs([['n', facts({ ...CONTAINERD_14, 'bin.cri-dockerd': '1' })]]))[0]).toMatchObject({ rule: 'cri-dockerd-stray', severity: 'warning' });
    expect(onNode(inputs([['n', facts({ ...CONTAINERD_14, 'enabled.cri-docker.socket': 'enabled' })]]))).toEqual(['cri-dockerd-stray']);
    expect(onNode(inputs([['n', facts(CONTAINERD_14)]]))).toEqual([]);
  });
});

describe('containerd-2-config', () => {
  const legacy = { kind: 'containerd-config', path: '/etc/containerd/config.toml', content: sample('containerd-1.4-legacy.toml') };
  const policy = (candidate: string) => ({ kind: 'apt-policy', path: '-', content: `containerd:\n  Installed: 1.6.20-1\n  Candidate: ${candidate}\n  Version table:\n` });
  const v16 = { ...CONTAINERD_14, 'ver.containerd': 'containerd x 1.6.20 y' };
  it('1.x settings with 2.0 as the candidate: an error (a removed shim), with the v3 rollback hazard', () => {
    const [finding] = findingsOf(inputs([['n', facts(v16, [legacy, policy('2.0.5-1')])]]));
    expect(finding).toMatchObject({ rule: 'containerd-2-config', severity: 'error' });
    expect(finding?.detail).toContain('containerd 1.x cannot read version 3');
  });
  it('nothing when 2.0 is not ahead or the config is clean; running 2.x with 1.x settings is said so', () => {
    expect(onNode(inputs([['n', facts(v16, [legacy, policy('1.7.24-1')])]]))).toEqual([]);
    expect(onNode(inputs([['n', facts(v16, [{ ...legacy, content: sample('containerd-1.6-default.toml') }, policy('2.0.5-1')])]]))).toEqual([]);
    const running2 = facts({ ...CONTAINERD_14, 'ver.containerd': 'containerd x v2.0.5 y' }, [legacy]);
    expect(findingsOf(inputs([['n', running2]]))[0]?.title).toBe('containerd 2.0.5 ignores or refuses 3 setting(s) of its config.toml');
  });
});

describe('cluster rules', () => {
  const n = (v: string) => facts(KUBELET(v));
  it('version skew: a kubelet newer than the API server, one too old (three minors from 1.28, two before)', () => {
    expect(onCluster(inputs([['a', n('1.28.3')]], { cluster: cluster({ serverVersion: '1.27.16' }) }))).toEqual(['kubelet-newer-than-apiserver']);
    expect(onCluster(inputs([['a', n('1.25.0')]], { cluster: cluster({ serverVersion: '1.28.0' }) }))).toEqual([]);
    expect(onCluster(inputs([['a', n('1.24.0')]], { cluster: cluster({ serverVersion: '1.28.0' }) }))).toEqual(['kubelet-too-old']);
    expect(onCluster(inputs([['a', n('1.24.0')]], { cluster: cluster({ serverVersion: '1.27.0' }) }))).toEqual(['kubelet-too-old']);
    expect(onCluster(inputs([['a', n('1.25.0')]], { cluster: cluster({ serverVersion: '1.27.0' }) }))).toEqual([]);
  });
  it('a target that skips a minor, or goes back', () => {
    expect(onCluster(inputs([], { cluster: cluster({ serverVersion: '1.26.15' }), target: '1.27.16' }))).toEqual([]);
    expect(onCluster(inputs([], { cluster: cluster({ serverVersion: '1.26.15' }), target: '1.28.0' }))).toEqual(['target-skips-minor']);
    expect(onCluster(inputs([], { cluster: cluster({ serverVersion: '1.27.16' }), target: '1.26.0' }))).toEqual(['target-older-than-cluster']);
  });
  it('kind older than 0.27 with a containerd 2.x node (from the API server or the node itself)', () => {
    const k = (kindVersion: string | undefined) => ({ local: { kindVersion } });
    const apiNodes = cluster({ serverVersion: '1.32.1', nodes: [{ name: 'kind-worker', kubeletVersion: '1.32.1', containerRuntimeVersion: 'containerd://2.0.2', ready: true, unschedulable: false }] });
    expect(onCluster(inputs([], { cluster: apiNodes, ...k('0.26.0') }))).toEqual(['kind-too-old-for-containerd-2']);
    expect(onCluster(inputs([], { cluster: apiNodes, ...k('0.27.0') }))).toEqual([]);
    expect(onCluster(inputs([], { cluster: apiNodes, ...k(undefined) }))).toEqual([]);
    expect(onCluster(inputs([['n', facts({ ...CONTAINERD_14, 'ver.containerd': 'containerd x v2.0.5 y' })]], k('0.25.0')))).toEqual(['kind-too-old-for-containerd-2']);
  });
});
