import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/runtime/clock.js';

// setTimeout fires at once (after 1 ms) for a delay above 2^31 - 1 ms (24.8 days): a wait that
// long (a signal's timeout, a child's verdict) must not wake the saga in a busy loop.
describe('systemClock', () => {
  it('does not fire a timer of more than 24.8 days at once', async () => {
    let fired = false;
    const cancel = systemClock.schedule?.(30 * 24 * 3_600_000, () => {
      fired = true;
    });
    const controller = new AbortController();
    const slept = systemClock.sleep(30 * 24 * 3_600_000, controller.signal).then(
      () => 'resolved',
      () => 'aborted',
    );
    await new Promise((r) => setTimeout(r, 30));
    controller.abort();
    cancel?.();
    expect(fired).toBe(false);
    expect(await slept).toBe('aborted');
  });
});
