/**
 * How customers of a clinic or salon say when (nlu/time.ts `parseWhen`), in English and Spanish, lower-case, without
 * accents, with typos, read for a business open 09:00–18:00 in Dublin and Madrid. Every expected value was worked out
 * by hand from the calendar (December 2026: Wednesday 9, Saturday 12, Friday 18, Wednesday 23), not from the code.
 *
 * Tests named "pin:" PIN phrasings that were already read right. The others reproduce bugs, each failing before its
 * fix: numeric dates read month first ("12/1" was 1 December in Dublin), Irish "half four", Spanish "17h30",
 * "a las 4 y 30", "4ish", "at 8 in the evening", "mañana tarde", "después del trabajo", "el finde", "friday 18th"
 * (was this week's Friday), "friday week", misspelt "tomorrow", "tues", "a fortnight", "open 24/7" (24 July), "a las 16 30"
 * (16:00), "1/2 price" (1 February) and "this month" (yesterday).
 */
import { parseWhen, type WhenEntity } from '../../lambdas/core/nlu/time';

const hours = [{ open: '09:00', close: '18:00' }];
const WEDNESDAY = new Date('2026-12-09T10:00:00Z'); // Wednesday 9 December 2026, 10:00 in Dublin, 11:00 in Madrid
const SATURDAY = new Date('2026-12-12T10:00:00Z'); // Saturday 12 December 2026
type Lang = 'en' | 'es';
type Read = Pick<WhenEntity, 'date' | 'start' | 'end' | 'approximate'>;

/** The date, times and approximation read, without the UTC instants (checked in dst-pins); undefined when none. */
function read(text: string, lang: Lang, now: Date = WEDNESDAY, timezone = lang === 'es' ? 'Europe/Madrid' : 'Europe/Dublin'): Read | undefined {
  const w = parseWhen(text, { lang, timezone, now, hours });
  if (!w) return undefined;
  return { ...(w.date ? { date: w.date } : {}), ...(w.start ? { start: w.start } : {}), ...(w.end ? { end: w.end } : {}), approximate: w.approximate };
}

