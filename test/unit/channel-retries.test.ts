/** The channel sender's provider retries (lambdas/core/channels/outbound.ts withRetries): attempts and a time budget. */
import { defaultRetryPolicy, DeliveryError, withRetries, type RetryPolicy } from '../../lambdas/core/channels/outbound';

/** A policy on a fake clock: each provider call takes `callMs`, each wait as long as asked. */
function harness(callMs: number, overrides: Partial<RetryPolicy> = {}) {
  let now = 0;
  const calls: number[] = [];
  const policy: RetryPolicy = {
    ...defaultRetryPolicy,
    random: () => 1,
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    ...overrides,
  };
  const failing = async (): Promise<never> => {
    calls.push(now);
    now += callMs;
    throw new DeliveryError(false, '503', 'unavailable');
  };
  return { policy, calls, failing, elapsed: () => now };
}

describe('provider retries', () => {
  it('calls a provider that answers 5xx at once four times, with growing waits', async () => {
    const { policy, calls, failing } = harness(50);
    await expect(withRetries(failing, policy)).rejects.toMatchObject({ code: '503' });
    expect(calls).toEqual([0, 300, 850, 1900]);
  });

  it('calls a provider that hangs until its 10 s timeout only as often as fits the budget, so the 30 s function ends before its timeout', async () => {
    const { policy, calls, failing, elapsed } = harness(10_000);
    await expect(withRetries(failing, policy)).rejects.toMatchObject({ code: '503' });
    expect(calls).toEqual([0, 10_250]);
    expect(elapsed()).toBeLessThanOrEqual(policy.budgetMs);
  });

  it('shares one deadline among the segments of a send', async () => {
    const { policy, calls, failing } = harness(10_000);
    const deadline = policy.now() + policy.budgetMs;
    await expect(withRetries(failing, policy, deadline)).rejects.toThrow();
    await expect(withRetries(failing, policy, deadline)).rejects.toThrow();
    // The second segment's first call still goes (it may be quick); it is not retried past the deadline.
    expect(calls).toEqual([0, 10_250, 20_250]);
  });

  it('never retries a refusal (4xx)', async () => {
    const { policy } = harness(0);
    let n = 0;
    const refused = async (): Promise<never> => {
      n++;
      throw new DeliveryError(true, '21211', 'invalid number');
    };
    await expect(withRetries(refused, policy)).rejects.toMatchObject({ permanent: true });
    expect(n).toBe(1);
  });
});
