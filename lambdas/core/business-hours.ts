/**
 * Opening hours in the business's time zone: is it open now, and when does it
 * open next. Pure; "now" is a parameter. A period closing at 23:59 runs to
 * midnight (the knowledge-base format has no 24:00).
 */
import type { OpeningHours } from './knowledge-base';

const days = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
type Day = (typeof days)[number];
const MINUTES_IN_DAY = 24 * 60;

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const closeMinutes = (hhmm: string): number => (hhmm === '23:59' ? MINUTES_IN_DAY : minutesOf(hhmm));

/** The weekday and minute of the day of an instant in a time zone. */
export function localTime(now: Date, timeZone: string): { day: Day; minutes: number } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(now);
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  const weekday = get('weekday').toLowerCase().slice(0, 3);
  const day = days.find((d) => d === weekday) ?? 'mon';
  return { day, minutes: Number(get('hour')) * 60 + Number(get('minute')) };
}

/** Open at `now`. With no hours at all the business is taken as always reachable (nothing says otherwise). */
export function isOpen(hours: readonly OpeningHours[], timeZone: string, now: Date): boolean {
  if (hours.length === 0) return true;
  const { day, minutes } = localTime(now, timeZone);
  return hours.some((h) => h.day === day && minutesOf(h.open) <= minutes && minutes < closeMinutes(h.close));
}

/** The next opening after `now` within a week (day and HH:MM in the business's zone), if any. */
export function nextOpening(hours: readonly OpeningHours[], timeZone: string, now: Date): { day: OpeningHours['day']; time: string; today: boolean } | undefined {
  if (hours.length === 0) return undefined;
  const { day, minutes } = localTime(now, timeZone);
  const start = days.indexOf(day);
  for (let offset = 0; offset < 8; offset++) {
    const d = days[(start + offset) % 7] ?? 'mon';
    const candidates = hours
      .filter((h) => h.day === d && (offset > 0 || minutesOf(h.open) > minutes))
      .sort((a, b) => minutesOf(a.open) - minutesOf(b.open));
    const first = candidates[0];
    if (first) return { day: first.day, time: first.open, today: offset === 0 };
  }
  return undefined;
}

