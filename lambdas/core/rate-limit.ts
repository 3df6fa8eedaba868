/**
 * Rate limits for customer messages: a token bucket per connection, one per
 * client address and one per tenant. API Gateway usage plans do not cover
 * WebSocket routes (and AWS WAF cannot be attached to a WebSocket API), so the
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
  /**
   * Per client address, whatever its connections: a script that reconnects gets a fresh connection bucket each
   * time, not a fresh address. Generous, because one address may be many people (an office, a hotel's Wi-Fi, a
   * mobile carrier's NAT).
   */
  readonly perAddress: BucketPolicy;
  readonly perTenant: BucketPolicy;
}

/** A person types far slower than this; a script does not. */
export const DEFAULT_LIMITS: MessageLimits = {
  perConnection: { ratePerSecond: 0.5, burst: 15 },
  perAddress: { ratePerSecond: 5, burst: 100 },
  perTenant: { ratePerSecond: 100, burst: 500 },
};

/** The tenant's limits; a profile written before the per-address limit existed gets its default. */
export function limitsOf(profile: Pick<TenantProfile, 'limits'> | undefined): MessageLimits {
  const own = profile?.limits;
  return own ? { perConnection: own.perConnection, perAddress: own.perAddress ?? DEFAULT_LIMITS.perAddress, perTenant: own.perTenant } : DEFAULT_LIMITS;
}

/** The caller a message comes from: its tenant, connection and (when API Gateway gave one) address. */
export interface MessageSender {
  readonly tenantId: string;
  readonly connectionId: string;
  readonly sourceIp?: string;
}

/**
 * Takes one token from the connection's bucket, the address's and the tenant's, or refuses with `rate_limited`.
 * A refusal by a later bucket leaves the earlier ones a token short, which only slows that same sender.
 */
export async function takeMessageTokens(limiter: RateLimiter, limits: MessageLimits, sender: MessageSender): Promise<void> {
  const { tenantId, connectionId, sourceIp } = sender;
  const tooQuick = 'You are sending messages too quickly. Please wait a moment and try again.';
  const connectionOk = await limiter.take(tenantId, `conn:${connectionId}`, limits.perConnection);
  if (!connectionOk) throw new DomainError('rate_limited', tooQuick);
  if (sourceIp) {
    const addressOk = await limiter.take(tenantId, `ip:${addressBucketOf(sourceIp)}`, limits.perAddress);
    if (!addressOk) throw new DomainError('rate_limited', tooQuick);
  }
  const tenantOk = await limiter.take(tenantId, 'tenant', limits.perTenant);
  if (!tenantOk) throw new DomainError('rate_limited', 'We are very busy right now. Please try again in a few seconds.');
}

/**
 * The address's bucket: an IPv4 address as it is; an IPv6 one by its /64, which one client holds whole (a client
 * rotating through its own /64 would otherwise get a fresh bucket each time). Only address characters are kept, so
 * no value can break the bucket's key.
 */
export function addressBucketOf(sourceIp: string): string {
  const address = sourceIp.trim().toLowerCase().replace(/[^0-9a-f:.]/g, '').slice(0, 64);
  if (!address.includes(':')) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (mapped?.[1]) return mapped[1];
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '') || '0').join(':')}::/64`;
}
