// The one backoff/sleep module: the capped exponential ceiling, its full-jitter form, and an abortable sleep.
import { describe, expect, it } from 'vitest';
import { backoffCeiling, backoffDelay, sleep } from '../shared/backoff';

describe('backoff', () => {
  it('doubles from the base per attempt up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffCeiling(n, 100, 1000))).toEqual([100, 100, 200, 400, 800, 1000]);
    expect(backoffCeiling(2000, 100, 1000)).toBe(1000); // 2^1999 is Infinity: still the cap
  });

  it('jitters uniformly below the ceiling', () => {
    for (const r of [0, 0.25, 0.5, 0.999]) expect(backoffDelay(3, 100, 1000, () => r)).toBe(Math.round(400 * r));
    for (let i = 0; i < 100; i++) {
      const d = backoffDelay(4, 100, 1000);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(800);
    }
  });
});

describe('sleep', () => {
  it('resolves', async () => {
    await expect(sleep(1)).resolves.toBeUndefined();
  });

  it('rejects with the signal’s reason, at once when already aborted', async () => {
    const reason = new Error('stop');
    await expect(sleep(60_000, AbortSignal.abort(reason))).rejects.toBe(reason);
    const controller = new AbortController();
    const waiting = sleep(60_000, controller.signal);
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
  });

  it('leaves no listener on the signal once it has resolved', async () => {
    const controller = new AbortController();
    let added = 0;
    let removed = 0;
    const signal = controller.signal;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((...args: Parameters<typeof add>) => (added++, add(...args))) as typeof add;
    signal.removeEventListener = ((...args: Parameters<typeof remove>) => (removed++, remove(...args))) as typeof remove;
    await sleep(1, signal);
    expect([added, removed]).toEqual([1, 1]);
    controller.abort(new Error('later'));
  });
});
