/** Formatting for prices, durations, times and text excerpts. Pure; the locale and "now" are parameters. */
import type { Channel, ConversationMode, MessageRole, OpeningHours, Weekday } from '../api/types';
import { weekdays } from '../api/types';

/** Formats an amount in minor units (cents) of an ISO 4217 currency. */
export function formatPrice(minorUnits: number, currency: string, locale?: string): string {
  try {
    const format = new Intl.NumberFormat(locale, { style: 'currency', currency });
    const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
    return format.format(minorUnits / 10 ** digits);
  } catch {
    return `${(minorUnits / 100).toFixed(2)} ${currency}`;
  }
}

export function formatDuration(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = Math.round(minutes % 60);
  if (h === 0) return `${m} min`;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/** Confidence 0..1 as a whole percentage. */
export function formatPercent(ratio: number, locale?: string): string {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(ratio) ? ratio : 0));
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 }).format(clamped);
}

export interface TimeOptions {
  readonly locale?: string;
  /** IANA zone; defaults to the browser's. */
  readonly timeZone?: string;
}

function parseDate(iso: string): Date | undefined {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function dayKey(d: Date, timeZone: string | undefined): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

/** Full date and time, for tooltips and detail headers. */
export function formatDateTime(iso: string, opts: TimeOptions = {}): string {
  const d = parseDate(iso);
  if (!d) return iso;
  return new Intl.DateTimeFormat(opts.locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: opts.timeZone }).format(d);
}

/** Just the time of day. */
export function formatClock(iso: string, opts: TimeOptions = {}): string {
  const d = parseDate(iso);
  if (!d) return iso;
  return new Intl.DateTimeFormat(opts.locale, { hour: '2-digit', minute: '2-digit', timeZone: opts.timeZone }).format(d);
}

function absoluteShort(d: Date, iso: string, now: Date, opts: TimeOptions): string {
  const { locale, timeZone } = opts;
  if (dayKey(d, timeZone) === dayKey(now, timeZone)) return formatClock(iso, opts);
  const sameYear = dayKey(d, timeZone).slice(0, 4) === dayKey(now, timeZone).slice(0, 4);
  return new Intl.DateTimeFormat(locale, {
    day: 'numeric',
    month: 'short',
    ...(sameYear ? { hour: '2-digit', minute: '2-digit' } : { year: 'numeric' }),
    timeZone,
  }).format(d);
}

/**
 * Short, scannable time for lists: "just now", "5 min ago", the time of day
 * for today, the date (with time) for older, the year only when not this year.
 */
export function formatListTime(iso: string, now: Date, opts: TimeOptions = {}): string {
  const d = parseDate(iso);
  if (!d) return iso;
  const seconds = Math.round((now.getTime() - d.getTime()) / 1000);
  if (seconds >= -60 && seconds < 60) return 'just now';
  if (seconds >= 60 && seconds < 3600) {
    return new Intl.RelativeTimeFormat(opts.locale, { numeric: 'always', style: 'short' }).format(-Math.floor(seconds / 60), 'minute');
  }
  return absoluteShort(d, iso, now, opts);
}

/** A message's time: the time of day for today, with the date for older ones. */
export function formatMessageTime(iso: string, now: Date, opts: TimeOptions = {}): string {
  const d = parseDate(iso);
  if (!d) return iso;
  if (dayKey(d, opts.timeZone).slice(0, 4) === dayKey(now, opts.timeZone).slice(0, 4)) return absoluteShort(d, iso, now, opts);
  return new Intl.DateTimeFormat(opts.locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: opts.timeZone }).format(d);
}

/** The first lines of a text, for previews; ends with "…" when cut. */
export function firstLines(text: string, maxLines = 3, maxChars = 280): string {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  let out = lines.slice(0, maxLines).join('\n');
  let cut = lines.length > maxLines;
  if (out.length > maxChars) {
    out = out.slice(0, maxChars).replace(/\s+\S*$/, '');
    cut = true;
  }
  return cut ? `${out}…` : out;
}

export const weekdayLabels: Readonly<Record<Weekday, string>> = {
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
  sun: 'Sunday',
};

export interface DayHours {
  readonly day: Weekday;
  readonly label: string;
  /** "09:00–13:00"; empty when closed. */
  readonly ranges: readonly string[];
}

/** Opening hours as one row per weekday, Monday first, ranges sorted. */
export function groupHours(hours: readonly OpeningHours[]): DayHours[] {
  return weekdays.map((day) => ({
    day,
    label: weekdayLabels[day],
    ranges: hours
      .filter((h) => h.day === day)
      .sort((a, b) => a.open.localeCompare(b.open))
      .map((h) => `${h.open}–${h.close}`),
  }));
}

export const modeLabels: Readonly<Record<ConversationMode, string>> = {
  bot: 'Bot',
  waiting_for_human: 'Waiting for staff',
  human: 'With staff',
  closed: 'Closed',
};

export const channelLabels: Readonly<Record<Channel, string>> = {
  web: 'Web chat',
  whatsapp: 'WhatsApp',
  sms: 'SMS',
  messenger: 'Messenger',
};

export const roleLabels: Readonly<Record<MessageRole, string>> = {
  customer: 'Customer',
  bot: 'Concierge',
  agent: 'Staff',
  system: 'System',
};
