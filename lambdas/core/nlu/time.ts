/**
 * Dates and times in customer messages, in the tenant's time zone (English and
 * Spanish). chrono-node finds the date ("next Tuesday", "el 1 de abril",
 * "mañana"); a thin normalising layer in front of it handles what chrono alone
 * gets wrong for bookings: "half past four", "las cuatro y media", "around
 * noon", a bare "the 1st", "at 1" / "2 o'clock" (read in business hours, so
 * pm), parts of the day, and ranges ("after 6", "between 2 and 4", "entre las
 * 2 y las 4"). Time-zone arithmetic uses Intl only, so it is DST-correct
 * without a time-zone library.
 */
import * as chrono from 'chrono-node';
import type { ReplyLanguage } from './language';

export interface WhenEntity {
  /** The date in the tenant's time zone, YYYY-MM-DD, when the message names one. */
  readonly date?: string;
  /** Start of the time (or time range), HH:MM in the tenant's time zone. */
  readonly start?: string;
  /** End of a time range, HH:MM. */
  readonly end?: string;
  /** The start as an instant (only when both date and start are known). */
  readonly startUtc?: string;
  readonly endUtc?: string;
  /** "around noon", "sobre las 5". */
  readonly approximate: boolean;
  /** Next week named as a whole ("next week", "la semana que viene"): `date` is its Monday, and any day of it will do. */
  readonly week?: true;
  /**
   * The date is a weekday named alone ("Friday", "mejor el viernes"): no date written out ("Friday 27th", "el 27",
   * "27/3", "March 27") and no "today" / "this" / "hoy" / "este". Read alone, today's weekday is today; a dialog
   * discussing a later day may take it for next week's (core/booking/dialog.ts).
   */
  readonly weekdayAlone?: true;
  /**
   * A date written that is no day of the calendar ("31/02", "2026-12-45", "31 de febrero"), as written, when the
   * message names no other day: the booking dialog says it cannot find it rather than offering today's times.
   */
  readonly unreadDate?: string;
}

export interface WhenOptions {
  readonly lang: ReplyLanguage;
  /** IANA time zone of the business, e.g. Europe/Dublin. */
  readonly timezone: string;
  readonly now: Date;
  /** Opening hours, to read a bare "at 4" as am or pm. */
  readonly hours?: readonly { readonly open: string; readonly close: string }[];
}

// ---- time-zone arithmetic (Intl only) ---------------------------------------------------------

interface WallClock {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(timezone, f);
  }
  return f;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** The wall clock in `timezone` at `instant`. */
export function wallClock(instant: Date, timezone: string): WallClock {
  const parts = Object.fromEntries(formatter(timezone).formatToParts(instant).map((p) => [p.type, p.value]));
  return {
    year: Number(parts['year']),
    month: Number(parts['month']),
    day: Number(parts['day']),
    hour: Number(parts['hour']) % 24,
    minute: Number(parts['minute']),
    weekday: WEEKDAYS.indexOf(parts['weekday'] ?? 'Sun'),
  };
}

