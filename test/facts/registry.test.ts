/** The fact registry and the facts the probes produce cannot drift apart. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { criFactsFromProbe } from '../../src/facts/cri.js';
import { parseNodeFacts, type NodeFacts } from '../../src/facts/node.js';
import { FACTS, factSpec, probesFor } from '../../src/facts/registry.js';
import { readPath } from '../../src/playbook/condition.js';
import { probeOutput } from './probe-output.js';

const sample = (name: string) => readFileSync(new URL(`./samples/${name}`, import.meta.url), 'utf8');

/** A node with everything installed, every section of the probe asked for. */
const FULL = probeOutput(
  {
    hostname: 'node-1',
    'os.id': 'debian',
    'os.versionId': '12',
    'os.prettyName': 'Debian GNU/Linux 12 (bookworm)',
    kernel: '6.1.0-18-amd64',
    arch: 'x86_64',
    pkg: 'apt-get',
    ...Object.fromEntries(['kubelet', 'containerd', 'crio', 'dockerd', 'crictl', 'kubectl', 'cri-dockerd'].map((b) => [`bin.${b}`, '1'])),
    'ver.kubelet': 'Kubernetes v1.26.15',
    'ver.containerd': 'containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u3',
    'ver.crio': 'Version:        1.29.9',
    'ver.dockerd': 'Docker version 24.0.7, build afdd53b',
    ...Object.fromEntries(['kubelet', 'containerd', 'crio', 'docker', 'cri-docker'].map((u) => [`active.${u}`, 'active'])),
    'enabled.cri-docker.service': 'enabled',
    sock: '/run/containerd/containerd.sock',
    'oci.runc': '2',
    'oci.crun': '0',
  },
  [
    { kind: 'unit', path: '/lib/systemd/system/kubelet.service', content: sample('kubelet.service.pkgs-k8s-io') },
    { kind: 'dropin', path: '/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf', content: sample('10-kubeadm.conf.deb') },
    { kind: 'env', path: '/var/lib/kubelet/kubeadm-flags.env', content: sample('kubeadm-flags.env.1.26') },
    { kind: 'env', path: '/etc/default/kubelet', content: null },
    { kind: 'containerd-config', path: '/etc/containerd/config.toml', content: sample('containerd-1.6-default.toml') },
    { kind: 'crio-config', path: '/etc/crio/crio.conf', content: '[crio.runtime]\ndefault_runtime = "runc"\n' },
    { kind: 'apt-policy', path: '-', content: sample('apt-policy-fleet.txt') },
  ],
);

function leaves(value: unknown, prefix = ''): string[] {
  if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
    return Object.entries(value).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
  }
  return [prefix];
}

const answered = { api: 'v1', version: '0.1.0', runtimeName: 'containerd', runtimeVersion: 'v1.6.20', runtimeApiVersion: 'v1' } as const;

describe('fact registry', () => {
  const facts: NodeFacts = {
    ...parseNodeFacts(FULL),
    cri: criFactsFromProbe('/run/containerd/containerd.sock', { v1: answered, v1alpha2: { ...answered, api: 'v1alpha2', runtimeApiVersion: 'v1alpha2' } }),
  };

  it('every registered fact is read by its probe', () => {
    // Every name is a place the probes fill (a package the node does not know has no version there).
    for (const spec of FACTS) {
      const parent = readPath(facts, spec.name.split('.').slice(0, -1).join('.') || '.') ?? facts;
      expect(parent && typeof parent === 'object' && (spec.name.split('.').at(-1) as string) in parent, spec.name).toBe(true);
    }
    expect(readPath(facts, 'kubelet.flags')).toContain('--container-runtime');
    expect(readPath(facts, 'crio.runningRuntimes')).toEqual(['runc']);
    expect(readPath(facts, 'packages.kubelet.candidate')).toBe('1.27.16-1.1');
    expect(readPath(facts, 'containerd.configVersion')).toBe(2);
  });

  it('every fact the probes produce that a condition can test is registered, with a description', () => {
    // Structured facts the rules read whole (the command line, the parsed configs), not tested by when:.
    const internal = /^(cri\.(socket|runtimeName|runtimeVersion|error)|kubelet\.(commandLine|sources)\.|containerd\.config\.|crio\.config\.|packages\.[^.]+\.available$)/;
    for (const name of leaves(facts).filter((n) => !internal.test(n))) {
      expect(factSpec(name), name).toBeDefined();
      expect(factSpec(name)?.description.length, name).toBeGreaterThan(10);
    }
    expect(new Set(FACTS.map((f) => f.name)).size).toBe(FACTS.length);
  });

  it('values of enum facts are among the values the registry lists', () => {
    for (const spec of FACTS) {
      if (spec.type.kind === 'enum') expect(spec.type.values, spec.name).toContain(readPath(facts, spec.name));
      if (spec.type.kind === 'boolean') expect(typeof readPath(facts, spec.name), spec.name).toBe('boolean');
    }
  });

  it('says which probes a set of facts needs', () => {
    expect([...probesFor(['kubelet.version', 'runtime.name'])]).toEqual(['node']);
    expect([...probesFor(['cri.v1', 'hostname'])].sort()).toEqual(['cri', 'node']);
    expect([...probesFor(['no.such'])]).toEqual([]);
  });
});

describe('CRI facts from a Version probe of both APIs', () => {
  it('a runtime that answers both', () => {
    expect(criFactsFromProbe('/s', { v1: answered, v1alpha2: { ...answered, api: 'v1alpha2' } })).toEqual({
      socket: '/s',
      v1: true,
      v1alpha2: true,
      runtimeName: 'containerd',
      runtimeVersion: 'v1.6.20',
      error: undefined,
    });
  });

  it('a runtime that answers only v1alpha2 (UNIMPLEMENTED for v1): v1 is false, not unknown', () => {
    const old = { ...answered, api: 'v1alpha2' as const, runtimeVersion: 'v1.5.18', runtimeApiVersion: 'v1alpha2' };
    expect(criFactsFromProbe('/s', { v1: { error: 'unknown service runtime.v1.RuntimeService', unimplemented: true }, v1alpha2: old })).toMatchObject({
      v1: false,
      v1alpha2: true,
      runtimeVersion: 'v1.5.18',
    });
  });

  it('an answer that is not UNIMPLEMENTED (a deadline, an internal error) leaves the API unknown', () => {
    const f = criFactsFromProbe('/s', { v1: { error: 'deadline exceeded', unimplemented: false }, v1alpha2: { error: 'deadline exceeded', unimplemented: false } });
    expect(f).toMatchObject({ v1: undefined, v1alpha2: undefined, error: 'deadline exceeded' });
  });
});
