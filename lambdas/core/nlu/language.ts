/**
 * Language identification between the languages the concierge writes replies
 * in (en, es). Short customer messages defeat statistical identifiers, so this
 * scores function words, Spanish-only characters and endings, and falls back to
 * a hint (the conversation's language) when the text says too little.
 */
import { fold, words } from '../answer/text';

export type ReplyLanguage = 'en' | 'es';
export const REPLY_LANGUAGES: readonly ReplyLanguage[] = ['en', 'es'];

const SPANISH = new Set(
  (
    'el la los las lo que de del por para con una uno unos unas es son esta estan estoy hay tienen tiene tengo teneis hola gracias cuanto cuanta cuantos ' +
    'cuesta cuestan vale valen donde cuando como puedo puede pueden quiero quisiera queria necesito horario horarios aparcamiento aparcar cita citas precio precios ' +
    'abierto abiertos abren abris cierran cerrado usted ustedes vosotros buenos buenas dias tardes noches adios si claro muchas mucho muy tambien pero ' +
    'mi mis su sus me te se nos le les al ya hoy manana semana sabado domingo lunes martes miercoles jueves viernes hora horas algo alguien ' +
    'hacen haceis aceptan atienden ofrecen tratamiento dientes diente muela muelas dolor limpieza blanqueamiento revision urgencia dentista ninos nino hijo hija ' +
    'puedes podeis pagar tarjeta efectivo seguro llego tarde pronto despues antes entre desde hasta sobre sin este esta estos estas eso esto ese ' +
    'vale venga nada tambien otra otro mejor peor bien mal reservar reserva cancelar cambiar hablar persona queja'
  ).split(/\s+/),
);
const ENGLISH = new Set(
  (
    'the is are do does did you your yours what whats when where how can could would should have has hello hi hey thanks thank please my me i im ' +
    'an of to in on at for with and or it its this that there they them we our open close closed price prices much many book booking appointment parking yes ' +
    'want need like get got will be been am was were which who why any some from about after before between tomorrow today tonight week morning afternoon evening ' +
    'teeth tooth cleaning whitening checkup dentist kids child children pay card cash insurance late cancel change talk person someone'
  ).split(/\s+/),
);
/** Endings that are frequent in Spanish and rare in English. */
const SPANISH_ENDINGS = /(?:cion|ciones|mente|amos|emos|imos|ais|eis|ado|ada|ido|ida|ando|iendo|ito|ita)$/;

/** Scores the text for each language; positive favours Spanish. */
function spanishScore(text: string, letters = true): { es: number; en: number } {
  let es = /[¿¡]/.test(text) || (letters && /ñ/i.test(text)) ? 3 : letters && /[áéíóú]/i.test(text) ? 1.5 : 0;
  let en = /\b(?:i'm|i'd|i'll|don't|can't|won't|what's|it's|you're)\b/i.test(text) ? 2 : 0;
  for (const w of words(text)) {
    if (SPANISH.has(w)) es += 1;
    if (ENGLISH.has(w)) en += 1;
    if (w.length > 4 && SPANISH_ENDINGS.test(w) && !ENGLISH.has(w)) es += 0.3;
  }
  return { es, en };
}

/**
 * Picks en or es from the text; falls back to the hint (the conversation's or
 * browser's language) when the text says too little or is a tie.
 */
export function detectLanguage(text: string, hint?: string): ReplyLanguage {
  // A name ("José Núñez", "Iñaki Peña") has Spanish letters and says nothing of the language it is written in: in a
  // message of three words or fewer, with a conversation's language to keep, ñ and accents do not count (¿ ¡ do).
  const { es, en } = spanishScore(text, !(hint && words(text).length <= 3));
  const fallback: ReplyLanguage = hint?.startsWith('es') ? 'es' : 'en';
  // "no", "ok", "Invisalign?": too little to say; keep the conversation's language.
  if (Math.max(es, en) < 1) return fallback;
  // "parking?" in a Spanish conversation: one or two words switch it only when they say so clearly.
  if (hint && words(text).length <= 2 && Math.abs(es - en) < 2) return fallback;
  if (es > en) return 'es';
  if (en > es) return 'en';
  return fallback;
}

/** True when the folded text contains the folded phrase as whole words. */
export function hasPhrase(text: string, phrase: string): boolean {
  const t = ` ${words(text).join(' ')} `;
  return t.includes(` ${fold(phrase).trim()} `);
}
