/** Many nodes at once share the run's abort signals: no warning about "too many listeners" is printed. */
import { afterEach, describe, expect, it } from 'vitest';
import { computePlan } from '../../src/runner/plan.js';
import { MemoryFleet, memoryFacts, memoryPlaybook, memoryStepTypes, runInMemory } from './memory.js';

const warnings: Error[] = [];
const onWarning = (w: Error) => warnings.push(w);
afterEach(() => {
  process.off('warning', onWarning);
  warnings.length = 0;
});

const YAML = `name: many
rolling: {maxUnavailable: 30}
steps:
  - id: a
    uses: test.set
    with: {key: a, value: "1"}
  - id: gate
    uses: test.gate
`;

describe('30 nodes in flight at once', () => {
  it('run and plan: every lane listens on the one signal, and Node warns about none', async () => {
    process.on('warning', onWarning);
    const fleet = new MemoryFleet(Array.from({ length: 30 }, (_, i) => `n${i + 1}`));
    for (const n of fleet.nodes) n.delayMs = 20; // all of them in their step at the same time
    const { summary } = await runInMemory(fleet, YAML);
    expect(summary.status).toBe('succeeded');
    await computePlan({ playbook: memoryPlaybook(YAML), inventory: fleet.inventory, hosts: fleet.inventory.hosts, extraVars: {}, remotes: fleet.remotes, stepTypes: memoryStepTypes, readFacts: memoryFacts });
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
  });
});
