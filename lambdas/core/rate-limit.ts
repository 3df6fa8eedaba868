/**
 * Rate limits for customer messages: a token bucket per connection and one per
 * tenant. API Gateway usage plans do not cover WebSocket routes, so the
 * buckets live in DynamoDB (see DynamoStore.take: GCRA, one conditional write).
 */
import { DomainError } from './errors';
import type { RateLimiter, TenantProfile } from './ports';

export interface BucketPolicy {
  /** Tokens added per second. */
  readonly ratePerSecond: number;
  /** Bucket size: how many may arrive at once. */
  readonly burst: number;
}

export interface MessageLimits {
  readonly perConnection: BucketPolicy;
  readonly perTenant: BucketPolicy;
}

/** A person types far slower than this; a script does not. */
export const DEFAULT_LIMITS: MessageLimits = {
  perConnection: { ratePerSecond: 0.5, burst: 15 },
  perTenant: { ratePerSecond: 100, burst: 500 },
};

export function limitsOf(profile: Pick<TenantProfile, 'limits'> | undefined): MessageLimits {
  return profile?.limits ?? DEFAULT_LIMITS;
}

/** Takes one token from the connection's bucket and one from the tenant's, or refuses with `rate_limited`. */
export async function takeMessageTokens(limiter: RateLimiter, limits: MessageLimits, tenantId: string, connectionId: string): Promise<void> {
  const connectionOk = await limiter.take(tenantId, `conn:${connectionId}`, limits.perConnection);
  if (!connectionOk) throw new DomainError('rate_limited', 'You are sending messages too quickly. Please wait a moment and try again.');
  const tenantOk = await limiter.take(tenantId, 'tenant', limits.perTenant);
  if (!tenantOk) throw new DomainError('rate_limited', 'We are very busy right now. Please try again in a few seconds.');
}
