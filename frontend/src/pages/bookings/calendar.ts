/**
 * Calendar arithmetic for the bookings pages, in the business's time zone
 * (Intl only, so DST-correct without a library). Days are `YYYY-MM-DD` strings;
 * instants are ISO strings. Pure: "now" and the zone are parameters.
 */
import type { Booking, BookingStatus } from '../../api/bookings';

export type CalendarView = 'day' | 'week';

const DAY_MS = 24 * 3600_000;

/** The day (YYYY-MM-DD) in `timeZone` at `instant`. */
export function dayIn(instant: Date | string, timeZone: string): string {
  const d = typeof instant === 'string' ? new Date(instant) : instant;
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Monday of the week holding `day`. */
export function weekStart(day: string): string {
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay(); // 0 = Sunday
  return addDays(day, -((weekday + 6) % 7));
}

/** The days a view shows from `anchor`: the day itself, or Monday to Sunday of its week. */
export function daysOf(view: CalendarView, anchor: string): string[] {
  if (view === 'day') return [anchor];
  const first = weekStart(anchor);
  return Array.from({ length: 7 }, (_, i) => addDays(first, i));
}

/** The range to ask the API for (dates: midnight in the business's time zone; `to` exclusive). */
export function rangeOf(view: CalendarView, anchor: string): { from: string; to: string } {
  const days = daysOf(view, anchor);
  return { from: days[0] ?? anchor, to: addDays(days[days.length - 1] ?? anchor, 1) };
}

/** Bookings by their local day, each day's in start order. */
export function byDay(bookings: readonly Booking[], timeZone: string): Map<string, Booking[]> {
  const out = new Map<string, Booking[]>();
  for (const b of [...bookings].sort((x, y) => x.start.localeCompare(y.start))) {
    const day = dayIn(b.start, timeZone);
    out.set(day, [...(out.get(day) ?? []), b]);
  }
  return out;
}

/** "Monday 2 March" for a day. */
export function dayLabel(day: string, locale?: string): string {
  return new Intl.DateTimeFormat(locale, { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' }).format(new Date(`${day}T12:00:00Z`));
}

/** "09:30" for an instant in the zone. */
export function clockIn(iso: string, timeZone: string, locale?: string): string {
  return new Intl.DateTimeFormat(locale ?? 'en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone }).format(new Date(iso));
}

/** The instant at which the wall clock in `timeZone` shows `time` on `day`. */
export function zonedInstant(day: string, time: string, timeZone: string): Date {
  const [y, m, d] = day.split('-').map(Number);
  const [hh, mm] = time.split(':').map(Number);
  const naive = Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1, hh ?? 0, mm ?? 0);
  const offsetAt = (t: number): number => {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' })
        .formatToParts(new Date(t))
        .map((p) => [p.type, p.value]),
    );
    const shown = Date.UTC(Number(parts['year']), Number(parts['month']) - 1, Number(parts['day']), Number(parts['hour']) % 24, Number(parts['minute']));
    return shown - Math.floor(t / 60000) * 60000;
  };
  return new Date(naive - offsetAt(naive - offsetAt(naive)));
}

export const statusLabels: Readonly<Record<BookingStatus, string>> = {
  held: 'Held',
  awaiting_payment: 'Awaiting deposit',
  confirmed: 'Confirmed',
  cancelled: 'Cancelled',
  failed: 'Failed',
  expired: 'Expired',
  no_show: 'No-show',
};

export const problemLabels: Readonly<Record<string, string>> = {
  unknown_service: 'There is no such service.',
  unknown_staff: 'There is no such staff member.',
  staff_does_not_do_service: 'That staff member does not do this service.',
  past: 'That time is in the past or too soon.',
  closed: 'Closed at that time (hours or an exception).',
  beyond_horizon: 'That day is further ahead than bookings are taken.',
  fully_booked: 'No free time that day.',
};
