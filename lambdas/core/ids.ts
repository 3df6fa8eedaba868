import { randomBytes } from 'node:crypto';

/** A random, URL-safe id: 20 characters of base64url (120 bits). */
export function randomId(): string {
  return randomBytes(15).toString('base64url');
}

/** Tenant ids are lower-case slugs; they lead every key, so nothing else may look like one. */
export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{1,39}$/;

export function isTenantId(value: string): boolean {
  return TENANT_ID_PATTERN.test(value);
}
