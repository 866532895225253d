import { describe, expect, it } from 'vitest';
import { parseNodeVersions, parseServerVersion } from '../../../src/facts/kubectl.js';
import { kubeVersionSkewStep, type KubeVersionSkewFacts } from '../../../src/steps/kube/version-skew.js';

const nodes = (...list: Array<[string, string, boolean]>) => list.map(([name, kubeletVersion, controlPlane]) => ({ name, kubeletVersion, controlPlane }));
const facts = (node: string, serverVersion: string, ...list: Array<[string, string, boolean]>): KubeVersionSkewFacts => ({ node, serverVersion, nodes: nodes(...list) });
const cluster: Array<[string, string, boolean]> = [['cp-1', 'v1.26.15', true], ['node-1', 'v1.26.15', false]];
const to = (version: string) => ({ version });

describe('kube.versionSkew', () => {
  it('passes one minor up; a worker waits while the API server is behind, a control-plane node does not', () => {
    expect(kubeVersionSkewStep.check(to('1.27.16'), facts('cp-1', 'v1.26.15', ...cluster))).toMatchObject({ status: 'ok' });
    expect(kubeVersionSkewStep.check(to('1.27.16'), facts('node-1', 'v1.26.15', ...cluster))).toMatchObject({ status: 'change', summary: expect.stringContaining('for the API server to reach v1.27 (now v1.26.15)') });
    expect(kubeVersionSkewStep.check(to('1.27.16'), facts('node-1', 'v1.27.16', ...cluster))).toMatchObject({ status: 'ok' });
  });

  it('refuses a skipped minor, a target older than the API server, and a kubelet that would outrun it', () => {
    expect(kubeVersionSkewStep.check(to('1.28.13'), facts('cp-1', 'v1.26.15', ...cluster))).toMatchObject({
      status: 'fail',
      reason: 'upgrade to v1.28.13 refused: v1.28.13 skips a minor version: the API server is v1.26.15, and kubeadm upgrades one minor version at a time (to v1.27 first)',
    });
    expect(kubeVersionSkewStep.check(to('1.26.10'), facts('cp-1', 'v1.26.15', ...cluster))).toMatchObject({ status: 'fail', reason: expect.stringContaining('v1.26.10 is older than the API server') });
    expect(kubeVersionSkewStep.check(to('1.27.16'), facts('cp-1', 'v1.26.15', ...cluster, ['node-9', 'v1.28.1', false]))).toMatchObject({
      status: 'fail',
      reason: expect.stringContaining('the API server would be older than the kubelet of node-9 (v1.28.1)'),
    });
    // A newer patch of the same minor is no skew.
    expect(kubeVersionSkewStep.check(to('1.27.10'), facts('node-1', 'v1.27.10', ['node-1', 'v1.27.16', false]))).toMatchObject({ status: 'ok' });
  });

  it("reads kubectl's version and nodes, control-plane role from the node-role label", () => {
    expect(parseServerVersion('{"clientVersion":{"gitVersion":"v1.27.16"},"serverVersion":{"gitVersion":"v1.26.15"}}')).toBe('v1.26.15');
    const list = { items: [
      { metadata: { name: 'cp-1', labels: { 'node-role.kubernetes.io/control-plane': '' } }, status: { nodeInfo: { kubeletVersion: 'v1.26.15' } } },
      { metadata: { name: 'node-1', labels: {} }, status: { nodeInfo: { kubeletVersion: 'v1.26.15' } } },
    ] };
    expect(parseNodeVersions(JSON.stringify(list))).toEqual(nodes(['cp-1', 'v1.26.15', true], ['node-1', 'v1.26.15', false]));
  });
});
