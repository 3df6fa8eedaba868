/**
 * Availability: which slots of a service are free, from the business's weekly opening hours, its exceptions
 * (holidays, staff time off), the booking policy and the busy lock cells. Pure: `now` and the busy cells are
 * parameters, nothing is read or written.
 *
 * The rules, in the business's IANA time zone (DST-correct: a local time becomes an instant through
 * `zonedToUtc`/`wallClock`, which use Intl; a day is never taken to be 24 hours long):
 * - A day's opening periods are the weekly `hours` of that weekday (a close of "23:59" means midnight), unless a
 *   business-wide exception covers the day: without open/close it closes the day, with open/close it replaces
 *   the day's hours (several such exceptions: the day is closed if any closes it, else their hours intersect).
 *   A staff exception applies to that staff member only: without open/close they are off, with open/close they
 *   work only those hours, within the business's periods of the day. Overlapping periods merge.
 * - Slot starts are local wall-clock times on the grid of `slotStepMinutes`, counted from the opening time of
 *   the period (rounded up to a whole CELL_MINUTES, so that slots lock whole cells and neighbours do not share
 *   one). A local time that does not exist (spring-forward gap) is skipped; a repeated local time (fall-back)
 *   is offered once, at its first occurrence, so a day never has two slots at one instant.
 * - A slot (duration + the service's buffer, in elapsed minutes) must end by the close of its period.
 * - A slot starts no earlier than now + `minNoticeMinutes`, on a local day no later than today + `maxDaysAhead`.
 * - A slot is free when none of its cells (`bookingCells`) is busy for its staff member.
 * - An `after`/`before` window is on the slot's start: after <= start < before.
 *
 * Choosing which free slots to offer (the "spread" rule): days are taken in order (the asked day, or from today);
 * within a day, when it has more free start times than still needed (k), the picks are the free times of rank
 * round(i × (n − 1) / (k − 1)), i = 0…k−1 — the earliest, the latest and evenly spaced between — so a customer
 * is offered e.g. 09:00, 13:00 and 16:30 rather than three consecutive half-hours; otherwise all of them, and the
 * next day fills the rest. When several staff members are free at a time, that time is offered once, with the
 * one who has fewer busy cells that day (ties: the order of `staff`). Alternatives use the same rule from the
 * asked time onwards, so their first pick is always the nearest free slot.
 */
import { z } from 'zod';
import { calendarDateSchema } from '../dates';
import type { OpeningHours, Service, StaffMember } from '../knowledge-base';
import { offsetMinutes, wallClock, zonedToUtc } from '../nlu/time';
import { CELL_MINUTES, cellsFor, type BookingSettings, type Slot, type SlotCell } from './ports';

/** Everything availability depends on; `busy` are the busy cells (of every staff member who does the service) in `searchRange`. */
export interface AvailabilityInput {
  readonly timezone: string;
  readonly hours: readonly OpeningHours[];
  readonly services: readonly Service[];
  readonly staff: readonly StaffMember[];
  readonly settings: BookingSettings;
  readonly busy: readonly SlotCell[];
  readonly now: Date;
}

/** What a customer (or staff member) asks for. */
export interface SlotRequest {
  readonly serviceId: string;
  /** Absent: any staff member who does the service. */
  readonly staffId?: string;
  /** A local day YYYY-MM-DD; absent: from now. */
  readonly date?: string;
  /** Local HH:MM: slots starting at or after it (on `date`). */
  readonly after?: string;
  /** Local HH:MM: slots starting before it (on `date`); "23:59" means midnight. */
  readonly before?: string;
  /** How many slots (and, failing that, alternatives) to return. */
  readonly limit: number;
}

/** Why nothing matched a request, or why a chosen slot cannot be booked. */
export type SlotProblem = 'unknown_service' | 'unknown_staff' | 'staff_does_not_do_service' | 'past' | 'closed' | 'beyond_horizon' | 'fully_booked';

/** The free slots matching a request; when there are none, why (`problem`) and the nearest others (`alternatives`). */
export interface FreeSlots {
  readonly slots: Slot[];
  readonly problem?: SlotProblem;
  readonly alternatives: Slot[];
}

