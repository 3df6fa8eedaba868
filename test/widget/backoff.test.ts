import fc from 'fast-check';
import { backoffDelay, nominalDelay } from '../../widget/src/lib/backoff';

describe('reconnect back-off', () => {
  it('doubles from 1 s up to a 30 s cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 50, 10_000].map((n) => nominalDelay(n))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
  });

  it('jitter stays within [nominal/2, nominal] for any attempt and any random value', () => {
    fc.assert(
      fc.property(fc.nat({ max: 10_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, r) => {
        const d = backoffDelay(attempt, () => r);
        const nominal = nominalDelay(attempt);
        return d >= nominal / 2 && d <= nominal && Number.isFinite(d);
      }),
    );
  });

  it('the extremes of the random source give the bounds exactly', () => {
    expect(backoffDelay(2, () => 0)).toBe(2000);
    expect(backoffDelay(2, () => 0.999999)).toBe(4000);
    expect(backoffDelay(0, () => 0.5, { baseMs: 200, capMs: 1000 })).toBe(150);
  });

  it('clamps a misbehaving random source', () => {
    expect(backoffDelay(1, () => -3)).toBe(1000);
    expect(backoffDelay(1, () => 7)).toBe(2000);
  });

  it('spreads reconnects: different random values give different delays', () => {
    const delays = new Set([0.1, 0.3, 0.5, 0.7, 0.9].map((r) => backoffDelay(4, () => r)));
    expect(delays.size).toBe(5);
  });
});
