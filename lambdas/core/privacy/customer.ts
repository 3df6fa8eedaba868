/**
 * Naming a customer for a data request. A customer is their normalised phone or e-mail (`phone:+34…`,
 * `email:…`, core/booking/service.ts `customerKeyOf`); a request may also name one of their channel identities
 * (`whatsapp:+34…`, `sms:+34…`, `messenger:<PSID>`, `web:<visitorId>`), which resolves to the customer it is
 * linked to; an unlinked web or Messenger identity is a subject of its own (decision 59). Events and audit entries
 * name a customer only by a hash of the key (`customerRef`).
 */
import { createHash } from 'node:crypto';
import { customerKeyOf } from '../booking/service';
import { badRequest } from '../errors';
import { verifiedPhoneOf } from '../channels/identity';
import { PHONE_TEXT, phoneInCountry, type CountryCode } from '../phone';

/** What the caller named: a customer key, or a channel identity still to be resolved. */
export type CustomerName = { readonly kind: 'customer'; readonly customerKey: string } | { readonly kind: 'identity'; readonly identity: string };

const IDENTITY = /^(web|messenger):[A-Za-z0-9_-]{1,128}$/;

/**
 * Parses `phone:+34 600 111 222`, `email:Ana@Example.com`, `whatsapp:+34…`, `sms:+34…`, `messenger:<PSID>` or
 * `web:<visitorId>`; a 400 naming `field` otherwise. Phone channels resolve to the phone's customer at once. A
 * `phone:` number without its country code is read in `country`, the business's (core/phone.ts), as bookings
 * store it: `phone:087 555 0101` at a Dublin clinic is the customer `phone:+353875550101`.
 */
export function parseCustomerName(raw: string, field = 'customerKey', country?: CountryCode): CustomerName {
  const value = raw.trim();
  if (value.length === 0 || value.length > 200) throw badRequest('must be phone:+<number>, email:<address> or a channel identity', field);
  const colon = value.indexOf(':');
  const kind = colon > 0 ? value.slice(0, colon).toLowerCase() : '';
  const rest = value.slice(colon + 1);
  if (kind === 'phone' || kind === 'email') {
    // Digits and the usual separators only: libphonenumber would also pick a number out of "call me 087…".
    const phone = PHONE_TEXT.test(rest.trim()) ? phoneInCountry(rest, country) : undefined;
    const key = kind === 'phone' ? (phone !== undefined ? customerKeyOf({ phone }) : undefined) : customerKeyOf({ email: rest });
    if (key?.startsWith(`${kind}:`)) return { kind: 'customer', customerKey: key };
    throw badRequest(kind === 'phone' ? 'must be a phone number in international form (phone:+34600111222)' : 'must be an e-mail address (email:ana@example.com)', field);
  }
  if (kind === 'whatsapp' || kind === 'sms') {
    const phone = verifiedPhoneOf(`${kind}:${rest.replace(/[\s().-]/g, '')}`);
    const key = phone ? customerKeyOf({ phone }) : undefined;
    if (key) return { kind: 'customer', customerKey: key };
    throw badRequest(`must be ${kind}:+<number> in international form`, field);
  }
  if (IDENTITY.test(value)) return { kind: 'identity', identity: value };
  throw badRequest('must be phone:+<number>, email:<address> or a channel identity (whatsapp:, sms:, messenger:, web:)', field);
}

/** sha256 of the customer key, hex: what events, logs and audit entries name instead of the key. */
export function customerRefOf(customerKey: string): string {
  return createHash('sha256').update(customerKey, 'utf8').digest('hex');
}

/** The audit log's short name of a customer: `customer sha256:<first 12 hex>`. */
export function auditTargetOf(customerKey: string): string {
  return `customer sha256:${customerRefOf(customerKey).slice(0, 12)}`;
}

/** The phone of a `phone:` key, the e-mail of an `email:` key. */
export function contactOf(customerKey: string): { readonly phone?: string; readonly email?: string } {
  if (customerKey.startsWith('phone:')) return { phone: customerKey.slice('phone:'.length) };
  if (customerKey.startsWith('email:')) return { email: customerKey.slice('email:'.length) };
  return {};
}
