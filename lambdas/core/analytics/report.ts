/**
 * The analytics report (contract.ts, docs/metrics.md) from what the projector stored: activity counters by the
 * day they happened, conversation outcomes (resolutions, handoffs, first response, time to accept, CSAT) by the
 * day their conversation started, derived rates, and the top answering knowledge items. Pure.
 */
import { zonedToUtc } from '../nlu/time';
import { badRequest } from '../errors';
import { dayNumber, isCalendarDate } from '../dates';
import type { AnalyticsReport, DayMetrics } from './contract';
import { acceptWaits, resolutionOf, type ConversationFacts } from './facts';
import { dayIn, SOURCE_COUNTER_PREFIX } from './projector';

/** The longest range a report covers. */
export const MAX_RANGE_DAYS = 366;
/** Entries of `topQuestions`. */
export const TOP_QUESTIONS = 10;
const DAY_MS = 24 * 3600_000;

/** The next calendar day of a YYYY-MM-DD. */
export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Every day from `from` to `to`, inclusive; 400 naming `to` past MAX_RANGE_DAYS, and naming the day that is not one. */
export function daysOf(from: string, to: string): string[] {
  // The query's schema refuses these first; a count of NaN (a day that does not exist) must not pass the length check.
  if (!isCalendarDate(from)) throw badRequest('from: not a date', 'from');
  if (!isCalendarDate(to)) throw badRequest('to: not a date', 'to');
  const count = dayNumber(to) - dayNumber(from) + 1;
  if (count < 1) throw badRequest('from: must not be after to', 'from');
  if (count > MAX_RANGE_DAYS) throw badRequest(`to: the range may span at most ${MAX_RANGE_DAYS} days`, 'to');
  return Array.from({ length: count }, (_, i) => addDays(from, i));
}

/** The UTC instants that bound [from 00:00, the day after `to` 00:00) in the time zone. */
export function rangeInstants(from: string, to: string, timezone: string): { from: string; to: string } {
  return { from: zonedToUtc(from, '00:00', timezone).toISOString(), to: zonedToUtc(addDays(to, 1), '00:00', timezone).toISOString() };
}

/** A day with nothing in it. */
export function emptyDay(): DayMetrics {
  return {
    conversations: 0,
    conversationsByChannel: {},
    messages: 0,
    messagesByChannel: {},
    answered: 0,
    unanswered: 0,
    resolvedConfirmed: 0,
    resolvedAssumed: 0,
    handoffs: 0,
    handoffReasons: {},
    firstResponseMsSum: 0,
    firstResponseCount: 0,
    responseMsSum: 0,
    responseCount: 0,
    humanAcceptMsSum: 0,
    humanAcceptCount: 0,
    csatSum: 0,
    csatCount: 0,
    bookingsMade: 0,
    bookingsCancelled: 0,
    bookingsNoShow: 0,
    depositsCents: 0,
    depositsRefundedCents: 0,
  };
}

const bump = (record: Record<string, number>, key: string, by = 1): void => {
  record[key] = (record[key] ?? 0) + by;
};

/** The activity counters of one stored day (contract names from the projector's counter names). */
function fromCounters(counters: Readonly<Record<string, number>>): DayMetrics {
  const day = emptyDay();
  const n = (name: string): number => counters[name] ?? 0;
  const messagesByChannel: Record<string, number> = {};
  for (const [name, value] of Object.entries(counters)) {
    if (name.startsWith('messagesReceived_')) messagesByChannel[name.slice('messagesReceived_'.length)] = value;
  }
  return {
    ...day,
    messages: n('messagesReceived'),
    messagesByChannel,
    answered: n('answered'),
    unanswered: n('unanswered'),
    responseMsSum: n('responseMsSum'),
    responseCount: n('responseCount'),
    bookingsMade: n('bookingsMade'),
    bookingsCancelled: n('bookingsCancelled'),
    bookingsNoShow: n('bookingsNoShow'),
    depositsCents: n('depositsCents'),
    depositsRefundedCents: n('depositsRefundedCents'),
  };
}