describe('pin: common phrasings already read right (Wednesday 9 December 2026)', () => {
  it.each([
    ['half past four', 'en', { start: '16:30', approximate: false }],
    ['4.30pm', 'en', { start: '16:30', approximate: false }],
    ['at 4.30', 'en', { start: '16:30', approximate: false }],
    ['at 4', 'en', { start: '16:00', approximate: false }],
    ['at 9', 'en', { start: '09:00', approximate: false }],
    ['at 1', 'en', { start: '13:00', approximate: false }],
    ['at noon', 'en', { start: '12:00', approximate: false }],
    ['around 4', 'en', { start: '16:00', approximate: true }],
    ['quarter to 10', 'en', { start: '09:45', approximate: false }],
    ['between 2 and 4', 'en', { start: '14:00', end: '16:00', approximate: false }],
    ['2-4pm', 'en', { start: '14:00', end: '16:00', approximate: false }],
    ['any time after 3', 'en', { start: '15:00', end: '18:00', approximate: false }],
    ['before 11', 'en', { start: '09:00', end: '11:00', approximate: false }],
    ['no later than 5', 'en', { start: '09:00', end: '17:00', approximate: false }],
    ['tonight', 'en', { date: '2026-12-09', start: '17:00', end: '18:00', approximate: false }],
    ['after work', 'en', { start: '17:00', end: '18:00', approximate: false }],
    ['this saturday morning', 'en', { date: '2026-12-12', start: '09:00', end: '12:00', approximate: false }],
    ['this weekend', 'en', { date: '2026-12-12', approximate: false }],
    ['next weekend', 'en', { date: '2026-12-19', approximate: false }],
    ['first thing tomorrow', 'en', { date: '2026-12-10', start: '09:00', end: '10:00', approximate: false }],
    ['tmrw at 3', 'en', { date: '2026-12-10', start: '15:00', approximate: false }],
    ['11am tomorrow', 'en', { date: '2026-12-10', start: '11:00', approximate: false }],
    ['today after 2', 'en', { date: '2026-12-09', start: '14:00', end: '18:00', approximate: false }],
    ['fri 4pm', 'en', { date: '2026-12-11', start: '16:00', approximate: false }],
    ['thurs at 11', 'en', { date: '2026-12-10', start: '11:00', approximate: false }],
    ['next tuesday', 'en', { date: '2026-12-15', approximate: false }],
    ['on the 15th', 'en', { date: '2026-12-15', approximate: false }],
    ['the 17th at 2', 'en', { date: '2026-12-17', start: '14:00', approximate: false }],
    ['tuesday the 15th at 11', 'en', { date: '2026-12-15', start: '11:00', approximate: false }],
    ['december 17th at 10am', 'en', { date: '2026-12-17', start: '10:00', approximate: false }],
    ['in two weeks', 'en', { date: '2026-12-23', approximate: false }],
    ['23/12', 'en', { date: '2026-12-23', approximate: false }],
    ['a las cinco y media', 'es', { start: '17:30', approximate: false }],
    ['a las 17h', 'es', { start: '17:00', approximate: false }],
    ['sobre las 5', 'es', { start: '17:00', approximate: true }],
    ['a eso de las 4', 'es', { start: '16:00', approximate: true }],
    ['a las cinco menos cuarto', 'es', { start: '16:45', approximate: false }],
    ['a las 6 de la tarde', 'es', { start: '18:00', approximate: false }],
    ['a mediodia', 'es', { start: '12:00', approximate: false }],
    ['entre las 10 y las 12', 'es', { start: '10:00', end: '12:00', approximate: false }],
    ['de 10 a 12', 'es', { start: '10:00', end: '12:00', approximate: false }],
    ['antes de las 11', 'es', { start: '09:00', end: '11:00', approximate: false }],
    ['a partir de las 4', 'es', { start: '16:00', end: '18:00', approximate: false }],
    ['esta tarde', 'es', { date: '2026-12-09', start: '12:00', end: '17:00', approximate: false }],
    ['manana por la manana', 'es', { date: '2026-12-10', start: '09:00', end: '12:00', approximate: false }],
    ['pasado mañana a primera hora', 'es', { date: '2026-12-11', start: '09:00', end: '10:00', approximate: false }],
    ['el sabado por la mañana', 'es', { date: '2026-12-12', start: '09:00', end: '12:00', approximate: false }],
    ['el lunes a las 9 y media', 'es', { date: '2026-12-14', start: '09:30', approximate: false }],
    ['el 23 de diciembre', 'es', { date: '2026-12-23', approximate: false }],
    ['el 5 de enero', 'es', { date: '2027-01-05', approximate: false }],
    ['el dia 15 a las 10', 'es', { date: '2026-12-15', start: '10:00', approximate: false }],
    ['el martes 15 a las 11', 'es', { date: '2026-12-15', start: '11:00', approximate: false }],
    ['dentro de dos semanas', 'es', { date: '2026-12-23', approximate: false }],
    ['el 12/3', 'es', { date: '2027-03-12', approximate: false }],
  ] as const)('%s (%s)', (text, lang, expected) => {
    expect(read(text, lang)).toEqual(expected);
  });

  it.each([
    ['tomorrow', 'en', { date: '2026-12-13', approximate: false }],
    ['monday', 'en', { date: '2026-12-14', approximate: false }],
    ['this weekend', 'en', { date: '2026-12-12', approximate: false }],
    ['this afternoon', 'en', { date: '2026-12-12', start: '12:00', end: '17:00', approximate: false }],
    ['in two weeks', 'en', { date: '2026-12-26', approximate: false }],
    ['el sábado que viene', 'es', { date: '2026-12-19', approximate: false }],
    ['el miércoles a las 3', 'es', { date: '2026-12-16', start: '15:00', approximate: false }],
  ] as const)('%s (%s) on Saturday 12 December', (text, lang, expected) => {
    expect(read(text, lang, SATURDAY)).toEqual(expected);
  });
});

