/**
 * The booking notices (core/booking/text.ts: `bookingText` in the chat and by e-mail, `bookingSms` by text message)
 * and the local checkout page address a Spanish customer as "usted", as the booking conversation does
 * (core/booking/dialog-text.ts): never "tú" ("tu cita", "paga la señal", "si no puedes venir", "dime otro día").
 * And the deposit is "la señal" everywhere, never "el depósito".
 */
import { checkoutPageText } from '../../local-cloud/checkout';
import { bookingSms, bookingText, when, type BookingFacts } from '../../lambdas/core/booking/text';
import { dialogText } from '../../lambdas/core/booking/dialog-text';
import { strings } from '../../lambdas/core/answer/language';

const BUSINESS = 'Harbour Dental Studio';
const URL = 'https://checkout.stripe.com/c/pay/cs_test_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9t0';
const START = '2026-12-02T10:30:00.000Z';
const LATER = '2026-12-09T16:00:00.000Z';

const facts = (depositCents: number): BookingFacts => ({
  lang: 'es',
  service: 'Blanqueamiento dental',
  staff: 'Dra. Niamh Gallagher',
  when: when('es', START, 'Europe/Madrid'),
  priceCents: 35000,
  depositCents,
  currency: 'EUR',
});

/** Every Spanish notice, in every variant (with and without a deposit, a refund, a notice period, a new time). */
function spanishNotices(): Record<string, string> {
  const out: Record<string, string> = {};
  const newWhen = when('es', LATER, 'Europe/Madrid');
  for (const deposit of [0, 5000]) {
    const f = facts(deposit);
    const d = `deposit ${deposit}`;
    out[`checkout, ${d}`] = bookingText.checkout(f, URL, 30);
    out[`sms checkout, ${d}`] = bookingSms.checkout(BUSINESS, f, URL, 24 * 60);
    for (const hours of [0, 24]) {
      for (const refundDepositOnCancel of [true, false]) {
        out[`confirmed, ${d}, ${hours}h, refund ${refundDepositOnCancel}`] = bookingText.confirmed(f, { cancellationNoticeHours: hours, refundDepositOnCancel });
      }
      out[`sms confirmed, ${d}, ${hours}h`] = bookingSms.confirmed(BUSINESS, f, { cancellationNoticeHours: hours });
    }
    out[`reminder, ${d}`] = bookingText.reminder(f);
    out[`sms reminder, ${d}`] = bookingSms.reminder(BUSINESS, f);
    out[`expired, ${d}`] = bookingText.expired(f, 30);
    out[`sms expired, ${d}`] = bookingSms.expired(BUSINESS, f, 30);
    for (const refunded of [0, 5000]) {
      for (const why of ['slot_lost', 'declined', 'error'] as const) {
        out[`failed ${why}, ${d}, refunded ${refunded}`] = bookingText.failed(f, why, refunded);
        out[`sms failed ${why}, ${d}, refunded ${refunded}`] = bookingSms.failed(BUSINESS, f, why, refunded);
      }
      out[`cancelledByBusiness, ${d}, refunded ${refunded}`] = bookingText.cancelledByBusiness(f, refunded);
      out[`sms cancelledByBusiness, ${d}, refunded ${refunded}`] = bookingSms.cancelledByBusiness(BUSINESS, f, refunded);
    }
    out[`latePaymentRefunded, ${d}`] = bookingText.latePaymentRefunded(f, 5000);
    out[`sms latePaymentRefunded, ${d}`] = bookingSms.latePaymentRefunded(BUSINESS, f, 5000);
    for (const moved of [newWhen, undefined]) {
      for (const why of ['paid', 'ended'] as const) {
        out[`movedPaymentRefunded ${why}, ${d}, to ${moved ?? 'unknown'}`] = bookingText.movedPaymentRefunded(f, moved, why, 5000);
        out[`sms movedPaymentRefunded ${why}, ${d}, to ${moved ?? 'unknown'}`] = bookingSms.movedPaymentRefunded(BUSINESS, f, moved, why, 5000);
      }
    }
  }
  bookingText.nextSteps('es').forEach((reply, i) => {
    out[`nextSteps ${i}`] = `${reply.label} / ${reply.text}`;
  });
  for (const [key, text] of Object.entries(checkoutPageText.es)) out[`checkout page ${key}`] = text;
  return out;
}

