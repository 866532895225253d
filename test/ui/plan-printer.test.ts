import { describe, expect, it } from 'vitest';
import type { Plan } from '../../src/runner/plan.js';
import { formatPlan } from '../../src/ui/plan-printer.js';

describe('plan text', () => {
  it('says which node would stop before its first step, and which step would fail', () => {
    const plan: Plan = {
      playbook: 'pb.yaml',
      playbookName: 'pin',
      batches: [['node-1']],
      nodes: [
        {
          host: 'node-1',
          reachable: true,
          preflight: { step: 'pin-runtime', reason: 'the pin of runc would not win' },
          steps: [
            { id: 'drain', name: 'Drain', uses: 'kube.drain', status: 'change', summary: 'drain node node-1' },
            { id: 'pin-runtime', name: 'Pin', uses: 'crio.defaultRuntime', status: 'fail', reason: 'the pin of runc would not win' },
          ],
        },
      ],
    };
    const text = formatPlan(plan);
    expect(text).toContain('node-1: would stop before its first step: pin-runtime would fail (preflight)');
    expect(text).toContain('  ✗ pin-runtime: would fail: the pin of runc would not win');
    expect(text).toContain('plan: 1 change(s) on 1 of 1 node(s), 1 step(s) would fail; nothing was changed');
  });

  it('says which steps a check was predicted after, which are decided at run time, and which are not reached', () => {
    const plan: Plan = {
      playbook: 'pb.yaml',
      playbookName: 'upgrade',
      batches: [['node-1']],
      nodes: [
        {
          host: 'node-1',
          reachable: true,
          steps: [
            { id: 'stop-kubelet', name: 'Stop', uses: 'systemd.service', status: 'change', summary: 'kubelet: stop (active, enabled)' },
            { id: 'start-kubelet', name: 'Start', uses: 'systemd.service', status: 'change', summary: 'kubelet: start (inactive, enabled)', after: ['stop-kubelet'] },
            { id: 'verify', name: 'Verify', uses: 'cri.verify', status: 'ok', summary: 'answers CRI v1', decidedAfter: ['remove-pods'], after: ['upgrade', 'restart'] },
            { id: 'drain', name: 'Drain', uses: 'kube.drain', status: 'fail', reason: 'blocked by PodDisruptionBudget default/web' },
            { id: 'uncordon', name: 'Uncordon', uses: 'kube.uncordon', status: 'unreached', reason: 'not reached: drain would fail' },
          ],
        },
      ],
    };
    const text = formatPlan(plan);
    expect(text).toContain('  ~ start-kubelet [as stop-kubelet leaves it]: kubelet: start (inactive, enabled)');
    expect(text).toContain('  ✓ verify [decided at run time, after remove-pods] [as upgrade, restart leave it]: answers CRI v1');
    expect(text).toContain('  ✗ drain: would fail: blocked by PodDisruptionBudget default/web');
    expect(text).toContain('  · uncordon: not reached: drain would fail');
  });
});
