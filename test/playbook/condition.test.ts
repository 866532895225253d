import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { coerceVersion, evaluateCondition, readPath } from '../../src/playbook/condition.js';
import type { Condition } from '../../src/playbook/types.js';

const facts = {
  runtime: { name: 'containerd', version: '1.6.20~ds1-1+deb12u3' },
  kubelet: { version: 'v1.27.3', flags: ['--container-runtime=remote'] },
  os: { id: 'debian', release: 12 },
  swap: false,
};
const vars = { target_version: '1.28.9', runtimes: 'containerd', min: '1.27', node: { name: 'node-1', address: 'a', groups: ['all'] } };

function check(cond: Condition): { result: boolean; reason: string } {
  return evaluateCondition(cond, facts, vars);
}

describe('evaluateCondition', () => {
  it('equals / notEquals, with the reason in words', () => {
    expect(check({ fact: 'runtime.name', equals: 'containerd' })).toEqual({ result: true, reason: "runtime.name is 'containerd'" });
    expect(check({ fact: 'runtime.name', equals: 'docker' })).toEqual({ result: false, reason: "runtime.name is 'containerd', not 'docker'" });
    expect(check({ fact: 'runtime.name', notEquals: 'docker' })).toEqual({ result: true, reason: "runtime.name is 'containerd', not 'docker'" });
    expect(check({ fact: 'runtime.name', notEquals: 'containerd' })).toEqual({ result: false, reason: "runtime.name is 'containerd'" });
  });

  it('compares scalars as written: 12 equals "12", false equals "false"', () => {
    expect(check({ fact: 'os.release', equals: '12' }).result).toBe(true);
    expect(check({ fact: 'swap', equals: false }).result).toBe(true);
    expect(check({ fact: 'swap', equals: 'false' }).result).toBe(true);
  });

  it('in', () => {
    expect(check({ fact: 'runtime.name', in: ['containerd', 'cri-o'] })).toEqual({
      result: true,
      reason: "runtime.name is 'containerd' (one of 'containerd', 'cri-o')",
    });
    expect(check({ fact: 'os.id', in: ['ubuntu', 'rocky'] })).toEqual({ result: false, reason: "os.id is 'debian', not one of 'ubuntu', 'rocky'" });
  });

  it('satisfies coerces versions loosely', () => {
    expect(check({ fact: 'kubelet.version', satisfies: '>=1.27.0' })).toEqual({
      result: true,
      reason: "kubelet.version is 'v1.27.3', which satisfies '>=1.27.0'",
    });
    expect(check({ fact: 'runtime.version', satisfies: '<1.7' }).result).toBe(true);
    expect(check({ fact: 'runtime.version', satisfies: '>=1.7' })).toEqual({
      result: false,
      reason: "runtime.version is '1.6.20~ds1-1+deb12u3', which does not satisfy '>=1.7'",
    });
    expect(check({ fact: 'os.id', satisfies: '>=1' })).toEqual({ result: false, reason: "os.id is 'debian', which is not a version" });
  });

  it('matches', () => {
    expect(check({ fact: 'os.id', matches: '^deb' })).toEqual({ result: true, reason: "os.id is 'debian', which matches /^deb/" });
    expect(check({ fact: 'kubelet.flags', matches: 'container-runtime=' }).result).toBe(true);
    expect(check({ fact: 'os.id', matches: '^ubu' }).result).toBe(false);
  });

  it('exists, and a missing fact is unknown (false) for every other operator', () => {
    expect(check({ fact: 'crio.version', exists: false })).toEqual({ result: true, reason: 'crio.version is unknown' });
    expect(check({ fact: 'crio.version', exists: true })).toEqual({ result: false, reason: 'crio.version is unknown' });
    expect(check({ fact: 'runtime.name', exists: true })).toEqual({ result: true, reason: "runtime.name is 'containerd'" });
    for (const cond of [
      { fact: 'crio.version', equals: 'x' },
      { fact: 'crio.version', notEquals: 'x' },
      { fact: 'crio.version', satisfies: '>=1' },
      { fact: 'crio.version', matches: '.' },
    ]) {
      expect(check(cond)).toEqual({ result: false, reason: 'crio.version is unknown' });
    }
  });

  it('all / any / not', () => {
    const all: Condition = { all: [{ fact: 'runtime.name', equals: 'containerd' }, { fact: 'os.id', equals: 'ubuntu' }] };
    expect(check(all)).toEqual({ result: false, reason: "os.id is 'debian', not 'ubuntu'" });
    const any: Condition = { any: [{ fact: 'os.id', equals: 'ubuntu' }, { fact: 'os.id', equals: 'debian' }] };
    expect(check(any)).toEqual({ result: true, reason: "os.id is 'debian'" });
    expect(check({ any: [{ fact: 'os.id', equals: 'a' }, { fact: 'os.id', equals: 'b' }] })).toEqual({
      result: false,
      reason: "os.id is 'debian', not 'a' and os.id is 'debian', not 'b'",
    });
    expect(check({ not: { fact: 'runtime.name', equals: 'docker' } })).toEqual({ result: true, reason: "runtime.name is 'containerd', not 'docker'" });
    expect(check({ all: [{ fact: 'os.id', equals: 'debian' }, { fact: 'swap', equals: false }] })).toEqual({
      result: true,
      reason: "os.id is 'debian' and swap is false",
    });
  });

  it('vars: var tests and {{ refs }} in operands', () => {
    expect(check({ var: 'target_version', satisfies: '>={{ min }}' })).toEqual({
      result: true,
      reason: "target_version is '1.28.9', which satisfies '>=1.27'",
    });
    expect(check({ fact: 'runtime.name', equals: '{{ runtimes }}' }).result).toBe(true);
    expect(check({ var: 'force', exists: true }).result).toBe(false);
    expect(check({ var: 'node.name', equals: 'node-1' }).result).toBe(true);
  });

  it('throws InputError for an undefined var or a range that is invalid once substituted', () => {
    expect(() => check({ fact: 'os.id', equals: '{{ nope }}' })).toThrow(InputError);
    expect(() => check({ fact: 'os.id', equals: '{{ nope }}' })).toThrow("when: undefined var 'nope'");
    expect(() => evaluateCondition({ fact: 'os.id', satisfies: '>={{ v }}' }, facts, { v: 'a.b' })).toThrow(/invalid semver range '>=a.b'/);
  });
});

