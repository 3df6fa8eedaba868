/**
 * Google Calendar (API v3) as the Calendar.
 *
 * Idempotency comes from Google itself: the event id is chosen by us,
 * derived from the tenant and booking ids (base32hex, as Google requires of
 * client-chosen ids), so a retried create either creates the event or gets
 * 409 "already exists" — and then the same event is replaced with PUT. A PUT
 * also revives an event deleted earlier (Google keeps deleted ids, so their
 * re-create is a 409 too), since the body says `status: confirmed`.
 * Deleting an event that is already gone (404, 410) is success.
 *
 * Google sends the attendee no invitation (`sendUpdates=none`): Concierge
 * sends its own confirmation in the customer's language and channel.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Calendar, CalendarEvent } from '../../core/booking/ports';
import { callProvider, DEFAULT_TIMEOUT_MS, parseReply, trimBase, type BearerTokenProvider, type CallOptions } from './http';

export const GOOGLE_CALENDAR_API_BASE = 'https://www.googleapis.com/calendar/v3';

export interface GoogleCalendarOptions {
  /** The calendar to write (`primary`, or the calendar's id such as `abc@group.calendar.google.com`). */
  readonly calendarId: string;
  readonly token: BearerTokenProvider;
  /** @default GOOGLE_CALENDAR_API_BASE */
  readonly apiBase?: string;
  /** @default DEFAULT_TIMEOUT_MS */
  readonly timeoutMs?: number;
}

const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';

/** RFC 4648 base32hex of the bytes, lower case, without padding: exactly the characters Google allows in event ids. */
export function base32hex(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32HEX[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32HEX[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * The Google event id of a booking: base32hex of `tenantId/bookingId` (readable back, 5–1024 characters of
 * a-v and 0-9, as Google requires); ids too long for that fall back to base32hex of their SHA-256.
 */
export function googleEventId(tenantId: string, bookingId: string): string {
  const raw = new TextEncoder().encode(`${tenantId}/${bookingId}`);
  const id = base32hex(raw);
  return id.length <= 1024 ? id : base32hex(createHash('sha256').update(raw).digest());
}

const eventReply = z.object({ id: z.string().min(1) });
const googleErrorReasons = z.object({ error: z.object({ errors: z.array(z.object({ reason: z.string() })).optional() }) });

/** Google reports per-user and per-project quota exhaustion as 403 with these reasons: throttling, not a refusal. */
function isGoogleThrottled(status: number, body: unknown): boolean {
  if (status !== 403) return false;
  const parsed = googleErrorReasons.safeParse(body);
  return parsed.success && (parsed.data.error.errors ?? []).some((e) => e.reason === 'rateLimitExceeded' || e.reason === 'userRateLimitExceeded');
}

export class GoogleCalendar implements Calendar {
  readonly provider = 'google' as const;
  private readonly call: CallOptions;
  private readonly events: string;

  constructor(options: GoogleCalendarOptions) {
    this.call = { provider: 'google', token: options.token, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, isThrottled: isGoogleThrottled };
    this.events = `${trimBase(options.apiBase ?? GOOGLE_CALENDAR_API_BASE)}/calendars/${encodeURIComponent(options.calendarId)}/events`;
  }

  async upsertEvent(event: CalendarEvent): Promise<{ eventId: string }> {
    const id = googleEventId(event.tenantId, event.bookingId);
    const body = {
      id,
      status: 'confirmed',
      summary: event.title,
      description: event.description,
      start: { dateTime: event.start, timeZone: event.timezone },
      end: { dateTime: event.end, timeZone: event.timezone },
      ...(event.attendeeEmail ? { attendees: [{ email: event.attendeeEmail }] } : {}),
      extendedProperties: { private: { conciergeTenantId: event.tenantId, conciergeBookingId: event.bookingId, conciergeStaffId: event.staffId } },
    };
    const created = await callProvider(this.call, { method: 'POST', url: `${this.events}?sendUpdates=none`, body, expect: [200, 409] });
    if (created.status === 409) {
      const replaced = await callProvider(this.call, { method: 'PUT', url: `${this.events}/${id}?sendUpdates=none`, body, expect: [200] });
      return { eventId: parseReply('google', eventReply, replaced, 'event update').id };
    }
    return { eventId: parseReply('google', eventReply, created, 'event insert').id };
  }

  async deleteEvent(input: { tenantId: string; bookingId: string; eventId: string }): Promise<void> {
    await callProvider(this.call, {
      method: 'DELETE',
      url: `${this.events}/${encodeURIComponent(input.eventId)}?sendUpdates=none`,
      expect: [200, 204, 404, 410],
    });
  }
}
