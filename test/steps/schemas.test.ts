import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { getStepType } from '../../src/steps/registry.js';

const ajv = new Ajv({ strict: true, allErrors: true });

function validator(kind: string): (data: unknown) => boolean {
  const step = getStepType(kind);
  if (!step) throw new Error(`${kind} is not registered`);
  const validate = ajv.compile(step.paramsSchema);
  return (data) => validate(data);
}

describe('step params schemas (ajv strict mode)', () => {
  it('command', () => {
    const valid = validator('command');
    expect(valid({ argv: ['kubeadm', 'upgrade', 'node'], check: ['true'], creates: '/x', become: true, undo: ['y'] })).toBe(true);
    expect(valid({ argv: [] })).toBe(false);
    expect(valid({ argv: 'rm -rf /' })).toBe(false);
    expect(valid({ argv: ['x'], shell: true })).toBe(false);
  });

  it('file.line', () => {
    const valid = validator('file.line');
    expect(valid({ path: '/etc/x', line: 'a', state: 'present' })).toBe(true);
    expect(valid({ path: '/etc/x', regexp: '^a', state: 'absent' })).toBe(true);
    expect(valid({ path: '/etc/x', regexp: '^a', state: 'present' })).toBe(false);
    expect(valid({ path: '/etc/x', state: 'absent' })).toBe(false);
    expect(valid({ path: 'relative', line: 'a', state: 'present' })).toBe(false);
    expect(valid({ path: '/etc/x', line: 'two\nlines', state: 'present' })).toBe(false);
  });

  it('file.content', () => {
    const valid = validator('file.content');
    expect(valid({ path: '/etc/x', content: '', mode: '0644', owner: 'root:root', backup: false })).toBe(true);
    expect(valid({ path: '/etc/x', content: '', mode: 644 })).toBe(false);
    expect(valid({ path: '/etc/x', content: '', mode: '0o644' })).toBe(false);
    expect(valid({ path: '/etc/x' })).toBe(false);
  });

  it('systemd.service', () => {
    const valid = validator('systemd.service');
    expect(valid({ unit: 'kubelet', state: 'started', enabled: true, daemonReload: true })).toBe(true);
    expect(valid({ unit: 'getty@tty1.service', state: 'restarted' })).toBe(true);
    expect(valid({ unit: '-.mount', enabled: false })).toBe(true);
    expect(valid({ unit: 'kubelet' })).toBe(false);
    expect(valid({ unit: 'a b', state: 'started' })).toBe(false);
    expect(valid({ unit: 'kubelet', state: 'running' })).toBe(false);
  });
});
