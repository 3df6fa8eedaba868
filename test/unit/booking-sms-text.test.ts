/**
 * The booking notices as the business's SMS (core/booking/text.ts `bookingSms`) to a customer reached by phone
 * only, and the number they go to (core/channels/notices.ts `smsNumberOf`): each names the business first (the
 * customer never wrote to this number) and ends with the opt-out, says what, who, when and the money in the
 * booking's language, and a typical booking's notice fits two GSM-7 parts.
 */
import { bookingSms, bookingText, when, type BookingFacts } from '../../lambdas/core/booking/text';
import { formatForChannel, smsEncodingOf, smsPartCount } from '../../lambdas/core/channels/format';
import { smsNumberOf } from '../../lambdas/core/channels/notices';

const BUSINESS = 'Harbour Dental Studio';
const URL = 'https://checkout.stripe.com/c/pay/cs_test_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9t0';
// A Wednesday at 10:30 in Dublin (winter: UTC+0).
const START = '2026-12-02T10:30:00.000Z';

const facts = (lang: string, depositCents = 5000): BookingFacts => ({
  lang,
  service: 'Teeth whitening',
  staff: 'Dr Niamh Gallagher',
  when: when(lang, START, 'Europe/Dublin'),
  priceCents: 35000,
  depositCents,
  currency: 'EUR',
});

function all(lang: string): Record<string, string> {
  const f = facts(lang);
  return {
    checkout: bookingSms.checkout(BUSINESS, f, URL, 24 * 60),
    confirmed: bookingSms.confirmed(BUSINESS, f, { cancellationNoticeHours: 24 }),
    reminder: bookingSms.reminder(BUSINESS, f),
    expired: bookingSms.expired(BUSINESS, f, 30),
    failed: bookingSms.failed(BUSINESS, f, 'slot_lost', 5000),
    cancelled: bookingSms.cancelledByBusiness(BUSINESS, f, 5000),
    latePayment: bookingSms.latePaymentRefunded(BUSINESS, f, 5000),
  };
}

describe('bookingSms', () => {
  it.each(['en', 'es'])('%s: every notice names the business first, the booking and its local time, and ends with the opt-out', (lang) => {
    for (const [kind, text] of Object.entries(all(lang))) {
      expect([kind, text.startsWith(`${BUSINESS}: `)]).toEqual([kind, true]);
      expect([kind, /Reply STOP to opt out\.$|Responda STOP para darse de baja\.$/.test(text)]).toEqual([kind, true]);
      expect(text).toContain('Teeth whitening');
      expect(text).toContain(lang === 'es' ? 'el miércoles 2 de diciembre a las 10:30' : 'Wednesday 2 December at 10:30');
    }
  });

  it.each(['en', 'es'])('%s: a typical notice fits two SMS parts, in GSM-7 (no UCS-2 for a Spanish accent of ours)', (lang) => {
    for (const [kind, text] of Object.entries({ ...all(lang), failedOurSide: bookingSms.failed(BUSINESS, facts(lang), 'error', 0), declined: bookingSms.failed(BUSINESS, facts(lang), 'declined', 0) })) {
      const segments = formatForChannel('sms', { text });
      expect([kind, segments.length]).toEqual([kind, 1]);
      const sent = segments[0]?.text ?? '';
      expect([kind, smsEncodingOf(sent)]).toEqual([kind, 'GSM-7']);
      expect([kind, smsPartCount(sent) <= 2]).toEqual([kind, true]);
    }
  });

  it('the payment link: the bare URL (SMS apps make it clickable), the deposit and how long the time is kept', () => {
    expect(bookingSms.checkout(BUSINESS, facts('en'), URL, 24 * 60)).toContain(`€50.00 deposit within 24 hours: ${URL} Reply STOP`);
    expect(bookingSms.checkout(BUSINESS, facts('es'), URL, 30)).toContain(`señal de 50,00\u00a0€ en 30 minutos: ${URL} Responda STOP`);
  });

  it('the confirmation: the price, the deposit only when one was paid, and the change-or-cancel notice', () => {
    const paid = bookingSms.confirmed(BUSINESS, facts('en'), { cancellationNoticeHours: 24 });
    expect(paid).toContain('is confirmed. Price: €350.00, €50.00 deposit received.');
    expect(paid).toContain('reply to this text at least 24 hours before.');
    const free = bookingSms.confirmed(BUSINESS, facts('en', 0), { cancellationNoticeHours: 0 });
    expect(free).not.toMatch(/deposit|hours before/);
    expect(bookingSms.confirmed(BUSINESS, facts('es'), { cancellationNoticeHours: 24 })).toContain('queda confirmada. Precio: 350,00\u00a0€, señal de 50,00\u00a0€ recibida.');
  });

  it('falls back to English for a language without texts', () => {
    expect(bookingSms.reminder(BUSINESS, facts('fr'))).toContain('a reminder that your Teeth whitening');
  });
});

describe('smsNumberOf', () => {
  it.each([
    ['+353 87 555 0101', '+353875550101'],
    ['00353 (87) 555-0101', '+353875550101'],
    ['+34 600.555.010', '+34600555010'],
  ])('%s → %s', (typed, number) => {
    expect(smsNumberOf(typed)).toBe(number);
  });

  // Digits without + or 00 are not assumed international: "612 345 678" (a Spanish mobile) with a + is an Australian
  // number, "(555) 123-4567" a Brazilian one, and the payment link would go to a stranger.
  it.each([[undefined], [''], ['087 555 0101'], ['+0 87 555 0101'], ['12345'], ['612 345 678'], ['(555) 123-4567'], ['353875550101']])('%s → none (no country code, or not a phone number)', (typed) => {
    expect(smsNumberOf(typed)).toBeUndefined();
  });
});

describe('a service that costs nothing (a restaurant table, a free consultation)', () => {
  const free = (lang: string): BookingFacts => ({ ...facts(lang, 0), service: lang === 'es' ? 'Mesa para cenar' : 'Dinner table', priceCents: 0 });
  it.each([
    ['en', 'Price: free.'],
    ['es', 'Precio: gratis.'],
  ])('%s: the confirmation says it is free, never a price of 0', (lang, said) => {
    const chat = bookingText.confirmed(free(lang), { cancellationNoticeHours: 24, refundDepositOnCancel: true });
    const sms = bookingSms.confirmed(BUSINESS, free(lang), { cancellationNoticeHours: 24 });
    expect(chat).toContain(said);
    expect(sms).toContain(said.replace('.', ''));
    for (const text of [chat, sms]) expect(text).not.toMatch(/0[.,]00|€ ?0\b|\b0 €/);
  });
});
