import { describe, expect, it } from 'vitest';
import { cordonedLines } from '../../src/ui/cordon-report.js';

describe('nodes left cordoned, in words', () => {
  it('says who cordoned each node and how to lift slipway cordons', () => {
    expect(
      cordonedLines('run-2', {
        'node-1': { node: 'node-1', cordoned: true },
        'node-2': { node: 'node-2', cordoned: true, by: 'run-2' },
        w3: { node: 'ip-10-0-0-3', cordoned: true, by: 'run-1' },
      }),
    ).toEqual([
      'left cordoned:',
      '  node-1: cordoned before this run, not by slipway',
      '  node-2: cordoned by this run: slipway resume run-2 or slipway rollback run-2 uncordons it',
      '  w3 (Node ip-10-0-0-3): cordoned by slipway run run-1: slipway rollback run-1 uncordons it',
    ]);
    expect(cordonedLines('run-2', undefined)).toEqual([]);
    expect(cordonedLines('run-2', {})).toEqual([]);
  });
});
