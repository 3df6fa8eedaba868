/** Availability (pure): hours, exceptions, policy and busy cells → free slots, DST-correct. Fixed `now` values only. */
import fc from 'fast-check';
import {
  bookingCells,
  checkSlot,
  freeSlots,
  searchRange,
  slotRequestSchema,
  type AvailabilityInput,
  type SlotRequest,
} from '../../lambdas/core/booking/availability';
import { cellsFor, defaultBookingSettings, type BookingException, type BookingSettings, type Slot, type SlotCell } from '../../lambdas/core/booking/ports';
import type { OpeningHours, Service, StaffMember } from '../../lambdas/core/knowledge-base';
import { wallClock } from '../../lambdas/core/nlu/time';

const service = (id: string, durationMinutes: number): Service => ({
  id,
  name: id,
  durationMinutes,
  priceCents: 5000,
  currency: 'EUR',
  depositCents: 1000,
  description: '',
});
const services: Service[] = [service('cleaning', 30), service('whitening', 60), service('checkup', 45)];
const staff: StaffMember[] = [
  { id: 'byrne', name: 'Dr Byrne', role: 'Dentist', serviceIds: ['cleaning', 'whitening'] },
  { id: 'kelly', name: 'Dr Kelly', role: 'Hygienist', serviceIds: ['cleaning', 'checkup'] },
  { id: 'walsh', name: 'Dr Walsh', role: 'Dentist', serviceIds: ['checkup'] },
];
const weekdays: OpeningHours[] = (['mon', 'tue', 'wed', 'thu', 'fri'] as const).map((day) => ({ day, open: '09:00', close: '17:00' }));
const hours: OpeningHours[] = [...weekdays, { day: 'sat', open: '10:00', close: '14:00' }];
const allDay = (day: OpeningHours['day']): OpeningHours[] => [{ day, open: '00:00', close: '23:59' }];

// 2026-03-02 is a Monday; Dublin is UTC+0 until summer time starts on 2026-03-29.
const MONDAY_8AM = new Date('2026-03-02T08:00:00Z');

function input(overrides: Partial<Omit<AvailabilityInput, 'settings'>> & { settings?: Partial<BookingSettings> } = {}): AvailabilityInput {
  const { settings, ...rest } = overrides;
  return {
    timezone: 'Europe/Dublin',
    hours,
    services,
    staff,
    busy: [],
    now: MONDAY_8AM,
    ...rest,
    settings: { ...defaultBookingSettings, ...settings },
  };
}

const exception = (e: Partial<BookingException> & Pick<BookingException, 'from' | 'to'>): BookingException => ({ id: 'x', reason: '', ...e });

/** HH:MM of an instant in a time zone. */
function at(iso: string, timezone = 'Europe/Dublin'): string {
  const w = wallClock(new Date(iso), timezone);
  return `${String(w.hour).padStart(2, '0')}:${String(w.minute).padStart(2, '0')}`;
}
/** YYYY-MM-DD of an instant in a time zone. */
function dayOf(iso: string, timezone = 'Europe/Dublin'): string {
  const w = wallClock(new Date(iso), timezone);
  return `${w.year}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`;
}
const starts = (slots: readonly Slot[]): string[] => slots.map((s) => s.start);
const times = (slots: readonly Slot[], timezone = 'Europe/Dublin'): string[] => slots.map((s) => at(s.start, timezone));

/** The cells of bookings already made (as the store reports them). */
function booked(inp: AvailabilityInput, ...slots: Slot[]): SlotCell[] {
  return slots.flatMap((s) => bookingCells(s, inp.settings));
}
const slot = (serviceId: string, staffId: string, start: string, minutes: number): Slot => ({
  serviceId,
  staffId,
  start,
  end: new Date(Date.parse(start) + minutes * 60_000).toISOString(),
});

const ALL = 200;