/** Minutes east of UTC in `timezone` at `instant` (Europe/Dublin: 0 in winter, 60 in summer). */
export function offsetMinutes(instant: Date, timezone: string): number {
  const w = wallClock(instant, timezone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
  return Math.round((asUtc - Math.floor(instant.getTime() / 60000) * 60000) / 60000);
}

/**
 * The instant at which the wall clock in `timezone` shows the given local time.
 * A time skipped by a spring-forward gap resolves to the same wall time after it
 * (02:30 → 03:30); a repeated autumn time resolves to its first occurrence.
 */
export function zonedToUtc(date: string, time: string, timezone: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const [hh, mm] = time.split(':').map(Number) as [number, number];
  const naive = Date.UTC(y, m - 1, d, hh, mm);
  // The instant sought lies in [naive − 14 h, naive + 12 h] (offsets run from UTC−12 to UTC+14), so the offsets in
  // force a whole day either side cover any transition near it (zones never change twice within two days). Half a
  // day was not enough east of UTC+12: in Auckland (UTC+13 in summer) both samples fell after the transition.
  const before = naive - offsetMinutes(new Date(naive - 24 * 3600_000), timezone) * 60000;
  const after = naive - offsetMinutes(new Date(naive + 24 * 3600_000), timezone) * 60000;
  const shows = (t: number): boolean => {
    const w = wallClock(new Date(t), timezone);
    return w.hour === hh && w.minute === mm && w.day === d;
  };
  const valid = [before, after].filter(shows);
  // A repeated time: its first occurrence. A skipped time: read with the offset before the gap (moves forward by the gap).
  return new Date(valid.length > 0 ? Math.min(...valid) : before);
}

// ---- normalisation ------------------------------------------------------------------------------

const pad = (n: number): string => String(n).padStart(2, '0');
const hhmm = (minutes: number): string => `${pad(Math.floor(minutes / 60) % 24)}:${pad(minutes % 60)}`;
const toMinutes = (t: string): number => {
  const [h, m] = t.split(':').map(Number) as [number, number];
  return h * 60 + m;
};

const EN_NUMBERS: Record<string, number> = {
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12,
};
const ES_NUMBERS: Record<string, number> = {
  una: 1, uno: 1, dos: 2, tres: 3, cuatro: 4, cinco: 5, seis: 6, siete: 7, ocho: 8, nueve: 9, diez: 10, once: 11, doce: 12,
};

/** A month or weekday name (English or Spanish, short forms too), after which a number is a day of the month. */
/** A month as customers write it: English, in full or cut ("sept"), and Spanish. */
const MONTH_WORD = String.raw`(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre)`;
/** A weekday as customers write it: English, in full or cut ("tues", "weds", "thurs"), and Spanish with or without accents. */
const WEEKDAY_WORD = String.raw`(?:(?:mon|tue|tues|wed|weds|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|urday)?|lunes|martes|mi[eé]rcoles|jueves|viernes|s[aá]bado|domingo)`;
/** What may stand before a day number ("March 4 30pm", "friday 4 30", "the 4 30"): then "4 30" is no time. */
const MONTH_OR_DAY = String.raw`(?:${MONTH_WORD}|${WEEKDAY_WORD}|the|el|d[ií]a)`;
const WEEKDAY_NAMED = new RegExp(String.raw`(?<![\p{L}])${WEEKDAY_WORD}(?![\p{L}])`, 'iu');
/** A date written out: "27th", "27/3", "the 27", "el 27", "el viernes 27", "March 27", "27 de marzo". */
const DATE_WRITTEN = new RegExp(
  String.raw`\b\d{1,2}(?:st|nd|rd|th)\b|\b\d{1,2}\s*[/.-]\s*\d{1,2}\b|(?<![\p{L}])(?:the|el|d[ií]a)\s+\d{1,2}\b|(?<![\p{L}])(?:lunes|martes|mi[eé]rcoles|jueves|viernes|s[aá]bado|domingo)\s+\d{1,2}(?![\d:.h])|(?<![\p{L}])${MONTH_WORD}\.?\s+\d{1,2}\b|\b\d{1,2}\s+(?:of\s+|de\s+)?${MONTH_WORD}(?![\p{L}])`,
  'iu',
);
/** Words that make a weekday this week's or today: "this friday", "today", "hoy", "este viernes". */
const THIS_OR_TODAY = /\b(?:today|tonight|this|hoy|est[ea])\b/i;

/** Whether the message names a weekday alone (see `WhenEntity.weekdayAlone`). */
function weekdayAlone(text: string): boolean {
  return WEEKDAY_NAMED.test(text) && !DATE_WRITTEN.test(text) && !THIS_OR_TODAY.test(text);
}

/** Lower-cases and rewrites spelled-out clock times as digits ("half past four" → "4:30"). */
export function normaliseTimes(input: string): string {
  let s = ` ${input.toLowerCase().replace(/[’`]/g, "'")} `;
  const en = Object.keys(EN_NUMBERS).join('|');
  const es = Object.keys(ES_NUMBERS).join('|');
  const enN = (w: string): number => EN_NUMBERS[w] ?? Number(w);
  const esN = (w: string): number => ES_NUMBERS[w] ?? Number(w);
  s = s
    .replace(/\b(?:around|about|at|by)?\s*(?:mid-?day|noon|lunchtime)\b/g, (m) => `${/around|about/.test(m) ? ' around' : ''} at 12:00 `)
    .replace(/\b(?:al|a|sobre el|hacia el)?\s*medio\s?d[ií]a\b/g, (m) => `${/sobre|hacia/.test(m) ? ' sobre' : ''} a las 12:00 `)
    .replace(new RegExp(`\\bhalf past (\\d{1,2}|${en})\\b`, 'g'), (_m, h: string) => `${enN(h)}:30`)
    // Irish and British "half four" is half past four, not half of anything: "half an hour", "half price" stay.
    .replace(new RegExp(`\\bhalf (\\d{1,2}|${en})\\b(?![:.]\\d|\\s*(?:%|€|euros?|hours?|hrs?|mins?|minutes?|days?|weeks?|months?|price|off|of)\\b)`, 'g'), (_m, h: string) => `${enN(h)}:30`)
    .replace(new RegExp(`\\bquarter past (\\d{1,2}|${en})\\b`, 'g'), (_m, h: string) => `${enN(h)}:15`)
    .replace(new RegExp(`\\bquarter to (\\d{1,2}|${en})\\b`, 'g'), (_m, h: string) => `${((enN(h) + 10) % 12) + 1}:45`)
    .replace(new RegExp(`\\b(\\d{1,2}|${en}) o'? ?clock\\b`, 'g'), (_m, h: string) => `${enN(h)}:00`)
    .replace(new RegExp(`\\b(\\d{1,2}|${en}) (thirty|fifteen|forty-?five)\\b`, 'g'), (_m, h: string, mm: string) =>
      `${enN(h)}:${mm === 'thirty' ? '30' : mm === 'fifteen' ? '15' : '45'}`,
    )
    .replace(new RegExp(`\\b(at|around|about|after|before|from|until|till|to|and|between|by) (${en})\\b`, 'g'), (_m, p: string, h: string) => `${p} ${enN(h)}`)
    .replace(new RegExp(`\\b(las|la) (\\d{1,2}|${es}) y media\\b`, 'g'), (_m, a: string, h: string) => `${a} ${esN(h)}:30`)
    .replace(new RegExp(`\\b(las|la) (\\d{1,2}|${es}) y cuarto\\b`, 'g'), (_m, a: string, h: string) => `${a} ${esN(h)}:15`)
    .replace(new RegExp(`\\b(las|la) (\\d{1,2}|${es}) menos cuarto\\b`, 'g'), (_m, a: string, h: string) => `${a} ${((esN(h) + 10) % 12) + 1}:45`)
    // "a las 4 y 30", "a las 9 y 15" (not "entre las 9 y 15", a range).
    .replace(new RegExp(`(?<!\\b(?:entre|de|desde)\\s)\\b(las|la) (\\d{1,2}|${es}) y (15|30|45|quince|treinta)\\b`, 'g'), (_m, a: string, h: string, mm: string) =>
      `${a} ${esN(h)}:${mm === 'quince' ? '15' : mm === 'treinta' ? '30' : mm}`,
    )
    .replace(new RegExp(`\\b(las|la) (${es})\\b`, 'g'), (_m, a: string, h: string) => `${a} ${esN(h)}`)
    // "17h30" (Spain) is 17:30; "17h" is 17:00.
    .replace(/\b(\d{1,2})\s*h\s*([0-5]\d)\b/g, '$1:$2')
    // "a las 16 30", "at 4 30", "4 30pm": a space for the colon, after a word that introduces a time or before am/pm
    // ("4 30 euros", "10 15 minutes" stay).
    .replace(/\b(at|around|about|after|before|from|until|till|by|las|la)\s+(\d{1,2})\s+([0-5]\d)\b(?!\s*(?:€|%|eur|euros?|mins?|minutes?|minutos|people|personas)\b)/g, '$1 $2:$3')
    // After a weekday, a clock hour and quarter before am/pm is the time ("friday 4 30pm", "weds 9 15am"); any other
    // number there stays a day ("tuesday 14 11am", "friday 4 10am": the 4th at 10).
    .replace(new RegExp(String.raw`(?<![\p{L}])(${WEEKDAY_WORD})\s+([1-9]|1[0-2])\s+(00|15|30|45)\s*(a\.?m\.?|p\.?m\.?)(?![a-z])`, 'giu'), '$1 $2:$3$4')
    // Alone before am/pm only after nothing that makes the first number a day or a count ("March 3 10am", "tuesday 14
    // 11am", "table for 2 10am" keep their day and count).
    .replace(new RegExp(String.raw`(?<!${MONTH_OR_DAY}\s+|\bfor\s+|\d\s+)\b(\d{1,2})\s+([0-5]\d)\s*(a\.?m\.?|p\.?m\.?)(?![a-z])`, 'g'), '$1:$2$3')
    .replace(/\b(\d{1,2})\s*(?:h|hs|horas)\b/g, '$1:00')
    // "a las 7 de la mañana" is 7 am, not "7 tomorrow"; "de la tarde / noche" is pm.
    .replace(/\b(\d{1,2}(?::\d{2})?)\s+de\s+la\s+(?:mañana|manana|madrugada)(?![a-zñ])/g, '$1 am')
    .replace(/\b(\d{1,2}(?::\d{2})?)\s+de\s+la\s+(?:tarde|noche)(?![a-zñ])/g, '$1 pm')
    // "at 8 in the evening" is 20:00 even when 8 am is nearer the opening hours.
    .replace(/\b(\d{1,2}(?::\d{2})?)\s+in\s+the\s+morning\b/g, '$1 am')
    .replace(/\b(\d{1,2}(?::\d{2})?)\s+(?:in\s+the\s+(?:afternoon|evening)|at\s+night)\b/g, '$1 pm');
  return s;
}

