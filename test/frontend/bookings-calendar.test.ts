import { addDays, byDay, daysOf, rangeOf, weekStart, zonedInstant } from '../../frontend/src/pages/bookings/calendar';
import { slotRefusal } from '../../frontend/src/api/bookings';
import { parseApiError } from '../../frontend/src/lib/api-error';
import type { Booking } from '../../frontend/src/api/bookings';

describe('calendar arithmetic', () => {
  it('weeks run Monday to Sunday; ranges end the day after the last day shown', () => {
    expect(weekStart('2026-03-01')).toBe('2026-02-23'); // a Sunday
    expect(weekStart('2026-03-02')).toBe('2026-03-02'); // a Monday
    expect(daysOf('week', '2026-03-04')).toEqual(['2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05', '2026-03-06', '2026-03-07', '2026-03-08']);
    expect(rangeOf('week', '2026-03-04')).toEqual({ from: '2026-03-02', to: '2026-03-09' });
    expect(rangeOf('day', '2026-12-31')).toEqual({ from: '2026-12-31', to: '2027-01-01' });
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
  });

  it('reads wall-clock times in the business zone across DST changes', () => {
    expect(zonedInstant('2026-03-28', '10:00', 'Europe/Dublin').toISOString()).toBe('2026-03-28T10:00:00.000Z');
    expect(zonedInstant('2026-03-30', '10:00', 'Europe/Dublin').toISOString()).toBe('2026-03-30T09:00:00.000Z');
    expect(zonedInstant('2026-11-02', '09:30', 'America/New_York').toISOString()).toBe('2026-11-02T14:30:00.000Z');
  });

  it('groups bookings by their local day, in start order', () => {
    const b = (id: string, start: string): Booking => ({
      bookingId: id, serviceId: 's', staffId: 'p', start, end: start, customer: { name: 'x' }, status: 'confirmed', priceCents: 0, depositCents: 0,
      currency: 'EUR', payment: { status: 'none' }, channel: 'staff', lang: 'en', source: 'staff', createdAt: start, updatedAt: start,
    });
    // 23:30 UTC on 1 June is 00:30 on 2 June in Dublin (summer time).
    const grouped = byDay([b('late', '2026-06-02T08:00:00Z'), b('early', '2026-06-01T23:30:00Z'), b('first', '2026-06-01T09:00:00Z')], 'Europe/Dublin');
    expect(grouped.get('2026-06-01')?.map((x) => x.bookingId)).toEqual(['first']);
    expect(grouped.get('2026-06-02')?.map((x) => x.bookingId)).toEqual(['early', 'late']);
  });
});

describe('slotRefusal', () => {
  it('reads alternatives of a 409 and the problem of a 400, and nothing from other errors', () => {
    const alt = { serviceId: 's', staffId: 'p', start: '2026-06-01T09:00:00.000Z', end: '2026-06-01T09:45:00.000Z' };
    const taken = slotRefusal(parseApiError(409, { error: { code: 'conflict', message: 'taken', field: 'start' }, alternatives: [alt] }));
    expect(taken?.alternatives).toEqual([alt]);
    expect(taken?.message).toBe('taken');
    expect(slotRefusal(parseApiError(400, { error: { code: 'bad_request', message: 'closed' }, problem: 'closed' }))?.problem).toBe('closed');
    expect(slotRefusal(parseApiError(400, { error: { code: 'bad_request', message: 'bad', field: 'start' } }))).toBeUndefined();
    expect(slotRefusal(new Error('x'))).toBeUndefined();
  });
});
