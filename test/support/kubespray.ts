/** A bundled playbook on kubespray's hosts.yaml: the same plan as on the fleet's own inventory. */
import { expect } from 'vitest';
import type { Fleet } from '../fleet/fleet.js';
import { slipway, why } from './cli.js';

interface PlanShape {
  nodes: Array<{ host: string; steps: Array<{ id: string; status: string; summary?: string; reason?: string; via?: string }> }>;
}

/** Plans `playbook` on both inventories; asserts the plans say the same per node and step, via the same hosts. */
export async function expectSamePlanOnKubespray(fleet: Fleet, playbook: string, extra: string[], env: Record<string, string>): Promise<void> {
  const kubespray = await fleet.writeKubesprayInventory();
  const plan = async (inventory: string) => {
    const r = await slipway(['plan', playbook, '-i', inventory, '--output', 'json', ...extra], { env });
    expect([0, 1], why(r)).toContain(r.code);
    const p = JSON.parse(r.stdout) as PlanShape;
    return { code: r.code, nodes: p.nodes.map((n) => ({ host: n.host, steps: n.steps.map((s) => [s.id, s.status, s.summary ?? s.reason ?? '', s.via ?? '']) })) };
  };
  // Both at once: a plan only reads.
  const [ours, theirs] = await Promise.all([plan(fleet.inventoryFile), plan(kubespray)]);
  expect(ours.nodes.length).toBeGreaterThan(0);
  expect(theirs).toEqual(ours);
}