describe('free slots on an ordinary day', () => {
  it('offers every grid start that fits, once, with the first staff member when all are free', () => {
    const r = freeSlots(input(), { serviceId: 'cleaning', date: '2026-03-04', limit: ALL });
    expect(r.problem).toBeUndefined();
    expect(r.slots).toHaveLength(16);
    expect(r.slots[0]).toEqual({ serviceId: 'cleaning', staffId: 'byrne', start: '2026-03-04T09:00:00.000Z', end: '2026-03-04T09:30:00.000Z' });
    expect(r.slots.at(-1)?.start).toBe('2026-03-04T16:30:00.000Z');
    expect(new Set(starts(r.slots)).size).toBe(16);
    expect(r.slots.every((s) => s.staffId === 'byrne')).toBe(true);
  });

  it('lets a slot end exactly at closing time but not after it', () => {
    expect(times(freeSlots(input(), { serviceId: 'whitening', date: '2026-03-04', limit: ALL }).slots).at(-1)).toBe('16:00');
    expect(times(freeSlots(input(), { serviceId: 'checkup', date: '2026-03-04', limit: ALL }).slots).at(-1)).toBe('16:00'); // 16:30 + 45 > 17:00
    const buffered = input({ settings: { bufferMinutes: { whitening: 15 } } });
    expect(times(freeSlots(buffered, { serviceId: 'whitening', date: '2026-03-04', limit: ALL }).slots).at(-1)).toBe('15:30');
  });

  it('counts the grid from the opening time of each period, rounded up to a whole cell', () => {
    const split: OpeningHours[] = [
      { day: 'wed', open: '09:15', close: '12:00' },
      { day: 'wed', open: '13:10', close: '15:00' },
    ];
    const r = freeSlots(input({ hours: split, settings: { slotStepMinutes: 60 } }), { serviceId: 'cleaning', date: '2026-03-04', limit: ALL });
    expect(times(r.slots)).toEqual(['09:15', '10:15', '11:15', '13:15', '14:15']);
  });

  it('reads a close of 23:59 as midnight', () => {
    const r = freeSlots(input({ hours: allDay('wed') }), { serviceId: 'whitening', date: '2026-03-04', limit: ALL });
    expect(times(r.slots).at(-1)).toBe('23:00');
    expect(r.slots).toHaveLength(47);
  });

  it('keeps slots within the asked window: after 14:00, before 11:00, between', () => {
    const after = freeSlots(input(), { serviceId: 'cleaning', date: '2026-03-04', after: '14:00', limit: ALL });
    expect(times(after.slots)).toEqual(['14:00', '14:30', '15:00', '15:30', '16:00', '16:30']);
    const before = freeSlots(input(), { serviceId: 'cleaning', date: '2026-03-04', before: '11:00', limit: ALL });
    expect(times(before.slots)).toEqual(['09:00', '09:30', '10:00', '10:30']);
    const between = freeSlots(input(), { serviceId: 'cleaning', date: '2026-03-04', after: '12:00', before: '13:00', limit: ALL });
    expect(times(between.slots)).toEqual(['12:00', '12:30']);
  });
});

describe('spreading, limits and duplicates', () => {
  it('spreads picks over the day: earliest, evenly ranked, latest', () => {
    const r = freeSlots(input(), { serviceId: 'cleaning', date: '2026-03-04', limit: 3 });
    expect(times(r.slots)).toEqual(['09:00', '13:00', '16:30']);
  });

  it('spreads over the window, never three consecutive half-hours when the window has more', () => {
    const r = freeSlots(input(), { serviceId: 'cleaning', date: '2026-03-04', after: '14:00', limit: 3 });
    expect(times(r.slots)).toEqual(['14:00', '15:30', '16:30']);
    for (let limit = 1; limit <= 8; limit++) {
      const ms = freeSlots(input(), { serviceId: 'cleaning', date: '2026-03-04', limit }).slots.map((s) => Date.parse(s.start));
      expect(ms).toHaveLength(limit);
      const threeInARow = ms.some((t, i) => i >= 2 && t - (ms[i - 2] ?? 0) === 60 * 60_000);
      expect(threeInARow).toBe(false);
    }
  });

  it('returns everything when the window has no more than the limit', () => {
    const r = freeSlots(input(), { serviceId: 'cleaning', date: '2026-03-04', after: '16:00', limit: 5 });
    expect(times(r.slots)).toEqual(['16:00', '16:30']);
  });

  it('without a date, spreads over the first day with room and fills from the next day', () => {
    const late = freeSlots(input({ now: new Date('2026-03-04T15:05:00Z') }), { serviceId: 'cleaning', limit: 3 });
    // now + 60 min = 16:05: only 16:30 is left today; Thursday fills the other two, spread.
    expect(starts(late.slots)).toEqual(['2026-03-04T16:30:00.000Z', '2026-03-05T09:00:00.000Z', '2026-03-05T16:30:00.000Z']);
  });

  it('offers a time free with several staff members once, with the one who has fewer busy cells that day', () => {
    const inp = input();
    // Byrne has two bookings on Wednesday, Kelly one.
    const busy = booked(
      inp,
      slot('cleaning', 'byrne', '2026-03-04T09:00:00Z', 30),
      slot('cleaning', 'byrne', '2026-03-04T09:30:00Z', 30),
      slot('cleaning', 'kelly', '2026-03-04T10:00:00Z', 30),
    );
    const r = freeSlots({ ...inp, busy }, { serviceId: 'cleaning', date: '2026-03-04', limit: ALL });
    expect(new Set(starts(r.slots)).size).toBe(r.slots.length);
    expect(r.slots).toHaveLength(16); // every time has someone
    const who = Object.fromEntries(r.slots.map((s) => [at(s.start), s.staffId]));
    expect(who['09:00']).toBe('kelly');
    expect(who['09:30']).toBe('kelly');
    expect(who['10:00']).toBe('byrne');
    expect(who['11:00']).toBe('kelly'); // both free: Kelly is less busy
    // Equal load: staff order decides.
    const even = freeSlots({ ...inp, busy: booked(inp, slot('cleaning', 'kelly', '2026-03-04T10:00:00Z', 30), slot('cleaning', 'byrne', '2026-03-04T11:00:00Z', 30)) }, { serviceId: 'cleaning', date: '2026-03-04', limit: ALL });
    expect(Object.fromEntries(even.slots.map((s) => [at(s.start), s.staffId]))['14:00']).toBe('byrne');
  });

  it('respects the limit, also with several staff and over several days', () => {
    for (const limit of [1, 2, 5, 17]) {
      const r = freeSlots(input(), { serviceId: 'cleaning', limit });
      expect(r.slots).toHaveLength(limit);
      expect(new Set(starts(r.slots)).size).toBe(limit);
      expect([...starts(r.slots)].sort()).toEqual(starts(r.slots));
    }
  });
});