describe('numeric dates follow the business: day first in Europe', () => {
  it.each([
    ['12/1', { date: '2027-01-12', approximate: false }], // was 1 December 2027
    ['5/1 at 3pm', { date: '2027-01-05', start: '15:00', approximate: false }], // was 1 May 2027
    ['11/12 at 10', { date: '2026-12-11', start: '10:00', approximate: false }], // was 12 November 2027
    ['10/12/2026', { date: '2026-12-10', approximate: false }], // was 19 October 2026
    ['10-12-2026', { date: '2026-12-10', approximate: false }], // was the range 10:00–12:00, no date
    ['10/12/26 at half 2', { date: '2026-12-10', start: '14:30', approximate: false }],
  ] as const)('%s, in English, in Dublin and Madrid', (text, expected) => {
    expect(read(text, 'en')).toEqual(expected);
    expect(read(text, 'en', WEDNESDAY, 'Europe/Madrid')).toEqual(expected);
  });

  it('finds no date in "24/7"', () => {
    expect(read('are you open 24/7?', 'en')).toBeUndefined(); // was 24 July 2027
    expect(read('¿abrís 24/7?', 'es')).toBeUndefined();
  });

  it('finds no date in a fraction: "1/2 price", "3/4 of an hour"', () => {
    expect(read('is whitening 1/2 price?', 'en')).toBeUndefined(); // was 1 February
    expect(read('it takes 3/4 of an hour', 'en')).toBeUndefined(); // was 3 April
    expect(read('¿la limpieza a 1/2 precio?', 'es')).toBeUndefined(); // was 13:00
  });

  it('reads "this month" from today, not as a day already past', () => {
    expect(read('anything free this month?', 'en')).toEqual({ date: '2026-12-09', approximate: false }); // was 8 December
  });

  it('pin: a day of the month or a count before a time stays a day or a count ("March 3 10am" is not 03:10)', () => {
    expect(read('December 17 10am', 'en')).toEqual({ date: '2026-12-17', start: '10:00', approximate: false });
    expect(read('tuesday the 15th 11am', 'en')).toEqual({ date: '2026-12-15', start: '11:00', approximate: false });
    expect(read('table for 2 10am', 'en')).toEqual({ start: '10:00', approximate: false });
    expect(read('4 30pm', 'en')).toEqual({ start: '16:30', approximate: false });
  });

  it('reads "next year" and "in 3 years" as a day that far on, not as no date', () => {
    expect(read('next year', 'en')).toEqual({ date: '2027-12-09', approximate: false });
    expect(read('in 3 years', 'en')).toEqual({ date: '2029-12-09', approximate: false });
    expect(read('I have been coming for 3 years', 'en')).toBeUndefined();
    expect(read('3 years ago', 'en')).toBeUndefined();
  });

  it('reads a 29th, 30th or 31st named with its month and no year as that day, or as no day of the calendar', () => {
    // chrono moved these into other months: "february 30th" was 30 December, "feb 29" 1 February, "29th of february" no date.
    for (const text of ['29 feb', 'feb 29', 'February 29th', 'the 29th of February', 'can I come on 29th feb?']) expect(read(text, 'en')).toEqual({ date: '2028-02-29', approximate: false });
    expect(read('el 29 de febrero a las 10', 'es')).toEqual({ date: '2028-02-29', start: '10:00', approximate: false });
    expect(parseWhen('february 30th', { lang: 'en', timezone: 'Europe/Dublin', now: WEDNESDAY, hours })).toEqual({ approximate: false, unreadDate: 'february 30' });
    expect(read('31 january', 'en')).toEqual({ date: '2027-01-31', approximate: false });
    expect(read('december 31st', 'en')).toEqual({ date: '2026-12-31', approximate: false });
    expect(read('29 feb 2028', 'en')).toEqual({ date: '2028-02-29', approximate: false }); // a year written: chrono's, as before
  });

  it('reads Spanish "el mes que viene", "el año que viene", "a finales de mes" and "mid January" / "a mediados de enero"', () => {
    for (const text of ['el mes que viene', 'el próximo mes', 'el mes proximo']) expect(read(text, 'es')).toEqual({ date: '2027-01-09', approximate: false }); // as "next month"
    expect(read('next month', 'en')).toEqual({ date: '2027-01-09', approximate: false });
    expect(read('el año que viene', 'es')).toEqual({ date: '2027-12-09', approximate: false }); // as "next year"
    expect(read('a finales de mes', 'es')).toEqual({ date: '2026-12-31', approximate: false }); // as "end of the month"
    expect(read('mid january', 'en')).toEqual({ date: '2027-01-15', approximate: false }); // was 1 January
    expect(read('a mediados de enero', 'es')).toEqual({ date: '2027-01-15', approximate: false });
    expect(read('el mes que viene a las 10', 'es')).toEqual({ date: '2027-01-09', start: '10:00', approximate: false }); // was the time alone
  });

  it('names a date that is no day of the calendar (unreadDate), and nothing that is no date at all', () => {
    const unread = (text: string, lang: Lang = 'en'): string | undefined => parseWhen(text, { lang, timezone: 'Europe/Dublin', now: WEDNESDAY, hours })?.unreadDate;
    expect(unread('book a checkup on 31/02')).toBe('31/02'); // was no date: today's times were offered
    expect(unread('on 2026-12-45')).toBe('2026-12-45');
    expect(unread('on 29/02/2027 please')).toBe('29/02/2027');
    expect(unread('reservar el 31 de febrero', 'es')).toBe('31 de febrero');
    expect(parseWhen('the 31st of April at 10am', { lang: 'en', timezone: 'Europe/Dublin', now: WEDNESDAY, hours })).toMatchObject({ start: '10:00', unreadDate: '31st of april' });
    expect(read('on 29/02/2028', 'en')).toEqual({ date: '2028-02-29', approximate: false });
    expect(unread('on 29/02/2028')).toBeUndefined();
    expect(parseWhen('is it 50/50?', { lang: 'en', timezone: 'Europe/Dublin', now: WEDNESDAY, hours })).toBeUndefined();
    expect(unread('on 12/13')).toBeUndefined();
  });

  it('reads a clock hour and quarter after a weekday as the time: "friday 4 30pm", "weds 9 15am"', () => {
    expect(read('friday 4 30pm', 'en')).toMatchObject({ date: '2026-12-11', start: '16:30' }); // was Friday, no time
    expect(read('weds 9 15am', 'en')).toMatchObject({ date: '2026-12-09', start: '09:15' });
    expect(read('tuesday 14 11am', 'en')).toMatchObject({ start: '11:00' }); // a day, then the time
  });

  it('pin: a space in a time keeps amounts, minutes and people as they are', () => {
    expect(read('at 4 30 euros is it cheaper?', 'en')).toEqual({ start: '16:00', approximate: false });
    expect(read('can 2 people come at 3', 'en')).toEqual({ start: '15:00', approximate: false });
    expect(read('a las 10 15 minutos antes', 'es')).toEqual({ start: '10:00', approximate: false });
  });

  it('reads "1/12" on 12 December as next 1 December, not 12 January', () => {
    expect(read('1/12', 'en', SATURDAY)).toEqual({ date: '2027-12-01', approximate: false });
  });

  it('pin: keeps month first for a business in the United States, and reads a day over 12 either way round', () => {
    expect(read('1/5 at 3pm', 'en', WEDNESDAY, 'America/New_York')).toEqual({ date: '2027-01-05', start: '15:00', approximate: false });
    expect(read('12/23', 'en', WEDNESDAY, 'America/Chicago')).toEqual({ date: '2026-12-23', approximate: false });
    expect(read('23/12', 'en', WEDNESDAY, 'America/New_York')).toEqual({ date: '2026-12-23', approximate: false });
    expect(read('can I book for 18/12?', 'en')).toEqual({ date: '2026-12-18', approximate: false });
  });
});

