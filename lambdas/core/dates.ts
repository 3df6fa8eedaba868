/**
 * Calendar dates (`YYYY-MM-DD`) and instants (ISO 8601 with a time zone) at the API's edges: the one validator
 * every route that takes them uses (the bookings calendar and availability, booking-settings exceptions, the
 * analytics report and export, the audit log's query), so each refuses the same inputs with a 400 naming the
 * field and saying what is wrong — "not a date" (a day that does not exist: 2026-02-30, month 13, day 00) or
 * "out of range".
 *
 * Accepted years: MIN_YEAR..MAX_YEAR (2000–2199), for dates and for the date written in an instant. Nothing the
 * product keeps predates 2000 (every stored time is a `now` since launch, 2026) and bookings look at most 365
 * days ahead; and within these years every bound derived from an input — a week or a day added, a time zone's
 * offset of up to ±14 h applied — is still a four-digit year. Outside them `Date#toISOString` writes `+010000-…`
 * or `-000001-…`, which sort out of order with every `YYYY-…` sort key (adapters/dynamo/keys.ts), so DynamoDB
 * was sent reversed BETWEEN bounds; and years before 0100 are not even read back as written by `Date.UTC`.
 */
import { z } from 'zod';

/** The first and last years a date or instant at the API may name (see the module comment). */
export const MIN_YEAR = 2000;
export const MAX_YEAR = 2199;

const DAY_MS = 24 * 3600_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** ISO 8601 with seconds (and an optional fraction) and a time zone: `Z` or `±HH:MM`. */
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;
const pad = (n: number): string => String(n).padStart(2, '0');

/** True when `value` is `YYYY-MM-DD` and that day exists (it round-trips through Date.UTC), whatever its year. */
export function isCalendarDate(value: string): boolean {
  const m = DATE.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  t.setUTCFullYear(y); // Date.UTC reads years 0-99 as 1900-1999
  return t.getUTCFullYear() === y && t.getUTCMonth() + 1 === mo && t.getUTCDate() === d && `${String(y).padStart(4, '0')}-${pad(mo)}-${pad(d)}` === value;
}

/** The day's number since 1970-01-01, to compare or subtract dates as dates. For a valid `YYYY-MM-DD` only. */
export function dayNumber(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return Math.round(Date.UTC(y, m - 1, d) / DAY_MS);
}

const inRange = (year: number): boolean => year >= MIN_YEAR && year <= MAX_YEAR;
const OUT_OF_RANGE = `out of range: years ${MIN_YEAR} to ${MAX_YEAR}`;
const NOT_A_DATE = 'not a date: use YYYY-MM-DD, a day that exists, such as 2026-03-02';
const NOT_AN_INSTANT = 'not a date-time: use ISO 8601 with a time zone, such as 2026-03-02T09:30:00Z';

function dateProblem(value: string): string | undefined {
  if (!isCalendarDate(value)) return NOT_A_DATE;
  return inRange(Number(value.slice(0, 4))) ? undefined : OUT_OF_RANGE;
}

function instantProblem(value: string): string | undefined {
  if (!INSTANT.test(value) || !isCalendarDate(value.slice(0, 10)) || Number.isNaN(Date.parse(value))) return NOT_AN_INSTANT;
  return inRange(Number(value.slice(0, 4))) ? undefined : OUT_OF_RANGE;
}

function checked(problemOf: (value: string) => string | undefined, notAString: string) {
  return z.string({ error: notAString }).superRefine((value, ctx) => {
    const message = problemOf(value);
    if (message !== undefined) ctx.addIssue({ code: 'custom', message });
  });
}

/** A day that exists, `YYYY-MM-DD`, in MIN_YEAR..MAX_YEAR. */
export const calendarDateSchema = checked(dateProblem, NOT_A_DATE);

/** An ISO 8601 date-time with a time zone (`Z` or `±HH:MM`), of a day that exists in MIN_YEAR..MAX_YEAR. */
export const instantSchema = checked(instantProblem, NOT_AN_INSTANT);

/** Either: a date (the caller says which midnight it means) or an instant. */
export const dateOrInstantSchema = checked(
  (value) => (DATE.test(value) ? dateProblem(value) : INSTANT.test(value) ? instantProblem(value) : `not a date or date-time: use YYYY-MM-DD or ISO 8601 with a time zone, such as 2026-03-02T09:30:00Z`),
  'not a date or date-time: use YYYY-MM-DD or ISO 8601 with a time zone',
);
