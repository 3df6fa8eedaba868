/**
 * What the booking view tells staff (frontend/src/pages/bookings/notices.ts): a cancellation by the business
 * always refunds a paid deposit whatever the refund policy, who is told and how, and where a payment link went.
 */
import type { Booking } from '../../frontend/src/api/bookings';
import { cancelNotice, checkoutLinkNote, textableNumber } from '../../frontend/src/pages/bookings/notices';
import { smsNumberOf } from '../../lambdas/core/channels/notices';
import { formatPrice } from '../../frontend/src/lib/format';

const booking = (extra: Partial<Booking> = {}): Booking => ({
  bookingId: 'bk_1', serviceId: 'teeth-whitening', staffId: 'niamh-gallagher', start: '2026-12-03T10:00:00Z', end: '2026-12-03T11:30:00Z',
  customer: { name: 'Aoife Byrne', phone: '+353 87 555 0101' }, status: 'confirmed', priceCents: 35000, depositCents: 5000, currency: 'EUR',
  payment: { status: 'none' }, channel: 'staff', lang: 'en', source: 'staff', createdAt: '2026-12-01T10:00:00Z', updatedAt: '2026-12-01T10:00:00Z',
  ...extra,
});

describe('the cancel notice', () => {
  it('says a paid deposit is refunded (the business cancels), never that the policy keeps it', () => {
    const paid = cancelNotice(booking({ payment: { status: 'paid', paymentId: 'pi_1' } }));
    expect(paid).toContain(`The paid deposit of ${formatPrice(5000, 'EUR')} will be refunded to the customer: a cancellation by the business always refunds it.`);
    expect(paid).not.toMatch(/not be refunded|policy/);
    expect(cancelNotice(booking({ payment: { status: 'pending' } }))).toContain('No deposit has been paid, so nothing is refunded.');
  });

  it('says how the customer is told: their conversation, else their e-mail, else an SMS, else staff phone them', () => {
    expect(cancelNotice(booking({ conversationId: 'conv-1', customer: { name: 'A', email: 'a@example.com' } }))).toMatch(/^The customer is told in their conversation, and the time becomes free again\./);
    expect(cancelNotice(booking({ customer: { name: 'A', email: 'a@example.com', phone: '+353 87 555 0101' } }))).toMatch(/^The customer is told by e-mail \(a@example\.com\)/);
    expect(cancelNotice(booking())).toMatch(/^The customer is told by SMS \(\+353 87 555 0101\) unless their number opted out of texts, and the time/);
    expect(cancelNotice(booking({ customer: { name: 'A', phone: '087 555 0101' } }))).toMatch(/^The customer has no conversation, e-mail address or phone number with a country code here, so phone them to say so/);
  });
});

describe('the payment link note', () => {
  it('says where the link went, or asks staff to pass it on', () => {
    expect(checkoutLinkNote(booking({ conversationId: 'conv-1' }))).toBe('Sent to the customer in their conversation.');
    expect(checkoutLinkNote(booking({ customer: { name: 'A', email: 'a@example.com' } }))).toBe('E-mailed to the customer.');
    expect(checkoutLinkNote(booking())).toBe('Texted to the customer (unless their number opted out of texts: then read it out to them).');
    expect(checkoutLinkNote(booking({ customer: { name: 'A', phone: '087 555 0101' } }))).toBe(
      'The customer has no e-mail address or phone number with a country code here: read it out or text it to them.',
    );
  });
});

describe('which phone numbers the server texts', () => {
  it.each(['+353 87 555 0101', '00353 (87) 555-0101', '353875550101', '087 555 0101', '+0 87 555 0101', '12345', '612 345 678', '(555) 123-4567', ''])('%s: as the server decides', (typed) => {
    expect(textableNumber(typed)).toBe(smsNumberOf(typed));
  });
});
