/**
 * Calendly as the Calendar — within what Calendly allows.
 *
 * Limitation: Calendly does not let a third party write arbitrary events into
 * a host's calendar. What its Scheduling API offers is booking an invitee on
 * one of the host's event types (`POST /invitees` with the event type, the
 * start time and the invitee's name, e-mail and time zone), which creates a
 * Calendly scheduled event. So with this adapter:
 * - every booking becomes an invitee of ONE configured event type, whatever the service or staff member: the
 *   event's length is the event type's, not the service's, and the host is whoever Calendly assigns;
 * - the customer's e-mail is required (Calendly's invitee needs one): a booking without it is refused
 *   (CalendarRejectedError), and Calendly itself e-mails the invitee;
 * - Calendly checks the host's availability itself: a time Concierge offers but the host's Calendly
 *   does not is refused (a 4xx → CalendarRejectedError);
 * - an event cannot be moved: Concierge reschedules by replacing the booking, whose new event is created while
 *   the old one is cancelled (`POST /scheduled_events/{uuid}/cancellation`).
 * Idempotency: Calendly has no idempotency key, so before creating, the host's active events for that invitee
 * at that start time are looked up; a retried create finds the first attempt's event.
 */
import { z } from 'zod';
import type { Calendar, CalendarEvent } from '../../core/booking/ports';
import { CalendarRejectedError } from './errors';
import { callProvider, DEFAULT_TIMEOUT_MS, parseReply, trimBase, type BearerTokenProvider, type CallOptions } from './http';

export const CALENDLY_API_BASE = 'https://api.calendly.com';

export interface CalendlyCalendarOptions {
  readonly token: BearerTokenProvider;
  /** The event type bookings become invitees of (`https://api.calendly.com/event_types/<uuid>`). */
  readonly eventTypeUri: string;
  /** @default CALENDLY_API_BASE */
  readonly apiBase?: string;
  /** @default DEFAULT_TIMEOUT_MS */
  readonly timeoutMs?: number;
}

const me = z.object({ resource: z.object({ uri: z.string().min(1) }) });
const scheduledEvents = z.object({
  collection: z.array(z.object({ uri: z.string(), event_type: z.string().nullish(), start_time: z.string(), status: z.string() })),
});
const scheduledEvent = z.object({ resource: z.object({ uri: z.string(), status: z.string() }) });
const createdInvitee = z.object({ resource: z.object({ uri: z.string(), event: z.string().min(1) }) });

/** The uuid at the end of a scheduled event's URI. */
function uuidOf(uri: string): string {
  const last = uri.replace(/\/+$/, '').split('/').pop();
  if (!last) throw new Error(`not a Calendly resource URI: ${uri}`);
  return last;
}

export class CalendlyCalendar implements Calendar {
  readonly provider = 'calendly' as const;
  private readonly call: CallOptions;
  private readonly base: string;
  private userUri: Promise<string> | undefined;

  constructor(private readonly options: CalendlyCalendarOptions) {
    this.call = { provider: 'calendly', token: options.token, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS };
    this.base = trimBase(options.apiBase ?? CALENDLY_API_BASE);
  }

  async upsertEvent(event: CalendarEvent): Promise<{ eventId: string }> {
    if (!event.attendeeEmail) {
      throw new CalendarRejectedError('calendly', 'a Calendly invitee needs an e-mail address and this booking has none');
    }
    const existing = await this.findEvent(event.attendeeEmail, event.start);
    if (existing) return { eventId: existing };
    const reply = await callProvider(this.call, {
      method: 'POST',
      url: `${this.base}/invitees`,
      body: {
        event_type: this.options.eventTypeUri,
        start_time: new Date(event.start).toISOString(),
        invitee: { name: event.attendeeName ?? event.attendeeEmail, email: event.attendeeEmail, timezone: event.timezone },
      },
      expect: [200, 201],
    });
    return { eventId: uuidOf(parseReply('calendly', createdInvitee, reply, 'invitee create').resource.event) };
  }

  async deleteEvent(input: { tenantId: string; bookingId: string; eventId: string }): Promise<void> {
    const url = `${this.base}/scheduled_events/${encodeURIComponent(input.eventId)}`;
    const current = await callProvider(this.call, { method: 'GET', url, expect: [200, 404] });
    if (current.status === 404 || parseReply('calendly', scheduledEvent, current, 'scheduled event').resource.status === 'canceled') return;
    await callProvider(this.call, { method: 'POST', url: `${url}/cancellation`, body: { reason: 'Cancelled in Concierge' }, expect: [200, 201, 404] });
  }

  /** The uuid of the token owner's active event of this event type, for this invitee, starting at `start`. */
  private async findEvent(email: string, start: string): Promise<string | undefined> {
    const at = Date.parse(start);
    const query = new URLSearchParams({
      user: await this.user(),
      invitee_email: email,
      status: 'active',
      min_start_time: new Date(at).toISOString(),
      max_start_time: new Date(at + 60_000).toISOString(),
      count: '100',
    });
    const reply = await callProvider(this.call, { method: 'GET', url: `${this.base}/scheduled_events?${query.toString()}`, expect: [200] });
    const match = parseReply('calendly', scheduledEvents, reply, 'scheduled events').collection.find(
      (e) => e.status === 'active' && e.event_type === this.options.eventTypeUri && Date.parse(e.start_time) === at,
    );
    return match ? uuidOf(match.uri) : undefined;
  }

  private user(): Promise<string> {
    this.userUri ??= callProvider(this.call, { method: 'GET', url: `${this.base}/users/me`, expect: [200] })
      .then((reply) => parseReply('calendly', me, reply, 'current user').resource.uri)
      .catch((error: unknown) => {
        this.userUri = undefined;
        throw error;
      });
    return this.userUri;
  }
}
