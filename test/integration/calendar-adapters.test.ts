/**
 * The Calendar port's adapters against local fakes of Google Calendar, Microsoft Graph and Calendly
 * (test/support/fake-calendars.ts), built the way production builds them (calendarFromConfig over
 * loadConfig). One contract, run over all four: create, idempotent re-create, delete, delete-gone;
 * and over the three external ones: 429 → CalendarRetryableError, 401 → CalendarRejectedError.
 */
import fc from 'fast-check';
import type { Calendar, CalendarEvent } from '../../lambdas/core/booking/ports';
import { calendarFromConfig, CalendarRejectedError, CalendarRetryableError } from '../../lambdas/adapters/calendar';
import { base32hex, googleEventId } from '../../lambdas/adapters/calendar/google';
import { loadConfig } from '../../lambdas/adapters/config';
import { startFakeCalendly, startFakeGoogleCalendar, startFakeGraph, type FakeCalendly, type FakeGoogleCalendar, type FakeGraph, type FakeProvider } from '../support/fake-calendars';

let google: FakeGoogleCalendar;
let graph: FakeGraph;
let calendly: FakeCalendly;

beforeAll(async () => {
  [google, graph, calendly] = await Promise.all([startFakeGoogleCalendar(), startFakeGraph(), startFakeCalendly()]);
});
afterAll(async () => {
  await Promise.all([google.close(), graph.close(), calendly.close()]);
});
beforeEach(() => {
  for (const fake of [google, graph, calendly]) fake.reset();
});

const event: CalendarEvent = {
  tenantId: 'tenant-a',
  bookingId: 'bk_01HZX3R8',
  staffId: 'dr-byrne',
  title: 'Cleaning with Dr Byrne',
  description: 'Ann Murphy, +353 87 123 4567. Booked by the concierge.',
  // 14:00 in Dublin (winter time, UTC+0) on Thursday 4 December 2025.
  start: '2025-12-04T14:00:00.000Z',
  end: '2025-12-04T14:30:00.000Z',
  timezone: 'Europe/Dublin',
  attendeeEmail: 'ann@example.com',
  attendeeName: 'Ann Murphy',
};

/** An adapter under contract: how to build it from environment variables, and what its fake holds. */
interface Subject {
  readonly name: 'builtin' | 'google' | 'microsoft' | 'calendly';
  readonly env: (token?: string) => NodeJS.ProcessEnv;
  readonly fake?: () => FakeProvider;
  /** The live events in the provider, with start/end as epoch ms and the attendee. */
  readonly live: () => Array<{ id: string; start: number; end: number; attendee?: string }>;
}

const subjects: readonly Subject[] = [
  { name: 'builtin', env: () => ({}), live: () => [] },
  {
    name: 'google',
    env: (token = google.token) => ({ CALENDAR_PROVIDER: 'google', GOOGLE_CALENDAR_ID: 'clinic@group.calendar.google.com', GOOGLE_ACCESS_TOKEN: token, GOOGLE_CALENDAR_API_BASE: google.baseUrl }),
    fake: () => google,
    live: () =>
      [...google.events.values()]
        .filter((e) => e.status === 'confirmed')
        .map((e) => {
          const start = e.body['start'];
          const end = e.body['end'];
          const attendees = e.body['attendees'];
          return {
            id: e.id,
            start: Date.parse(String(typeof start === 'object' && start !== null && 'dateTime' in start ? start.dateTime : '')),
            end: Date.parse(String(typeof end === 'object' && end !== null && 'dateTime' in end ? end.dateTime : '')),
            attendee: Array.isArray(attendees) ? String(attendees[0]?.email) : undefined,
          };
        }),
  },
  {
    name: 'microsoft',
    env: (token = graph.token) => ({ CALENDAR_PROVIDER: 'microsoft', MS_GRAPH_TOKEN: token, MS_CALENDAR_USER: 'bookings@clinic.example', MS_GRAPH_API_BASE: graph.baseUrl }),
    fake: () => graph,
    live: () =>
      [...graph.events.values()].map((e) => {
        const start = e.body['start'];
        const end = e.body['end'];
        const attendees = e.body['attendees'];
        const utc = (v: unknown) => (typeof v === 'object' && v !== null && 'dateTime' in v && 'timeZone' in v && v.timeZone === 'UTC' ? Date.parse(`${String(v.dateTime)}Z`) : NaN);
        return { id: e.id, start: utc(start), end: utc(end), attendee: Array.isArray(attendees) ? String(attendees[0]?.emailAddress?.address) : undefined };
      }),
  },
  {
    name: 'calendly',
    env: (token = calendly.token) => ({ CALENDAR_PROVIDER: 'calendly', CALENDLY_TOKEN: token, CALENDLY_EVENT_TYPE_URI: calendly.eventTypeUri, CALENDLY_API_BASE: calendly.baseUrl }),
    fake: () => calendly,
    // Calendly's event lasts as long as its event type (30 minutes in the fake), which matches the booking here.
    live: () =>
      [...calendly.events.values()]
        .filter((e) => e.status === 'active')
        .map((e) => ({ id: e.uuid, start: Date.parse(e.startTime), end: Date.parse(e.startTime) + 30 * 60_000, attendee: e.invitee.email })),
  },
];

