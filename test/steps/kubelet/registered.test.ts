import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { getStepType, stepKinds } from '../../../src/steps/registry.js';

const KINDS = [
  'kube.cordon',
  'kube.drain',
  'kube.uncordon',
  'cri.removePods',
  'cri.verify',
  'crio.defaultRuntime',
  'kubelet.removeFlags',
  'pkg.install',
];

describe('node-upgrade step types', () => {
  it.each(KINDS)('%s is registered with a closed, strict params schema', (kind) => {
    expect(stepKinds()).toContain(kind);
    const step = getStepType(kind);
    expect(step?.kind).toBe(kind);
    expect(step?.description).toBeTruthy();
    expect(step?.paramsSchema.additionalProperties).toBe(false);
    expect(() => new Ajv({ strict: true, allErrors: true }).compile(step?.paramsSchema ?? {})).not.toThrow();
  });
});