// ---- time expressions -------------------------------------------------------------------------

interface TimePart {
  /** "this afternoon", "tonight", "esta tarde": the day is today. */
  today?: boolean;
  start?: number;
  end?: number;
  approximate: boolean;
  /** Spans of the normalised text used up by the time, blanked before chrono reads the date. */
  spans: [number, number][];
}

/** A clock time as written: hour, minutes, and am/pm when given. */
const CLOCK = String.raw`(\d{1,2})(?:[:.](\d{2}))?\s*(a\.?m\.?|p\.?m\.?)?`;

function businessWindow(hours: WhenOptions['hours']): { open: number; close: number } {
  if (!hours || hours.length === 0) return { open: 8 * 60, close: 20 * 60 };
  return { open: Math.min(...hours.map((h) => toMinutes(h.open))), close: Math.max(...hours.map((h) => toMinutes(h.close))) };
}

/** Reads a clock time in minutes after midnight; a bare 1–7 is pm, and a bare hour prefers business hours. */
function clock(h: string, m: string | undefined, meridiem: string | undefined, window: { open: number; close: number }, impliedPm = false): number | undefined {
  let hour = Number(h);
  const minute = m ? Number(m) : 0;
  if (hour > 23 || minute > 59) return undefined;
  const mer = meridiem?.replace(/\./g, '');
  if (mer === 'pm' && hour < 12) hour += 12;
  else if (mer === 'am' && hour === 12) hour = 0;
  else if (!mer && hour >= 1 && hour <= 12) {
    const am = hour * 60 + minute;
    const pm = (hour === 12 ? 12 : hour + 12) * 60 + minute;
    const inAm = am >= window.open && am < window.close;
    const inPm = pm >= window.open && pm <= window.close;
    if (impliedPm || (inPm && !inAm) || (!inAm && !inPm && hour <= 7)) hour = hour === 12 ? 12 : hour + 12;
  }
  return hour * 60 + minute;
}

