/**
 * Which buckets a customer message draws from (core/rate-limit.ts), with an in-memory limiter: the bucket
 * arithmetic itself is DynamoStore.take's, covered against DynamoDB Local in test/integration/rate-limit.test.ts.
 */
import { addressBucketOf, DEFAULT_LIMITS, limitsOf, takeMessageTokens, type BucketPolicy } from '../../lambdas/core/rate-limit';
import type { RateLimiter } from '../../lambdas/core/ports';

/** Counts tokens per bucket; a bucket refuses once its burst is spent. */
function countingLimiter(): RateLimiter & { taken: Map<string, number> } {
  const taken = new Map<string, number>();
  return {
    taken,
    take: async (tenantId: string, bucket: string, policy: BucketPolicy) => {
      const key = `${tenantId}/${bucket}`;
      const n = taken.get(key) ?? 0;
      if (n >= policy.burst) return false;
      taken.set(key, n + 1);
      return true;
    },
  };
}

describe('the address bucket', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['2001:db8:85a3:12:1:2:3:4', '2001:db8:85a3:12::/64'],
    ['2001:db8:85a3:12::9', '2001:db8:85a3:12::/64'],
    ['2001:DB8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['10.0.0.1#x', '10.0.0.1'],
  ])('%s → %s', (ip, bucket) => {
    expect(addressBucketOf(ip)).toBe(bucket);
  });
});

describe('message rate limits', () => {
  it('gives a profile written before the per-address limit its default, and keeps what the profile sets', () => {
    const own = { ratePerSecond: 1, burst: 2 };
    expect(limitsOf(undefined)).toEqual(DEFAULT_LIMITS);
    expect(limitsOf({ limits: { perConnection: own, perTenant: own } })).toEqual({ perConnection: own, perAddress: DEFAULT_LIMITS.perAddress, perTenant: own });
    expect(limitsOf({ limits: { perConnection: own, perTenant: own, perAddress: own } }).perAddress).toEqual(own);
  });

  it("draws on the connection's, the address's and the tenant's buckets, and refuses when the address's is spent", async () => {
    const limiter = countingLimiter();
    const limits = { perConnection: { ratePerSecond: 1, burst: 10 }, perAddress: { ratePerSecond: 1, burst: 2 }, perTenant: { ratePerSecond: 1, burst: 10 } };
    await takeMessageTokens(limiter, limits, { tenantId: 't', connectionId: 'c1', sourceIp: '203.0.113.7' });
    await takeMessageTokens(limiter, limits, { tenantId: 't', connectionId: 'c2', sourceIp: '203.0.113.7' });
    await expect(takeMessageTokens(limiter, limits, { tenantId: 't', connectionId: 'c3', sourceIp: '203.0.113.7' })).rejects.toMatchObject({ code: 'rate_limited' });
    // Another address has its own bucket; a caller API Gateway gave no address draws on the others only.
    await takeMessageTokens(limiter, limits, { tenantId: 't', connectionId: 'c4', sourceIp: '198.51.100.1' });
    await takeMessageTokens(limiter, limits, { tenantId: 't', connectionId: 'c5' });
    expect(Object.fromEntries(limiter.taken)).toEqual({
      't/conn:c1': 1,
      't/conn:c2': 1,
      't/conn:c3': 1,
      't/conn:c4': 1,
      't/conn:c5': 1,
      't/ip:203.0.113.7': 2,
      't/ip:198.51.100.1': 1,
      't/tenant': 4,
    });
  });
});