/** Adds one conversation's outcomes to its start day. */
function addConversation(day: DayMetrics, f: ConversationFacts, now: Date): DayMetrics {
  const byChannel = { ...day.conversationsByChannel };
  bump(byChannel, f.channel);
  const reasons = { ...day.handoffReasons };
  if (f.handoff) bump(reasons, f.handoff.reason);
  const resolution = resolutionOf(f, now);
  const waits = acceptWaits(f);
  const csat = Object.values(f.csat);
  return {
    ...day,
    conversations: day.conversations + 1,
    conversationsByChannel: byChannel,
    handoffs: day.handoffs + (f.handoff ? 1 : 0),
    handoffReasons: reasons,
    resolvedConfirmed: day.resolvedConfirmed + (resolution === 'confirmed' ? 1 : 0),
    resolvedAssumed: day.resolvedAssumed + (resolution === 'assumed' ? 1 : 0),
    firstResponseMsSum: day.firstResponseMsSum + (f.firstReply?.ms ?? 0),
    firstResponseCount: day.firstResponseCount + (f.firstReply ? 1 : 0),
    humanAcceptMsSum: day.humanAcceptMsSum + waits.reduce((a, b) => a + b, 0),
    humanAcceptCount: day.humanAcceptCount + waits.length,
    csatSum: day.csatSum + csat.reduce((a, c) => a + c.score, 0),
    csatCount: day.csatCount + csat.length,
  };
}

const sumRecords = (a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): Record<string, number> => {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) bump(out, k, v);
  return out;
};

/** Two days (or a total and a day) added field by field. */
export function addMetrics(a: DayMetrics, b: DayMetrics): DayMetrics {
  return {
    conversations: a.conversations + b.conversations,
    conversationsByChannel: sumRecords(a.conversationsByChannel, b.conversationsByChannel),
    messages: a.messages + b.messages,
    messagesByChannel: sumRecords(a.messagesByChannel, b.messagesByChannel),
    answered: a.answered + b.answered,
    unanswered: a.unanswered + b.unanswered,
    resolvedConfirmed: a.resolvedConfirmed + b.resolvedConfirmed,
    resolvedAssumed: a.resolvedAssumed + b.resolvedAssumed,
    handoffs: a.handoffs + b.handoffs,
    handoffReasons: sumRecords(a.handoffReasons, b.handoffReasons),
    firstResponseMsSum: a.firstResponseMsSum + b.firstResponseMsSum,
    firstResponseCount: a.firstResponseCount + b.firstResponseCount,
    responseMsSum: a.responseMsSum + b.responseMsSum,
    responseCount: a.responseCount + b.responseCount,
    humanAcceptMsSum: a.humanAcceptMsSum + b.humanAcceptMsSum,
    humanAcceptCount: a.humanAcceptCount + b.humanAcceptCount,
    csatSum: a.csatSum + b.csatSum,
    csatCount: a.csatCount + b.csatCount,
    bookingsMade: a.bookingsMade + b.bookingsMade,
    bookingsCancelled: a.bookingsCancelled + b.bookingsCancelled,
    bookingsNoShow: a.bookingsNoShow + b.bookingsNoShow,
    depositsCents: a.depositsCents + b.depositsCents,
    depositsRefundedCents: a.depositsRefundedCents + b.depositsRefundedCents,
  };
}

const ratio = (numerator: number, denominator: number): number | null => (denominator > 0 ? numerator / denominator : null);

export interface ReportInput {
  readonly from: string;
  readonly to: string;
  readonly timezone: string;
  readonly currency: string;
  readonly now: Date;
  /** Stored day counters by day (days without any may be absent). */
  readonly days: ReadonlyMap<string, Readonly<Record<string, number>>>;
  /** Facts of the conversations started in the range (others are ignored). */
  readonly facts: readonly ConversationFacts[];
  /** Titles of the current knowledge base's FAQs (their question) and documents. */
  readonly titles: ReadonlyMap<string, string>;
}