function findTime(s: string, options: WhenOptions): TimePart {
  const window = businessWindow(options.hours);
  const part: TimePart = { approximate: false, spans: [] };
  const use = (m: RegExpExecArray): void => {
    part.spans.push([m.index, m.index + m[0].length]);
  };
  // Ranges first: "between 2 and 4", "from 2 to 4pm", "entre las 2 y las 4", "de 2 a 4", "2-4pm".
  const range = new RegExp(
    String.raw`\b(?:between|from|entre(?: las?)?|de(?: las?)?|desde(?: las?)?)\s+${CLOCK}\s*(?:and|to|till|until|-|y(?: las?)?|a(?: las?)?|hasta(?: las?)?)\s+${CLOCK}`,
    'g',
  ).exec(s) ?? new RegExp(String.raw`\b${CLOCK}\s*-\s*${CLOCK}(?!\d|\s*[-/]\s*\d)`, 'g').exec(s); // not the date "10-12-2026"
  if (range) {
    const endMer = range[6];
    const pmHint = endMer?.startsWith('p') && !range[3];
    const start = clock(range[1] ?? '', range[2], range[3] ?? (pmHint && Number(range[1]) < Number(range[4]) ? 'pm' : undefined), window);
    const end = clock(range[4] ?? '', range[5], endMer, window, start !== undefined && start >= 12 * 60 && Number(range[4]) < 12);
    if (start !== undefined && end !== undefined) {
      use(range);
      return { ...part, start, end };
    }
  }
  const after = new RegExp(String.raw`\b(?:after|from|any ?time after|no earlier than|despu[eé]s de(?: las?)?|a partir de(?: las?)?|desde(?: las?)?)\s+${CLOCK}`, 'g').exec(s);
  if (after) {
    const start = clock(after[1] ?? '', after[2], after[3], window);
    if (start !== undefined) {
      use(after);
      // "after 11pm" past closing: a start, with no end before it.
      return start < window.close ? { ...part, start, end: window.close } : { ...part, start };
    }
  }
  const before = new RegExp(String.raw`\b(?:before|by|no later than|antes de(?: las?)?)\s+${CLOCK}`, 'g').exec(s);
  if (before) {
    const end = clock(before[1] ?? '', before[2], before[3], window);
    if (end !== undefined) {
      use(before);
      return { ...part, start: window.open, end };
    }
  }
  const approx = /\b(?:around|about|roughly|approximately|sobre|hacia|a eso de)\b/;
  // Not after a letter: "día 5" is a date, not "a 5" (an accented letter is no word character for \b).
  const at = new RegExp(String.raw`(?<![\p{L}\p{N}])(?:at|around|about|a|sobre|hacia|a eso de)\s+(?:las?\s+)?${CLOCK}(?!\s*(?:€|eur|euros|min|minutes|minutos|people|personas|de (?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre)))`, 'gu');
  const withMeridiem = new RegExp(String.raw`\b(\d{1,2})(?:[:.](\d{2}))?\s*(a\.?m\.?|p\.?m\.?)`, 'g');
  const colon = /\b(\d{1,2}):(\d{2})\b/g;
  // "4ish", "4.30ish", "4 ish".
  const ish = /\b(\d{1,2})(?:[:.](\d{2}))?\s?ish\b/g;
  const m = withMeridiem.exec(s) ?? at.exec(s) ?? colon.exec(s) ?? ish.exec(s);
  if (m) {
    const start = clock(m[1] ?? '', m[2], m[3], window);
    if (start !== undefined) {
      use(m);
      const around = s.slice(Math.max(0, m.index - 12), m.index + m[0].length + 4);
      return { ...part, start, approximate: approx.test(around) || /\dish\b|\d\s?ish\b/.test(around) };
    }
  }
  // Parts of the day.
  const parts: readonly [RegExp, number, number | 'close'][] = [
    [/\b(?:first thing|early morning|a primera hora)\b/, window.open, 10 * 60],
    [/\b(?:in the morning|morning|por la ma[nñ]ana|de ma[nñ]ana)\b/, window.open, 12 * 60],
    // A meal names the part of the day at a restaurant: "a table for lunch", "mesa para comer", "friday for dinner".
    [/\b(?:lunch ?time|at lunch|for lunch|a la hora de comer|hora de comer|para comer|para almorzar|a(?:l)? mediod[ií]a)(?![\p{L}])/u, 12 * 60, 14 * 60],
    // "mañana tarde", "el sábado tarde": only "tarde" is used up, the day stays for chrono.
    [/\b(?:in the afternoon|afternoon|por la tarde|a la tarde|de tarde|esta tarde|(?<=\b(?:ma[nñ]ana|hoy|lunes|martes|mi[eé]rcoles|jueves|viernes|s[aá]bado|domingo)\s+)tarde)\b/, 12 * 60, 17 * 60],
    [/\b(?:in the evening|evening|tonight|after work|por la noche|esta noche|al salir del trabajo|al salir de trabajar|despu[eé]s del trabajo|despu[eé]s de trabajar)\b/, 17 * 60, 'close'],
    [/\b(?:for dinner|dinner ?time|at dinner|for supper|para cenar|a cenar|hora de cenar|de cena)\b/, 17 * 60, 'close'],
  ];
  for (const [re, start, end] of parts) {
    const hit = re.exec(s);
    if (hit) {
      part.spans.push([hit.index, hit.index + hit[0].length]);
      const today = /\b(?:this|esta)\s+$/.test(s.slice(Math.max(0, hit.index - 5), hit.index)) || /^(?:tonight|esta )/.test(hit[0]);
      return { ...part, start, end: end === 'close' ? Math.max(window.close, 17 * 60 + 60) : end, today };
    }
  }
  return part;
}