describe('busy cells, buffers, notice and horizon', () => {
  it('skips slots whose cells are busy for that staff member', () => {
    const inp = input();
    const busy = booked(inp, slot('whitening', 'byrne', '2026-03-04T10:00:00Z', 60));
    const r = freeSlots({ ...inp, busy }, { serviceId: 'whitening', date: '2026-03-04', limit: ALL });
    expect(times(r.slots)).toEqual(['09:00', '11:00', '11:30', '12:00', '12:30', '13:00', '13:30', '14:00', '14:30', '15:00', '15:30', '16:00']);
    // Another staff member's busy cells do not matter.
    const other = freeSlots({ ...inp, busy: booked(inp, slot('cleaning', 'kelly', '2026-03-04T10:00:00Z', 30)) }, { serviceId: 'whitening', date: '2026-03-04', limit: ALL });
    expect(other.slots).toHaveLength(15);
  });

  it("blocks the next slot with a booking's buffer, and a new slot's buffer may not run into a booking", () => {
    const inp = input({ settings: { bufferMinutes: { whitening: 30 } } });
    const busy = booked(inp, slot('whitening', 'byrne', '2026-03-04T10:00:00Z', 60)); // locks 10:00-11:30
    expect(busy).toHaveLength(6);
    const r = freeSlots({ ...inp, busy }, { serviceId: 'whitening', date: '2026-03-04', before: '13:00', limit: ALL });
    // 09:00 + 60 + 30 reaches 10:30; 11:00 starts inside the buffer; 11:30 is the first free start after it.
    expect(times(r.slots)).toEqual(['11:30', '12:00', '12:30']);
  });

  it('starts no slot before now + min notice', () => {
    const now = new Date('2026-03-04T10:10:00Z');
    expect(times(freeSlots(input({ now }), { serviceId: 'cleaning', limit: 1 }).slots)).toEqual(['11:30']);
    expect(times(freeSlots(input({ now, settings: { minNoticeMinutes: 0 } }), { serviceId: 'cleaning', limit: 1 }).slots)).toEqual(['10:30']);
    expect(times(freeSlots(input({ now, settings: { minNoticeMinutes: 20 } }), { serviceId: 'cleaning', limit: 1 }).slots)).toEqual(['10:30']);
  });

  it('books up to maxDaysAhead local days ahead, and offers the last bookable days beyond it', () => {
    const inp = input({ settings: { maxDaysAhead: 7 } });
    expect(freeSlots(inp, { serviceId: 'cleaning', date: '2026-03-09', limit: 3 }).slots).toHaveLength(3);
    const r = freeSlots(inp, { serviceId: 'cleaning', date: '2026-03-10', limit: 3 });
    expect(r).toMatchObject({ slots: [], problem: 'beyond_horizon' });
    expect(r.alternatives.map((s) => dayOf(s.start))).toEqual(['2026-03-09', '2026-03-09', '2026-03-09']);
    // Without a date the lookahead stops at the horizon.
    const all = freeSlots(inp, { serviceId: 'cleaning', limit: ALL });
    expect(all.slots.every((s) => dayOf(s.start) <= '2026-03-09')).toBe(true);
    expect(all.slots.some((s) => dayOf(s.start) === '2026-03-09')).toBe(true);
  });
});

