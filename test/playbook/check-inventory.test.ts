import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/errors.js';
import { checkPlaybookInventory, findInventoryProblems } from '../../src/playbook/check-inventory.js';
import { parsePlaybook } from '../../src/playbook/load.js';
import { checkPlaybookVars } from '../../src/playbook/vars.js';
import { makeHost, makeInventory } from '../inventory/make-host.js';
import { fakeStepTypes } from './fake-step-types.js';

const inventory = makeInventory([
  makeHost('cp-1', { groups: ['all', 'control_plane'] }),
  makeHost('node-1', { groups: ['all', 'workers'] }),
]);

const text = `name: x
hosts: [workers, wrkers]
rolling: {serialFirst: [control_plane, masters]}
steps:
  - uses: command
    on: cp-1
    with: {argv: [kubectl, drain]}
  - uses: command
    on: local
    with: {argv: [kubectl, uncordon]}
`;

describe('findInventoryProblems', () => {
  it('checks hosts patterns, on: groups and serialFirst groups, at their fields', () => {
    const playbook = parsePlaybook('p.yaml', text, { stepTypes: fakeStepTypes });
    expect(findInventoryProblems(playbook, inventory).map(formatProblem)).toEqual([
      "p.yaml:2:18: hosts[1]: 'wrkers' matches no host or group in the inventory (did you mean 'workers'?)",
      "p.yaml:3:40: rolling.serialFirst[1]: unknown group 'masters' in the inventory",
      "p.yaml:6:9: steps[0].on: 'cp-1' is a host, not a group; 'on:' takes a group name or 'local'",
    ]);
    expect(() => checkPlaybookInventory(playbook, inventory)).toThrow(/wrkers/);
  });

  it('falls back to the step location for a playbook that was not loaded here', () => {
    const loaded = parsePlaybook('p.yaml', text, { stepTypes: fakeStepTypes });
    const copy = structuredClone(loaded);
    const steps = findInventoryProblems(copy, inventory).filter((p) => p.location?.field?.startsWith('steps'));
    expect(steps.map(formatProblem)).toEqual([
      "p.yaml:5:5: steps[0].on: 'cp-1' is a host, not a group; 'on:' takes a group name or 'local'",
    ]);
  });
});

describe('checkPlaybookVars with the inventory', () => {
  it('reports inventory and var problems together, in reading order', () => {
    const playbook = parsePlaybook(
      'p.yaml',
      'name: x\nsteps:\n  - uses: command\n    on: masters\n    with: {argv: ["{{ nope }}"]}\n',
      { stepTypes: fakeStepTypes },
    );
    expect(() => checkPlaybookVars(playbook, inventory.hosts, {}, inventory, { stepTypes: fakeStepTypes })).toThrow(
      "p.yaml:4:9: steps[0].on: unknown group 'masters' in the inventory\np.yaml:5:19: steps[0].with.argv[0]: undefined var 'nope'",
    );
  });
});
