/**
 * Language detection between the languages we write replies in (en, es), and
 * the system strings the concierge says in each.
 */
import { words } from './text';

const SPANISH_MARKERS = new Set(
  'el la los las que de del por para con una uno es estan esta hay tienen tiene hola gracias cuanto cuanta cuesta donde cuando como puedo quiero quisiera necesito horario aparcamiento aparcar cita precio precios abierto abren cierran usted ustedes vosotros buenos buenas dias tardes noches adios si claro muchas'.split(' '),
);
const ENGLISH_MARKERS = new Set(
  'the is are do does you your what when where how can have has hello hi thanks thank please my i an open close price much book appointment parking yes no'.split(' '),
);

export type ReplyLanguage = 'en' | 'es';

/** Picks en or es from the text; falls back to the hint (browser / tenant language) when the text says too little. */
export function detectLanguage(text: string, hint?: string): ReplyLanguage {
  const ws = words(text);
  let es = /[ñ¿¡áéíóú]/i.test(text) ? 2 : 0;
  let en = 0;
  for (const w of ws) {
    if (SPANISH_MARKERS.has(w)) es += 1;
    if (ENGLISH_MARKERS.has(w)) en += 1;
  }
  if (es > en) return 'es';
  if (en > es) return 'en';
  return hint?.startsWith('es') ? 'es' : 'en';
}

const STRINGS = {
  en: {
    dontKnow: (business: string) =>
      `I'm not sure about that, and I'd rather not guess. Would you like me to connect you with someone from ${business}?`,
    talkToPerson: 'Talk to a person',
    talkToPersonText: "I'd like to talk to a person",
    greeting: (business: string) => `Hello! I'm the ${business} concierge. Ask me about our services, prices, opening hours or anything else.`,
    thanks: "You're welcome! Is there anything else I can help with?",
    goodbye: 'Thanks for getting in touch. Have a lovely day!',
  },
  es: {
    dontKnow: (business: string) => `No estoy seguro de eso y prefiero no adivinar. ¿Quiere que le ponga en contacto con alguien de ${business}?`,
    talkToPerson: 'Hablar con una persona',
    talkToPersonText: 'Quiero hablar con una persona',
    greeting: (business: string) => `¡Hola! Soy el asistente de ${business}. Pregúnteme por nuestros servicios, precios, horarios o lo que necesite.`,
    thanks: '¡De nada! ¿Puedo ayudarle con algo más?',
    goodbye: 'Gracias por escribirnos. ¡Que tenga un buen día!',
  },
} as const;

export function strings(lang: ReplyLanguage): (typeof STRINGS)[ReplyLanguage] {
  return STRINGS[lang];
}