describe('closed days, exceptions and staff', () => {
  it('reports a closed weekday and offers the next opening', () => {
    const r = freeSlots(input(), { serviceId: 'cleaning', date: '2026-03-08', limit: 3 });
    expect(r.problem).toBe('closed');
    expect(r.alternatives[0]?.start).toBe('2026-03-09T09:00:00.000Z');
    expect(r.alternatives.map((s) => dayOf(s.start))).toEqual(['2026-03-09', '2026-03-09', '2026-03-09']);
  });

  it('asked for a time outside an open day\'s hours, offers that day\'s free times nearest to it', () => {
    // Wednesday 9:00–17:00, asked for 18:00–19:00 ("at 6pm"): the day's last times, not Thursday's from 18:00 on.
    const evening = freeSlots(input(), { serviceId: 'cleaning', date: '2026-03-04', after: '18:00', before: '19:00', limit: 3 });
    expect(evening.problem).toBe('closed');
    expect(starts(evening.alternatives)).toEqual(['2026-03-04T15:30:00.000Z', '2026-03-04T16:00:00.000Z', '2026-03-04T16:30:00.000Z']);
    // Asked for 7:00–8:00: the day's first times.
    const early = freeSlots(input(), { serviceId: 'cleaning', date: '2026-03-04', after: '07:00', before: '08:00', limit: 2 });
    expect(starts(early.alternatives)).toEqual(['2026-03-04T09:00:00.000Z', '2026-03-04T09:30:00.000Z']);
    // A day closed all day keeps the next opening.
    expect(freeSlots(input(), { serviceId: 'cleaning', date: '2026-03-08', after: '10:00', before: '11:00', limit: 1 }).alternatives[0]?.start).toBe('2026-03-09T09:00:00.000Z');
  });

  it('closes the business on a holiday exception', () => {
    const inp = input({ settings: { exceptions: [exception({ from: '2026-03-17', to: '2026-03-17', reason: "St Patrick's Day" })] } });
    const r = freeSlots(inp, { serviceId: 'cleaning', date: '2026-03-17', limit: 2 });
    expect(r.problem).toBe('closed');
    expect(r.alternatives[0]?.start).toBe('2026-03-18T09:00:00.000Z');
    expect(checkSlot(inp, slot('cleaning', 'byrne', '2026-03-17T10:00:00Z', 30))).toBe('closed');
  });

  it('replaces the day\'s hours with an exception that has hours, even on a closed day', () => {
    const inp = input({
      settings: {
        exceptions: [exception({ id: 'short', from: '2026-03-07', to: '2026-03-07', open: '12:00', close: '13:00' }), exception({ id: 'sunday', from: '2026-03-08', to: '2026-03-08', open: '10:00', close: '11:00' })],
      },
    });
    expect(times(freeSlots(inp, { serviceId: 'cleaning', date: '2026-03-07', limit: ALL }).slots)).toEqual(['12:00', '12:30']);
    expect(times(freeSlots(inp, { serviceId: 'cleaning', date: '2026-03-08', limit: ALL }).slots)).toEqual(['10:00', '10:30']);
  });

  it('keeps a staff member off on their time off, and others working', () => {
    const inp = input({ settings: { exceptions: [exception({ from: '2026-03-04', to: '2026-03-06', staffId: 'byrne', reason: 'holiday' })] } });
    // Only Byrne does whitening: closed, alternatives on Saturday when Byrne is back.
    const whitening = freeSlots(inp, { serviceId: 'whitening', date: '2026-03-04', limit: 2 });
    expect(whitening.problem).toBe('closed');
    expect(whitening.alternatives[0]).toMatchObject({ staffId: 'byrne', start: '2026-03-07T10:00:00.000Z' });
    // Cleaning: Kelly takes the day.
    const cleaning = freeSlots(inp, { serviceId: 'cleaning', date: '2026-03-05', limit: ALL });
    expect(cleaning.slots).toHaveLength(16);
    expect(cleaning.slots.every((s) => s.staffId === 'kelly')).toBe(true);
    // Asked for Byrne: same staff member first, when they are back.
    const byrne = freeSlots(inp, { serviceId: 'cleaning', staffId: 'byrne', date: '2026-03-05', limit: 1 });
    expect(byrne).toMatchObject({ problem: 'closed', alternatives: [{ staffId: 'byrne', start: '2026-03-07T10:00:00.000Z' }] });
  });

  it('limits a staff member to their exception hours, within the business hours', () => {
    const inp = input({
      settings: {
        exceptions: [
          exception({ id: 'a', from: '2026-03-04', to: '2026-03-04', staffId: 'kelly', open: '13:00', close: '15:00' }),
          exception({ id: 'b', from: '2026-03-07', to: '2026-03-07', staffId: 'kelly', open: '12:00', close: '18:00' }),
        ],
      },
    });
    expect(times(freeSlots(inp, { serviceId: 'cleaning', staffId: 'kelly', date: '2026-03-04', limit: ALL }).slots)).toEqual(['13:00', '13:30', '14:00', '14:30']);
    expect(times(freeSlots(inp, { serviceId: 'cleaning', staffId: 'kelly', date: '2026-03-07', limit: ALL }).slots)).toEqual(['12:00', '12:30', '13:00', '13:30']);
    // Others keep their hours.
    expect(freeSlots(inp, { serviceId: 'cleaning', staffId: 'byrne', date: '2026-03-04', limit: ALL }).slots).toHaveLength(16);
  });

  it("answers a staff member who doesn't do the service with alternatives from staff who do, at the asked time", () => {
    const r = freeSlots(input(), { serviceId: 'whitening', staffId: 'kelly', date: '2026-03-04', after: '14:00', limit: 3 });
    expect(r.problem).toBe('staff_does_not_do_service');
    expect(r.slots).toEqual([]);
    expect(r.alternatives).toHaveLength(3);
    expect(r.alternatives.every((s) => s.staffId === 'byrne' && s.serviceId === 'whitening')).toBe(true);
    expect(r.alternatives[0]?.start).toBe('2026-03-04T14:00:00.000Z');
  });

  it('names an unknown service or staff member', () => {
    expect(freeSlots(input(), { serviceId: 'massage', limit: 3 })).toEqual({ slots: [], problem: 'unknown_service', alternatives: [] });
    const r = freeSlots(input(), { serviceId: 'checkup', staffId: 'nobody', limit: 2 });
    expect(r.problem).toBe('unknown_staff');
    expect(r.alternatives.map((s) => s.staffId)).toEqual(['kelly', 'kelly']);
  });

  it('is closed when nobody does the service', () => {
    const lonely = input({ services: [...services, service('surgery', 60)] });
    expect(freeSlots(lonely, { serviceId: 'surgery', limit: 3 })).toEqual({ slots: [], problem: 'closed', alternatives: [] });
  });
});

