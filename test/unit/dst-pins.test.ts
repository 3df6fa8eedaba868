/**
 * PINS, not bug reproductions: DST cases nobody had tested, all of which already behaved correctly when written
 * (Europe/Madrid: CET → CEST on Sunday 29 March 2026 at 01:00 UTC, back on Sunday 25 October 2026 at 01:00 UTC).
 * They guard the behaviour the booking flow relies on: opening hours in local time on both sides of a change,
 * relative days read on the tenant's calendar when UTC is still the previous day, and customer-facing times.
 */
import { checkSlot, freeSlots, type AvailabilityInput } from '../../lambdas/core/booking/availability';
import { formatSlotTime } from '../../lambdas/core/booking/dialog';
import { defaultBookingSettings } from '../../lambdas/core/booking/ports';
import type { OpeningHours, Service, StaffMember } from '../../lambdas/core/knowledge-base';
import { parseWhen, wallClock, zonedToUtc } from '../../lambdas/core/nlu/time';

const MADRID = 'Europe/Madrid';
const hhmm = (iso: string, timezone = MADRID): string => {
  const w = wallClock(new Date(iso), timezone);
  return `${String(w.hour).padStart(2, '0')}:${String(w.minute).padStart(2, '0')}`;
};
const services: Service[] = [30, 45, 90].map((m) => ({ id: `s${m}`, name: `s${m}`, durationMinutes: m, priceCents: 1000, currency: 'EUR', depositCents: 0, description: '' }));
const staff: StaffMember[] = [{ id: 'ana', name: 'Ana', role: 'Dentista', serviceIds: services.map((s) => s.id) }];
const everyDay: OpeningHours[] = (['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const).map((day) => ({ day, open: '09:00', close: '17:00' }));
const input = (now: string): AvailabilityInput => ({ timezone: MADRID, hours: everyDay, services, staff, busy: [], now: new Date(now), settings: { ...defaultBookingSettings } });

describe('pin: 09:00–17:00 in Madrid on the days either side of each change', () => {
  it.each([
    ['2026-03-28', '2026-03-20T12:00:00Z', '2026-03-28T08:00:00.000Z'], // Saturday, CET
    ['2026-03-29', '2026-03-20T12:00:00Z', '2026-03-29T07:00:00.000Z'], // the change day, CEST from 03:00
    ['2026-03-30', '2026-03-20T12:00:00Z', '2026-03-30T07:00:00.000Z'],
    ['2026-10-24', '2026-10-20T12:00:00Z', '2026-10-24T07:00:00.000Z'], // Saturday, CEST
    ['2026-10-25', '2026-10-20T12:00:00Z', '2026-10-25T08:00:00.000Z'], // the change day, CET from 02:00
    ['2026-10-26', '2026-10-20T12:00:00Z', '2026-10-26T08:00:00.000Z'],
  ])('%s: slots from 09:00 local, every half hour to the close, each lasting its duration', (date, now, first) => {
    for (const [serviceId, minutes, count, lastEnd] of [['s30', 30, 16, '17:00'], ['s45', 45, 15, '16:45'], ['s90', 90, 14, '17:00']] as const) {
      const r = freeSlots(input(now), { serviceId, date, limit: 50 });
      expect(r.slots).toHaveLength(count);
      expect(r.slots[0]?.start).toBe(first);
      expect(r.slots.map((s) => hhmm(s.start))).toEqual(Array.from({ length: count }, (_, i) => `${String(9 + Math.floor(i / 2)).padStart(2, '0')}:${i % 2 ? '30' : '00'}`));
      for (const s of r.slots) {
        expect(Date.parse(s.end) - Date.parse(s.start)).toBe(minutes * 60_000);
        expect(checkSlot(input(now), s)).toBeUndefined();
      }
      expect(hhmm(r.slots.at(-1)?.end ?? '')).toBe(lastEnd);
    }
  });
});

describe('pin: wall-clock instants in Madrid', () => {
  it('moves the skipped 02:30 forward to 03:30 CEST and reads the repeated 02:30 at its first (CEST) occurrence', () => {
    expect(zonedToUtc('2026-03-29', '02:30', MADRID).toISOString()).toBe('2026-03-29T01:30:00.000Z'); // 03:30 CEST
    expect(zonedToUtc('2026-10-25', '02:30', MADRID).toISOString()).toBe('2026-10-25T00:30:00.000Z'); // 02:30 CEST
    expect(zonedToUtc('2026-10-25', '03:00', MADRID).toISOString()).toBe('2026-10-25T02:00:00.000Z'); // 03:00 CET
  });
});

describe('pin: relative days in the tenant zone when UTC is still the previous day', () => {
  const hours = [{ open: '09:00', close: '17:00' }];
  it('reads "tomorrow at 9" / "mañana a las 10" from the Madrid day at 23:30 UTC, also the night of each change', () => {
    // Thu 11 June 2026, 01:30 CEST (still Wednesday in UTC).
    const june = new Date('2026-06-10T23:30:00Z');
    expect(parseWhen('tomorrow at 9', { lang: 'en', timezone: MADRID, now: june, hours })).toMatchObject({ date: '2026-06-12', start: '09:00', startUtc: '2026-06-12T07:00:00.000Z' });
    expect(parseWhen('mañana a las 10', { lang: 'es', timezone: MADRID, now: june, hours })).toMatchObject({ date: '2026-06-12', start: '10:00', startUtc: '2026-06-12T08:00:00.000Z' });
    expect(parseWhen('hoy a las 10', { lang: 'es', timezone: MADRID, now: june, hours })).toMatchObject({ date: '2026-06-11' });
    // Sunday 29 March 2026, 00:30 CET (Saturday in UTC), an hour and a half before the change.
    const spring = new Date('2026-03-28T23:30:00Z');
    expect(parseWhen('mañana a las 10', { lang: 'es', timezone: MADRID, now: spring, hours })).toMatchObject({ date: '2026-03-30', startUtc: '2026-03-30T08:00:00.000Z' });
    expect(parseWhen('today at 10', { lang: 'en', timezone: MADRID, now: spring, hours })).toMatchObject({ date: '2026-03-29', startUtc: '2026-03-29T08:00:00.000Z' });
    expect(parseWhen('next Sunday', { lang: 'en', timezone: MADRID, now: spring, hours })?.date).toBe('2026-04-05');
    // Saturday 24 October 2026, 23:30 CEST: "tomorrow" is the fall-back Sunday, 10:00 then being CET.
    const autumn = new Date('2026-10-24T21:30:00Z');
    expect(parseWhen('tomorrow at 10', { lang: 'en', timezone: MADRID, now: autumn, hours })).toMatchObject({ date: '2026-10-25', startUtc: '2026-10-25T09:00:00.000Z' });
    // Saturday 7 March 2026, 23:30 EST in New York: "tomorrow" is the spring-forward Sunday, 09:00 EDT.
    expect(parseWhen('tomorrow at 9', { lang: 'en', timezone: 'America/New_York', now: new Date('2026-03-08T04:30:00Z'), hours })).toMatchObject({ date: '2026-03-08', startUtc: '2026-03-08T13:00:00.000Z' });
  });
});

describe('pin: customer-facing times on a change day', () => {
  it('shows the local wall time in English and Spanish, in summer and winter time', () => {
    expect(formatSlotTime('2026-03-29T07:00:00.000Z', MADRID, 'en')).toBe('Sun, 29 Mar, 09:00');
    expect(formatSlotTime('2026-03-29T07:00:00.000Z', MADRID, 'es')).toBe('dom, 29 mar, 09:00');
    expect(formatSlotTime('2026-10-25T08:00:00.000Z', MADRID, 'en')).toBe('Sun, 25 Oct, 09:00');
    expect(formatSlotTime('2026-10-25T08:00:00.000Z', MADRID, 'es')).toBe('dom, 25 oct, 09:00');
  });
});