describe('clock times', () => {
  it.each([
    ['half four', 'en', { start: '16:30', approximate: false }], // was nothing (Ireland: half past four)
    ['can i come in at half four tomorrow', 'en', { date: '2026-12-10', start: '16:30', approximate: false }], // was no time
    ['half 10 on friday', 'en', { date: '2026-12-11', start: '10:30', approximate: false }],
    ['at half 1', 'en', { start: '13:30', approximate: false }],
    ['4ish', 'en', { start: '16:00', approximate: true }], // was nothing
    ['tomorrow 11ish', 'en', { date: '2026-12-10', start: '11:00', approximate: true }], // was no time
    ['at 8 in the evening', 'en', { start: '20:00', approximate: false }], // was 08:00
    ['a las 17h30', 'es', { start: '17:30', approximate: false }], // was 17:00
    ['el viernes a las 10h30', 'es', { date: '2026-12-11', start: '10:30', approximate: false }], // was 10:00
    ['a las 4 y 30', 'es', { start: '16:30', approximate: false }], // was 16:00
    ['mañana a las 9 y 15', 'es', { date: '2026-12-10', start: '09:15', approximate: false }], // was 09:00
    ['a las 5 y 30 de la tarde', 'es', { start: '17:30', approximate: false }], // was 17:00
    ['a las 16 30', 'es', { start: '16:30', approximate: false }], // was 16:00
    ['el martes a las 9 45', 'es', { date: '2026-12-15', start: '09:45', approximate: false }], // was 09:00
    ['at 4 30', 'en', { start: '16:30', approximate: false }], // was 16:00
    ['tomorrow at 4 30pm', 'en', { date: '2026-12-10', start: '16:30', approximate: false }], // was no time
    ['around 10 15', 'en', { start: '10:15', approximate: true }], // was 10:00
  ] as const)('%s (%s)', (text, lang, expected) => {
    expect(read(text, lang)).toEqual(expected);
  });

  it('pin: "half" that is no clock time, and "entre las 9 y 15" as a range', () => {
    expect(read('half an hour', 'en')).toBeUndefined();
    expect(read('is it half price?', 'en')).toBeUndefined();
    expect(read('entre las 9 y 15', 'es')).toEqual({ start: '09:00', end: '15:00', approximate: false });
  });
});