const build = (subject: Subject, token?: string): Calendar => calendarFromConfig(loadConfig([], subject.env(token)));

describe.each(subjects)('$name calendar: the contract', (subject) => {
  it('creates the event at the booking time with the customer as attendee', async () => {
    const calendar = build(subject);
    expect(calendar.provider).toBe(subject.name);
    const { eventId } = await calendar.upsertEvent(event);
    if (subject.name === 'builtin') {
      expect(eventId).toBe(`builtin:${event.bookingId}`);
      return;
    }
    expect(subject.live()).toEqual([{ id: eventId, start: Date.parse(event.start), end: Date.parse(event.end), attendee: event.attendeeEmail }]);
    for (const request of subject.fake?.().requests ?? []) expect(request.authorization).toBe(`Bearer ${subject.fake?.().token}`);
  });

  it('is idempotent: creating the same booking again keeps one event and returns its id', async () => {
    const calendar = build(subject);
    const first = await calendar.upsertEvent(event);
    const again = await calendar.upsertEvent(event);
    expect(again.eventId).toBe(first.eventId);
    if (subject.name !== 'builtin') expect(subject.live().map((e) => e.id)).toEqual([first.eventId]);
  });

  it('deletes the event', async () => {
    const calendar = build(subject);
    const { eventId } = await calendar.upsertEvent(event);
    await calendar.deleteEvent({ tenantId: event.tenantId, bookingId: event.bookingId, eventId });
    expect(subject.live()).toEqual([]);
  });

  it('treats deleting an event that is already gone as done', async () => {
    const calendar = build(subject);
    const { eventId } = await calendar.upsertEvent(event);
    await calendar.deleteEvent({ tenantId: event.tenantId, bookingId: event.bookingId, eventId });
    await expect(calendar.deleteEvent({ tenantId: event.tenantId, bookingId: event.bookingId, eventId })).resolves.toBeUndefined();
    const neverExisted = subject.name === 'google' ? googleEventId('tenant-a', 'bk_never') : 'never-existed-0000';
    await expect(calendar.deleteEvent({ tenantId: event.tenantId, bookingId: 'bk_never', eventId: neverExisted })).resolves.toBeUndefined();
  });
});

describe.each(subjects.filter((s) => s.name !== 'builtin'))('$name calendar: failures', (subject) => {
  it('429 → CalendarRetryableError with the Retry-After the provider gave', async () => {
    subject.fake?.().failNext({ status: 429, retryAfter: '7' });
    const error = await build(subject).upsertEvent(event).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CalendarRetryableError);
    expect(error).toMatchObject({ name: 'CalendarRetryableError', provider: subject.name, status: 429, retryAfterSeconds: 7, retryable: true });
    expect(subject.live()).toEqual([]);
  });

  it('503 and a refused connection are retryable too', async () => {
    subject.fake?.().failNext({ status: 503 });
    await expect(build(subject).upsertEvent(event)).rejects.toBeInstanceOf(CalendarRetryableError);
    const closed = { ...subject, env: () => ({ ...subject.env(), [`${subject.name === 'google' ? 'GOOGLE_CALENDAR' : subject.name === 'microsoft' ? 'MS_GRAPH' : 'CALENDLY'}_API_BASE`]: 'http://127.0.0.1:9/api' }) };
    await expect(build(closed).upsertEvent(event)).rejects.toMatchObject({ name: 'CalendarRetryableError' });
  });

  it('401 → CalendarRejectedError (not retryable), and the token is not in the message', async () => {
    const wrongToken = 'revoked-token-SECRET-123';
    const error = await build(subject, wrongToken).upsertEvent(event).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CalendarRejectedError);
    expect(error).toMatchObject({ name: 'CalendarRejectedError', provider: subject.name, status: 401, retryable: false });
    expect(String(error instanceof Error ? error.message : error)).not.toContain('SECRET');
    expect(subject.fake?.().requests.at(-1)?.authorization).toBe(`Bearer ${wrongToken}`);
  });

  it('401 on delete is rejected too, never taken for "already gone"', async () => {
    const { eventId } = await build(subject).upsertEvent(event);
    await expect(build(subject, 'expired').deleteEvent({ tenantId: event.tenantId, bookingId: event.bookingId, eventId })).rejects.toBeInstanceOf(CalendarRejectedError);
    expect(subject.live()).toHaveLength(1);
  });
});

