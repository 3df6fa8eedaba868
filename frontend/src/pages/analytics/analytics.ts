/**
 * The analytics page's pure logic: date ranges and their presets, formatting of the report's numbers,
 * chart rows, the CSV file name, and the FAQ id made from an unanswered question. No React, no fetch:
 * unit-tested in test/frontend/analytics.test.ts.
 */

/** A day as `YYYY-MM-DD` (the API's `from` / `to`). */
export type Day = string;

export interface DayRange {
  readonly from: Day;
  readonly to: Day;
}

export const rangePresets = ['last7', 'last30', 'thisMonth', 'custom'] as const;
export type RangePreset = (typeof rangePresets)[number];

export const presetLabels: Readonly<Record<RangePreset, string>> = {
  last7: 'Last 7 days',
  last30: 'Last 30 days',
  thisMonth: 'This month',
  custom: 'Custom',
};

/** The API refuses longer ranges (lambdas/core/analytics/contract.ts). */
export const MAX_RANGE_DAYS = 366;

const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether `value` is a real calendar day written as `YYYY-MM-DD`. */
export function isDay(value: string): boolean {
  const m = DAY_RE.exec(value);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === value;
}

/** `day` moved by `delta` calendar days. */
export function addDays(day: Day, delta: number): Day {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + delta);
  return d.toISOString().slice(0, 10);
}

/** Calendar days from `from` to `to`, both counted (1 for a single day). */
export function daysInRange(range: DayRange): number {
  return Math.round((Date.parse(`${range.to}T00:00:00Z`) - Date.parse(`${range.from}T00:00:00Z`)) / 86_400_000) + 1;
}

/** Today's date in an IANA time zone (the browser's when absent or unknown). */
export function todayIn(now: Date, timeZone?: string): Day {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  } catch {
    return new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  }
}

/** The range a preset stands for, ending today (both ends inclusive). `custom` keeps the last week as a start. */
export function presetRange(preset: RangePreset, today: Day): DayRange {
  switch (preset) {
    case 'last30':
      return { from: addDays(today, -29), to: today };
    case 'thisMonth':
      return { from: `${today.slice(0, 8)}01`, to: today };
    case 'last7':
    case 'custom':
      return { from: addDays(today, -6), to: today };
  }
}

/** What is wrong with a custom range, in words for the form; undefined when the API will take it. */
export function rangeProblem(range: DayRange): string | undefined {
  if (!isDay(range.from)) return 'Choose a start date.';
  if (!isDay(range.to)) return 'Choose an end date.';
  if (range.from > range.to) return 'The start date must not be after the end date.';
  if (daysInRange(range) > MAX_RANGE_DAYS) return `Choose at most ${MAX_RANGE_DAYS} days.`;
  return undefined;
}

/** "—" stands for a value the report leaves null (nothing to average over). */
export const NONE = '—';

/** A whole count with the locale's grouping. */
export function formatCount(n: number, locale?: string): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(n);
}

/** A rate in 0..1 as a percentage (one decimal below 10 %), or "—". */
export function formatRate(rate: number | null, locale?: string): string {
  if (rate === null || !Number.isFinite(rate)) return NONE;
  const clamped = Math.min(1, Math.max(0, rate));
  const digits = clamped > 0 && clamped < 0.1 ? 1 : 0;
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: digits }).format(clamped);
}