// ---- dates --------------------------------------------------------------------------------------

const MONTHS = /(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre)/;

function isoDate(y: number, m: number, d: number): string {
  return `${y}-${pad(m)}-${pad(d)}`;
}

/** The local day `days` after `date` (YYYY-MM-DD). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return isoDate(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate());
}

/** "the 1st", "on the 3rd", "el día 5": the next such day of the month, today included. */
function bareDayOfMonth(s: string, today: WallClock): string | undefined {
  const m =
    new RegExp(String.raw`\b(?:on )?the (\d{1,2})(?:st|nd|rd|th)\b(?!\s*(?:of\s+)?${MONTHS.source})`).exec(s) ??
    new RegExp(String.raw`\b(\d{1,2})(?:st|nd|rd|th)\b(?!\s*(?:of\s+)?${MONTHS.source})`).exec(s) ??
    new RegExp(String.raw`\bel (?:d[ií]a )?(\d{1,2})\b(?!\s*(?:de\s+)?${MONTHS.source})(?!\s*:)`).exec(s);
  if (!m) return undefined;
  const day = Number(m[1]);
  if (day < 1 || day > 31) return undefined;
  let year = today.year;
  let month = today.month;
  if (day < today.day) {
    month += 1;
    if (month > 12) [month, year] = [1, year + 1];
  }
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCDate() !== day) return undefined;
  return isoDate(year, month, day);
}

/**
 * Businesses whose customers write numeric dates month first ("12/3" is 3 December): the United States, by time zone.
 * Everywhere else (Ireland, Spain, the UK, Latin America...) "12/3" is 12 March; chrono.en read it month first.
 */
const MONTH_FIRST_ZONES = /^(?:America\/(?:New_York|Chicago|Denver|Los_Angeles|Phoenix|Anchorage|Juneau|Sitka|Yakutat|Nome|Metlakatla|Adak|Boise|Detroit|Menominee|Indiana\/.+|Kentucky\/.+|North_Dakota\/.+)|Pacific\/Honolulu|US\/.+)$/;

/** "12/3", "12/3/27", "12-03-2027": in the business's order; without a year, the next such day (today included). */
function numericDate(s: string, timezone: string, today: WallClock): string | undefined {
  const m = /(?<![\d/.:-])(\d{1,2})(?:\/(\d{1,2})(?:\/(\d{4}|\d{2}))?|([-.])(\d{1,2})\4(\d{4}|\d{2}))(?![\d/.:-])/.exec(s);
  if (!m) return undefined;
  const a = Number(m[1]);
  const b = Number(m[2] ?? m[5]);
  const written = m[3] ?? m[6];
  let [day, month] = MONTH_FIRST_ZONES.test(timezone) ? [b, a] : [a, b];
  if (month > 12 && day <= 12) [day, month] = [month, day]; // "12/17" can only be 17 December
  if (month < 1 || month > 12 || day < 1) return undefined;
  const valid = (y: number): boolean => new Date(Date.UTC(y, month - 1, day)).getUTCDate() === day;
  if (written) {
    const year = written.length === 2 ? 2000 + Number(written) : Number(written);
    return valid(year) ? isoDate(year, month, day) : undefined;
  }
  const todayIso = isoDate(today.year, today.month, today.day);
  for (const year of [today.year, today.year + 1, today.year + 2, today.year + 3, today.year + 4]) {
    if (valid(year) && isoDate(year, month, day) >= todayIso) return isoDate(year, month, day);
  }
  return undefined;
}

const SPANISH_MONTHS = ['enero', 'febrero', 'marzo', 'abril', 'mayo', 'junio', 'julio', 'agosto', 'septiembre', 'octubre', 'noviembre', 'diciembre'];
const ENGLISH_MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
/** 1–12 for a month word of MONTH_WORD ("sept", "February", "setiembre"). */
function monthNumber(word: string): number {
  const w = word.toLowerCase();
  const es = SPANISH_MONTHS.indexOf(w === 'setiembre' ? 'septiembre' : w);
  return es >= 0 ? es + 1 : ENGLISH_MONTHS.indexOf(w.slice(0, 3)) + 1;
}
/** Whether `day` of `month` exists in `year` (any year: 29 February counts). */
const dayExists = (day: number, month: number, year = 2028): boolean => month >= 1 && month <= 12 && day >= 1 && new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day;
const NAMED_DATE = new RegExp(String.raw`(?<![\p{L}\d])(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+|de\s+)?(${MONTH_WORD})(?![\p{L}])|(?<![\p{L}])(${MONTH_WORD})\.?\s+(\d{1,2})(?![\d:])`, 'iu');

/**
 * A date written in figures or with a month's name that is no day of the calendar, read either way round
 * ("31/02", "29/02/2027", "2026-12-45", "31 de febrero", "February 30"): what was written; undefined otherwise.
 */
