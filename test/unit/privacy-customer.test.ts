/**
 * Offline parts of core/privacy: how a data request names a customer, the audit target (a hash, never the key),
 * the retention settings' bounds and the expiry stamp.
 */
import fc from 'fast-check';
import { DomainError } from '../../lambdas/core/errors';
import { auditTargetOf, customerRefOf, parseCustomerName } from '../../lambdas/core/privacy/customer';
import { expiryOf, privacySettingsSchema } from '../../lambdas/core/privacy/settings';
import { retentionCutoff } from '../../lambdas/core/privacy/retention';

describe('parseCustomerName', () => {
  it.each([
    ['phone:+34 600 111 222', { kind: 'customer', customerKey: 'phone:+34600111222' }],
    ['email:Ana@Example.com', { kind: 'customer', customerKey: 'email:ana@example.com' }],
    ['whatsapp:+34600111222', { kind: 'customer', customerKey: 'phone:+34600111222' }],
    ['sms:+34600111222', { kind: 'customer', customerKey: 'phone:+34600111222' }],
    ['web:3f9c0a7d2b', { kind: 'identity', identity: 'web:3f9c0a7d2b' }],
    ['messenger:1234567890', { kind: 'identity', identity: 'messenger:1234567890' }],
  ])('%s', (raw, name) => {
    expect(parseCustomerName(raw)).toEqual(name);
  });

  it("reads a phone:… without its country code in the business's country, as bookings store it", () => {
    expect(parseCustomerName('phone:087 555 0101', 'customerKey', 'IE')).toEqual({ kind: 'customer', customerKey: 'phone:+353875550101' });
    expect(parseCustomerName('phone:+34 600 111 222', 'customerKey', 'IE')).toEqual({ kind: 'customer', customerKey: 'phone:+34600111222' });
    // A number the country does not know is taken as written, as a booking's would be.
    expect(parseCustomerName('phone:600 111 222', 'customerKey', 'IE')).toEqual({ kind: 'customer', customerKey: 'phone:+600111222' });
    // Words around a number are no phone number, even where libphonenumber would find one in them (found in review).
    for (const raw of ['phone:call me 087 555 0101', 'phone:tel:087-555-0101']) expect(() => parseCustomerName(raw, 'customerKey', 'IE')).toThrow(DomainError);
  });

  it.each(['', '+34600111222', 'phone:abc', 'email:nobody', 'whatsapp:600', 'web:has space', 'T#other#CUSTOMER', 'phone:+34#1'])('refuses %j with a 400 naming the field', (raw) => {
    expect(() => parseCustomerName(raw)).toThrow(DomainError);
    try {
      parseCustomerName(raw);
    } catch (error) {
      expect(error).toMatchObject({ code: 'bad_request', field: 'customerKey' });
    }
  });

  it('never crashes and never yields a key with # or white space, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (raw) => {
        try {
          const name = parseCustomerName(raw);
          const value = name.kind === 'customer' ? name.customerKey : name.identity;
          expect(value).not.toMatch(/[#\s]/);
        } catch (error) {
          expect(error).toBeInstanceOf(DomainError);
        }
      }),
    );
  });
});

describe('customer references', () => {
  it('names a customer by sha256 only', () => {
    expect(customerRefOf('phone:+34600111222')).toMatch(/^[0-9a-f]{64}$/);
    expect(auditTargetOf('phone:+34600111222')).toBe(`customer sha256:${customerRefOf('phone:+34600111222').slice(0, 12)}`);
    expect(auditTargetOf('phone:+34600111222')).not.toContain('600111222');
  });
});

describe('retention settings', () => {
  it('takes 7..3650 whole days or null, and names the field otherwise', () => {
    expect(privacySettingsSchema.parse({ retentionDays: null })).toEqual({ retentionDays: null });
    expect(privacySettingsSchema.parse({ retentionDays: 7 })).toEqual({ retentionDays: 7 });
    expect(privacySettingsSchema.parse({ retentionDays: 3650 })).toEqual({ retentionDays: 3650 });
    for (const bad of [{ retentionDays: 6 }, { retentionDays: 3651 }, { retentionDays: 30.5 }, { retentionDays: '30' }, {}, { retentionDays: 30, extra: 1 }]) {
      const result = privacySettingsSchema.safeParse(bad);
      expect(result.success).toBe(false);
    }
    expect(privacySettingsSchema.safeParse({ retentionDays: 3 }).error?.issues[0]?.path).toEqual(['retentionDays']);
  });

  it('stamps write time + the period in epoch seconds, nothing when kept', () => {
    expect(expiryOf('2026-01-01T00:00:00.000Z', 30)).toBe(Date.parse('2026-01-31T00:00:00.000Z') / 1000);
    expect(expiryOf(new Date('2026-01-01T00:00:00.500Z'), 7)).toBe(Date.parse('2026-01-08T00:00:00.000Z') / 1000);
    expect(expiryOf('2026-01-01T00:00:00.000Z', null)).toBeUndefined();
    expect(retentionCutoff(new Date('2026-03-01T00:00:00.000Z'), 28)).toBe('2026-02-01T00:00:00.000Z');
    expect(retentionCutoff(new Date(), null)).toBeUndefined();
  });
});
