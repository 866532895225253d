import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { sleepUnlessAborted } from '../src/sleep.js';

describe('sleepUnlessAborted', () => {
  it('leaves no listener on the signal once it has slept (a poll loop sleeps many times on one step signal)', async () => {
    const controller = new AbortController();
    for (let i = 0; i < 20; i++) await sleepUnlessAborted(1, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('ends early when the signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const sleeping = sleepUnlessAborted(60_000, controller.signal);
    controller.abort();
    await sleeping;
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
