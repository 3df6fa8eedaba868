import {
  firstLines,
  formatClock,
  formatDateTime,
  formatDuration,
  formatListTime,
  formatMessageTime,
  formatPercent,
  formatPrice,
  groupHours,
} from '../../frontend/src/lib/format';

// Intl output uses narrow no-break spaces in some locales/ICU versions; compare with plain spaces.
const plain = (s: string): string => s.replace(/[\u00a0\u202f]/g, ' ');

describe('formatPrice', () => {
  it('formats minor units in the currency', () => {
    expect(formatPrice(4500, 'EUR', 'en-IE')).toBe('€45.00');
    expect(formatPrice(1999, 'USD', 'en-US')).toBe('$19.99');
    expect(plain(formatPrice(4550, 'EUR', 'es-ES'))).toBe('45,50 €');
    expect(formatPrice(0, 'GBP', 'en-GB')).toBe('£0.00');
  });

  it('knows currencies without minor units', () => {
    expect(formatPrice(1500, 'JPY', 'en-US')).toBe('¥1,500');
  });

  it('falls back for an unknown currency code', () => {
    expect(formatPrice(1234, 'ZZ', 'en-US')).toBe('12.34 ZZ');
  });
});

describe('formatDuration and formatPercent', () => {
  it.each([
    [30, '30 min'],
    [60, '1 h'],
    [90, '1 h 30 min'],
    [125, '2 h 5 min'],
  ])('%i minutes → %s', (minutes, expected) => {
    expect(formatDuration(minutes)).toBe(expected);
  });

  it('shows confidence as a clamped whole percentage', () => {
    expect(formatPercent(0.834, 'en-US')).toBe('83%');
    expect(formatPercent(1.7, 'en-US')).toBe('100%');
    expect(formatPercent(-1, 'en-US')).toBe('0%');
    expect(formatPercent(Number.NaN, 'en-US')).toBe('0%');
  });
});

describe('times', () => {
  const now = new Date('2025-06-15T15:00:00Z');
  const opts = { locale: 'en-GB', timeZone: 'UTC' };

  it('uses relative words for the last hour', () => {
    expect(formatListTime('2025-06-15T14:59:30Z', now, opts)).toBe('just now');
    expect(formatListTime('2025-06-15T14:55:00Z', now, opts)).toBe('5 min ago');
  });

  it('uses the time of day for earlier today, the date for older, the year when not this year', () => {
    expect(formatListTime('2025-06-15T09:05:00Z', now, opts)).toBe('09:05');
    expect(formatListTime('2025-06-10T09:05:00Z', now, opts)).toBe('10 Jun, 09:05');
    expect(formatListTime('2024-12-31T09:05:00Z', now, opts)).toBe('31 Dec 2024');
  });

  it('judges "today" in the given time zone', () => {
    // 23:30 UTC on the 14th is already the 15th in Madrid (UTC+2 in June).
    expect(formatListTime('2025-06-14T23:30:00Z', now, { locale: 'en-GB', timeZone: 'Europe/Madrid' })).toBe('01:30');
  });

  it('gives message times the date only when not today', () => {
    expect(formatMessageTime('2025-06-15T09:05:00Z', now, opts)).toBe('09:05');
    expect(formatMessageTime('2025-06-10T09:05:00Z', now, opts)).toBe('10 Jun, 09:05');
    expect(plain(formatMessageTime('2024-12-31T09:05:00Z', now, opts))).toBe('31 Dec 2024, 09:05');
    expect(formatMessageTime('bad', now, opts)).toBe('bad');
  });

  it('returns unparseable timestamps unchanged', () => {
    expect(formatListTime('yesterday', now, opts)).toBe('yesterday');
    expect(formatDateTime('nope', opts)).toBe('nope');
    expect(formatClock('', opts)).toBe('');
  });

  it('formats full date-times and clocks', () => {
    expect(plain(formatDateTime('2025-06-15T09:05:00Z', opts))).toBe('15 Jun 2025, 09:05');
    expect(formatClock('2025-06-15T09:05:00Z', opts)).toBe('09:05');
  });
});

describe('firstLines', () => {
  it('keeps the first non-empty lines', () => {
    expect(firstLines('One\n\nTwo\nThree', 3)).toBe('One\nTwo\nThree');
    expect(firstLines('One\nTwo\nThree\nFour', 2)).toBe('One\nTwo…');
  });

  it('cuts long text at a word boundary', () => {
    const text = 'word '.repeat(100);
    const out = firstLines(text, 3, 23);
    expect(out).toBe('word word word word…');
  });
});

describe('groupHours', () => {
  it('gives one row per weekday, Monday first, ranges sorted, closed days empty', () => {
    const rows = groupHours([
      { day: 'tue', open: '15:00', close: '19:00' },
      { day: 'tue', open: '09:00', close: '13:00' },
      { day: 'sat', open: '10:00', close: '14:00' },
    ]);
    expect(rows.map((r) => r.day)).toEqual(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
    expect(rows[0]).toEqual({ day: 'mon', label: 'Monday', ranges: [] });
    expect(rows[1]?.ranges).toEqual(['09:00–13:00', '15:00–19:00']);
    expect(rows[5]?.ranges).toEqual(['10:00–14:00']);
  });
});
