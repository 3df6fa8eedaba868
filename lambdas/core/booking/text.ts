/**
 * What the booking workflow tells customers (and staff), in the customer's language
 * (English and Spanish; anything else falls back to English). Plain text: every channel
 * renders it as text, and links stay bare so SMS and WhatsApp make them clickable.
 * `bookingSms`: the same notices as the business's own text messages to a customer who gave
 * only a phone number (a staff booking): short, naming the business, with the opt-out.
 */
import type { QuickReply } from '../protocol';

type Lang = 'en' | 'es';
const langOf = (lang: string): Lang => (lang.slice(0, 2) === 'es' ? 'es' : 'en');
const locales: Record<Lang, string> = { en: 'en-IE', es: 'es-ES' };

/** "€50.00" / "50,00 €". */
export function money(lang: string, cents: number, currency: string): string {
  return new Intl.NumberFormat(locales[langOf(lang)], { style: 'currency', currency }).format(cents / 100);
}

/** What a service costs: "€80.00" / "80,00 €", or "free" / "gratis" for one that costs nothing (never "€0.00"). */
export function servicePrice(lang: string, cents: number, currency: string): string {
  if (cents === 0) return langOf(lang) === 'es' ? 'gratis' : 'free';
  return money(lang, cents, currency);
}

/** "Thursday 4 December at 14:00" / "el jueves 4 de diciembre a las 14:00", on the business's wall clock. */
export function when(lang: string, instant: string, timezone: string): string {
  const l = langOf(lang);
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat(locales[l], { timeZone: timezone, weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(new Date(instant))
      .map((p) => [p.type, p.value]),
  );
  const time = `${parts['hour'] ?? '00'}:${parts['minute'] ?? '00'}`;
  return l === 'es'
    ? `el ${parts['weekday'] ?? ''} ${parts['day'] ?? ''} de ${parts['month'] ?? ''} a las ${time}`
    : `${parts['weekday'] ?? ''} ${parts['day'] ?? ''} ${parts['month'] ?? ''} at ${time}`;
}

/** What a message needs to say about one booking, already resolved from the catalogue. */
export interface BookingFacts {
  readonly lang: string;
  readonly service: string;
  readonly staff: string;
  /** Local date and time, from `when`. */
  readonly when: string;
  readonly priceCents: number;
  readonly depositCents: number;
  readonly currency: string;
  /** How many people it is for, when said: "Dinner table for 4" / "Mesa para cenar para 4 personas". */
  readonly partySize?: number;
}

const forParty = (l: Lang, f: BookingFacts): string =>
  f.partySize === undefined ? f.service : l === 'es' ? `${f.service} para ${f.partySize} ${f.partySize === 1 ? 'persona' : 'personas'}` : `${f.service} for ${f.partySize}`;
const withWhom = (l: Lang, f: BookingFacts): string => (l === 'es' ? `${forParty(l, f)} con ${f.staff}` : `${forParty(l, f)} with ${f.staff}`);
/** "1 minute" / "30 minutes" / "24 hours" / "1 minuto" / "2 horas": whole hours from two hours up. */
function minutesText(l: Lang, n: number): string {
  if (n >= 120 || (n >= 60 && n % 60 === 0)) {
    const hours = Math.round(n / 60);
    return l === 'es' ? `${hours} ${hours === 1 ? 'hora' : 'horas'}` : `${hours} ${hours === 1 ? 'hour' : 'hours'}`;
  }
  return l === 'es' ? `${n} ${n === 1 ? 'minuto' : 'minutos'}` : `${n} ${n === 1 ? 'minute' : 'minutes'}`;
}

export const bookingText = {
  /** The deposit link, with the amount and how long the time is kept. */
  checkout(f: BookingFacts, url: string, minutes: number): string {
    const l = langOf(f.lang);
    const deposit = money(l, f.depositCents, f.currency);
    return l === 'es'
      ? `Para confirmar su reserva de ${withWhom(l, f)} ${f.when}, pague la señal de ${deposit} aquí: ${url}\nLe guardo la hora durante ${minutesText(l, minutes)}; en cuanto se reciba el pago le confirmo la reserva.`
      : `To confirm your ${withWhom(l, f)} on ${f.when}, please pay the ${deposit} deposit here: ${url}\nI'll keep the time for you for ${minutesText(l, minutes)}, and confirm the booking as soon as the payment arrives.`;
  },

  /** The confirmation: what, who, when, the price, the deposit paid and the cancellation policy. */
  confirmed(f: BookingFacts, policy: { readonly cancellationNoticeHours: number; readonly refundDepositOnCancel: boolean }): string {
    const l = langOf(f.lang);
    const price = servicePrice(l, f.priceCents, f.currency);
    const deposit = f.depositCents > 0 ? money(l, f.depositCents, f.currency) : undefined;
    if (l === 'es') {
      const paid = deposit ? ` Hemos recibido su señal de ${deposit}, que se descuenta del precio.` : '';
      const notice = policy.cancellationNoticeHours > 0 ? `con al menos ${policy.cancellationNoticeHours} horas de antelación` : 'cuando quiera';
      const refund = deposit ? (policy.refundDepositOnCancel ? ' y le devolvemos la señal' : '; la señal no es reembolsable') : '';
      return `¡Reserva confirmada! ${withWhom(l, f)}, ${f.when}. Precio: ${price}.${paid}\nSi necesita cancelarla o cambiarla, avísenos aquí ${notice}${refund}.`;
    }
    const paid = deposit ? ` We've received your ${deposit} deposit, which comes off the price.` : '';
    const notice = policy.cancellationNoticeHours > 0 ? `at least ${policy.cancellationNoticeHours} hours before` : 'any time before';
    const refund = deposit ? (policy.refundDepositOnCancel ? ' and we refund the deposit' : '; the deposit is not refundable') : '';
    return `Your booking is confirmed: ${withWhom(l, f)} on ${f.when}. Price: ${price}.${paid}\nIf you need to cancel or change it, just tell me here ${notice}${refund}.`;
  },

  reminder(f: BookingFacts): string {
    const l = langOf(f.lang);
    return l === 'es'
      ? `Recordatorio: tiene una reserva de ${withWhom(l, f)} ${f.when}. Si no puede venir, avísenos aquí para cambiarla o cancelarla.`
      : `Reminder: you have a ${withWhom(l, f)} on ${f.when}. If you can't make it, tell me here and I'll change or cancel it.`;
  },

  /** The deposit was not paid in time: the time is released; no person is involved. */
  expired(f: BookingFacts, minutes: number): string {
    const l = langOf(f.lang);
    return l === 'es'
      ? `No hemos recibido la señal en ${minutesText(l, minutes)}, así que he liberado la hora de ${withWhom(l, f)} ${f.when}. Si aún quiere venir, dígame otro día y hora, o pida hablar con una persona.`
      : `The deposit wasn't paid within ${minutesText(l, minutes)}, so I've released the ${withWhom(l, f)} on ${f.when}. If you'd still like to come in, tell me another day and time, or ask for a person.`;
  },

  /** Something went wrong: honest, with the refund if there was one, and a person is asked to help. */
  failed(f: BookingFacts, why: 'slot_lost' | 'declined' | 'error', refundedCents: number): string {
    const l = langOf(f.lang);
    const refund = refundedCents > 0 ? money(l, refundedCents, f.currency) : undefined;
    if (l === 'es') {
      const reason =
        why === 'slot_lost' ? 'esa hora ya no está libre' : why === 'declined' ? 'el pago no se ha completado' : 'ha fallado algo por nuestra parte';
      const back = refund ? ` Le devolvemos la señal de ${refund}.` : '';
      return `Lo siento, no he podido completar su reserva de ${withWhom(l, f)} ${f.when}: ${reason}.${back} He pedido a alguien del equipo que le ayude a encontrar otra hora; también puede decirme otro día y hora.`;
    }
    const reason = why === 'slot_lost' ? 'that time is no longer free' : why === 'declined' ? "the payment didn't go through" : 'something went wrong on our side';
    const back = refund ? ` Your ${refund} deposit is being refunded.` : '';
    return `Sorry, I couldn't complete your ${withWhom(l, f)} on ${f.when}: ${reason}.${back} I've asked someone from the team to help you find another time; you can also tell me another day and time.`;
  },

  /** The business cancelled the booking: an apology, the refund when the deposit was paid, and how to book again. */
  cancelledByBusiness(f: BookingFacts, refundedCents: number): string {
    const l = langOf(f.lang);
    const refund = refundedCents > 0 ? money(l, refundedCents, f.currency) : undefined;
    if (l === 'es') {
      const back = refund ? ` Le devolvemos la señal de ${refund}.` : '';
      return `Lo sentimos: hemos tenido que cancelar su reserva de ${withWhom(l, f)} ${f.when}.${back} Si quiere otra hora, dígame qué día y hora le vienen bien.`;
    }
    const back = refund ? ` Your ${refund} deposit is being refunded.` : '';
    return `Sorry, we've had to cancel your ${withWhom(l, f)} on ${f.when}.${back} If you'd like another time, tell me a day and time that suit you.`;
  },

  /** A deposit paid after the booking had ended: refunded in full. */
  latePaymentRefunded(f: BookingFacts, refundedCents: number): string {
    const l = langOf(f.lang);
    const amount = money(l, refundedCents, f.currency);
    return l === 'es'
      ? `Hemos recibido su pago de ${amount} cuando la reserva de ${withWhom(l, f)} ${f.when} ya había caducado, así que se lo hemos devuelto íntegro. Si aún quiere reservar, dígame qué día y hora le vienen bien.`
      : `Your ${amount} payment arrived after the hold on the ${withWhom(l, f)} on ${f.when} had ended, so we've refunded it in full. If you'd still like to come in, tell me a day and time that suit you.`;
  },

  /**
   * A deposit paid on the link of a booking that had been moved (`f`: the old booking; `newWhen`: the new booking's
   * time, when it is known) that the new booking could not take: its deposit was already paid (`paid`), or it is no
   * longer active (`ended`). Refunded in full.
   */
  movedPaymentRefunded(f: BookingFacts, newWhen: string | undefined, why: 'paid' | 'ended', refundedCents: number): string {
    const l = langOf(f.lang);
    const amount = money(l, refundedCents, f.currency);
    if (l === 'es') {
      const moved = newWhen ? `se había cambiado a ${newWhen}` : 'se había cambiado a otra hora';
      return why === 'paid'
        ? `Su pago de ${amount} era para la reserva de ${withWhom(l, f)} ${f.when}, que ${moved}, y la señal de la nueva reserva ya estaba pagada, así que se lo hemos devuelto íntegro. Su nueva reserva sigue en pie.`
        : `Su pago de ${amount} era para la reserva de ${withWhom(l, f)} ${f.when}, que ${moved}, pero esa nueva reserva ya no está activa, así que se lo hemos devuelto íntegro. Si aún quiere reservar, dígame qué día y hora le vienen bien.`;
    }
    const moved = newWhen ? `which had been moved to ${newWhen}` : 'which had been moved to another time';
    return why === 'paid'
      ? `Your ${amount} payment was for the ${withWhom(l, f)} on ${f.when}, ${moved}, and the deposit for the new time was already paid, so we've refunded this payment in full. Your new booking stands.`
      : `Your ${amount} payment was for the ${withWhom(l, f)} on ${f.when}, ${moved}, but that new booking is no longer active, so we've refunded it in full. If you'd still like to come in, tell me a day and time that suit you.`;
  },

  /** Quick replies after a release: other times, or a person. */
  nextSteps(lang: string): QuickReply[] {
    return langOf(lang) === 'es'
      ? [
          { label: 'Otras horas', text: 'Quiero reservar otra hora' },
          { label: 'Hablar con una persona', text: 'Quiero hablar con una persona' },
        ]
      : [
          { label: 'Other times', text: 'I want to book another time' },
          { label: 'Talk to a person', text: 'I want to speak to a person' },
        ];
  },
};

/** How an SMS of the business ends: the opt-out (carrier rules; core/channels/policy.ts records STOP). */
const smsOptOut: Record<Lang, string> = { en: 'Reply STOP to opt out.', es: 'Responda STOP para darse de baja.' };

/** "Harbour Dental Studio: <text> Reply STOP to opt out." — who is writing comes first: the customer never wrote to this number. */
const sms = (l: Lang, business: string, text: string): string => `${business}: ${text} ${smsOptOut[l]}`;

/**
 * The booking notices as the business's text messages, to a customer reached by phone only (no conversation, no
 * e-mail address): each names the business and ends with the opt-out, and says only what the customer needs — what,
 * who, when, the money, and that they can answer by text (their answer reaches the concierge, which knows their
 * number and so their bookings). Two SMS parts at most for a typical booking, in GSM-7: the fixed Spanish words
 * avoid á í ó ú, which would make every part 67 characters (test/unit/booking-sms-text.test.ts).
 */
export const bookingSms = {
  checkout(business: string, f: BookingFacts, url: string, minutes: number): string {
    const l = langOf(f.lang);
    const deposit = money(l, f.depositCents, f.currency);
    return l === 'es'
      ? sms(l, business, `para confirmar su reserva de ${withWhom(l, f)} ${f.when}, pague la señal de ${deposit} en ${minutesText(l, minutes)}: ${url}`)
      : sms(l, business, `to confirm your ${withWhom(l, f)} on ${f.when}, please pay the ${deposit} deposit within ${minutesText(l, minutes)}: ${url}`);
  },

  confirmed(business: string, f: BookingFacts, policy: { readonly cancellationNoticeHours: number }): string {
    const l = langOf(f.lang);
    const price = servicePrice(l, f.priceCents, f.currency);
    const deposit = f.depositCents > 0 ? money(l, f.depositCents, f.currency) : undefined;
    const hours = policy.cancellationNoticeHours;
    if (l === 'es') {
      const paid = deposit ? `, señal de ${deposit} recibida` : '';
      const notice = hours > 0 ? ` al menos ${hours} horas antes` : '';
      return sms(l, business, `su reserva de ${withWhom(l, f)} ${f.when} queda confirmada. Precio: ${price}${paid}. Para cambiarla o cancelarla, responda a este SMS${notice}.`);
    }
    const paid = deposit ? `, ${deposit} deposit received` : '';
    const notice = hours > 0 ? ` at least ${hours} hours before` : '';
    return sms(l, business, `your ${withWhom(l, f)} on ${f.when} is confirmed. Price: ${price}${paid}. To change or cancel, reply to this text${notice}.`);
  },

  reminder(business: string, f: BookingFacts): string {
    const l = langOf(f.lang);
    return l === 'es'
      ? sms(l, business, `le recordamos su reserva de ${withWhom(l, f)} ${f.when}. Si no puede venir, responda a este SMS.`)
      : sms(l, business, `a reminder that your ${withWhom(l, f)} is on ${f.when}. Can't make it? Reply to this text.`);
  },

  expired(business: string, f: BookingFacts, minutes: number): string {
    const l = langOf(f.lang);
    return l === 'es'
      ? sms(l, business, `no hemos recibido la señal en ${minutesText(l, minutes)}, por eso hemos liberado su reserva de ${withWhom(l, f)} ${f.when}. Para otra hora, responda a este SMS.`)
      : sms(l, business, `the deposit wasn't paid within ${minutesText(l, minutes)}, so your ${withWhom(l, f)} on ${f.when} was released. For another time, reply to this text.`);
  },

  failed(business: string, f: BookingFacts, why: 'slot_lost' | 'declined' | 'error', refundedCents: number): string {
    const l = langOf(f.lang);
    const refund = refundedCents > 0 ? money(l, refundedCents, f.currency) : undefined;
    if (l === 'es') {
      const reason = why === 'slot_lost' ? 'esa hora ya la ha reservado otra persona' : why === 'declined' ? 'el pago no se ha completado' : 'ha fallado algo por nuestra parte';
      const back = refund ? ` Le devolvemos la señal de ${refund}.` : '';
      return sms(l, business, `lo sentimos, no hemos podido completar su reserva de ${withWhom(l, f)} ${f.when}: ${reason}.${back} Para otra hora, responda a este SMS.`);
    }
    const reason = why === 'slot_lost' ? 'that time is no longer free' : why === 'declined' ? "the payment didn't go through" : 'something went wrong on our side';
    const back = refund ? ` Your ${refund} deposit is being refunded.` : '';
    return sms(l, business, `sorry, we couldn't complete your ${withWhom(l, f)} on ${f.when}: ${reason}.${back} For another time, reply to this text.`);
  },

  cancelledByBusiness(business: string, f: BookingFacts, refundedCents: number): string {
    const l = langOf(f.lang);
    const refund = refundedCents > 0 ? money(l, refundedCents, f.currency) : undefined;
    if (l === 'es') {
      const back = refund ? ` Le devolvemos la señal de ${refund}.` : '';
      return sms(l, business, `lo sentimos, hemos tenido que cancelar su reserva de ${withWhom(l, f)} ${f.when}.${back} Para otra hora, responda a este SMS.`);
    }
    const back = refund ? ` Your ${refund} deposit is being refunded.` : '';
    return sms(l, business, `sorry, we've had to cancel your ${withWhom(l, f)} on ${f.when}.${back} For another time, reply to this text.`);
  },

  latePaymentRefunded(business: string, f: BookingFacts, refundedCents: number): string {
    const l = langOf(f.lang);
    const amount = money(l, refundedCents, f.currency);
    return l === 'es'
      ? sms(l, business, `recibimos su pago de ${amount} con la reserva de ${withWhom(l, f)} ${f.when} ya caducada, por eso se lo hemos devuelto entero. Para otra hora, responda a este SMS.`)
      : sms(l, business, `your ${amount} payment arrived after the hold on your ${withWhom(l, f)} on ${f.when} had ended, so we've refunded it in full. For another time, reply to this text.`);
  },

  movedPaymentRefunded(business: string, f: BookingFacts, newWhen: string | undefined, why: 'paid' | 'ended', refundedCents: number): string {
    const l = langOf(f.lang);
    const amount = money(l, refundedCents, f.currency);
    if (l === 'es') {
      const moved = newWhen ? `cambiada a ${newWhen}` : 'cambiada a otra hora';
      return why === 'paid'
        ? sms(l, business, `su pago de ${amount} era para la reserva de ${withWhom(l, f)} ${f.when}, ${moved}, cuya señal ya estaba pagada: se lo hemos devuelto entero. Su nueva reserva sigue en pie.`)
        : sms(l, business, `su pago de ${amount} era para la reserva de ${withWhom(l, f)} ${f.when}, ${moved}, que ya no está activa: se lo hemos devuelto entero. Para otra hora, responda a este SMS.`);
    }
    const moved = newWhen ? `moved to ${newWhen}` : 'moved to another time';
    return why === 'paid'
      ? sms(l, business, `your ${amount} payment was for your ${withWhom(l, f)} on ${f.when}, ${moved}, whose deposit was already paid, so we've refunded it in full. Your new booking stands.`)
      : sms(l, business, `your ${amount} payment was for your ${withWhom(l, f)} on ${f.when}, ${moved}, which is no longer active, so we've refunded it in full. For another time, reply to this text.`);
  },
};