describe('past and fully booked', () => {
  it('reports a past day and offers the nearest slots from now', () => {
    const r = freeSlots(input(), { serviceId: 'cleaning', date: '2026-03-01', limit: 2 });
    expect(r.problem).toBe('past');
    expect(r.alternatives[0]?.start).toBe('2026-03-02T09:00:00.000Z');
  });

  it("reports today's window as past once every worked time in it is before now + notice", () => {
    const now = new Date('2026-03-04T16:45:00Z');
    const r = freeSlots(input({ now }), { serviceId: 'cleaning', date: '2026-03-04', limit: 2 });
    expect(r.problem).toBe('past');
    expect(r.alternatives[0]?.start).toBe('2026-03-05T09:00:00.000Z');
    expect(freeSlots(input({ now }), { serviceId: 'cleaning', date: '2026-03-04', before: '12:00', limit: 2 }).problem).toBe('past');
    // Later than closing: the business does not work then.
    expect(freeSlots(input({ now }), { serviceId: 'cleaning', date: '2026-03-04', after: '18:00', limit: 2 }).problem).toBe('closed');
  });

  it('reports fully booked and offers the nearest free slots after the asked time', () => {
    const inp = input();
    const day = Array.from({ length: 16 }, (_, i) => new Date(Date.parse('2026-03-04T09:00:00Z') + i * 30 * 60_000).toISOString());
    const busy = day.flatMap((start) => [slot('cleaning', 'byrne', start, 30), slot('cleaning', 'kelly', start, 30)]).flatMap((s) => bookingCells(s, inp.settings));
    const r = freeSlots({ ...inp, busy }, { serviceId: 'cleaning', date: '2026-03-04', after: '14:00', limit: 3 });
    expect(r.problem).toBe('fully_booked');
    expect(starts(r.alternatives)).toEqual(['2026-03-05T09:00:00.000Z', '2026-03-05T13:00:00.000Z', '2026-03-05T16:30:00.000Z']);
    // Only the afternoon is full: the morning of the same day is not "after the asked time" but the morning is fine when asked.
    const afternoon = busy.filter((c) => c.start >= '2026-03-04T14:00:00.000Z');
    const pm = freeSlots({ ...inp, busy: afternoon }, { serviceId: 'cleaning', date: '2026-03-04', after: '14:00', limit: 1 });
    expect(pm).toMatchObject({ problem: 'fully_booked', alternatives: [{ start: '2026-03-05T09:00:00.000Z' }] });
    const am = freeSlots({ ...inp, busy: afternoon }, { serviceId: 'cleaning', date: '2026-03-04', before: '12:00', limit: 1 });
    expect(am.problem).toBeUndefined();
  });

  it('asked for one staff member who is booked, offers that staff member first, then anyone', () => {
    const inp = input();
    const wed = Array.from({ length: 16 }, (_, i) => slot('cleaning', 'kelly', new Date(Date.parse('2026-03-04T09:00:00Z') + i * 30 * 60_000).toISOString(), 30));
    const r = freeSlots({ ...inp, busy: booked(inp, ...wed) }, { serviceId: 'cleaning', staffId: 'kelly', date: '2026-03-04', limit: 1 });
    expect(r).toMatchObject({ problem: 'fully_booked', alternatives: [{ staffId: 'kelly', start: '2026-03-05T09:00:00.000Z' }] });
    // Kelly off for the whole lookahead: anyone who does it.
    const away = input({ settings: { exceptions: [exception({ from: '2026-03-02', to: '2026-04-30', staffId: 'kelly' })] } });
    const s = freeSlots(away, { serviceId: 'cleaning', staffId: 'kelly', date: '2026-03-04', limit: 1 });
    expect(s).toMatchObject({ problem: 'closed', alternatives: [{ staffId: 'byrne', start: '2026-03-04T09:00:00.000Z' }] });
    const noDate = freeSlots(away, { serviceId: 'cleaning', staffId: 'kelly', limit: 1 });
    expect(noDate).toMatchObject({ problem: 'closed', alternatives: [{ staffId: 'byrne', start: '2026-03-02T09:00:00.000Z' }] });
  });
});

