/**
 * Weeks and weekdays relative to the business's today (nlu/time.ts `parseWhen`), where chrono alone was wrong:
 * "el viernes que viene" asked on a Friday was today, "el viernes de la semana que viene" was this week's Friday,
 * "la semana que viene" was no date at all (so this week's slots were offered), and "next week" was a week from
 * today rather than next week's Monday.
 */
import { parseWhen } from '../../lambdas/core/nlu/time';

const TZ = 'Europe/Madrid';
const MONDAY = new Date('2026-11-30T10:00:00Z');
const FRIDAY = new Date('2026-12-04T10:00:00Z');
const SATURDAY = new Date('2026-12-05T10:00:00Z');
// 23:30 UTC on Sunday 6 December is already Monday 7 December in Madrid: the business's today decides.
const SUNDAY_NIGHT_UTC = new Date('2026-12-06T23:30:00Z');

const dateOf = (text: string, now: Date, lang: 'en' | 'es'): string | undefined => parseWhen(text, { lang, timezone: TZ, now })?.date;

describe('a weekday of next week', () => {
  it.each([
    ['el viernes de la semana que viene', 'es'],
    ['el viernes de la próxima semana', 'es'],
    ['la semana que viene, el viernes', 'es'],
    ['friday next week', 'en'],
    ['next week on Friday', 'en'],
  ] as const)('%s is the Friday of the Monday-to-Sunday week after this one', (text, lang) => {
    expect(dateOf(text, MONDAY, lang)).toBe('2026-12-11');
    expect(dateOf(text, FRIDAY, lang)).toBe('2026-12-11');
    expect(dateOf(text, SATURDAY, lang)).toBe('2026-12-11');
    expect(dateOf(text, SUNDAY_NIGHT_UTC, lang)).toBe('2026-12-18');
  });
});

describe('Spanish "el viernes que viene" and "el próximo viernes"', () => {
  it.each(['el viernes que viene', 'el próximo viernes', 'el viernes próximo', 'el proximo viernes'])('%s is the first Friday after today, never today', (text) => {
    expect(dateOf(text, MONDAY, 'es')).toBe('2026-12-04');
    expect(dateOf(text, FRIDAY, 'es')).toBe('2026-12-11');
    expect(dateOf(text, SATURDAY, 'es')).toBe('2026-12-11');
  });

  it('keeps the time said with it', () => {
    expect(parseWhen('¿el jueves que viene después de las 2?', { lang: 'es', timezone: TZ, now: FRIDAY, hours: [{ open: '09:00', close: '18:00' }] })).toMatchObject({ date: '2026-12-10', start: '14:00' });
  });
});

describe('next week alone', () => {
  it.each([
    ['next week', 'en'],
    ['la semana que viene', 'es'],
    ['la próxima semana', 'es'],
    ['¿tenéis algo la semana que viene por la tarde?', 'es'],
  ] as const)('%s starts on next Monday', (text, lang) => {
    expect(dateOf(text, MONDAY, lang)).toBe('2026-12-07');
    expect(dateOf(text, FRIDAY, lang)).toBe('2026-12-07');
    expect(dateOf(text, SATURDAY, lang)).toBe('2026-12-07');
    expect(dateOf(text, SUNDAY_NIGHT_UTC, lang)).toBe('2026-12-14');
  });

  it('gives way to a day the message names as well (found in review: the Monday won)', () => {
    expect(dateOf('la próxima semana, el 10 de diciembre a las 11', MONDAY, 'es')).toBe('2026-12-10');
    expect(dateOf('la semana que viene, el día 9', MONDAY, 'es')).toBe('2026-12-09');
    expect(dateOf('wednesday 9 december next week', MONDAY, 'en')).toBe('2026-12-09');
    expect(dateOf('el miércoles 9 de la semana que viene', MONDAY, 'es')).toBe('2026-12-09');
    expect(dateOf('tomorrow or next week', MONDAY, 'en')).toBe('2026-12-01');
    expect(dateOf('mañana o la semana que viene', MONDAY, 'es')).toBe('2026-12-01');
  });

  it('leaves other dates to chrono', () => {
    expect(dateOf('next friday', MONDAY, 'en')).toBe('2026-12-11');
    expect(dateOf('el viernes', FRIDAY, 'es')).toBe('2026-12-04');
    expect(dateOf('tomorrow', SUNDAY_NIGHT_UTC, 'en')).toBe('2026-12-08');
  });
});

describe('next week named as a whole is marked so (the booking dialog takes any day of it)', () => {
  it.each([
    ['next week', 'en', true],
    ['la semana que viene', 'es', true],
    ['friday next week', 'en', undefined],
    ['el viernes de la semana que viene', 'es', undefined],
    ['tomorrow', 'en', undefined],
  ] as const)('%s', (text, lang, week) => {
    expect(parseWhen(text, { lang, timezone: TZ, now: FRIDAY })?.week).toBe(week);
  });
});

describe('a weekday named alone (WhenEntity.weekdayAlone, read by the booking dialog)', () => {
  const alone = (text: string, lang: 'en' | 'es' = 'en'): boolean => parseWhen(text, { lang, timezone: TZ, now: FRIDAY })?.weekdayAlone === true;

  it.each([
    ['Friday would be better', 'en'],
    ['mejor el viernes', 'es'],
    ['weds at 3', 'en'],
    ['thurs morning', 'en'],
    ['el miercoles por la tarde', 'es'],
  ] as const)('%s is', (text, lang) => {
    expect(alone(text, lang)).toBe(true);
  });

  it.each([
    ['Friday 27th', 'en'],
    ['el viernes 11', 'es'],
    ['friday the 11th', 'en'],
    ['Friday, 11/12', 'en'],
    ['Friday December 11', 'en'],
    ['el viernes 11 de diciembre', 'es'],
    ['this Friday', 'en'],
    ['today, Friday', 'en'],
    ['este viernes', 'es'],
    ['hoy viernes', 'es'],
    ['tomorrow at 3', 'en'],
    ['at 3', 'en'],
  ] as const)('%s is not', (text, lang) => {
    expect(alone(text, lang)).toBe(false);
  });
});
