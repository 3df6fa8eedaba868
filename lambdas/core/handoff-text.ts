/**
 * What the handoff tells the customer, in their language (English and Spanish;
 * anything else falls back to English). Plain text: the widget renders it as text.
 */
import type { OpeningHours } from './knowledge-base';
import type { QuickReply } from './protocol';

type Lang = 'en' | 'es';
const langOf = (lang: string): Lang => (lang.slice(0, 2) === 'es' ? 'es' : 'en');

const dayNames: Record<Lang, Record<OpeningHours['day'], string>> = {
  en: { mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday' },
  es: { mon: 'el lunes', tue: 'el martes', wed: 'el miércoles', thu: 'el jueves', fri: 'el viernes', sat: 'el sábado', sun: 'el domingo' },
};

export interface Reopening {
  readonly day: OpeningHours['day'];
  readonly time: string;
  readonly today: boolean;
}

/** "within about 2 minutes" / "en unos 2 minutos". */
function withinText(lang: Lang, seconds: number): string {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  if (lang === 'es') return minutes === 1 ? 'en un minuto aproximadamente' : `en unos ${minutes} minutos`;
  return minutes === 1 ? 'within about a minute' : `within about ${minutes} minutes`;
}

export const handoffText = {
  /** Queued: honest about what happens next and the expected wait. */
  queued(lang: string, slaSeconds: number): string {
    const l = langOf(lang);
    const wait = withinText(l, slaSeconds);
    return l === 'es'
      ? `He avisado al equipo para que alguien se una a este chat. Normalmente alguien responde ${wait}; verás su respuesta aquí mismo. Mientras tanto, el asistente no contestará.`
      : `I've asked the team to join this chat. Someone usually replies ${wait}, and you'll see their reply right here. The assistant won't answer in the meantime.`;
  },

  /** Nobody can join: after hours, or nobody online, or nobody accepted in time. */
  callback(lang: string, why: 'after_hours' | 'nobody_available', reopening?: Reopening): string {
    const l = langOf(lang);
    if (l === 'es') {
      const when = reopening ? (reopening.today ? ` Volvemos hoy a las ${reopening.time}.` : ` Volvemos ${dayNames.es[reopening.day]} a las ${reopening.time}.`) : '';
      const first = why === 'after_hours' ? `Ahora mismo el equipo no está disponible.${when}` : 'Lo siento, ahora mismo nadie del equipo puede unirse al chat.';
      return `${first} Déjanos aquí un teléfono o un correo electrónico y te contactaremos lo antes posible.`;
    }
    const when = reopening ? (reopening.today ? ` We're back today at ${reopening.time}.` : ` We're back on ${dayNames.en[reopening.day]} at ${reopening.time}.`) : '';
    const first = why === 'after_hours' ? `Our team isn't available right now.${when}` : "Sorry, nobody from the team can join the chat right now.";
    return `${first} Leave a phone number or an email address here and we'll get back to you as soon as we can.`;
  },

  contactReceived(lang: string, contact: string): string {
    return langOf(lang) === 'es'
      ? `Gracias. Te contactaremos en ${contact} lo antes posible.`
      : `Thank you. We'll contact you at ${contact} as soon as we can.`;
  },

  contactAgain(lang: string): string {
    return langOf(lang) === 'es'
      ? 'Para poder llamarte, escribe un número de teléfono o un correo electrónico.'
      : 'So we can get back to you, please write a phone number or an email address.';
  },

  /** The one-question satisfaction survey after a person closed the conversation. */
  csatQuestion(lang: string): string {
    return langOf(lang) === 'es'
      ? 'Gracias por escribirnos. ¿Qué tan satisfecho estás con la ayuda recibida? Elige de 1 (nada) a 5 (muy satisfecho).'
      : 'Thanks for chatting with us. How satisfied are you with the help you got? Choose from 1 (not at all) to 5 (very satisfied).';
  },

  csatOptions(): QuickReply[] {
    return ['1', '2', '3', '4', '5'].map((n) => ({ label: n, text: n }));
  },

  csatThanks(lang: string): string {
    return langOf(lang) === 'es' ? '¡Gracias por tu valoración!' : 'Thank you for your feedback!';
  },
};

const EMAIL = /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}/;
const PHONE = /\+?\d[\d\s().-]{6,18}\d/;

/** The first e-mail address or phone number in a message, normalised for display. */
export function contactIn(text: string): string | undefined {
  const email = EMAIL.exec(text)?.[0];
  if (email) return email.toLowerCase();
  const phone = PHONE.exec(text)?.[0];
  if (phone && phone.replace(/\D/g, '').length >= 7) return phone.replace(/\s+/g, ' ').trim();
  return undefined;
}

/** A CSAT answer: the message is just a score 1–5 (optionally with a few words after it). */
export function csatScoreIn(text: string): number | undefined {
  const m = /^\s*([1-5])(?:\s*(?:\/\s*5|de 5|out of 5|stars?|estrellas?))?\s*[.!]?\s*$/i.exec(text);
  return m?.[1] ? Number(m[1]) : undefined;
}