describe('google specifics', () => {
  const googleSubject = subjects[1];
  if (!googleSubject) throw new Error('no google subject');

  it('event ids are base32hex, 5–1024 characters, distinct per tenant and booking, and stable', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 64 }), fc.string({ minLength: 1, maxLength: 700 }), (tenantId, bookingId) => {
        const id = googleEventId(tenantId, bookingId);
        expect(id).toMatch(/^[a-v0-9]{5,1024}$/);
        expect(googleEventId(tenantId, bookingId)).toBe(id);
      }),
    );
    expect(googleEventId('tenant-a', 'bk1')).not.toBe(googleEventId('tenant-b', 'bk1'));
    // RFC 4648 test vector, lower case and unpadded.
    expect(base32hex(new TextEncoder().encode('foobar'))).toBe('cpnmuoj1e8');
  });

  it('sends the booking time zone, no invitations, and the booking id in private properties', async () => {
    const { eventId } = await build(googleSubject).upsertEvent(event);
    const create = google.requests.find((r) => r.method === 'POST');
    expect(create?.path).toBe('/calendars/clinic%40group.calendar.google.com/events');
    expect(create?.query).toEqual({ sendUpdates: 'none' });
    expect(create?.body).toMatchObject({
      id: eventId,
      summary: event.title,
      description: event.description,
      start: { dateTime: event.start, timeZone: 'Europe/Dublin' },
      end: { dateTime: event.end, timeZone: 'Europe/Dublin' },
      attendees: [{ email: 'ann@example.com' }],
      extendedProperties: { private: { conciergeTenantId: 'tenant-a', conciergeBookingId: event.bookingId } },
    });
  });

  it('re-creating after a delete revives the event (Google keeps deleted ids: 409 → PUT confirmed)', async () => {
    const calendar = build(googleSubject);
    const { eventId } = await calendar.upsertEvent(event);
    await calendar.deleteEvent({ tenantId: event.tenantId, bookingId: event.bookingId, eventId });
    await calendar.upsertEvent({ ...event, start: '2025-12-04T15:00:00.000Z', end: '2025-12-04T15:30:00.000Z' });
    expect(google.requests.map((r) => r.method)).toEqual(['POST', 'DELETE', 'POST', 'PUT']);
    expect(googleSubject.live()).toEqual([{ id: eventId, start: Date.parse('2025-12-04T15:00:00.000Z'), end: Date.parse('2025-12-04T15:30:00.000Z'), attendee: 'ann@example.com' }]);
  });

  it('a 403 rate-limit reason is throttling (retryable); a plain 403 is a refusal', async () => {
    const rateLimited = { error: { code: 403, message: 'Rate Limit Exceeded', errors: [{ domain: 'usageLimits', reason: 'userRateLimitExceeded', message: 'Rate Limit Exceeded' }] } };
    google.failNext({ status: 403, body: rateLimited });
    await expect(build(googleSubject).upsertEvent(event)).rejects.toBeInstanceOf(CalendarRetryableError);
    const forbidden = { error: { code: 403, message: 'The caller does not have permission', errors: [{ domain: 'global', reason: 'forbidden', message: 'Forbidden' }] } };
    google.failNext({ status: 403, body: forbidden });
    await expect(build(googleSubject).upsertEvent(event)).rejects.toMatchObject({ name: 'CalendarRejectedError', status: 403, message: expect.stringContaining('The caller does not have permission') });
  });
});

describe('microsoft specifics', () => {
  const msSubject = subjects[2];
  if (!msSubject) throw new Error('no microsoft subject');

  it('posts to the mailbox with transactionId = bookingId and UTC times', async () => {
    await build(msSubject).upsertEvent(event);
    expect(graph.requests).toHaveLength(1);
    expect(graph.requests[0]).toMatchObject({
      method: 'POST',
      path: '/users/bookings%40clinic.example/events',
      body: {
        subject: event.title,
        body: { contentType: 'text', content: event.description },
        start: { dateTime: '2025-12-04T14:00:00', timeZone: 'UTC' },
        end: { dateTime: '2025-12-04T14:30:00', timeZone: 'UTC' },
        attendees: [{ type: 'required', emailAddress: { address: 'ann@example.com', name: 'Ann Murphy' } }],
        transactionId: event.bookingId,
      },
    });
  });

  it('an upsert with new times for the same booking PATCHes the existing event', async () => {
    const calendar = build(msSubject);
    const { eventId } = await calendar.upsertEvent(event);
    const moved = await calendar.upsertEvent({ ...event, start: '2025-12-05T09:00:00.000Z', end: '2025-12-05T09:30:00.000Z' });
    expect(moved.eventId).toBe(eventId);
    expect(graph.requests.map((r) => r.method)).toEqual(['POST', 'POST', 'PATCH']);
    expect(msSubject.live()).toEqual([{ id: eventId, start: Date.parse('2025-12-05T09:00:00.000Z'), end: Date.parse('2025-12-05T09:30:00.000Z'), attendee: 'ann@example.com' }]);
  });

  it('without MS_CALENDAR_USER it writes the token owner’s calendar (/me)', async () => {
    const env = msSubject.env();
    delete env['MS_CALENDAR_USER'];
    await calendarFromConfig(loadConfig([], env)).upsertEvent(event);
    expect(graph.requests[0]?.path).toBe('/me/events');
  });
});

