/**
 * Public widget keys name their tenant (`wk_<tenantId>_<secret>`), so the
 * $connect authorizer finds the tenant with one read and compares the whole key
 * in constant time. A widget key is public (it sits in the business's HTML);
 * the allowed-origins list is what stops another site from using it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

const KEY = /^wk_([a-z0-9][a-z0-9-]{1,39})_([A-Za-z0-9]{16,64})$/;

export function newWidgetKey(tenantId: string): string {
  return `wk_${tenantId}_${randomBytes(12).toString('hex')}`;
}

export function tenantOfWidgetKey(key: string): string | undefined {
  return KEY.exec(key)?.[1];
}

export function sameKey(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Visitor ids are random, client-made, and stand for one browser's anonymous customer. */
export const VISITOR_ID_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

/** `*` allows any origin (development only); otherwise an exact scheme://host[:port] match. */
export function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (allowed.includes('*')) return true;
  if (!origin) return false;
  return allowed.includes(origin.replace(/\/$/, '').toLowerCase());
}