describe('daylight saving time', () => {
  it('skips the local times that do not exist when Dublin springs forward (2026-03-29)', () => {
    const inp = input({ hours: allDay('sun'), now: new Date('2026-03-27T12:00:00Z') });
    const r = freeSlots(inp, { serviceId: 'cleaning', date: '2026-03-29', limit: ALL });
    expect(r.slots).toHaveLength(46);
    expect(times(r.slots).slice(0, 4)).toEqual(['00:00', '00:30', '02:00', '02:30']);
    expect(starts(r.slots).slice(0, 4)).toEqual(['2026-03-29T00:00:00.000Z', '2026-03-29T00:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-29T01:30:00.000Z']);
    expect(r.slots.at(-1)?.start).toBe('2026-03-29T22:30:00.000Z'); // 23:30 IST
    // A 60-minute slot across the jump lasts 60 real minutes and is locked as 4 cells.
    const long = freeSlots(inp, { serviceId: 'whitening', date: '2026-03-29', limit: ALL });
    const across = long.slots.find((s) => at(s.start) === '00:30');
    expect(across).toEqual({ serviceId: 'whitening', staffId: 'byrne', start: '2026-03-29T00:30:00.000Z', end: '2026-03-29T01:30:00.000Z' });
    expect(bookingCells(across ?? slot('x', 'x', '2026-01-01T00:00:00Z', 1), inp.settings)).toHaveLength(4);
    // The next day opens at 09:00 summer time.
    expect(freeSlots(input({ now: new Date('2026-03-27T12:00:00Z') }), { serviceId: 'cleaning', date: '2026-03-30', limit: 1 }).slots[0]?.start).toBe('2026-03-30T08:00:00.000Z');
  });

  it('opens a period that starts inside the gap at the first existing grid time', () => {
    const inp = input({ hours: [{ day: 'sun', open: '01:00', close: '03:00' }], now: new Date('2026-03-27T12:00:00Z') });
    const r = freeSlots(inp, { serviceId: 'cleaning', date: '2026-03-29', limit: ALL });
    expect(times(r.slots)).toEqual(['02:00', '02:30']);
  });

  it('skips 02:00-02:59 when New York springs forward (2026-03-08)', () => {
    const inp = input({ timezone: 'America/New_York', hours: allDay('sun'), now: new Date('2026-03-06T12:00:00Z') });
    const r = freeSlots(inp, { serviceId: 'cleaning', date: '2026-03-08', limit: ALL });
    expect(r.slots).toHaveLength(46);
    expect(times(r.slots, 'America/New_York').slice(3, 6)).toEqual(['01:30', '03:00', '03:30']);
    expect(searchRange(inp, { serviceId: 'cleaning', date: '2026-03-08', limit: 1 }).from).toBe('2026-03-08T05:00:00.000Z');
  });

  it('offers the repeated hour once when New York falls back (2026-11-01): no duplicates, no overlaps', () => {
    const inp = input({ timezone: 'America/New_York', hours: allDay('sun'), now: new Date('2026-10-30T12:00:00Z') });
    const r = freeSlots(inp, { serviceId: 'cleaning', date: '2026-11-01', limit: ALL });
    expect(r.slots).toHaveLength(48);
    const ms = r.slots.map((s) => Date.parse(s.start));
    expect(new Set(ms).size).toBe(48);
    r.slots.forEach((s, i) => {
      const next = r.slots[i + 1];
      if (next) expect(Date.parse(s.end)).toBeLessThanOrEqual(Date.parse(next.start));
    });
    const nyTimes = times(r.slots, 'America/New_York');
    expect(new Set(nyTimes).size).toBe(48);
    // 01:00 and 01:30 at their first occurrence (EDT), then 02:00 EST.
    expect(starts(r.slots).slice(2, 5)).toEqual(['2026-11-01T05:00:00.000Z', '2026-11-01T05:30:00.000Z', '2026-11-01T07:00:00.000Z']);
    expect(checkSlot(inp, slot('cleaning', 'byrne', '2026-11-01T05:30:00Z', 30))).toBeUndefined();
    expect(checkSlot(inp, slot('cleaning', 'byrne', '2026-11-01T06:30:00Z', 30))).toBe('closed'); // 01:30 EST, the repeat
    // The day is 25 hours long.
    const range = searchRange(inp, { serviceId: 'cleaning', date: '2026-11-01', limit: 1 });
    expect(range.from).toBe('2026-11-01T04:00:00.000Z');
    expect(Date.parse(range.to) - Date.parse(range.from)).toBe((25 + 13 * 24) * 3600_000);
  });

  it('handles Dublin falling back (2026-10-25) the same way', () => {
    const inp = input({ hours: allDay('sun'), now: new Date('2026-10-23T12:00:00Z') });
    const r = freeSlots(inp, { serviceId: 'cleaning', date: '2026-10-25', limit: ALL });
    expect(r.slots).toHaveLength(48);
    expect(new Set(starts(r.slots)).size).toBe(48);
    expect(starts(r.slots).slice(2, 5)).toEqual(['2026-10-25T00:00:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-25T02:00:00.000Z']);
  });
});

describe('"today" is the local day', () => {
  it('in New York late in the evening, when UTC is already the next day', () => {
    const now = new Date('2026-06-10T03:30:00Z'); // Tue 9 June, 23:30 EDT
    const inp = input({ timezone: 'America/New_York', now, settings: { maxDaysAhead: 1 } });
    expect(freeSlots(inp, { serviceId: 'cleaning', limit: 1 }).slots[0]?.start).toBe('2026-06-10T13:00:00.000Z');
    expect(freeSlots(inp, { serviceId: 'cleaning', date: '2026-06-09', limit: 1 }).problem).toBe('past');
    expect(freeSlots(inp, { serviceId: 'cleaning', date: '2026-06-10', limit: 1 }).slots).toHaveLength(1);
    expect(freeSlots(inp, { serviceId: 'cleaning', date: '2026-06-11', limit: 1 }).problem).toBe('beyond_horizon');
    expect(checkSlot(inp, slot('cleaning', 'byrne', '2026-06-11T13:00:00Z', 30))).toBe('beyond_horizon');
  });

  it('in Auckland just after midnight, when UTC is still the previous day', () => {
    const now = new Date('2026-06-09T12:30:00Z'); // Wed 10 June, 00:30 NZST
    const inp = input({ timezone: 'Pacific/Auckland', now, settings: { maxDaysAhead: 1 } });
    expect(freeSlots(inp, { serviceId: 'cleaning', limit: 1 }).slots[0]?.start).toBe('2026-06-09T21:00:00.000Z'); // 09:00 on the 10th
    expect(freeSlots(inp, { serviceId: 'cleaning', date: '2026-06-09', limit: 1 }).problem).toBe('past');
    expect(freeSlots(inp, { serviceId: 'cleaning', date: '2026-06-11', limit: 1 }).slots).toHaveLength(1);
    expect(freeSlots(inp, { serviceId: 'cleaning', date: '2026-06-12', limit: 1 }).problem).toBe('beyond_horizon');
    expect(searchRange(inp, { serviceId: 'cleaning', limit: 1 })).toEqual({ from: '2026-06-09T12:00:00.000Z', to: '2026-06-11T12:00:00.000Z' });
  });
});

