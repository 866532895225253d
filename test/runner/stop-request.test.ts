import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { readStopRequest, stopRefusal, stopRequestReason, writeStopRequest, clearStopRequest } from '../../src/runner/stop-request.js';
import { tempDir } from '../steps/helpers.js';

describe('stop requests', () => {
  it('written, read, worded and cleared; a run or resume may be stopped, a rollback not', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      expect(readStopRequest(dir)).toBeUndefined();
      const written = await writeStopRequest(dir, new Date('2026-12-01T10:00:00Z'));
      expect(readStopRequest(dir)).toEqual(written);
      expect(stopRequestReason(written)).toBe(`stopped by slipway stop (${os.userInfo().username}, pid ${process.pid}, at 2026-12-01 10:00:00)`);
      clearStopRequest(dir);
      expect(readStopRequest(dir)).toBeUndefined();
    } finally {
      await cleanup();
    }
    expect(stopRefusal('r1', { command: 'run', pid: 1 })).toBeUndefined();
    expect(stopRefusal('r1', { command: 'resume', pid: 1 })).toBeUndefined();
    expect(stopRefusal('r1', { command: 'rollback', pid: 7 })).toBe(
      'run r1 is being rolled back (slipway rollback, pid 7); a rollback is not stopped halfway: let it finish, or press Ctrl-C in its terminal',
    );
  });
});
