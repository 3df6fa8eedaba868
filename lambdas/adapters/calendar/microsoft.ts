/**
 * Outlook / Microsoft 365 through Microsoft Graph as the Calendar.
 *
 * Idempotency: Graph's `transactionId` (here the booking id) makes a retried
 * `POST /events` return the event the first attempt created instead of a
 * duplicate. When that returned event does not show this booking's subject,
 * start and end (the booking was re-upserted with changes), it is PATCHed.
 * Deleting an event that is already gone (404) is success.
 *
 * Times are sent as UTC wall-clock times with `timeZone: "UTC"`: Graph accepts
 * Windows zone names and only a subset of IANA names on create, and UTC is in
 * every list; Outlook shows the event in each viewer's own zone anyway.
 */
import { z } from 'zod';
import type { Calendar, CalendarEvent } from '../../core/booking/ports';
import { callProvider, DEFAULT_TIMEOUT_MS, parseReply, trimBase, type BearerTokenProvider, type CallOptions } from './http';

export const MS_GRAPH_API_BASE = 'https://graph.microsoft.com/v1.0';

export interface MicrosoftCalendarOptions {
  readonly token: BearerTokenProvider;
  /** The mailbox (user principal name or object id); absent: `/me`, the token's own user (delegated tokens). */
  readonly user?: string;
  /** @default MS_GRAPH_API_BASE */
  readonly apiBase?: string;
  /** @default DEFAULT_TIMEOUT_MS */
  readonly timeoutMs?: number;
}

const dateTimeTimeZone = z.object({ dateTime: z.string(), timeZone: z.string() });
const graphEvent = z.object({ id: z.string().min(1), subject: z.string().nullish(), start: dateTimeTimeZone.nullish(), end: dateTimeTimeZone.nullish() });

/** `2025-12-04T14:00:00.000Z` → `2025-12-04T14:00:00` (Graph's dateTime, paired with timeZone UTC). */
function utcWallClock(iso: string): string {
  return new Date(iso).toISOString().slice(0, 19);
}

/** The instant a Graph dateTimeTimeZone in UTC stands for; undefined for any other zone (compared as "different"). */
function utcInstant(value: z.infer<typeof dateTimeTimeZone> | null | undefined): number | undefined {
  if (!value || value.timeZone !== 'UTC') return undefined;
  const at = Date.parse(`${value.dateTime.slice(0, 19)}Z`);
  return Number.isNaN(at) ? undefined : at;
}

export class MicrosoftCalendar implements Calendar {
  readonly provider = 'microsoft' as const;
  private readonly call: CallOptions;
  private readonly events: string;

  constructor(options: MicrosoftCalendarOptions) {
    this.call = { provider: 'microsoft', token: options.token, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS };
    const base = trimBase(options.apiBase ?? MS_GRAPH_API_BASE);
    this.events = options.user ? `${base}/users/${encodeURIComponent(options.user)}/events` : `${base}/me/events`;
  }

  async upsertEvent(event: CalendarEvent): Promise<{ eventId: string }> {
    const content = {
      subject: event.title,
      body: { contentType: 'text', content: event.description },
      start: { dateTime: utcWallClock(event.start), timeZone: 'UTC' },
      end: { dateTime: utcWallClock(event.end), timeZone: 'UTC' },
      attendees: event.attendeeEmail
        ? [{ type: 'required', emailAddress: { address: event.attendeeEmail, ...(event.attendeeName ? { name: event.attendeeName } : {}) } }]
        : [],
    };
    const created = parseReply(
      'microsoft',
      graphEvent,
      await callProvider(this.call, { method: 'POST', url: this.events, body: { ...content, transactionId: event.bookingId }, expect: [200, 201] }),
      'event create',
    );
    const same =
      created.subject === event.title && utcInstant(created.start) === Date.parse(event.start) && utcInstant(created.end) === Date.parse(event.end);
    if (!same) {
      await callProvider(this.call, { method: 'PATCH', url: `${this.events}/${encodeURIComponent(created.id)}`, body: content, expect: [200] });
    }
    return { eventId: created.id };
  }

  async deleteEvent(input: { tenantId: string; bookingId: string; eventId: string }): Promise<void> {
    await callProvider(this.call, { method: 'DELETE', url: `${this.events}/${encodeURIComponent(input.eventId)}`, expect: [200, 204, 404] });
  }
}
