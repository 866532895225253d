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
});