/** How far ahead (local days, the first included) a request without a date, and alternatives, look. */
export const LOOKAHEAD_DAYS = 14;

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a 24-hour time HH:MM');

/** Validates a slot request at an edge (REST body, dialog); the type it produces is `SlotRequest`. */
export const slotRequestSchema = z
  .strictObject({
    serviceId: z.string().min(1).max(64),
    staffId: z.string().min(1).max(64).optional(),
    date: calendarDateSchema.optional(),
    after: hhmm.optional(),
    before: hhmm.optional(),
    limit: z.number().int().min(1).max(50),
  })
  .refine((r) => r.after === undefined || r.before === undefined || r.after < r.before, { message: 'after must be before before', path: ['before'] }) satisfies z.ZodType<SlotRequest>;

// ---- local days and times -----------------------------------------------------------------------

const MINUTE = 60_000;
const DAY_MINUTES = 24 * 60;
const WEEKDAYS: readonly OpeningHours['day'][] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const pad = (n: number): string => String(n).padStart(2, '0');
const minutesOf = (t: string): number => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));
/** A closing (or `before`) time in minutes; "23:59" is midnight, as in business-hours.ts. */
const closeMinutesOf = (t: string): number => (t === '23:59' ? DAY_MINUTES : minutesOf(t));
const clockOf = (minutes: number): string => `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;

function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

function weekdayOf(date: string): OpeningHours['day'] {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return WEEKDAYS[new Date(Date.UTC(y, m - 1, d)).getUTCDay()] ?? 'sun';
}

/** The local day and minute of the day of an instant. */
function localOf(ms: number, timezone: string): { date: string; minutes: number } {
  const w = wallClock(new Date(ms), timezone);
  return { date: `${w.year}-${pad(w.month)}-${pad(w.day)}`, minutes: w.hour * 60 + w.minute };
}

const steadyOffsets = new Map<string, number | undefined>();

/**
 * The UTC offset (minutes east) in force all through a local day, or undefined on a day with a transition. The
 * day's instants lie within 14 hours of its UTC midnights, so equal offsets at both ends mean none (zones never
 * change twice within two days). Memoised: most days need only these two Intl look-ups, not one per slot.
 */
function steadyOffset(date: string, timezone: string): number | undefined {
  const key = `${timezone} ${date}`;
  if (!steadyOffsets.has(key)) {
    if (steadyOffsets.size > 10_000) steadyOffsets.clear();
    const [y, m, d] = date.split('-').map(Number) as [number, number, number];
    const midnight = Date.UTC(y, m - 1, d);
    const before = offsetMinutes(new Date(midnight - 14 * 60 * MINUTE), timezone);
    const after = offsetMinutes(new Date(midnight + (24 + 14) * 60 * MINUTE), timezone);
    steadyOffsets.set(key, before === after ? before : undefined);
  }
  return steadyOffsets.get(key);
}

/** The instant the wall clock shows `minutes` (< 1440) on `date`; undefined when that local time does not exist. */
function exactInstant(date: string, minutes: number, timezone: string): number | undefined {
  const steady = steadyOffset(date, timezone);
  if (steady !== undefined) {
    const [y, m, d] = date.split('-').map(Number) as [number, number, number];
    return Date.UTC(y, m - 1, d, 0, minutes) - steady * MINUTE;
  }
  const t = zonedToUtc(date, clockOf(minutes), timezone).getTime();
  const local = localOf(t, timezone);
  return local.date === date && local.minutes === minutes ? t : undefined;
}

/** The first instant whose wall clock is at or after `minutes` (0…1440) on `date` (a gap: its end). */
function instantAtOrAfter(date: string, minutes: number, timezone: string): number {
  if (minutes >= DAY_MINUTES) return instantAtOrAfter(addDays(date, 1), minutes - DAY_MINUTES, timezone);
  const exact = exactInstant(date, minutes, timezone);
  if (exact !== undefined) return exact;
  // Inside a spring-forward gap zonedToUtc answers a time after the gap: walk back to the gap's end.
  const target = `${date} ${clockOf(minutes)}`;
  const key = (ms: number): string => {
    const l = localOf(ms, timezone);
    return `${l.date} ${clockOf(l.minutes)}`;
  };
  let t = zonedToUtc(date, clockOf(minutes), timezone).getTime();
  for (let i = 0; i < 2 * DAY_MINUTES && key(t - MINUTE) >= target; i++) t -= MINUTE;
  return t;
}

const dayStart = (date: string, timezone: string): number => instantAtOrAfter(date, 0, timezone);

function daysBetween(first: string, last: string): string[] {
  const days: string[] = [];
  for (let d = first; d <= last; d = addDays(d, 1)) days.push(d);
  return days;
}

const normalise = (iso: string): string => new Date(Date.parse(iso)).toISOString();

// ---- the days a request looks at ----------------------------------------------------------------

interface Plan {
  readonly today: string;
  readonly horizon: string;
  /** The asked day is before today or after the horizon: nothing to scan but alternatives. */
  readonly outside?: 'past' | 'beyond_horizon';
  /** Days scanned for the slots themselves (one with a date, the lookahead without). */
  readonly days: readonly string[];
  /** Days scanned for alternatives, in the order they are preferred. */
  readonly alternativeDays: readonly string[];
}

function planOf(input: Omit<AvailabilityInput, 'busy'>, request: SlotRequest): Plan {
  const today = localOf(input.now.getTime(), input.timezone).date;
  const horizon = addDays(today, input.settings.maxDaysAhead);
  const upTo = (first: string): string => {
    const last = addDays(first, LOOKAHEAD_DAYS - 1);
    return last < horizon ? last : horizon;
  };
  const fromToday = daysBetween(today, upTo(today));
  const date = request.date;
  if (date === undefined) return { today, horizon, days: fromToday, alternativeDays: fromToday };
  if (date < today) return { today, horizon, outside: 'past', days: [], alternativeDays: fromToday };
  if (date > horizon) {
    // Nearest to the asked day first: the horizon's last days, backwards.
    const first = addDays(horizon, -(LOOKAHEAD_DAYS - 1));
    return { today, horizon, outside: 'beyond_horizon', days: [], alternativeDays: daysBetween(first > today ? first : today, horizon).reverse() };
  }
  return { today, horizon, days: [date], alternativeDays: daysBetween(date, upTo(date)) };
}

/**
 * The UTC range [from, to) whose busy cells `freeSlots` needs for this request: whole local days covering the
 * asked day (or the lookahead from today) and the days alternatives may come from — at most LOOKAHEAD_DAYS.
 * Query the busy cells of every staff member who does the service.
 */
export function searchRange(input: Omit<AvailabilityInput, 'busy'>, request: SlotRequest): { from: string; to: string } {
  const plan = planOf(input, request);
  const days = [...plan.days, ...plan.alternativeDays].sort();
  const first = days[0] ?? plan.today;
  const last = days[days.length - 1] ?? plan.today;
  return {
    from: new Date(dayStart(first, input.timezone)).toISOString(),
    to: new Date(dayStart(addDays(last, 1), input.timezone)).toISOString(),
  };
}

// ---- opening periods and candidate starts -------------------------------------------------------

interface Period {
  readonly open: number;
  readonly close: number;
}

function intersect(periods: readonly Period[], window: Period): Period[] {
  return periods
    .map((p) => ({ open: Math.max(p.open, window.open), close: Math.min(p.close, window.close) }))
    .filter((p) => p.open < p.close);
}

function merge(periods: readonly Period[]): Period[] {
  const sorted = [...periods].sort((a, b) => a.open - b.open);
  const out: Period[] = [];
  for (const p of sorted) {
    const last = out[out.length - 1];
    if (last && p.open < last.close) out[out.length - 1] = { open: last.open, close: Math.max(last.close, p.close) };
    else out.push(p);
  }
  return out;
}

/** The local periods (minutes of the day) in which `staffId` takes bookings on `date`. */
function periodsOf(input: Omit<AvailabilityInput, 'busy'>, date: string, staffId: string): Period[] {
  const covering = input.settings.exceptions.filter((e) => e.from <= date && date <= e.to);
  const windowOf = (e: { open?: string; close?: string }): Period | undefined =>
    e.open === undefined || e.close === undefined ? undefined : { open: minutesOf(e.open), close: closeMinutesOf(e.close) };
  const business = covering.filter((e) => e.staffId === undefined);
  const own = covering.filter((e) => e.staffId === staffId);
  if ([...business, ...own].some((e) => windowOf(e) === undefined)) return [];
  const [replacement, ...more] = business.map(windowOf).filter((w): w is Period => w !== undefined);
  let periods: Period[] = replacement
    ? more.reduce<Period[]>((acc, w) => intersect(acc, w), [replacement])
    : input.hours.filter((h) => h.day === weekdayOf(date)).map((h) => ({ open: minutesOf(h.open), close: closeMinutesOf(h.close) }));
  for (const e of own) {
    const w = windowOf(e);
    if (w) periods = intersect(periods, w);
  }
  return merge(periods);
}

/** A start time the staff member works (hours, exceptions, grid, fit), before notice, horizon and busy cells. */
interface Candidate {
  readonly start: number;
  readonly staffId: string;
}

/** One availability computation: the input, the service, and caches of local-time conversions. */
class Availability {
  private readonly instants = new Map<string, number | undefined>();
  private readonly busy: ReadonlySet<string>;
  private readonly busyPerDay = new Map<string, number>();
  /** Busy cell starts (ms) per staff member. */
  private readonly busyTimes = new Map<string, number[]>();
  readonly earliest: number;
  readonly durationMs: number;
  readonly reachMs: number;

  constructor(
    readonly input: AvailabilityInput,
    readonly service: Service,
    readonly horizon: string,
  ) {
    this.busy = new Set(input.busy.map((c) => `${c.staffId} ${normalise(c.start)}`));
    for (const c of input.busy) {
      const list = this.busyTimes.get(c.staffId) ?? [];
      list.push(Date.parse(c.start));
      this.busyTimes.set(c.staffId, list);
    }
    this.earliest = input.now.getTime() + input.settings.minNoticeMinutes * MINUTE;
    this.durationMs = service.durationMinutes * MINUTE;
    this.reachMs = (service.durationMinutes + (input.settings.bufferMinutes[service.id] ?? 0)) * MINUTE;
  }

  private exact(date: string, minutes: number): number | undefined {
    const key = `${date} ${minutes}`;
    if (!this.instants.has(key)) this.instants.set(key, exactInstant(date, minutes, this.input.timezone));
    return this.instants.get(key);
  }

  /** The starts `staffId` works on `date` with a local start minute in [window.open, window.close). */
  candidates(date: string, staffId: string, window: Period = { open: 0, close: DAY_MINUTES }): Candidate[] {
    const step = this.input.settings.slotStepMinutes;
    const out: Candidate[] = [];
    for (const period of periodsOf(this.input, date, staffId)) {
      const close = instantAtOrAfter(date, period.close, this.input.timezone);
      for (let t = Math.ceil(period.open / CELL_MINUTES) * CELL_MINUTES; t < period.close; t += step) {
        if (t < window.open || t >= window.close) continue;
        const start = this.exact(date, t);
        if (start === undefined || start + this.reachMs > close) continue;
        out.push({ start, staffId });
      }
    }
    return out;
  }

  isFree(candidate: Candidate): boolean {
    return this.cellsOf(candidate).every((c) => !this.busy.has(`${c.staffId} ${c.start}`));
  }

  slotOf(candidate: Candidate): Slot {
    return {
      serviceId: this.service.id,
      staffId: candidate.staffId,
      start: new Date(candidate.start).toISOString(),
      end: new Date(candidate.start + this.durationMs).toISOString(),
    };
  }

  private cellsOf(candidate: Candidate): SlotCell[] {
    return bookingCells(this.slotOf(candidate), this.input.settings);
  }

  /** Busy cells of a staff member on a local day (to share work among staff). */
  busyOn(date: string, staffId: string): number {
    const key = `${date} ${staffId}`;
    let count = this.busyPerDay.get(key);
    if (count === undefined) {
      const from = dayStart(date, this.input.timezone);
      const to = dayStart(addDays(date, 1), this.input.timezone);
      const ts = this.busyTimes.get(staffId) ?? [];
      count = ts.filter((t) => t >= from && t < to).length;
      this.busyPerDay.set(key, count);
    }
    return count;
  }

  /**
   * The free start times of a day for any of `staff` (in preference order), one staff member per time, from
   * `notBefore` on; and how many worked times the window has at all (`working`) and from `notBefore` on (`ahead`).
   */
  day(date: string, staff: readonly StaffMember[], notBefore: number, window?: Period): { free: Candidate[]; working: number; ahead: number } {
    const byStart = new Map<number, Candidate[]>();
    const worked = new Set<number>();
    const workedAhead = new Set<number>();
    if (date > this.horizon) return { free: [], working: 0, ahead: 0 };
    for (const member of staff) {
      for (const c of this.candidates(date, member.id, window)) {
        worked.add(c.start);
        if (c.start < notBefore) continue;
        workedAhead.add(c.start);
        if (!this.isFree(c)) continue;
        byStart.set(c.start, [...(byStart.get(c.start) ?? []), c]);
      }
    }
    const free = [...byStart.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, options]) => options.reduce((best, c) => (this.busyOn(date, c.staffId) < this.busyOn(date, best.staffId) ? c : best)));
    return { free, working: worked.size, ahead: workedAhead.size };
  }

  /** Up to `limit` free slots over `days` (in order), spread within each day (see the module comment). */
  collect(days: readonly string[], staff: readonly StaffMember[], notBefore: number, limit: number, window?: Period): { slots: Slot[]; working: number; ahead: number } {
    const picked: Candidate[] = [];
    let working = 0;
    let ahead = 0;
    for (const date of days) {
      if (picked.length >= limit) break;
      const day = this.day(date, staff, notBefore, window);
      working += day.working;
      ahead += day.ahead;
      picked.push(...spread(day.free, limit - picked.length));
    }
    return { slots: picked.sort((a, b) => a.start - b.start).map((c) => this.slotOf(c)), working, ahead };
  }
}

/** `k` of the sorted items: all when there are no more than k, else the earliest, the latest and evenly ranked between. */
function spread<T>(items: readonly T[], k: number): T[] {
  if (k <= 0) return [];
  if (items.length <= k) return [...items];
  if (k === 1) return items.slice(0, 1);
  return Array.from({ length: k }, (_, i) => items[Math.round((i * (items.length - 1)) / (k - 1))]).filter((x): x is T => x !== undefined);
}

// ---- the API --------------------------------------------------------------------------------------

/** The lock cells of a slot: its duration plus the service's buffer, from the cell the start falls in. */
export function bookingCells(slot: Slot, settings: BookingSettings): SlotCell[] {
  const start = Date.parse(slot.start);
  const end = Date.parse(slot.end) + (settings.bufferMinutes[slot.serviceId] ?? 0) * MINUTE;
  const cell = CELL_MINUTES * MINUTE;
  const first = Math.floor(start / cell) * cell;
  return cellsFor(slot.staffId, new Date(first).toISOString(), Math.max(1, (end - first) / MINUTE));
}

/**
 * Up to `request.limit` free slots matching the request (spread, see the module comment). When none match,
 * `problem` says why — checked in this order: unknown_service, unknown_staff, staff_does_not_do_service, past
 * (the asked day or window is over, or every time worked in it is before now + notice), beyond_horizon, closed
 * (nobody asked works then; also when no staff member does the service), fully_booked — and `alternatives` holds
 * up to `limit` nearest free slots from the asked time on (other days included, up to LOOKAHEAD_DAYS; the same
 * staff member if asked and able, else anyone who does the service).
 */
export function freeSlots(input: AvailabilityInput, request: SlotRequest): FreeSlots {
  const limit = Math.max(0, Math.floor(request.limit));
  const service = input.services.find((s) => s.id === request.serviceId);
  if (!service) return { slots: [], problem: 'unknown_service', alternatives: [] };
  const plan = planOf(input, request);
  const able = input.staff.filter((m) => m.serviceIds.includes(service.id));
  const a = new Availability(input, service, plan.horizon);
  const tz = input.timezone;
  const window: Period = {
    open: request.after !== undefined ? minutesOf(request.after) : 0,
    close: request.before !== undefined ? closeMinutesOf(request.before) : DAY_MINUTES,
  };
  // Alternatives start at the asked time (never before now + notice).
  const askedFrom = request.date !== undefined && plan.outside === undefined ? instantAtOrAfter(request.date, window.open, tz) : 0;
  const altFrom = Math.max(a.earliest, askedFrom);
  const alternatives = (staff: readonly StaffMember[]): Slot[] => a.collect(plan.alternativeDays, staff, altFrom, limit).slots;

  const member = request.staffId === undefined ? undefined : input.staff.find((m) => m.id === request.staffId);
  if (request.staffId !== undefined && !member) return { slots: [], problem: 'unknown_staff', alternatives: alternatives(able) };
  if (member && !member.serviceIds.includes(service.id)) return { slots: [], problem: 'staff_does_not_do_service', alternatives: alternatives(able) };
  const who = member ? [member] : able;
  const fallback = (): Slot[] => {
    const same = alternatives(who);
    return same.length > 0 || !member ? same : alternatives(able);
  };
  if (plan.outside) return { slots: [], problem: plan.outside, alternatives: fallback() };

  const found = a.collect(plan.days, who, a.earliest, limit, request.date !== undefined ? window : undefined);
  if (found.slots.length > 0 || limit === 0) return { slots: found.slots, alternatives: [] };
  let problem: SlotProblem;
  if (request.date !== undefined) {
    const windowEnd = instantAtOrAfter(request.date, window.close, tz);
    problem = windowEnd <= a.earliest || (found.working > 0 && found.ahead === 0) ? 'past' : found.working === 0 ? 'closed' : 'fully_booked';
  } else {
    problem = found.ahead === 0 ? 'closed' : 'fully_booked';
  }
  // A time outside the hours of a day that is open ("Thursday at 7pm", open till 19:30; "Monday at 7am"): that day's
  // free times nearest to it ("18:30, 18:45"), rather than the next day's from that hour on. A time that is taken
  // keeps the alternatives after it ("after 2" means after 2).
  if (request.date !== undefined && (request.after !== undefined || request.before !== undefined) && problem === 'closed') {
    const nearest = nearestFree(a.day(request.date, who, a.earliest).free, askedFrom, limit);
    if (nearest.length > 0) return { slots: [], problem, alternatives: nearest.map((c) => a.slotOf(c)) };
  }
  // Without a date the lookahead was searched already; only another staff member can help.
  const others = request.date === undefined ? (member ? alternatives(able) : []) : fallback();
  return { slots: [], problem, alternatives: others };
}

/** The `limit` candidates starting nearest to `at`, in time order. */
function nearestFree(free: readonly Candidate[], at: number, limit: number): Candidate[] {
  return [...free]
    .sort((x, y) => Math.abs(x.start - at) - Math.abs(y.start - at) || x.start - y.start)
    .slice(0, limit)
    .sort((x, y) => x.start - y.start);
}

/**
 * Re-validates a chosen slot against the same rules as `freeSlots`: the service and staff member exist and the
 * staff member does the service; the slot lasts the service's duration; it starts no earlier than now + notice
 * ('past') and no later than the horizon ('beyond_horizon'); it is a start `freeSlots` would offer, i.e. on the
 * grid of an opening period it fits in ('closed' otherwise, also for a malformed slot); none of its cells is busy
 * ('fully_booked'). undefined: bookable.
 */
export function checkSlot(input: AvailabilityInput, slot: Slot): SlotProblem | undefined {
  const service = input.services.find((s) => s.id === slot.serviceId);
  if (!service) return 'unknown_service';
  const member = input.staff.find((m) => m.id === slot.staffId);
  if (!member) return 'unknown_staff';
  if (!member.serviceIds.includes(service.id)) return 'staff_does_not_do_service';
  const start = Date.parse(slot.start);
  const end = Date.parse(slot.end);
  if (Number.isNaN(start) || Number.isNaN(end) || end - start !== service.durationMinutes * MINUTE) return 'closed';
  const today = localOf(input.now.getTime(), input.timezone).date;
  const a = new Availability(input, service, addDays(today, input.settings.maxDaysAhead));
  if (start < a.earliest) return 'past';
  const { date } = localOf(start, input.timezone);
  if (date > a.horizon) return 'beyond_horizon';
  const candidate = a.candidates(date, member.id).find((c) => c.start === start);
  if (!candidate) return 'closed';
  return a.isFree(candidate) ? undefined : 'fully_booked';
}
