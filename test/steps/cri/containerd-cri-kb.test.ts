import { describe, expect, it } from 'vitest';
import { containerdCriApis, containerdServesCriV1 } from '../../../src/kb/containerd-cri.js';

describe('containerd CRI API versions (knowledge base)', () => {
  it.each([
    ['1.3.9', ['v1alpha2']],
    ['1.4.13', ['v1alpha2']],
    ['1.4.13~ds1', ['v1alpha2']],
    ['v1.4.13', ['v1alpha2']],
    // containerd/containerd#7863: 1.5 has only v1alpha2 (RELEASES.md's "v1 (1.23+)" cell misleads).
    ['1.5.0', ['v1alpha2']],
    ['1.5.18', ['v1alpha2']],
    ['1.6.0', ['v1', 'v1alpha2']],
    ['1.6.20~ds1', ['v1', 'v1alpha2']],
    ['1.7.24', ['v1', 'v1alpha2']],
    ['2.0.0', ['v1']],
    ['2.1.4', ['v1']],
  ])('containerd %s serves %j', (version, apis) => {
    expect(containerdCriApis(version)).toEqual(apis);
  });

  it('tells whether CRI v1 is served, and admits when it cannot read the version', () => {
    expect(containerdServesCriV1('1.4.13')).toBe(false);
    expect(containerdServesCriV1('1.5.11')).toBe(false);
    expect(containerdServesCriV1('1.6.0')).toBe(true);
    expect(containerdServesCriV1('unknown')).toBeUndefined();
  });
});
