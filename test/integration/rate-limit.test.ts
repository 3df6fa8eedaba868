/**
 * The message rate limiter (DynamoStore.take: GCRA, one conditional write per token) against DynamoDB Local:
 * a bucket admits its burst and refuses the next, refills with time, never admits more than its burst to
 * concurrent callers, and does not refuse a caller whose clock reading went stale while it waited for others
 * (under load, a request that read the clock seconds ago must not mistake the others' progress for a full bucket).
 */
import { DynamoStore } from '../../lambdas/adapters/dynamo/store';
import type { Clock } from '../../lambdas/core/ports';
import { sharedTable, type SharedTable } from '../support/shared-table';

let t: SharedTable;

/** A clock that answers `readings` in turn, then repeats the last one. */
function scriptedClock(...readings: number[]): Clock {
  let i = 0;
  return { now: () => new Date(readings[Math.min(i++, readings.length - 1)] ?? 0) };
}

beforeAll(async () => {
  t = await sharedTable('rate-limit');
}, 60_000);

afterAll(async () => {
  await t?.drop();
});

const T0 = Date.parse('2026-11-26T10:00:00.000Z');

describe('message rate limits (GCRA in DynamoDB)', () => {
  it('admits the burst, refuses the next, and admits again once a token has been earned', async () => {
    let now = T0;
    const store = new DynamoStore(t.db, t.table, { now: () => new Date(now) });
    const policy = { ratePerSecond: 1, burst: 3 };
    const taken = [];
    for (let i = 0; i < 4; i++) taken.push(await store.take('rl-a', 'conn:one', policy));
    expect(taken).toEqual([true, true, true, false]);
    now += 1_000;
    expect(await store.take('rl-a', 'conn:one', policy)).toBe(true);
    expect(await store.take('rl-a', 'conn:one', policy)).toBe(false);
    // Buckets are per key: another connection of the same tenant has its own.
    expect(await store.take('rl-a', 'conn:two', policy)).toBe(true);
  });

  it('never admits more than the burst to concurrent callers', async () => {
    const store = new DynamoStore(t.db, t.table, { now: () => new Date(T0) });
    const policy = { ratePerSecond: 0.001, burst: 20 };
    const results = await Promise.all(Array.from({ length: 50 }, () => store.take('rl-b', 'tenant', policy)));
    expect(results.filter(Boolean)).toHaveLength(20);
  });

  it('does not refuse a caller whose clock reading went stale while others moved the bucket on', async () => {
    const policy = { ratePerSecond: 1_000, burst: 10 };
    // Another request, reading the clock at T0 + 5 s, found the bucket idle and took a token.
    const other = new DynamoStore(t.db, t.table, { now: () => new Date(T0 + 5_000) });
    expect(await other.take('rl-c', 'tenant', policy)).toBe(true);
    // This one read the clock at T0 and only reached the table now, at T0 + 5 s: the bucket holds one token's
    // backlog of ten, so it is admitted.
    const late = new DynamoStore(t.db, t.table, scriptedClock(T0, T0 + 5_000));
    expect(await late.take('rl-c', 'tenant', policy)).toBe(true);
  });
});