describe('checkSlot', () => {
  const inp = input({ now: new Date('2026-03-02T08:30:00Z') });
  const ok = slot('whitening', 'byrne', '2026-03-04T10:00:00Z', 60);

  it('accepts a slot freeSlots offers', () => {
    expect(checkSlot(inp, ok)).toBeUndefined();
    for (const s of freeSlots(inp, { serviceId: 'checkup', limit: 20 }).slots) expect(checkSlot(inp, s)).toBeUndefined();
  });

  it.each<[string, Slot, string]>([
    ['an unknown service', { ...ok, serviceId: 'massage' }, 'unknown_service'],
    ['an unknown staff member', { ...ok, staffId: 'nobody' }, 'unknown_staff'],
    ['a staff member who does not do it', { ...ok, staffId: 'kelly' }, 'staff_does_not_do_service'],
    ['the wrong length', slot('whitening', 'byrne', '2026-03-04T10:00:00Z', 30), 'closed'],
    ['a malformed start', { ...ok, start: 'tomorrow' }, 'closed'],
    ['a start off the grid', slot('whitening', 'byrne', '2026-03-04T10:15:00Z', 60), 'closed'],
    ['a start before opening', slot('whitening', 'byrne', '2026-03-04T08:30:00Z', 60), 'closed'],
    ['an end after closing', slot('whitening', 'byrne', '2026-03-04T16:30:00Z', 60), 'closed'],
    ['a closed day', slot('whitening', 'byrne', '2026-03-08T10:00:00Z', 60), 'closed'],
    ['a start within the notice', slot('whitening', 'byrne', '2026-03-02T09:00:00Z', 60), 'past'],
    ['a start in the past', slot('whitening', 'byrne', '2026-02-27T10:00:00Z', 60), 'past'],
    ['a day beyond the horizon', slot('whitening', 'byrne', '2026-05-04T10:00:00Z', 60), 'beyond_horizon'],
  ])('rejects %s', (_name, s, problem) => {
    expect(checkSlot(inp, s)).toBe(problem);
  });

  it('rejects busy cells, the buffer included, and holiday and time-off days', () => {
    const buffered = input({ settings: { bufferMinutes: { whitening: 30 } } });
    const busy = booked(buffered, slot('whitening', 'byrne', '2026-03-04T11:00:00Z', 60)); // 11:00-12:30 with its buffer
    expect(checkSlot({ ...buffered, busy }, ok)).toBe('fully_booked'); // 10:00 + 60 + 30 runs into 11:00
    expect(checkSlot({ ...inp, busy }, ok)).toBeUndefined(); // without a buffer it ends at 11:00
    expect(checkSlot({ ...buffered, busy }, slot('whitening', 'byrne', '2026-03-04T12:00:00Z', 60))).toBe('fully_booked'); // inside the booking's buffer
    expect(checkSlot({ ...buffered, busy }, slot('whitening', 'byrne', '2026-03-04T12:30:00Z', 60))).toBeUndefined();
    const off = input({ settings: { exceptions: [exception({ from: '2026-03-04', to: '2026-03-04', staffId: 'byrne' })] } });
    expect(checkSlot(off, ok)).toBe('closed');
    expect(checkSlot(off, slot('cleaning', 'kelly', '2026-03-04T10:00:00Z', 30))).toBeUndefined();
  });
});

describe('bookingCells', () => {
  it("covers the duration plus the service's buffer in whole cells", () => {
    const settings = { ...defaultBookingSettings, bufferMinutes: { checkup: 10 } };
    const s = slot('checkup', 'kelly', '2026-03-04T10:00:00Z', 45);
    expect(bookingCells(s, settings)).toEqual(cellsFor('kelly', '2026-03-04T10:00:00.000Z', 60));
    expect(bookingCells(s, defaultBookingSettings).map((c) => c.start)).toEqual(['2026-03-04T10:00:00.000Z', '2026-03-04T10:15:00.000Z', '2026-03-04T10:30:00.000Z']);
  });

  it('starts from the cell a misaligned start falls in', () => {
    const cells = bookingCells(slot('cleaning', 'byrne', '2026-03-04T10:10:00Z', 30), defaultBookingSettings);
    expect(cells.map((c) => c.start)).toEqual(['2026-03-04T10:00:00.000Z', '2026-03-04T10:15:00.000Z', '2026-03-04T10:30:00.000Z']);
  });
});