describe('coerceVersion', () => {
  it.each([
    ['v1.27.3', '1.27.3'],
    ['1.6.20~ds1-1+deb12u3', '1.6.20'],
    ['2:1.6.20-1', '1.6.20'],
    ['1.30', '1.30.0'],
    ['containerd 1.7.2', '1.7.2'],
    [1.3, '1.3.0'],
  ] as const)('%j -> %s', (input, version) => {
    expect(coerceVersion(input)).toBe(version);
  });

  it('gives null for no version', () => {
    expect(coerceVersion('debian')).toBeNull();
    expect(coerceVersion(undefined)).toBeNull();
  });
});

describe('readPath', () => {
  it('reads maps, lists and Maps', () => {
    expect(readPath({ a: [{ b: 1 }] }, 'a.0.b')).toBe(1);
    expect(readPath({ m: new Map([['k', 'v']]) }, 'm.k')).toBe('v');
    expect(readPath({ a: 1 }, 'a.b')).toBeUndefined();
  });
});

describe('changed: what earlier steps did to the node in this run', () => {
  const did = { config: 'changed', flags: 'unchanged', killed: 'unsure' } as const;
  const changes = (planned = false) => ({ of: (id: string) => did[id as keyof typeof did] ?? 'unchanged', planned });
  const test = (cond: Condition, planned = false) => evaluateCondition(cond, facts, vars, changes(planned));

  it('is true when one of the steps changed the node, and says which', () => {
    expect(test({ changed: ['flags', 'config'] })).toEqual({ result: true, reason: 'config changed the node' });
    expect(test({ changed: ['config'] }, true)).toEqual({ result: true, reason: 'config would change the node' });
  });

  it('is false when none did, naming them', () => {
    expect(test({ changed: ['flags'] })).toEqual({ result: false, reason: 'flags did not change the node' });
    expect(test({ changed: ['flags', 'other'] })).toEqual({ result: false, reason: 'none of flags, other changed the node' });
    expect(test({ changed: ['flags'] }, true)).toEqual({ result: false, reason: 'flags would not change the node' });
  });

  it('counts a step cut short in an earlier pass as a change: a restart too many beats one missed', () => {
    expect(test({ changed: ['flags', 'killed'] })).toEqual({ result: true, reason: 'killed was cut short in an earlier pass and may have changed the node' });
  });

  it('combines with facts and not', () => {
    expect(test({ all: [{ changed: ['config'] }, { fact: 'runtime.name', equals: 'containerd' }] }).result).toBe(true);
    expect(test({ not: { changed: ['config'] } }).result).toBe(false);
    expect(test({ any: [{ changed: ['flags'] }, { fact: 'swap', equals: true }] })).toEqual({ result: false, reason: 'flags did not change the node and swap is false, not true' });
  });

  it('without a record of changes (nothing has run), nothing changed', () => {
    expect(evaluateCondition({ changed: ['config'] }, facts, vars)).toEqual({ result: false, reason: 'config did not change the node' });
  });
});
