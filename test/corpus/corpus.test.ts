/**
 * Every broken file in the corpus fails with exactly the expected problems: location, field and
 * message. cases.json maps each file to its problems as `line:col: field: message`, without the
 * file name (which is the path passed to the loader); `{file}` stands for that path.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatProblem, InputError } from '../../src/errors.js';
import { findInventoryProblems } from '../../src/playbook/check-inventory.js';
import { findPlaybookVarProblems } from '../../src/playbook/vars.js';
import { loadInventory } from '../../src/inventory/load.js';
import { validatePlaybook } from '../../src/playbook/validate.js';
import { fakeStepTypes } from '../playbook/fake-step-types.js';

interface CorpusCase {
  file: string;
  /** For playbooks checked against an inventory (groups, per-host vars). */
  inventory?: string;
  expect: string[];
}

const corpusDir = path.relative(process.cwd(), path.dirname(fileURLToPath(import.meta.url)));
const cases = JSON.parse(readFileSync(path.join(corpusDir, 'cases.json'), 'utf8')) as CorpusCase[];
/** Hermetic SSH settings: no ~/.ssh of whoever runs the tests. */
const inventoryOptions = {
  sshConfigFile: path.join(corpusDir, 'good', 'no-ssh-config'),
  homeDir: '/home/operator',
  localUser: 'operator',
};

async function load(testCase: CorpusCase, file: string): Promise<unknown> {
  if (testCase.file.startsWith('inventories/')) return loadInventory(file, inventoryOptions);
  const inventoryFile = testCase.inventory === undefined ? undefined : path.join(corpusDir, testCase.inventory);
  return validatePlaybook(file, { stepTypes: fakeStepTypes, inventoryFile, inventoryOptions });
}

describe('corpus of broken playbooks and inventories', () => {
  it('has at least 45 cases, each a different file', () => {
    expect(cases.length).toBeGreaterThanOrEqual(45);
    expect(new Set(cases.map((c) => c.file)).size).toBe(cases.length);
  });

  it.each(cases.map((c) => [c.file, c] as const))('%s', async (_name, testCase) => {
    const file = path.join(corpusDir, testCase.file);
    const error = await load(testCase, file).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InputError);
    const inputError = error as InputError;
    expect(inputError.exitCode).toBe(2);
    expect(inputError.problems.map(formatProblem)).toEqual(
      testCase.expect.map((line) => `${file}:${line.replaceAll('{file}', file)}`),
    );
    for (const problem of inputError.problems) {
      expect(problem.location?.file).toBe(file);
      expect(problem.location?.line).toBeGreaterThan(0);
      expect(problem.location?.col).toBeGreaterThan(0);
    }
    expect(inputError.message).not.toMatch(/^\s+at /m);
    expect(inputError.message).not.toMatch(/ajv|instancePath|schemaPath|must have required property|must NOT have/);
  });
});

describe('good examples', () => {
  const hostsFile = path.join(corpusDir, 'good', 'hosts.yaml');
  const playbookFile = path.join(corpusDir, 'good', 'every-feature.yaml');

  it('loads the kubespray-style inventory', async () => {
    const inventory = await loadInventory(hostsFile, inventoryOptions);
    expect(inventory.hosts.map((h) => h.name)).toEqual(['cp-1', 'node-1', 'node-2']);
    expect(inventory.groups.k8s_cluster).toEqual(['cp-1', 'node-1', 'node-2']);
    expect(inventory.groups.calico_rr).toEqual([]);
  });

  it('loads the playbook that uses every feature, and it fits the inventory', async () => {
    const run = await validatePlaybook(playbookFile, { stepTypes: fakeStepTypes, inventoryFile: hostsFile, inventoryOptions });
    expect(run.hosts?.map((h) => h.name)).toEqual(['cp-1', 'node-1', 'node-2']);
    expect(run.playbook.steps).toHaveLength(9);
    expect(run.playbook.steps.find((s) => s.id === 'restart-containerd')?.when).toEqual({
      all: [{ changed: ['config', 'drop-flag'] }, { not: { changed: ['install'] } }],
    });
    const inventory = await loadInventory(hostsFile, inventoryOptions);
    expect(findInventoryProblems(run.playbook, inventory)).toEqual([]);
    expect(findPlaybookVarProblems(run.playbook, inventory.hosts, {}, { stepTypes: fakeStepTypes })).toEqual([]);
  });
});
