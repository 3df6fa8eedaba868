/**
 * What the handoff tells the customer, in their language (English and Spanish;
 * anything else falls back to English). Plain text: the widget renders it as text.
 */
import type { OpeningHours } from './knowledge-base';
import { withoutDatesAndTimes } from './nlu/digits';
import { businessCountryOf, phoneToShow, type CountryCode } from './phone';
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

  /**
   * Nobody can join: after hours, or nobody online, or nobody accepted in time. `onThisNumber`: the customer writes
   * from a phone (WhatsApp, SMS) whose number the callback uses, so they are not asked for one; another number or an
   * e-mail they write still replaces it.
   */
  callback(lang: string, why: 'after_hours' | 'nobody_available', reopening?: Reopening, onThisNumber = false): string {
    const l = langOf(lang);
    if (l === 'es') {
      const when = reopening ? (reopening.today ? ` Volvemos hoy a las ${reopening.time}.` : ` Volvemos ${dayNames.es[reopening.day]} a las ${reopening.time}.`) : '';
      const first = why === 'after_hours' ? `Ahora mismo el equipo no está disponible.${when}` : 'Lo siento, ahora mismo nadie del equipo puede unirse al chat.';
      return onThisNumber
        ? `${first} Te contactaremos en este número lo antes posible. Si prefieres que usemos otro número o un correo electrónico, escríbelo aquí.`
        : `${first} Déjanos aquí un teléfono o un correo electrónico y te contactaremos lo antes posible.`;
    }
    const when = reopening ? (reopening.today ? ` We're back today at ${reopening.time}.` : ` We're back on ${dayNames.en[reopening.day]} at ${reopening.time}.`) : '';
    const first = why === 'after_hours' ? `Our team isn't available right now.${when}` : "Sorry, nobody from the team can join the chat right now.";
    return onThisNumber
      ? `${first} We'll get back to you on this number as soon as we can. If you'd rather we used another number or an email address, just write it here.`
      : `${first} Leave a phone number or an email address here and we'll get back to you as soon as we can.`;
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

  /**
   * The assistant answers again: nobody took up the handoff the customer was told to wait for, or the person who had
   * the conversation wrote nothing for a day, on every channel (`waiting`: "if you still need a person, just say so");
   * or a person left a WhatsApp, SMS or Messenger conversation (`person`; the widget says that one itself).
   */
  backToAssistant(lang: string, from: 'waiting' | 'person'): string {
    if (langOf(lang) === 'es') {
      return from === 'waiting'
        ? 'El asistente vuelve a responder. Si aún necesitas hablar con una persona, dínoslo.'
        : 'La persona del equipo salió del chat. El asistente responde a partir de aquí.';
    }
    return from === 'waiting'
      ? 'The assistant is answering again. If you still need a person, just say so.'
      : 'The team member left the chat. The assistant answers from here.';
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
/** A run of digits as numbers are written: an optional + or bracket, digits with spaces, dots, dashes or brackets. */
const DIGIT_RUN = /[+(]?\d[\d\s().-]*\d/g;
/** Digits in a number: at least a short local one, at most E.164's 15 after an international prefix (0011 in Australia). */
const MIN_DIGITS = 7;
const MAX_DIGITS = 19;
/** Where in a run of digits a number may start: within its first groups (a number is a handful of them). */
const MAX_STARTS = 24;

/**
 * Whether a piece of a message is a phone number: one written with its country code is a valid number of that
 * country (read as `businessCountryOf` reads a business's own number); one written without is a valid number of
 * the business's country (`phoneToShow` then shows it in international form). With no country known, 7 to 15
 * digits that are not a range ("087 123 4567 - 10").
 */
function isPhone(candidate: string, country: CountryCode | undefined): boolean {
  const digits = candidate.replace(/\D/g, '').length;
  if (digits < MIN_DIGITS || digits > MAX_DIGITS) return false;
  if (candidate.startsWith('+')) return businessCountryOf({ phone: candidate }) !== undefined;
  if (country !== undefined) return phoneToShow(candidate, country).startsWith('+');
  return digits <= 15 && !/\s[-\u2013\u2014]\s/.test(candidate);
}

/**
 * The phone numbers a run of digits may hold, most likely first: the whole run, then shorter pieces from the left
 * (a run often carries more than the number: "087 123 4567 - 10 is best"; "0871234567 2 people"). A run that starts
 * with a country code (+, 00) is one number or none: its tail alone is not another one.
 */
function* phoneCandidates(run: string): Generator<string> {
  // Bounded (a message of thousands of digit groups took seconds per group): pieces of at most MAX_DIGITS digits,
  // starting in the run's first MAX_STARTS groups.
  const groups = [...run.matchAll(/\d+/g)].map((g) => ({ start: g.index, end: g.index + g[0].length, digits: g[0].length }));
  const starts = /^(?:\+|\(?00)/.test(run) ? 1 : Math.min(groups.length, MAX_STARTS);
  for (let i = 0; i < starts; i++) {
    const from = i === 0 ? 0 : (groups[i]?.start ?? 0) - (run[(groups[i]?.start ?? 0) - 1] === '(' ? 1 : 0);
    let last = i;
    for (let digits = groups[i]?.digits ?? 0; last + 1 < groups.length && digits + (groups[last + 1]?.digits ?? 0) <= MAX_DIGITS; last++) digits += groups[last + 1]?.digits ?? 0;
    for (let j = last; j >= i; j--) yield run.slice(from, groups[j]?.end);
  }
}

/**
 * The first e-mail address in a message, else its first phone number, normalised for display. Every run of digits
 * is tried, and only a valid phone number is taken (`country`: the business's, for numbers written without their
 * country code): a date, a time or a range of hours next to the number is not a contact.
 */
export function contactIn(text: string, country?: CountryCode): string | undefined {
  const email = EMAIL.exec(text)?.[0];
  if (email) return email.toLowerCase();
  const blanked = withoutDatesAndTimes(text);
  for (const run of blanked.matchAll(DIGIT_RUN)) {
    for (const candidate of phoneCandidates(run[0])) {
      if (isPhone(candidate, country)) return candidate.replace(/\s+/g, ' ').trim();
    }
  }
  return undefined;
}

/** Words of a new request, not of a verdict: "1 - I need to rebook", "3, tomorrow at 5 please". */
const NOT_A_VERDICT = String.raw`(?:\b(?:book|rebook|booking|appointment|cancel|reschedule|change|move|tomorrow|today|tonight|monday|tuesday|wednesday|thursday|friday|saturday|sunday|cita|reserv\w*|cancel\w*|cambiar|mover|mañana|hoy|lunes|martes|miércoles|jueves|viernes|sábado|domingo)\b|\bat\s+\d|\ba\s+las\s+\d)`;

/** "/5", "de 5", "out of five", "stars", "estrellas": a score said to be on the 1–5 scale. */
const OF_FIVE = String.raw`(?:\/\s*5|(?:de|out\s+of)\s+(?:5|five|cinco)|stars?\b|estrellas?\b)`;
const SCORE_WORDS: Readonly<Record<string, number>> = { one: 1, two: 2, three: 3, four: 4, five: 5, uno: 1, una: 1, dos: 2, tres: 3, cuatro: 4, cinco: 5 };
/**
 * A digit 1–5 that leads the message: alone (a "!" or "." after it), said to be of five ("4/5", "5 stars, thanks"),
 * or followed by a separator and a few words of verdict ("5 - great service", "5, thanks"). A separator before more
 * digits is a range or a time ("2-3 people", "5:30"); words that ask something ("1, what time do you close?") or ask
 * for something ("2, can I rebook", "3, tomorrow at 5 please"), or more than eight words, are a new message; a digit
 * followed by plain words is not a score ("2 more questions").
 */
const SCORE_DIGIT = new RegExp(
  String.raw`^\s*([1-5])(?!\d)(?:\s*${OF_FIVE}|\s*[.!]*\s*$|\s*[-\u2013\u2014,;:!](?!\s*\d)(?![^?¿]*[?¿])(?![^]*${NOT_A_VERDICT})(?=(?:\s*[^\s]+){1,8}\s*$))`,
  'iu',
);
/** A number word on its own, in English or Spanish ("five", "Cinco estrellas", "four out of five!"). */
const SCORE_WORD = new RegExp(String.raw`^\s*(${Object.keys(SCORE_WORDS).join('|')})(?:\s*${OF_FIVE})?\s*[.!]*\s*$`, 'iu');
/** One to five stars, on their own ("⭐⭐⭐⭐⭐", "★★★"). */
const SCORE_STARS = /^\s*((?:[\u2B50\u2605\u{1F31F}]\uFE0F?\s*){1,5})[.!]*\s*$/u;

/**
 * A CSAT answer: a score 1–5 leading the message, as a digit (with a few words after it), a number word (English or
 * Spanish) or star emoji. Kept strict, since on WhatsApp and SMS a message read as a score goes to the closed
 * conversation instead of starting a new one (core/channels/inbound.ts).
 */
export function csatScoreIn(text: string): number | undefined {
  const digit = SCORE_DIGIT.exec(text)?.[1];
  if (digit) return Number(digit);
  const word = SCORE_WORD.exec(text)?.[1];
  if (word) return SCORE_WORDS[word.toLowerCase()];
  const stars = SCORE_STARS.exec(text)?.[1];
  return stars ? [...stars.matchAll(/[\u2B50\u2605\u{1F31F}]/gu)].length : undefined;
}