/** A duration in milliseconds, short and readable: "850 ms", "4.2 s", "3 min 5 s", "1 h 20 min", "2 d 3 h"; or "—". */
export function formatMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return NONE;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 10) return `${(Math.round(seconds * 10) / 10).toString()} s`;
  const total = Math.round(seconds);
  if (total < 60) return `${total} s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) {
    const s = total % 60;
    return s === 0 ? `${minutes} min` : `${minutes} min ${s} s`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    const m = minutes % 60;
    return m === 0 ? `${hours} h` : `${hours} h ${m} min`;
  }
  const days = Math.floor(hours / 24);
  const h = hours % 24;
  return h === 0 ? `${days} d` : `${days} d ${h} h`;
}

/** A CSAT average (1–5) as "4.3 / 5", or "—". */
export function formatCsat(average: number | null, locale?: string): string {
  if (average === null || !Number.isFinite(average)) return NONE;
  return `${new Intl.NumberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(average)} / 5`;
}

/** An amount in a currency's minor unit (cents), in that currency; a plain number with the code when the code is unknown. */
export function formatMoney(minorUnits: number, currency: string, locale?: string): string {
  try {
    const format = new Intl.NumberFormat(locale, { style: 'currency', currency });
    const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
    return format.format(minorUnits / 10 ** digits);
  } catch {
    return `${(minorUnits / 100).toFixed(2)} ${currency}`;
  }
}

/** A day as a short axis label: "Mar 5". */
export function shortDay(day: Day, locale?: string): string {
  if (!isDay(day)) return day;
  return new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(new Date(`${day}T00:00:00Z`));
}

/** The file name of a CSV export when the server does not name it: `concierge-analytics-<slug>-<from>-to-<to>.csv`. */
export function csvFilename(range: DayRange, businessSlug?: string): string {
  const slug = (businessSlug ?? '')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `concierge-analytics-${slug ? `${slug}-` : ''}${range.from}-to-${range.to}.csv`;
}

/** The file name in a `Content-Disposition` header (`filename*=` preferred), when it is a safe one. */
export function filenameFromDisposition(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  let name: string | undefined;
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header);
  if (star?.[1] !== undefined) {
    try {
      name = decodeURIComponent(star[1].trim());
    } catch {
      name = undefined;
    }
  }
  if (name === undefined) name = /filename\s*=\s*"([^"]*)"/.exec(header)?.[1] ?? /filename\s*=\s*([^;\s]+)/.exec(header)?.[1];
  if (name === undefined) return undefined;
  const base = name.replace(/^.*[\\/]/, '').trim();
  return base !== '' && !base.startsWith('.') && /^[\w .()-]+$/.test(base) ? base : undefined;
}

/** What an FAQ id may be (docs/openapi.yaml `faqId`). */
export const FAQ_ID_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/**
 * The id of the FAQ added for an unanswered question: a slug of the question ("Do you take
 * walk-ins?" → "do-you-take-walk-ins"), at most 64 characters, never one of `existing` (an FAQ with
 * that id would be replaced): then "-2", "-3"… is added. A question with no usable letters gets
 * `faq-<gapId>` instead.
 */
export function faqIdFor(question: string, gapId: string, existing: Iterable<string> = []): string {
  const taken = new Set(existing);
  const slugOf = (text: string): string =>
    text
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '');
  const trim = (s: string, max: number): string => s.slice(0, max).replace(/-+$/, '');
  let base = trim(slugOf(question), 56);
  if (base === '' || !FAQ_ID_RE.test(base)) base = trim(`faq-${slugOf(gapId)}`, 56);
  if (base === 'faq' || !FAQ_ID_RE.test(base)) base = 'faq';
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base}-${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/** The channels the report knows, in display order, with their labels; unknown channels follow, as named. */
export const channelOrder: readonly { readonly key: string; readonly label: string }[] = [
  { key: 'web', label: 'Web chat' },
  { key: 'whatsapp', label: 'WhatsApp' },
  { key: 'sms', label: 'SMS' },
  { key: 'messenger', label: 'Messenger' },
];

/** A handoff reason as recorded ("customer asked for a person", "low_confidence") made readable: "Customer asked for a person", "Low confidence". */
export function handoffReasonLabel(reason: string): string {
  const text = reason.replace(/_/g, ' ').replace(/\s+/g, ' ').trim();
  return text === '' ? 'Unknown' : text.charAt(0).toUpperCase() + text.slice(1);
}

interface DayCounters {
  readonly day: Day;
  readonly conversationsByChannel: Readonly<Record<string, number>>;
  readonly resolvedConfirmed: number;
  readonly resolvedAssumed: number;
  readonly handoffs: number;
}

/** The channels present in any day (known ones first, in `channelOrder`), with labels. */
export function channelsIn(days: readonly DayCounters[]): { key: string; label: string }[] {
  const seen = new Set<string>();
  for (const d of days) for (const [k, v] of Object.entries(d.conversationsByChannel)) if (v > 0) seen.add(k);
  const known = channelOrder.filter((c) => seen.has(c.key)).map((c) => ({ ...c }));
  const others = [...seen].filter((k) => !channelOrder.some((c) => c.key === k)).sort().map((k) => ({ key: k, label: k }));
  return [...known, ...others];
}

/** One row per day for the stacked "conversations by channel" chart: `{ day, label, <channel>: count… }`. */
export function channelRows(days: readonly DayCounters[], locale?: string): Record<string, string | number>[] {
  const channels = channelsIn(days);
  return days.map((d) => {
    const row: Record<string, string | number> = { day: d.day, label: shortDay(d.day, locale) };
    for (const c of channels) row[c.key] = d.conversationsByChannel[c.key] ?? 0;
    return row;
  });
}

export interface OutcomeRow {
  readonly day: Day;
  readonly label: string;
  readonly confirmed: number;
  readonly assumed: number;
  readonly handoffs: number;
}

/** One row per day for the "resolved vs handed off" chart. */
export function outcomeRows(days: readonly DayCounters[], locale?: string): OutcomeRow[] {
  return days.map((d) => ({ day: d.day, label: shortDay(d.day, locale), confirmed: d.resolvedConfirmed, assumed: d.resolvedAssumed, handoffs: d.handoffs }));
}

/** Handoff reasons, most frequent first, with labels; zero counts left out. */
export function reasonRows(reasons: Readonly<Record<string, number>>): { reason: string; label: string; count: number }[] {
  return Object.entries(reasons)
    .filter(([, n]) => n > 0)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([reason, count]) => ({ reason, label: handoffReasonLabel(reason), count }));
}

/** What adding an FAQ from an unanswered question needs of the API. */
export interface AddFaqPorts {
  /** The ids of the FAQs there are now. */
  takenIds(): Promise<string[]>;
  /** Creates the FAQ only if its id is free (If-None-Match: *); a taken id is an edit conflict. */
  createFaq(faqId: string, input: { question: string; answer: string; category: string }): Promise<void>;
  resolveGap(gapId: string, faqId: string): Promise<void>;
  isEditConflict(err: unknown): boolean;
}

/**
 * Adds the FAQ and marks the gap resolved by it. `created` remembers, per gap, the FAQ this page already created:
 * when marking the gap failed after the FAQ was saved, trying again only marks it, instead of creating a second
 * copy under the next free id.
 */
export async function addFaqForGap(
  ports: AddFaqPorts,
  gapId: string,
  input: { question: string; answer: string; category: string },
  created: Map<string, string>,
): Promise<string> {
  const made = created.get(gapId);
  if (made !== undefined) {
    await ports.resolveGap(gapId, made);
    return made;
  }
  const taken = await ports.takenIds();
  for (let attempt = 1; ; attempt++) {
    const faqId = faqIdFor(input.question, gapId, taken);
    try {
      await ports.createFaq(faqId, input);
    } catch (err) {
      if (!ports.isEditConflict(err) || attempt === 3) throw err;
      taken.push(faqId);
      continue;
    }
    created.set(gapId, faqId);
    await ports.resolveGap(gapId, faqId);
    return faqId;
  }
}
