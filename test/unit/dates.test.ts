/**
 * The API's one validator of calendar dates and instants (lambdas/core/dates.ts): a `YYYY-MM-DD` must exist
 * (round trip through Date.UTC: no 2026-02-30, no month 13, no day 00) and fall within MIN_YEAR..MAX_YEAR; an
 * instant is ISO 8601 with a time zone, in the same years. Each refusal says what is wrong.
 */
import { z } from 'zod';
import { calendarDateSchema, dateOrInstantSchema, dayNumber, instantSchema, isCalendarDate, MAX_YEAR, MIN_YEAR } from '../../lambdas/core/dates';

const messageOf = (schema: z.ZodType, value: unknown): string | undefined => schema.safeParse(value).error?.issues[0]?.message;

describe('calendar dates', () => {
  it('accepts real dates from the first day of MIN_YEAR to the last of MAX_YEAR, leap days included', () => {
    expect([MIN_YEAR, MAX_YEAR]).toEqual([2000, 2199]);
    for (const d of ['2000-01-01', '2024-02-29', '2000-02-29', '2026-12-31', '2199-12-31']) expect({ d, ok: calendarDateSchema.safeParse(d).success }).toEqual({ d, ok: true });
  });

  it('refuses what is not a date, and says so', () => {
    for (const d of ['2026-13-45', '2026-99-99', '2026-13-01', '0000-00-00', '2026-02-30', '2026-02-29', '2100-02-29', '2026-04-31', '2026-01-00', 'yesterday', '2026-1-1', '20260101', '2026-01-01T00:00:00Z', '']) {
      expect({ d, message: messageOf(calendarDateSchema, d) }).toEqual({ d, message: expect.stringMatching(/^not a date/) });
    }
    expect(messageOf(calendarDateSchema, 7)).toMatch(/not a date/);
    expect(isCalendarDate('2026-02-30')).toBe(false);
    expect(isCalendarDate('2024-02-29')).toBe(true);
  });

  it('refuses real dates outside the years it takes as out of range', () => {
    for (const d of ['9999-12-25', '9999-12-31', '1999-12-31', '2200-01-01', '0001-01-01']) {
      expect({ d, message: messageOf(calendarDateSchema, d) }).toEqual({ d, message: expect.stringMatching(/^out of range/) });
    }
  });

  it('numbers days so ranges compare as dates', () => {
    expect(dayNumber('2026-03-01') - dayNumber('2026-02-28')).toBe(1);
    expect(dayNumber('2024-03-01') - dayNumber('2024-02-28')).toBe(2);
    expect(dayNumber('2199-12-31')).toBeGreaterThan(dayNumber('2000-01-01'));
  });
});

describe('instants', () => {
  it('accepts ISO 8601 with a time zone within the years, and a date where either is taken', () => {
    for (const t of ['2026-03-02T09:30:00Z', '2026-03-02T09:30:00.123+01:00', '2000-01-01T00:00:00+14:00', '2199-12-31T23:59:59.999-12:00']) expect({ t, ok: instantSchema.safeParse(t).success }).toEqual({ t, ok: true });
    expect(dateOrInstantSchema.parse('2024-02-29')).toBe('2024-02-29');
    expect(dateOrInstantSchema.parse('2026-03-02T09:30:00Z')).toBe('2026-03-02T09:30:00Z');
  });

  it('refuses impossible or out-of-range instants, saying which', () => {
    expect(messageOf(instantSchema, '2026-02-30T10:00:00Z')).toMatch(/^not a date-time/);
    expect(messageOf(instantSchema, '2026-03-02T09:30:00')).toMatch(/^not a date-time/);
    expect(messageOf(instantSchema, 'now')).toMatch(/^not a date-time/);
    for (const t of ['9999-12-31T00:00:00Z', '9999-12-31T23:59:59Z', '0000-01-01T00:00:00+01:00', '1999-12-31T23:59:59Z', '2200-01-01T00:00:00Z']) {
      expect({ t, message: messageOf(instantSchema, t) }).toEqual({ t, message: expect.stringMatching(/^out of range/) });
    }
    expect(messageOf(dateOrInstantSchema, '2026-13-45')).toMatch(/^not a date/);
    expect(messageOf(dateOrInstantSchema, '9999-12-25')).toMatch(/^out of range/);
    expect(messageOf(dateOrInstantSchema, '9999-12-31T00:00:00Z')).toMatch(/^out of range/);
    expect(messageOf(dateOrInstantSchema, 'yesterday')).toMatch(/^not a date/);
  });
});