describe('searchRange', () => {
  it('covers the asked day and the days alternatives come from', () => {
    expect(searchRange(input(), { serviceId: 'cleaning', date: '2026-03-04', limit: 3 })).toEqual({ from: '2026-03-04T00:00:00.000Z', to: '2026-03-18T00:00:00.000Z' });
    expect(searchRange(input(), { serviceId: 'cleaning', limit: 3 })).toEqual({ from: '2026-03-02T00:00:00.000Z', to: '2026-03-16T00:00:00.000Z' });
    // Summer time from the 29th: the range ends at midnight IST.
    expect(searchRange(input(), { serviceId: 'cleaning', date: '2026-03-20', limit: 3 }).to).toBe('2026-04-02T23:00:00.000Z');
    expect(searchRange(input({ settings: { maxDaysAhead: 7 } }), { serviceId: 'cleaning', date: '2026-03-30', limit: 3 })).toEqual({ from: '2026-03-02T00:00:00.000Z', to: '2026-03-10T00:00:00.000Z' });
  });

  const requestArb: fc.Arbitrary<SlotRequest> = fc.record(
    {
      serviceId: fc.constantFrom('cleaning', 'whitening', 'checkup', 'massage'),
      staffId: fc.constantFrom('byrne', 'kelly', 'walsh', 'nobody'),
      date: fc.integer({ min: -3, max: 40 }).map((d) => new Date(Date.UTC(2026, 2, 20 + d)).toISOString().slice(0, 10)),
      after: fc.constantFrom('08:00', '10:30', '14:00', '16:45'),
      before: fc.constantFrom('11:00', '15:00', '23:59'),
      limit: fc.integer({ min: 1, max: 8 }),
    },
    { requiredKeys: ['serviceId', 'limit'] },
  ).filter((r) => r.after === undefined || r.before === undefined || r.after < r.before);

  it('is all freeSlots needs: busy cells outside it change nothing, and every slot offered passes checkSlot', () => {
    fc.assert(
      fc.property(
        requestArb,
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 0, max: 72 * 60 }),
        fc.constantFrom('Europe/Dublin', 'America/New_York', 'Pacific/Auckland'),
        fc.constantFrom(5, 20, 30, 45),
        (request, seed, nowOffset, timezone, maxDaysAhead) => {
          const base = input({
            timezone,
            hours: [...hours, { day: 'sun', open: '00:00', close: '23:59' }],
            now: new Date(Date.parse('2026-03-24T00:00:00Z') + nowOffset * 60_000),
            settings: { maxDaysAhead, bufferMinutes: { whitening: 15 }, exceptions: [exception({ from: '2026-03-31', to: '2026-04-02', staffId: 'byrne' })] },
          });
          // Pseudo-random busy cells (about a third) for 70 days around now.
          let x = seed || 1;
          const busy: SlotCell[] = [];
          const from = Date.parse('2026-03-10T00:00:00Z');
          for (let t = from; t < from + 70 * 86_400_000; t += 15 * 60_000) {
            for (const member of staff) {
              x = (x * 1103515245 + 12345) % 2 ** 31;
              if (x % 3 === 0) busy.push({ staffId: member.id, start: new Date(t).toISOString() });
            }
          }
          const range = searchRange(base, request);
          const inside = busy.filter((c) => c.start >= range.from && c.start < range.to);
          const full = freeSlots({ ...base, busy }, request);
          expect(freeSlots({ ...base, busy: inside }, request)).toEqual(full);
          for (const s of [...full.slots, ...full.alternatives]) {
            expect(checkSlot({ ...base, busy }, s)).toBeUndefined();
            expect(s.start >= range.from && s.end <= range.to).toBe(true);
          }
          expect(full.slots.length).toBeLessThanOrEqual(request.limit);
          expect(full.alternatives.length).toBeLessThanOrEqual(request.limit);
          expect(new Set(starts(full.slots)).size).toBe(full.slots.length);
          if (full.slots.length > 0) expect(full).toEqual({ slots: full.slots, alternatives: [] });
          else expect(full.problem).toBeDefined();
        },
      ),
      { numRuns: 30, seed: 20260329 },
    );
  });
});

describe('slotRequestSchema', () => {
  it('accepts a good request and names the field of a bad one', () => {
    expect(slotRequestSchema.parse({ serviceId: 'cleaning', date: '2026-03-04', after: '14:00', limit: 3 })).toEqual({ serviceId: 'cleaning', date: '2026-03-04', after: '14:00', limit: 3 });
    const bad = (body: unknown): string | undefined => slotRequestSchema.safeParse(body).error?.issues[0]?.path.join('.');
    expect(bad({ serviceId: 'cleaning', date: '2026-02-30', limit: 3 })).toBe('date');
    expect(bad({ serviceId: 'cleaning', after: '25:00', limit: 3 })).toBe('after');
    expect(bad({ serviceId: 'cleaning', after: '15:00', before: '14:00', limit: 3 })).toBe('before');
    expect(bad({ serviceId: 'cleaning', limit: 0 })).toBe('limit');
    expect(bad({ serviceId: 'cleaning', limit: 3, extra: true })).toBe('');
  });
});