describe('calendly specifics', () => {
  const calendlySubject = subjects[3];
  if (!calendlySubject) throw new Error('no calendly subject');

  it('books an invitee on the configured event type, with name, e-mail and time zone', async () => {
    await build(calendlySubject).upsertEvent(event);
    const create = calendly.requests.find((r) => r.method === 'POST' && r.path === '/invitees');
    expect(create?.body).toEqual({
      event_type: calendly.eventTypeUri,
      start_time: event.start,
      invitee: { name: 'Ann Murphy', email: 'ann@example.com', timezone: 'Europe/Dublin' },
    });
    const lookup = calendly.requests.find((r) => r.method === 'GET' && r.path === '/scheduled_events');
    expect(lookup?.query).toMatchObject({ user: calendly.userUri, invitee_email: 'ann@example.com', status: 'active', min_start_time: event.start });
  });

  it('cancels through /scheduled_events/{uuid}/cancellation', async () => {
    const calendar = build(calendlySubject);
    const { eventId } = await calendar.upsertEvent(event);
    await calendar.deleteEvent({ tenantId: event.tenantId, bookingId: event.bookingId, eventId });
    expect(calendly.requests.filter((r) => r.method === 'POST').map((r) => r.path)).toEqual(['/invitees', `/scheduled_events/${eventId}/cancellation`]);
    expect(calendly.events.get(eventId)).toMatchObject({ status: 'canceled', cancellationReason: 'Cancelled in Concierge' });
  });

  it('refuses a booking without an e-mail before calling Calendly', async () => {
    const { attendeeEmail: _omitted, ...withoutEmail } = event;
    await expect(build(calendlySubject).upsertEvent(withoutEmail)).rejects.toMatchObject({ name: 'CalendarRejectedError', provider: 'calendly' });
    expect(calendly.requests).toEqual([]);
  });
});

describe('calendarFromConfig', () => {
  it('defaults to the built-in calendar', () => {
    expect(calendarFromConfig(loadConfig([], {})).provider).toBe('builtin');
  });

  it.each([
    [{ CALENDAR_PROVIDER: 'google', GOOGLE_CALENDAR_ID: 'primary' }, 'GOOGLE_ACCESS_TOKEN is not set (CALENDAR_PROVIDER is google)'],
    [{ CALENDAR_PROVIDER: 'google' }, 'GOOGLE_CALENDAR_ID, GOOGLE_ACCESS_TOKEN are not set'],
    [{ CALENDAR_PROVIDER: 'microsoft' }, 'MS_GRAPH_TOKEN is not set (CALENDAR_PROVIDER is microsoft)'],
    [{ CALENDAR_PROVIDER: 'calendly', CALENDLY_TOKEN: 'tok-SECRET' }, 'CALENDLY_EVENT_TYPE_URI is not set (CALENDAR_PROVIDER is calendly)'],
  ])('fails fast without credentials: %j', (env, message) => {
    const attempt = () => calendarFromConfig(loadConfig([], env));
    expect(attempt).toThrow(message);
    expect(attempt).not.toThrow(/SECRET/);
  });

  it('rejects an unknown provider or a malformed base URL at load time', () => {
    expect(() => loadConfig([], { CALENDAR_PROVIDER: 'outlook' })).toThrow(/CALENDAR_PROVIDER/);
    expect(() => loadConfig([], { CALENDAR_PROVIDER: 'google', GOOGLE_CALENDAR_API_BASE: 'not a url' })).toThrow(/GOOGLE_CALENDAR_API_BASE/);
  });

  it('takes a refreshing token source instead of a static token', async () => {
    let calls = 0;
    const calendar = calendarFromConfig(loadConfig([], { CALENDAR_PROVIDER: 'google', GOOGLE_CALENDAR_ID: 'primary', GOOGLE_CALENDAR_API_BASE: google.baseUrl }), {
      googleToken: async () => {
        calls += 1;
        return google.token;
      },
    });
    await calendar.upsertEvent(event);
    expect(calls).toBe(1);
    expect(google.requests[0]?.path).toBe('/calendars/primary/events');
  });
});
