/**
 * Local wall-clock time → instant on daylight-saving days, in zones far east of UTC (Pacific/Auckland: UTC+12 in
 * winter, UTC+13 in summer). New Zealand springs forward on the last Sunday of September (02:00 NZST → 03:00
 * NZDT, 14:00 UTC the day before) and falls back on the first Sunday of April (03:00 NZDT → 02:00 NZST, 14:00
 * UTC the day before). At UTC+13 the instant sought is 13 hours before the wall time read as UTC, so offsets
 * sampled only 12 hours either side of it miss the transition.
 */
import { freeSlots, type AvailabilityInput } from '../../lambdas/core/booking/availability';
import { defaultBookingSettings } from '../../lambdas/core/booking/ports';
import type { OpeningHours, Service, StaffMember } from '../../lambdas/core/knowledge-base';
import { parseWhen, wallClock, zonedToUtc } from '../../lambdas/core/nlu/time';

const AUCKLAND = 'Pacific/Auckland';
const local = (iso: string, timezone = AUCKLAND): string => {
  const w = wallClock(new Date(iso), timezone);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${w.year}-${p(w.month)}-${p(w.day)} ${p(w.hour)}:${p(w.minute)}`;
};

const cleaning: Service = { id: 'cleaning', name: 'Cleaning', durationMinutes: 30, priceCents: 5000, currency: 'NZD', depositCents: 0, description: '' };
const staff: StaffMember[] = [{ id: 'byrne', name: 'Dr Byrne', role: 'Dentist', serviceIds: ['cleaning'] }];
function input(timezone: string, hours: OpeningHours[], now: string): AvailabilityInput {
  return { timezone, hours, services: [cleaning], staff, busy: [], now: new Date(now), settings: { ...defaultBookingSettings } };
}

describe('zonedToUtc east of UTC+12 (bug: offsets sampled only ±12 h missed the transition)', () => {
  it('resolves a repeated Auckland time (fall-back, 2026-04-05) to its first occurrence, as documented', () => {
    // 02:00–02:59 happens twice: first in NZDT (13:00Z…), then in NZST (14:00Z…).
    expect(zonedToUtc('2026-04-05', '02:00', AUCKLAND).toISOString()).toBe('2026-04-04T13:00:00.000Z');
    expect(zonedToUtc('2026-04-05', '02:30', AUCKLAND).toISOString()).toBe('2026-04-04T13:30:00.000Z');
    // Unambiguous times either side stay put.
    expect(zonedToUtc('2026-04-05', '01:30', AUCKLAND).toISOString()).toBe('2026-04-04T12:30:00.000Z');
    expect(zonedToUtc('2026-04-05', '03:00', AUCKLAND).toISOString()).toBe('2026-04-04T15:00:00.000Z');
  });

  it('moves a skipped Auckland time (spring-forward, 2026-09-27) forward by the gap, never back', () => {
    // 02:30 does not exist: read with the offset before the gap (NZST) it is 14:30Z, i.e. 03:30 NZDT.
    const skipped = zonedToUtc('2026-09-27', '02:30', AUCKLAND).toISOString();
    expect(skipped).toBe('2026-09-26T14:30:00.000Z');
    expect(local(skipped)).toBe('2026-09-27 03:30');
    expect(local(zonedToUtc('2026-09-27', '02:00', AUCKLAND).toISOString())).toBe('2026-09-27 03:00');
    // Chatham (UTC+12:45 / +13:45) skips 02:45–03:44.
    expect(local(zonedToUtc('2026-09-27', '03:00', 'Pacific/Chatham').toISOString(), 'Pacific/Chatham')).toBe('2026-09-27 04:00');
  });

  it('gives a customer\'s "2:30am" on the Auckland spring-forward Sunday an instant after, not before, the gap', () => {
    const w = parseWhen('Sunday 27 September at 2:30am', { lang: 'en', timezone: AUCKLAND, now: new Date('2026-09-20T00:00:00Z') });
    expect(w).toMatchObject({ date: '2026-09-27', start: '02:30', startUtc: '2026-09-26T14:30:00.000Z' });
  });
});

describe('availability on Auckland DST days (via zonedToUtc)', () => {
  it('offers the repeated hour at its first occurrence (NZDT) when Auckland falls back, like Dublin and New York', () => {
    const r = freeSlots(input(AUCKLAND, [{ day: 'sun', open: '00:00', close: '23:59' }], '2026-04-01T00:00:00Z'), { serviceId: 'cleaning', date: '2026-04-05', limit: 200 });
    expect(r.slots).toHaveLength(48);
    expect(r.slots.slice(2, 7).map((s) => s.start)).toEqual([
      '2026-04-04T12:00:00.000Z', // 01:00 NZDT
      '2026-04-04T12:30:00.000Z', // 01:30 NZDT
      '2026-04-04T13:00:00.000Z', // 02:00 NZDT (first occurrence)
      '2026-04-04T13:30:00.000Z', // 02:30 NZDT
      '2026-04-04T15:00:00.000Z', // 03:00 NZST
    ]);
  });

  it('closes a period whose closing time falls in the Auckland spring-forward gap at the end of the gap', () => {
    // Open 00:00–02:30 on Sunday 27 September 2026; 02:00–02:59 does not exist, so the close is 03:00 NZDT (14:00Z)
    // and a 30-minute slot at 01:30 NZST (13:30Z–14:00Z) fits — as the same hours do in Dublin (see below).
    const r = freeSlots(input(AUCKLAND, [{ day: 'sun', open: '00:00', close: '02:30' }], '2026-09-20T00:00:00Z'), { serviceId: 'cleaning', date: '2026-09-27', limit: 20 });
    expect(r.slots.map((s) => local(s.start))).toEqual(['2026-09-27 00:00', '2026-09-27 00:30', '2026-09-27 01:00', '2026-09-27 01:30']);
    expect(r.slots.at(-1)).toMatchObject({ start: '2026-09-26T13:30:00.000Z', end: '2026-09-26T14:00:00.000Z' });
    // Pin (already right before the fix): the same rule in Dublin, where the gap is 01:00–01:59.
    const dublin = freeSlots(input('Europe/Dublin', [{ day: 'sun', open: '00:00', close: '01:30' }], '2026-03-20T00:00:00Z'), { serviceId: 'cleaning', date: '2026-03-29', limit: 20 });
    expect(dublin.slots.map((s) => local(s.start, 'Europe/Dublin'))).toEqual(['2026-03-29 00:00', '2026-03-29 00:30']);
  });
});