function impossibleDate(s: string): string | undefined {
  const numeric = /(?<![\d/.:-])(\d{1,2})(?:\/(\d{1,2})(?:\/(\d{4}|\d{2}))?|([-.])(\d{1,2})(\d{4}|\d{2}))(?![\d/.:-])/.exec(s);
  if (numeric) {
    const a = Number(numeric[1]);
    const b = Number(numeric[2] ?? numeric[5]);
    const written = numeric[3] ?? numeric[6];
    const year = written === undefined ? undefined : written.length === 2 ? 2000 + Number(written) : Number(written);
    // Only what looks like a date at all (a month of 1–12, a day of up to 31): "50/50" is no attempt at one.
    const looksLikeDate = Math.min(a, b) <= 12 && Math.max(a, b) <= 31;
    if (looksLikeDate && !dayExists(a, b, year) && !dayExists(b, a, year)) return numeric[0];
  }
  const iso = /(?<![\d-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\d-])/.exec(s);
  if (iso && !dayExists(Number(iso[3]), Number(iso[2]), Number(iso[1]))) return iso[0];
  const named = NAMED_DATE.exec(s);
  if (named) {
    const day = Number(named[1] ?? named[4]);
    const month = monthNumber(named[2] ?? named[3] ?? '');
    if (!dayExists(day, month)) return named[0].trim();
  }
  return undefined;
}

/**
 * A day and month named with a day past the 28th and no year ("29 feb", "February 29th", "29 de febrero", "february
 * 30th"): the next such day (29 February is in the next leap year), or null when no year has it (impossibleDate
 * names it); undefined for anything else, which is chrono's. chrono moved these days into other months: "february
 * 30th" was 30 November, "feb 29" 1 February 2029, "29th of february" no date.
 */
function lateDayOfMonth(s: string, today: WallClock): string | null | undefined {
  const m = NAMED_DATE.exec(s);
  if (!m) return undefined;
  const day = Number(m[1] ?? m[4]);
  const month = monthNumber(m[2] ?? m[3] ?? '');
  // A year written after it ("29 feb 2028", "29 de febrero de 2028") is chrono's to read.
  if (day <= 28 || /^[\s,]*(?:de\s+|del\s+)?\d{4}(?!\d)/.test(s.slice(m.index + m[0].length))) return undefined;
  if (!dayExists(day, month)) return null;
  const todayIso = isoDate(today.year, today.month, today.day);
  for (let year = today.year; year <= today.year + 4; year++) {
    if (dayExists(day, month, year) && isoDate(year, month, day) >= todayIso) return isoDate(year, month, day);
  }
  return null;
}

/** lateDayOfMonth's day, none when it names no day of the calendar, or else chrono's reading or a bare "the 18th". */
function lateOrOther(s: string, options: WhenOptions, today: WallClock): string | undefined {
  const late = lateDayOfMonth(s, today);
  return late === undefined ? (chronoDate(s, options, today) ?? bareDayOfMonth(s, today)) : (late ?? undefined);
}

function chronoDate(s: string, options: WhenOptions, today: WallClock): string | undefined {
  // The tenant's calendar day, as a UTC midnight read at offset 0: chrono's "today" is then the tenant's, and a
  // weekday named on that day is today whatever the hour (from the real instant, chrono moved "friday" asked on a
  // Friday afternoon a week ahead, the time having been blanked out: it assumed noon, already past).
  const reference = { instant: new Date(Date.UTC(today.year, today.month - 1, today.day)), timezone: 0 };
  const parsers = options.lang === 'es' ? [chrono.es.casual, chrono.en.casual] : [chrono.en.casual, chrono.es.casual];
  for (const parser of parsers) {
    for (const r of parser.parse(s, reference, { forwardDate: true })) {
      const c = r.start;
      // Next week alone is nextWeekAlone's (its Monday, not a week from today), and only when no day is named.
      if (ONLY_NEXT_WEEK.test(r.text.trim())) continue;
      // "this month" is from today (chrono: the 1st, read as next week's day once past).
      if (/^this\s+month$/.test(r.text.trim())) return isoDate(today.year, today.month, today.day);
      // "next year", "in 3 years": a day that far on (then beyond the booking horizon, and said so), not no date.
      const years = /^(?:next\s+year|in\s+(?:a|one|\d+)\s+years?|(?:el\s+)?pr[oó]ximo\s+a[nñ]o|dentro\s+de\s+(?:un|\d+)\s+a[nñ]os?)$/.test(r.text.trim());
      const dated = c.isCertain('day') || c.isCertain('weekday') || c.isCertain('month') || /\b(?:week|semana)\b/.test(r.text) || years;
      // "I waited an hour", "hace 10 minutos": durations, not dates.
      const duration =
        /^(?:in |within |en |dentro de )?(?:an?|one|half an|una?|media|\d+)\s+(?:hours?|minutes?|mins?|horas?|minutos?)(?:\s+ago)?$/.test(r.text.trim()) ||
        /\b(?:ago|hace)\b/.test(r.text) ||
        // "a couples massage", "a couple of us", "a few": a quantity without a unit (chrono: seconds from now), not a day.
        /^(?:an?\s+)?(?:couples?|few)(?:\s+of)?$/.test(r.text.trim());
      if (!dated || duration) continue;
      const y = c.get('year');
      const mo = c.get('month');
      const d = c.get('day');
      if (y === null || mo === null || d === null) continue;
      const date = isoDate(y, mo, d);
      // chrono reads "friday" on a Friday as today; a customer asking on Friday for "friday" usually means today too.
      return date < isoDate(today.year, today.month, today.day) ? addDays(date, 7) : date;
    }
  }
  return undefined;
}