const DAY_NAMES: Record<'en' | 'es', Record<Day, string>> = {
  en: { mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday' },
  es: { mon: 'lunes', tue: 'martes', wed: 'miércoles', thu: 'jueves', fri: 'viernes', sat: 'sábado', sun: 'domingo' },
};
const WEEK: readonly Day[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const capitalised = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * The week's opening hours in words, days with the same hours grouped: "Tuesday to Sunday: 12:00–15:00 and
 * 18:00–22:30.", "Closed on Monday." / "De martes a domingo: de 12:00 a 15:00 y de 18:00 a 22:30.", "Cerrado el lunes.",
 * one line each. Undefined when the knowledge base gives no hours.
 */
export function describeOpeningHours(hours: readonly OpeningHours[], lang: 'en' | 'es'): string | undefined {
  if (hours.length === 0) return undefined;
  const names = DAY_NAMES[lang];
  const periodsOf = (day: Day): string => {
    const periods = hours.filter((h) => h.day === day).sort((a, b) => minutesOf(a.open) - minutesOf(b.open));
    const each = periods.map((h) => (lang === 'es' ? `de ${h.open} a ${h.close}` : `${h.open}–${h.close}`));
    return each.length <= 1 ? (each[0] ?? '') : `${each.slice(0, -1).join(', ')} ${lang === 'es' ? 'y' : 'and'} ${each[each.length - 1] ?? ''}`;
  };
  // Runs of consecutive days (Monday first) with the same hours.
  const runs: { from: Day; to: Day; periods: string }[] = [];
  for (const day of WEEK) {
    const periods = periodsOf(day);
    const last = runs[runs.length - 1];
    if (last && last.periods === periods && WEEK.indexOf(last.to) === WEEK.indexOf(day) - 1) last.to = day;
    else runs.push({ from: day, to: day, periods });
  }
  const dayRange = (r: { from: Day; to: Day }): string => {
    if (r.from === r.to) return lang === 'es' ? `el ${names[r.from]}` : names[r.from];
    const joiner = WEEK.indexOf(r.to) - WEEK.indexOf(r.from) === 1 ? (lang === 'es' ? 'y' : 'and') : lang === 'es' ? 'a' : 'to';
    return lang === 'es' ? `de ${names[r.from]} ${joiner} ${names[r.to]}` : `${names[r.from]} ${joiner} ${names[r.to]}`;
  };
  const everyDay = runs.length === 1 && runs[0]?.periods !== '';
  const open = runs.filter((r) => r.periods !== '').map((r) => `${everyDay ? (lang === 'es' ? 'Todos los días' : 'Every day') : capitalised(dayRange(r))}: ${r.periods}.`);
  const closed = runs.filter((r) => r.periods === '');
  const closedDays = closed.map((r) => dayRange(r));
  const closedText =
    closedDays.length === 0
      ? []
      : [lang === 'es' ? `Cerrado ${closedDays.join(' y ')}.` : `Closed on ${closedDays.join(' and ')}.`];
  return [...open, ...closedText].join('\n');
}

/**
 * A question about opening hours ("what are your opening hours?", "are you open on Sunday?", "¿a qué hora abren?",
 * "¿cuál es su horario?"), not one about how many hours a service takes.
 */
export function asksOpeningHours(text: string): boolean {
  return /\b(?:opening (?:hours|times)|your (?:hours|times)|business hours|what time do you (?:open|close|shut)|when do you (?:open|close|shut)|when are you open|are you (?:open|closed)|do you open|you open (?:on|at|for|today|tomorrow|tonight|late|this|next))\b/i.test(text) ||
    /(?<!\p{L})(?:horarios?|a qu[eé] hora (?:abr|cierr)\p{L}*|cu[aá]ndo (?:abr|cierr)\p{L}*|est[aá]n? abiert[oa]s?|est[aá]is abiert[oa]s?|abren|abr[ií]s|cierran|cerr[aá]is)(?!\p{L})/iu.test(text);
}

/**
 * Words that, naming whose or which hours are asked, still mean the business's own: the business itself, a day or a
 * season ("opening hours for Saturday", "horario de verano"), or the kind of hours ("horario de atención").
 */
const OWN_HOURS_WORDS = new Set(
  (
    'you your yours us our here the a this that these next business clinic practice surgery salon shop store office studio ' +
    'centre center place premises location branch today tomorrow tonight weekend weekends weekday weekdays week holiday holidays ' +
    'christmas easter bank public summer winter monday mondays tuesday tuesdays wednesday wednesdays thursday thursdays friday ' +
    'fridays saturday saturdays sunday sundays lunch dinner morning mornings afternoon afternoons evening evenings opening ' +
    'usted ustedes vosotros vuestro vuestra su sus el la los las lo del de este esta estos estas próximo próxima proximo proxima ' +
    'negocio clínica clinica consulta consultorio salón salon peluquería peluqueria tienda oficina local centro establecimiento ' +
    'hoy mañana manana semana fin finde festivo festivos navidad navidades verano invierno vacaciones lunes martes miércoles ' +
    'miercoles jueves viernes sábado sabado sábados sabados domingo domingos mediodía mediodia comida cena tarde tardes noche ' +
    'apertura cierre atención atencion trabajo comercial normal habitual al público publico eve day days new year years día dia días dias año ano víspera vispera nochebuena nochevieja'
  ).split(' '),
);

/**
 * Hours asked of something other than the business ("the pool's opening hours", "opening hours of the spa", "¿cuál es
 * el horario de la piscina?", "¿a qué hora abre el gimnasio?"): the words naming the thing asked about ("pool"), which
 * the business's opening hours do not answer (a hotel's pool keeps its own). None: the business's own hours. A word
 * of the business's name counts as the business.
 */
export function hoursAskedOf(text: string, businessName = ''): string[] {
  const own = new Set([...OWN_HOURS_WORDS, ...wordsOf(businessName)]);
  const patterns = [
    // "the pool's opening hours", "what are the gym opening times"
    /(?:^|[^\p{L}])([\p{L}]+)(?:'s|’s)?\s+(?:opening\s+(?:hours|times)|hours\s+of\s+opening)/iu,
    // "opening hours of / for the spa"
    /opening\s+(?:hours|times)\s+(?:of|for|at)\s+((?:the\s+)?[\p{L}]+(?:\s+[\p{L}]+)?)/iu,
    // "horario de la piscina", "horarios del gimnasio"
    /(?<!\p{L})horarios?\s+(?:de(?:l)?|para)\s+((?:la|el|los|las)?\s*[\p{L}]+(?:\s+[\p{L}]+)?)/iu,
    // "¿a qué hora abre la piscina?", "¿cuándo cierra el spa?"
    /(?:a\s+qu[eé]\s+hora|cu[aá]ndo)\s+(?:abr|cierr)\p{L}*\s+((?:la|el|los|las)\s+[\p{L}]+)/iu,
  ];
  for (const pattern of patterns) {
    const named = wordsOf(pattern.exec(text)?.[1] ?? '').filter((w) => w.length > 1 && !own.has(w) && !/^\d/.test(w));
    if (named.length > 0) return named;
  }
  return [];
}

/** Whether a question asks the hours of something other than the business (`hoursAskedOf` names it). */
export function asksHoursOfSomethingElse(text: string, businessName = ''): boolean {
  return hoursAskedOf(text, businessName).length > 0;
}

function wordsOf(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);
}
