import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem, InputError } from '../../src/errors.js';
import { loadPlaybook, parsePlaybook } from '../../src/playbook/load.js';
import { stepTypeList } from '../../src/playbook/step-types.js';
import { fakeStepTypes } from './fake-step-types.js';

const options = { stepTypes: fakeStepTypes };

function problemsOf(text: string, file = 'p.yaml'): string[] {
  try {
    parsePlaybook(file, text, options);
  } catch (error) {
    if (error instanceof InputError) return error.problems.map(formatProblem);
    throw error;
  }
  throw new Error('expected the playbook to be refused');
}

describe('parsePlaybook', () => {
  const minimal = 'name: minimal\nsteps:\n  - uses: systemd.service\n    with: {unit: kubelet}\n';

  it('applies the defaults', () => {
    const playbook = parsePlaybook('p.yaml', minimal, options);
    expect(playbook).toMatchObject({
      file: 'p.yaml',
      name: 'minimal',
      description: undefined,
      hosts: ['all'],
      vars: {},
      rolling: { batch: 1, maxFailed: 0, onFailure: 'stop', pause: 0, serialFirst: [] },
    });
    expect(playbook.steps[0]).toMatchObject({
      id: '1-systemd.service',
      name: 'systemd.service',
      uses: 'systemd.service',
      with: { unit: 'kubelet' },
      when: undefined,
      on: undefined,
      timeoutMs: 600_000,
      retries: 0,
      checkpoint: false,
    });
  });

  it('hashes the exact bytes', () => {
    const expected = createHash('sha256').update(minimal).digest('hex');
    expect(parsePlaybook('p.yaml', minimal, options).contentHash).toBe(expected);
  });

  it('records where each step and each with: key is', () => {
    const step = parsePlaybook('p.yaml', minimal, options).steps[0]!;
    expect(step.location).toEqual({ file: 'p.yaml', line: 3, col: 5, field: 'steps[0]' });
    expect(step.withLocations.unit).toEqual({ file: 'p.yaml', line: 4, col: 18, field: 'steps[0].with.unit' });
  });

  it('normalises hosts, durations and pause', () => {
    const playbook = parsePlaybook(
      'p.yaml',
      'name: x\nhosts: workers\nrolling: {pause: 2m, batch: "25%", maxFailed: "10%"}\nsteps:\n  - {uses: command, with: {argv: [a]}, timeout: 1.5}\n  - {uses: command, with: {argv: [a]}, timeout: 1h30m}\n',
      options,
    );
    expect(playbook.hosts).toEqual(['workers']);
    expect(playbook.rolling).toMatchObject({ pause: 120, batch: '25%', maxFailed: '10%' });
    expect(playbook.steps.map((s) => s.timeoutMs)).toEqual([1500, 5_400_000]);
    expect(parsePlaybook('p.yaml', 'name: x\nrolling: {pause: confirm}\nsteps: [{uses: command, with: {argv: [a]}}]\n', options).rolling.pause).toBe('confirm');
  });

  it('reports every problem at once, in reading order', () => {
    expect(
      problemsOf('name: x\nrolling: {onFailure: halt}\nsteps:\n  - uses: nope\n  - uses: command\n    retries: -1\n    with: {argv: []}\n'),
    ).toEqual([
      "p.yaml:2:22: rolling.onFailure: must be one of stop, rollback, continue (found 'halt')",
      "p.yaml:4:11: steps[0].uses: unknown step type 'nope' (known types: command, file.content, file.line, systemd.service)",
      'p.yaml:6:14: steps[1].retries: must be at least 0 (found -1)',
      'p.yaml:7:18: steps[1].with.argv: must not be an empty list',
    ]);
  });

  it('leaves params holding {{ vars }} to the per-host check', () => {
    expect(() => parsePlaybook('p.yaml', 'name: x\nsteps:\n  - uses: systemd.service\n    with: {unit: "{{ u }}", state: "{{ s }}"}\n', options)).not.toThrow();
  });

  it('closes params schemas that do not say whether other keys are allowed', () => {
    expect(problemsOf('name: x\nsteps:\n  - uses: systemd.service\n    with: {unit: k, enable: true}\n')).toEqual([
      "p.yaml:4:21: steps[0].with: unknown key 'enable' (did you mean 'enabled'?)",
    ]);
  });

  it('says when no step type is registered at all', () => {
    const none = stepTypeList([]);
    expect(() => parsePlaybook('p.yaml', 'name: x\nsteps: [{uses: command}]\n', { stepTypes: none })).toThrow(
      "p.yaml:2:16: steps[0].uses: unknown step type 'command' (no step types are registered)",
    );
  });

  it('reports a quoted string that is never closed where it opens', () => {
    expect(problemsOf('name: x\nsteps:\n  - uses: command\n    with: {argv: ["echo, hi]}\n')).toEqual([
      'p.yaml:4:19: YAML syntax error: this quoted string is never closed (missing closing ")',
    ]);
  });

  it("does not take an apostrophe in plain text for a quote", () => {
    expect(problemsOf("name: don't\nsteps:\n  - uses: command\n    with: {argv: ['a]}\n")).toEqual([
      "p.yaml:4:19: YAML syntax error: this quoted string is never closed (missing closing ')",
    ]);
  });

  it('handles a byte order mark', () => {
    expect(parsePlaybook('p.yaml', `\uFEFF${minimal}`, options).name).toBe('minimal');
  });

  it('accepts aliases to anchors', () => {
    const playbook = parsePlaybook(
      'p.yaml',
      'name: x\nsteps:\n  - uses: systemd.service\n    with: &kubelet {unit: kubelet}\n  - uses: systemd.service\n    with: *kubelet\n',
      options,
    );
    expect(playbook.steps[1]?.with).toEqual({ unit: 'kubelet' });
  });
});

describe('loadPlaybook', () => {
  it('reads the file and names it in messages', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-playbook-'));
    const file = path.join(dir, 'upgrade.yaml');
    await writeFile(file, 'name: x\nsteps: [{uses: command, with: {argv: [a]}, timeout: soon}]\n');
    await expect(loadPlaybook(file, options)).rejects.toThrow(`${file}:2:53: steps[0].timeout: must be a duration like`);
  });

  it('gives an InputError for a missing file', async () => {
    const error = await loadPlaybook('does-not-exist.yaml', options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe('cannot read playbook does-not-exist.yaml: no such file');
  });
});
