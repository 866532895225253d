/** doctor's fix commands and the fleet summary, in memory. */
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/kb/findings.js';
import { fixCommand, groupFindings, type NodeReport } from '../../src/runner/doctor.js';

const finding = (rule: string, vars?: Record<string, string>): Finding => ({
  rule,
  severity: 'error',
  title: `${rule} title`,
  detail: 'd',
  sources: [],
  fix: { playbook: 'containerd-cri-v1', ...(vars ? { vars } : {}), advice: 'a' },
});

describe('doctor fix commands', () => {
  it('names the bundled playbook, the inventory, the nodes and each -e, quoted for a shell', () => {
    expect(fixCommand({ playbook: 'containerd-cri-v1', vars: { containerd_version: '1.6.20~ds1-1+deb12u3' }, advice: '' }, 'inv/hosts yaml', ['node-1', 'node-2'])).toBe(
      "slipway plan containerd-cri-v1 -i 'inv/hosts yaml' --limit node-1,node-2 -e 'containerd_version=1.6.20~ds1-1+deb12u3'",
    );
    expect(fixCommand({ advice: 'by hand' }, 'i.yaml', ['n'])).toBeUndefined();
    // The operator's -e wins for a var the playbook has, and is left out where it has none.
    expect(fixCommand({ playbook: 'containerd-cri-v1', vars: { containerd_version: '1.6.20' }, advice: '' }, 'i.yaml', ['n'], { containerd_version: '1.7.24', nope: 'x' })).toBe(
      'slipway plan containerd-cri-v1 -i i.yaml --limit n -e containerd_version=1.7.24',
    );
  });

  it('groups nodes by rule and shared fix: one command for all of them', () => {
    const node = (host: string, findings: Finding[]): NodeReport => ({ host, reachable: true, findings: findings.map((f) => ({ ...f, fix: { ...f.fix } })) });
    const groups = groupFindings(
      [node('a', [finding('cri-v1-missing', { containerd_version: '1.6' })]), node('b', [finding('cri-v1-missing', { containerd_version: '1.6' })]), node('c', [finding('cri-v1-missing', { containerd_version: '1.7' })]), node('d', [])],
      'i.yaml',
    );
    expect(groups.map((g) => [g.rule, g.nodes, g.command])).toEqual([
      ['cri-v1-missing', ['a', 'b'], 'slipway plan containerd-cri-v1 -i i.yaml --limit a,b -e containerd_version=1.6'],
      ['cri-v1-missing', ['c'], 'slipway plan containerd-cri-v1 -i i.yaml --limit c -e containerd_version=1.7'],
    ]);
  });
});