/** Weekday names (English, Spanish with or without accents), by their WallClock number (0 = Sunday). */
const DAY_NAMES: readonly (readonly string[])[] = [
  ['sunday', 'domingo'],
  ['monday', 'lunes'],
  ['tuesday', 'martes'],
  ['wednesday', 'miércoles', 'miercoles'],
  ['thursday', 'jueves'],
  ['friday', 'viernes'],
  ['saturday', 'sábado', 'sabado'],
];
const DAY = DAY_NAMES.flat().join('|');
const NEXT_WEEK = String.raw`(?:next\s+week|(?:la\s+)?semana\s+que\s+viene|(?:la\s+)?pr[oó]xima\s+semana)`;
/** "friday next week", "next week on friday", "el viernes de la semana que viene", "la semana que viene, el viernes". */
const DAY_OF_NEXT_WEEK = new RegExp(String.raw`(?<![\p{L}])(?:(${DAY})\s+(?:\d{1,2}\s+)?(?:of\s+|de\s+)?${NEXT_WEEK}|${NEXT_WEEK}\s*,?\s+(?:on\s+|el\s+)?(${DAY}))(?![\p{L}])`, 'iu');
/** "el viernes que viene", "el próximo viernes", "el viernes próximo". */
const COMING_DAY_ES = new RegExp(String.raw`(?<![\p{L}])(?:(${DAY})\s+(?:que\s+viene|pr[oó]ximo)|pr[oó]ximo\s+(${DAY}))(?![\p{L}])`, 'iu');
const WEEK_ALONE = new RegExp(String.raw`(?<![\p{L}])${NEXT_WEEK}(?![\p{L}])`, 'iu');
/** chrono's reading of next week alone (a week from today), which `nextWeekAlone` replaces. */
const ONLY_NEXT_WEEK = new RegExp(String.raw`^${NEXT_WEEK}$`, 'iu');

const dayNumber = (name: string): number => DAY_NAMES.findIndex((names) => names.includes(name.toLowerCase()));

/** Spanish "el finde", "este fin de semana", "el fin de semana que viene", "el próximo finde". */
const WEEKEND_ES = /(?<![\p{L}])(?:(pr[oó]ximo)\s+)?(?:finde|fin\s+de\s+semana)(?:\s+(que\s+viene|pr[oó]ximo))?(?![\p{L}])/iu;
/** English "friday week", "a week on friday" (Ireland, UK): a week after the coming Friday. */
const DAY_WEEK = new RegExp(String.raw`(?<![\p{L}])(?:(${DAY})\s+week|a\s+week\s+(?:on|from)\s+(${DAY}))(?![\p{L}])`, 'iu');
/** A weekday with its day of the month, "friday 18th", "fri the 18th", "el viernes 18", "jueves día 17" (no month). */
const DAY_AND_NUMBER = new RegExp(
  String.raw`(?<![\p{L}])(${DAY}|mon|tue|wed|thu|thur|thurs|fri|sat|sun)\.?,?\s+(?:(the)\s+|(?:el\s+)?(d[ií]a)\s+)?(\d{1,2})(st|nd|rd|th)?(?![\p{L}\d:.])(?!\s*(?:of\s+|de\s+)?${MONTHS.source})`,
  'iu',
);
const SPANISH_DAY = /^(?:lunes|martes|mi[eé]rcoles|jueves|viernes|s[aá]bado|domingo)$/i;

/** "friday 18th" is the 18th, not this week's Friday (chrono's reading), when the 18th is that weekday. */
function dayAndNumber(s: string, today: WallClock): string | undefined {
  const m = DAY_AND_NUMBER.exec(s);
  if (!m) return undefined;
  const [, name = '', the, dia, n = '', ordinal] = m;
  // In English a bare number after a weekday may be a time ("friday 4"); in Spanish "el viernes 18" is the date.
  if (!the && !dia && !ordinal && !SPANISH_DAY.test(name)) return undefined;
  const date = bareDayOfMonth(` el ${n} `, today);
  if (!date) return undefined;
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
  const named = DAY_NAMES.findIndex((names) => names.some((full) => full.startsWith(name.toLowerCase()))); // "thurs", "jueves"
  // A day and number that disagree: the weekday (chrono's reading) rather than a guess.
  return weekday === named ? date : undefined;
}

/**
 * Dates chrono reads wrongly or not at all, relative to the business's today: a weekday of next week ("friday next
 * week", "el viernes de la semana que viene": in the Monday-to-Sunday week after this one; chrono read the Spanish as
 * this week's), Spanish "el viernes que viene" / "el próximo viernes" (the first such day after today: chrono read
 * the first as today on a Friday, and the second as a week later on a Monday). Next week alone is `nextWeekAlone`'s.
 */
