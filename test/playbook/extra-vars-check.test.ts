import { describe, expect, it } from 'vitest';
import { unusedExtraVarProblems, varsUsedBy } from '../../src/playbook/extra-vars-check.js';
import type { Playbook, StepSpec } from '../../src/playbook/types.js';

const step = (over: Partial<StepSpec>): StepSpec => ({
  id: 's', name: 's', uses: 'command', with: {}, when: undefined, on: undefined, timeoutMs: 1000, retries: 0, checkpoint: false, preflight: false,
  location: { file: 'p.yaml', line: 1, col: 1 }, withLocations: {}, ...over,
});
const playbook = (vars: Record<string, unknown>, steps: StepSpec[]): Pick<Playbook, 'vars' | 'steps' | 'file'> => ({ file: 'p.yaml', vars, steps });

describe('-e names the playbook reads', () => {
  it('counts vars: keys, {{ refs }} in names, with:, when: operands and var values, and when: {var:} tests', () => {
    const p = playbook({ a: 1, b: '{{ c.d }}' }, [
      step({ name: 'Install {{ e }}', with: { argv: ['x', '{{ f.0 }}'] }, when: { all: [{ var: 'g.h', equals: '{{ i }}' }, { not: { fact: 'kubelet.version', satisfies: '<{{ j }}' } }] } }),
    ]);
    expect([...varsUsedBy(p)].sort()).toEqual(['a', 'b', 'c', 'e', 'f', 'g', 'i', 'j']);
  });

  it('reports each name nothing reads, with the closest one it does, or what it reads', () => {
    const p = playbook({ target_version: '1.27.16' }, [step({ with: { v: '{{ kubelet_version }}' } })]);
    expect(unusedExtraVarProblems(p, { target_version: '1', target_verison: '2', zzz: '3' })).toEqual([
      { message: "-e target_verison: nothing in p.yaml uses it (did you mean 'target_version'?)" },
      { message: '-e zzz: nothing in p.yaml uses it; it reads kubelet_version, target_version' },
    ]);
  });
});

describe('resolutionLook: hosts that resolve alike', () => {
  it('is the same for hosts that differ only in vars the playbook does not read, and differs where it reads', async () => {
    const { resolutionLook } = await import('../../src/playbook/vars.js');
    const used = new Set(['version']);
    const a = resolutionLook({ version: '1', ansible_host: '10.0.0.1', node: { name: 'a' } }, used);
    expect(resolutionLook({ version: '1', ansible_host: '10.0.0.2', node: { name: 'b' } }, used)).toBe(a);
    expect(resolutionLook({ version: '2', ansible_host: '10.0.0.1', node: { name: 'a' } }, used)).not.toBe(a);
    // A var a read var refers to is read too; and the names alone count (a misspelt ref suggests the nearest).
    expect(resolutionLook({ version: '{{ base }}', base: 'x' }, used)).not.toBe(resolutionLook({ version: '{{ base }}', base: 'y' }, used));
    expect(resolutionLook({ version: '1', extra: 1 }, used)).not.toBe(resolutionLook({ version: '1', other: 1 }, used));
  });
});