describe('parts of the day', () => {
  it.each([
    ['mañana tarde', { date: '2026-12-10', start: '12:00', end: '17:00', approximate: false }], // was no time
    ['el sabado tarde', { date: '2026-12-12', start: '12:00', end: '17:00', approximate: false }], // was no time
    ['después del trabajo', { start: '17:00', end: '18:00', approximate: false }], // was nothing
    ['el jueves despues de trabajar', { date: '2026-12-10', start: '17:00', end: '18:00', approximate: false }], // was no time
  ] as const)('%s', (text, expected) => {
    expect(read(text, 'es')).toEqual(expected);
  });

  it('pin: "llego tarde" (I am late) names no time', () => {
    expect(read('llego tarde', 'es')).toBeUndefined();
  });
});

describe('Spanish weekend', () => {
  it.each(['el finde', 'este finde', 'el fin de semana', 'este fin de semana'])('%s is this Saturday, today on a Saturday', (text) => {
    expect(read(text, 'es')).toEqual({ date: '2026-12-12', approximate: false }); // was nothing
    expect(read(text, 'es', SATURDAY)).toEqual({ date: '2026-12-12', approximate: false });
  });

  it('keeps the part of the day, and reads "el finde que viene" on a Saturday as next Saturday', () => {
    expect(read('este finde por la mañana', 'es')).toEqual({ date: '2026-12-12', start: '09:00', end: '12:00', approximate: false });
    // Not next Monday, as "semana que viene" inside it would have it.
    expect(read('el fin de semana que viene', 'es', SATURDAY)).toEqual({ date: '2026-12-19', approximate: false });
    expect(read('el finde que viene', 'es', SATURDAY)).toEqual({ date: '2026-12-19', approximate: false });
  });
});

