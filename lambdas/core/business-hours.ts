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
