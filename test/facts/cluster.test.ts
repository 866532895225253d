/** Cluster facts from kubectl's JSON, and the local kind version. */
import { describe, expect, it } from 'vitest';
import { parseClusterNodes, parseClusterProbe, parseKruiseVersion, parseServerVersion } from '../../src/facts/cluster.js';
import { parseKindVersion } from '../../src/facts/local.js';

const VERSION = JSON.stringify({
  clientVersion: { major: '1', minor: '27', gitVersion: 'v1.27.16', platform: 'linux/amd64' },
  kustomizeVersion: 'v5.0.1',
  serverVersion: { major: '1', minor: '27', gitVersion: 'v1.27.16+k3s1', platform: 'linux/amd64' },
});
const NODES = JSON.stringify({
  apiVersion: 'v1',
  kind: 'List',
  items: [
    { metadata: { name: 'cp-1' }, spec: {}, status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { kubeletVersion: 'v1.27.16', containerRuntimeVersion: 'containerd://1.7.24' } } },
    { metadata: { name: 'node-1' }, spec: { unschedulable: true }, status: { conditions: [{ type: 'Ready', status: 'False' }], nodeInfo: { kubeletVersion: 'v1.26.15', containerRuntimeVersion: 'cri-o://1.29.9' } } },
  ],
});
const DAEMONSETS = JSON.stringify({
  items: [
    { metadata: { name: 'kube-proxy', namespace: 'kube-system' }, spec: { template: { spec: { containers: [{ image: 'registry.k8s.io/kube-proxy:v1.27.16' }] } } } },
    { metadata: { name: 'kruise-daemon', namespace: 'kruise-system' }, spec: { template: { spec: { containers: [{ name: 'daemon', image: 'openkruise/kruise-manager:v1.7.2@sha256:abcd' }] } } } },
  ],
});

const frame = (kind: string, code: number, text: string) => `file\t${kind}\t${code}\t${Buffer.from(text).toString('base64')}\n`;

describe('cluster facts', () => {
  it('reads the server version, the nodes as the API server has them, and OpenKruise from its daemon image', () => {
    expect(parseServerVersion(VERSION)).toBe('1.27.16+k3s1');
    expect(parseClusterNodes(NODES)).toEqual([
      { name: 'cp-1', kubeletVersion: '1.27.16', containerRuntimeVersion: 'containerd://1.7.24', ready: true, unschedulable: false },
      { name: 'node-1', kubeletVersion: '1.26.15', containerRuntimeVersion: 'cri-o://1.29.9', ready: false, unschedulable: true },
    ]);
    expect(parseKruiseVersion(DAEMONSETS)).toBe('1.7.2');
    expect(parseKruiseVersion(JSON.stringify({ items: [] }))).toBeUndefined();
    expect(parseServerVersion('not json')).toBeUndefined();
  });

  it('a kubectl that cannot answer is an error with its last line, not a version', () => {
    const facts = parseClusterProbe('cp-1', frame('version', 1, '{\n  "clientVersion": {}\n}\nThe connection to the server localhost:8080 was refused - did you specify the right host or port?\n') + frame('nodes', 0, NODES) + frame('daemonsets', 0, DAEMONSETS));
    expect(facts.serverVersion).toBeUndefined();
    expect(facts.errors).toEqual(['kubectl version on cp-1 exited 1: The connection to the server localhost:8080 was refused - did you specify the right host or port?']);
    expect(facts.nodes).toHaveLength(2);
    expect(facts.kruiseVersion).toBe('1.7.2');
  });

  it('reads kind\'s version line', () => {
    expect(parseKindVersion('kind v0.26.0 go1.23.4 linux/amd64\n')).toBe('0.26.0');
    expect(parseKindVersion('kind v0.27.0-alpha+abc go1.24 linux/arm64')).toBe('0.27.0-alpha+abc');
    expect(parseKindVersion('')).toBeUndefined();
  });
});