describe('a weekday with its day of the month is that date', () => {
  it.each([
    ['friday 18th', 'en', { date: '2026-12-18', approximate: false }], // was Friday 11
    ['thurs 17th at 3', 'en', { date: '2026-12-17', start: '15:00', approximate: false }], // was Thursday 10
    ['fri the 18th', 'en', { date: '2026-12-18', approximate: false }],
    ['monday 4th', 'en', { date: '2027-01-04', approximate: false }], // was Monday 14 December
    ['el viernes 18', 'es', { date: '2026-12-18', approximate: false }],
    ['jueves 17 a las 5', 'es', { date: '2026-12-17', start: '17:00', approximate: false }],
    ['el viernes, día 18, por la tarde', 'es', { date: '2026-12-18', start: '12:00', end: '17:00', approximate: false }],
  ] as const)('%s (%s)', (text, lang, expected) => {
    expect(read(text, lang)).toEqual(expected);
  });

  it('pin: keeps the weekday when the number is no such weekday, and leaves "friday 18th december" to chrono', () => {
    expect(read('el viernes 4', 'es')).toEqual({ date: '2026-12-11', approximate: false }); // 4 January is a Monday
    expect(read('friday 18th december', 'en')).toEqual({ date: '2026-12-18', approximate: false });
  });
});

describe('Irish and British "friday week" and "a fortnight"', () => {
  it.each(['friday week', 'a week on friday'])('%s is a week after the coming Friday', (text) => {
    expect(read(text, 'en')).toEqual({ date: '2026-12-18', approximate: false }); // was Friday 11
    expect(read(text, 'en', SATURDAY)).toEqual({ date: '2026-12-25', approximate: false });
  });

  it('reads "in a fortnight" as in two weeks', () => {
    expect(read('in a fortnight', 'en')).toEqual({ date: '2026-12-23', approximate: false }); // was nothing
  });
});

describe('misspelt "tomorrow" and abbreviated weekdays', () => {
  it.each(['tomorow', 'tommorow', 'tommorrow', 'tomoro', '2moro', '2morrow'])('%s at 3', (word) => {
    expect(read(`${word} at 3`, 'en')).toEqual({ date: '2026-12-10', start: '15:00', approximate: false }); // was no date
  });

  it('reads "tues" and "weds"', () => {
    expect(read('tues at 4', 'en')).toEqual({ date: '2026-12-15', start: '16:00', approximate: false }); // was no date
    expect(read('weds morning', 'en', SATURDAY)).toEqual({ date: '2026-12-16', start: '09:00', end: '12:00', approximate: false });
  });
});

describe('a meal names the part of the day (a restaurant: "a table for lunch", "mesa para cenar")', () => {
  it.each([
    ['a table for lunch tomorrow', 'en', { date: '2026-12-10', start: '12:00', end: '14:00', approximate: false }],
    ['friday for dinner', 'en', { date: '2026-12-11', start: '17:00', end: '18:00', approximate: false }],
    ['mesa para comer el viernes', 'es', { date: '2026-12-11', start: '12:00', end: '14:00', approximate: false }],
    ['mesa para cenar mañana', 'es', { date: '2026-12-10', start: '17:00', end: '18:00', approximate: false }],
  ] as const)('%s (%s): was the whole day', (text, lang, expected) => {
    expect(read(text, lang)).toEqual(expected);
  });
});

describe('"a couple" or "a few" without a unit is no date (a spa\'s "a couples massage on Sunday" was today: chrono read "a couple" of seconds from now)', () => {
  it.each([
    ['a couples massage on Sunday afternoon', { date: '2026-12-13', start: '12:00', end: '17:00', approximate: false }],
    ['a couple of us on friday', { date: '2026-12-11', approximate: false }],
    ['a couples massage', undefined],
    ['in a couple of days', { date: '2026-12-11', approximate: false }],
  ] as const)('%s', (text, expected) => {
    expect(read(text, 'en')).toEqual(expected);
  });
});