function weekDate(s: string, today: WallClock): string | undefined {
  const todayIso = isoDate(today.year, today.month, today.day);
  const nextMonday = addDays(todayIso, ((8 - today.weekday) % 7) || 7);
  // "el finde": its Saturday (today on a Saturday or Sunday); "el finde que viene": the first Saturday after today.
  const weekend = WEEKEND_ES.exec(s);
  if (weekend) return weekend[1] || weekend[2] ? addDays(todayIso, ((6 - today.weekday + 6) % 7) + 1) : addDays(todayIso, today.weekday === 0 ? 0 : 6 - today.weekday);
  const dayWeek = DAY_WEEK.exec(s);
  if (dayWeek) return addDays(todayIso, ((dayNumber(dayWeek[1] ?? dayWeek[2] ?? '') - today.weekday + 7) % 7) + 7);
  const ofNextWeek = DAY_OF_NEXT_WEEK.exec(s);
  if (ofNextWeek) return addDays(nextMonday, (dayNumber(ofNextWeek[1] ?? ofNextWeek[2] ?? '') + 6) % 7);
  const coming = COMING_DAY_ES.exec(s);
  if (coming) return addDays(todayIso, ((dayNumber(coming[1] ?? coming[2] ?? '') - today.weekday + 6) % 7) + 1);
  return undefined;
}

/** Next week alone ("next week", "la semana que viene"): its Monday — only when the message names no other day. */
function nextWeekAlone(s: string, today: WallClock): string | undefined {
  const todayIso = isoDate(today.year, today.month, today.day);
  return WEEK_ALONE.test(s) ? addDays(todayIso, ((8 - today.weekday) % 7) || 7) : undefined;
}

/** The date and time (or time range) a customer names, in the tenant's time zone; undefined when none. */
export function parseWhen(text: string, options: WhenOptions): WhenEntity | undefined {
  // "1/2 price", "a 1/2 precio", "3/4 of an hour": fractions, neither dates nor times.
  let s = normaliseTimes(text).replace(/(?<![\d/])\d\s*\/\s*\d{1,2}(?=\s*(?:price|off|of|hours?|hrs?|an?\s+hour|(?:de\s+)?precio|hora)\b)/g, (f) => ' '.repeat(f.length));
  const time = findTime(s, options);
  for (const [a, b] of time.spans) s = s.slice(0, a) + ' '.repeat(b - a) + s.slice(b);
  const today = wallClock(options.now, options.timezone);
  // "pasado mañana" (the day after tomorrow): chrono reads only its "mañana".
  const dayAfter = /\bpasado\s+ma(?:ñ|n)ana(?![a-zñ])|\bday after tomorrow\b/.exec(s);
  // What chrono does not know: misspelt "tomorrow", "tues" and "weds", and "a fortnight" (Ireland, UK); "open 24/7"
  // is no 24 July.
  s = s
    .replace(/\b24\s*\/\s*7\b/g, '    ')
    .replace(/\b(?:to?m+or+o?w+|tomo+r+o|2mor+o?w?|tmrw|tmw)\b/g, 'tomorrow')
    .replace(/\btues\b/g, 'tuesday')
    .replace(/\bweds\b/g, 'wednesday')
    .replace(/\b(?:a|one)\s+fortnight\b/g, '2 weeks')
    // Spanish chrono does not read "el mes que viene", "el próximo mes", "el año que viene", "a finales de mes"; and
    // "mid December" / "a mediados de diciembre" were read as the 1st.
    .replace(/(?<![\p{L}])(?:el\s+)?(?:mes\s+(?:que\s+viene|pr[oó]ximo|siguiente)|pr[oó]ximo\s+mes)(?![\p{L}])/gu, 'next month')
    .replace(/(?<![\p{L}])(?:el\s+)?(?:a[nñ]o\s+(?:que\s+viene|pr[oó]ximo|siguiente))(?![\p{L}])/gu, 'next year')
    .replace(/(?<![\p{L}])(?:a\s+)?(?:finales|fin)\s+de(?:l)?\s+mes(?![\p{L}])/gu, 'end of the month')
    .replace(new RegExp(String.raw`(?<![\p{L}])(?:mid(?:-|\s+)|(?:a\s+)?mediados\s+de\s+)(${MONTH_WORD})(?![\p{L}])`, 'giu'), (_m, month: string) => `15 ${month}`);
  const named = dayAfter
    ? addDays(isoDate(today.year, today.month, today.day), 2)
    : (weekDate(s, today) ?? dayAndNumber(s, today) ?? numericDate(s, options.timezone, today) ?? lateOrOther(s, options, today));
  const week = named === undefined ? nextWeekAlone(s, today) : undefined;
  const date = named ?? week ?? (time.today ? isoDate(today.year, today.month, today.day) : undefined);
  const unreadDate = date === undefined ? impossibleDate(s) : undefined;
  if (!date && time.start === undefined && unreadDate === undefined) return undefined;
  const start = time.start !== undefined ? hhmm(time.start) : undefined;
  const end = time.end !== undefined ? hhmm(time.end) : undefined;
  return {
    ...(date ? { date } : {}),
    ...(start ? { start } : {}),
    ...(end ? { end } : {}),
    ...(date && start ? { startUtc: zonedToUtc(date, start, options.timezone).toISOString() } : {}),
    ...(date && end ? { endUtc: zonedToUtc(date, end, options.timezone).toISOString() } : {}),
    approximate: time.approximate,
    ...(week !== undefined ? { week: true as const } : {}),
    ...(named !== undefined && weekdayAlone(text) ? { weekdayAlone: true as const } : {}),
    ...(unreadDate !== undefined ? { unreadDate } : {}),
  };
}