export function buildReport(input: ReportInput): AnalyticsReport {
  const dayList = daysOf(input.from, input.to);
  const byDay = new Map(dayList.map((d) => [d, fromCounters(input.days.get(d) ?? {})]));
  for (const f of input.facts) {
    // The widget starts a conversation when the chat is opened: one the customer never wrote in is no conversation
    // (it would swell the count and lower every rate over it).
    if (f.lastCustomerMessageAt === undefined) continue;
    const day = dayIn(input.timezone, new Date(f.startedAt));
    const current = byDay.get(day);
    if (current) byDay.set(day, addConversation(current, f, input.now));
  }
  const days = dayList.map((day) => ({ day, ...(byDay.get(day) ?? emptyDay()) }));
  const totals = days.reduce<DayMetrics>((sum, { day: _day, ...metrics }) => addMetrics(sum, metrics), emptyDay());

  const sources: Record<string, number> = {};
  for (const d of dayList) {
    for (const [name, value] of Object.entries(input.days.get(d) ?? {})) {
      if (name.startsWith(SOURCE_COUNTER_PREFIX) && value > 0) bump(sources, name.slice(SOURCE_COUNTER_PREFIX.length), value);
    }
  }
  const topQuestions = Object.entries(sources)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .slice(0, TOP_QUESTIONS)
    .map(([sourceId, count]) => ({ sourceId, title: input.titles.get(sourceId) ?? sourceId, count }));

  return {
    from: input.from,
    to: input.to,
    timezone: input.timezone,
    currency: input.currency,
    days,
    totals,
    rates: {
      resolutionRate: ratio(totals.resolvedConfirmed + totals.resolvedAssumed, totals.conversations),
      handoffRate: ratio(totals.handoffs, totals.conversations),
      avgFirstResponseMs: ratio(totals.firstResponseMsSum, totals.firstResponseCount),
      avgResponseMs: ratio(totals.responseMsSum, totals.responseCount),
      avgHumanAcceptMs: ratio(totals.humanAcceptMsSum, totals.humanAcceptCount),
      csatAverage: ratio(totals.csatSum, totals.csatCount),
    },
    topQuestions,
  };
}

const SCALARS = [
  'conversations',
  'messages',
  'answered',
  'unanswered',
  'resolvedConfirmed',
  'resolvedAssumed',
  'handoffs',
  'firstResponseMsSum',
  'firstResponseCount',
  'responseMsSum',
  'responseCount',
  'humanAcceptMsSum',
  'humanAcceptCount',
  'csatSum',
  'csatCount',
  'bookingsMade',
  'bookingsCancelled',
  'bookingsNoShow',
  'depositsCents',
  'depositsRefundedCents',
] as const satisfies readonly (keyof DayMetrics)[];

/** One CSV cell: quoted when needed; a leading = + - @ is defused so a spreadsheet never runs it as a formula. */
function cell(value: string | number): string {
  const text = typeof value === 'number' ? String(value) : /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * The report as CSV (RFC 4180, CRLF): one row per day, one column per counter — the scalar counters, then
 * `conversations_<channel>`, `messages_<channel>` and `handoffReason:<reason>` for every one present in the range.
 */
export function reportCsv(report: AnalyticsReport): string {
  const keysOf = (pick: (d: DayMetrics) => Readonly<Record<string, number>>): string[] => [...new Set(report.days.flatMap((d) => Object.keys(pick(d))))].sort();
  const conversationChannels = keysOf((d) => d.conversationsByChannel);
  const messageChannels = keysOf((d) => d.messagesByChannel);
  const reasons = keysOf((d) => d.handoffReasons);
  const header = [
    'day',
    ...SCALARS,
    ...conversationChannels.map((c) => `conversations_${c}`),
    ...messageChannels.map((c) => `messages_${c}`),
    ...reasons.map((r) => `handoffReason:${r}`),
  ];
  const rows = report.days.map((d) => [
    d.day,
    ...SCALARS.map((k) => d[k]),
    ...conversationChannels.map((c) => d.conversationsByChannel[c] ?? 0),
    ...messageChannels.map((c) => d.messagesByChannel[c] ?? 0),
    ...reasons.map((r) => d.handoffReasons[r] ?? 0),
  ]);
  return [header, ...rows].map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}