/**
 * "tú" forms: the pronouns and possessives, and the second-person verbs and imperatives such notices would use.
 * Whole words only (letters with accents count as letters): "tu" never matches inside "estuvo" or "pagado".
 */
const INFORMAL = new RegExp(
  `(?<!\\p{L})(${[
    'tú', 'tu', 'tus', 'te', 'ti', 'contigo', 'tuyo', 'tuya',
    'puedes', 'quieres', 'quieras', 'necesitas', 'tienes', 'prefieres', 'recibirás', 'vienes',
    'dime', 'dinos', 'paga', 'pide', 'avísanos', 'avisa', 'responde', 'llámanos', 'escríbenos', 'vuelve', 'elige',
    'darte', 'inténtalo', 'intenta', 'cancélala', 'cámbiala',
  ].join('|')})(?!\\p{L})`,
  'iu',
);

describe('the Spanish booking notices and checkout page address the customer as "usted"', () => {
  const notices = Object.entries(spanishNotices());

  it('renders every variant', () => {
    expect(notices.length).toBeGreaterThan(60);
  });

  it.each(notices)('%s: no "tú" form', (_kind, text) => {
    expect(text.match(INFORMAL)?.[0]).toBeUndefined();
  });

  it.each(notices)('%s: the deposit is "la señal", never "el depósito"', (_kind, text) => {
    expect(text).not.toMatch(/dep[oó]sito/i);
  });

  it('the pattern catches what the notices used to say, and leaves the formal wording alone', () => {
    for (const informal of ['Para confirmar tu cita', 'paga la señal', 'Si no puedes venir', 'dime otro día', 'Te devolvemos la señal', 'Responde STOP para darte de baja.', 'avísanos aquí', 'Pide una nueva reserva', 'Inténtalo de nuevo.']) {
      expect([informal, INFORMAL.test(informal)]).toEqual([informal, true]);
    }
    for (const formal of ['Para confirmar su cita', 'pague la señal', 'Si no puede venir', 'díganos otro día', 'Le devolvemos la señal', 'Responda STOP para darse de baja.', 'la señal ya estaba pagada', 'esa hora ya no está libre']) {
      expect([formal, INFORMAL.test(formal)]).toEqual([formal, false]);
    }
  });
});

/** Every string of a text table, functions called with sample arguments (a count of 1 and of 2 for plurals). */
function rendered(table: object, prefix: string): [string, string][] {
  return Object.entries(table).flatMap(([key, value]): [string, string][] => {
    if (typeof value === 'string') return [[`${prefix}${key}`, value]];
    if (typeof value === 'function') {
      const call = value as (...args: unknown[]) => unknown;
      return [1, 2].map((n): [string, string] => [`${prefix}${key}(${n})`, String(call(n, 'Dinner table', 'Terrace', 'Fri 27 Mar, 20:00', '€0'))]);
    }
    return value && typeof value === 'object' ? rendered(value, `${prefix}${key}.`) : [];
  });
}

describe('the booking words fit every business: a salon, a restaurant, a hotel, not only a clinic', () => {
  const texts = [
    ...Object.entries(spanishNotices()),
    ...rendered(dialogText('es'), 'dialog es '),
    ...rendered(dialogText('en'), 'dialog en '),
    ...rendered(strings('es'), 'concierge es '),
    ...rendered(strings('en'), 'concierge en '),
  ];

  it.each(texts)('%s: a booking / "reserva", never an appointment / "cita"', (_kind, text) => {
    expect(text).not.toMatch(/(?<!\p{L})(?:citas?|appointments?|patients?|pacientes?)(?!\p{L})/iu);
  });
});
