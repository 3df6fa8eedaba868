/**
 * Local stand-ins for the three external calendar APIs, speaking just enough
 * of each wire format for the adapters in lambdas/adapters/calendar: node:http
 * on 127.0.0.1 and a random port, a bearer token checked on every request
 * (401 otherwise, in the provider's error shape), every request recorded, and
 * scripted failures (`failNext`) for throttling and outages.
 *
 * - Google Calendar API v3: client-chosen event ids (base32hex, 5–1024 chars, else 400), 409 on a duplicate id
 *   (deleted ids included, as Google does), PUT replaces and may revive, DELETE 204 / 410 (deleted) / 404.
 * - Microsoft Graph: POST /users/{id}/events and /me/events with `transactionId` deduplication, PATCH, DELETE 204 / 404.
 * - Calendly: /users/me, GET /scheduled_events (filters), POST /invitees on a known event type (slot taken → 400),
 *   GET /scheduled_events/{uuid}, POST /scheduled_events/{uuid}/cancellation (already cancelled → 403).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly authorization?: string;
  readonly body: unknown;
}

interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface ScriptedFailure {
  readonly status: number;
  /** The `Retry-After` header. */
  readonly retryAfter?: string;
  /** A body in the provider's error shape; default: its generic error for the status. */
  readonly body?: unknown;
}

export interface FakeProvider {
  /** The adapter's API base. */
  readonly baseUrl: string;
  /** The bearer token the fake accepts. */
  readonly token: string;
  readonly requests: RecordedRequest[];
  /** The next request (of any kind) fails like this, once per call. */
  failNext(...failures: ScriptedFailure[]): void;
  /** Forgets requests, scripted failures and stored events. */
  reset(): void;
  close(): Promise<void>;
}

type Route = (req: RecordedRequest) => Reply;

async function startFake(options: {
  token: string;
  prefix: string;
  errorBody: (status: number, message: string) => unknown;
  route: (base: string) => Route;
  reset: () => void;
}): Promise<FakeProvider> {
  const requests: RecordedRequest[] = [];
  const failures: ScriptedFailure[] = [];
  let route: Route = () => ({ status: 500 });

  const respond = (res: ServerResponse, reply: Reply): void => {
    const headers = { ...(reply.body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }), ...reply.headers };
    res.writeHead(reply.status, headers).end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        respond(res, { status: 400, body: options.errorBody(400, 'body is not JSON') });
        return;
      }
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname.startsWith(options.prefix) ? url.pathname.slice(options.prefix.length) : url.pathname,
        query: Object.fromEntries(url.searchParams),
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
        body,
      };
      requests.push(recorded);
      if (req.headers.authorization !== `Bearer ${options.token}`) {
        respond(res, { status: 401, body: options.errorBody(401, 'Request had invalid authentication credentials.') });
        return;
      }
      const failure = failures.shift();
      if (failure) {
        respond(res, {
          status: failure.status,
          body: failure.body ?? options.errorBody(failure.status, failure.status === 429 ? 'Rate limit exceeded' : 'Backend error'),
          ...(failure.retryAfter ? { headers: { 'retry-after': failure.retryAfter } } : {}),
        });
        return;
      }
      if (!url.pathname.startsWith(options.prefix)) {
        respond(res, { status: 404, body: options.errorBody(404, 'Not Found') });
        return;
      }
      try {
        respond(res, route(recorded));
      } catch (error) {
        respond(res, { status: 500, body: options.errorBody(500, error instanceof Error ? error.message : String(error)) });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the fake calendar server has no TCP address');
  const { port } = address;
  const origin = `http://127.0.0.1:${port}`;
  const baseUrl = `${origin}${options.prefix}`;
  route = options.route(baseUrl);
  return {
    baseUrl,
    token: options.token,
    requests,
    failNext: (...f) => failures.push(...f),
    reset: () => {
      requests.length = 0;
      failures.length = 0;
      options.reset();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined);
const field = (x: unknown, key: string): unknown => (isRecord(x) ? x[key] : undefined);

// ---- Google Calendar API v3 ----------------------------------------------------------------------

export interface GoogleStoredEvent {
  readonly calendarId: string;
  readonly id: string;
  readonly status: 'confirmed' | 'cancelled';
  readonly body: Readonly<Record<string, unknown>>;
}

export interface FakeGoogleCalendar extends FakeProvider {
  /** Every event ever created, by id (deleted ones with status `cancelled`, as Google keeps them). */
  readonly events: Map<string, GoogleStoredEvent>;
}

const googleError = (status: number, message: string, reason = status === 429 ? 'rateLimitExceeded' : 'backendError') => ({
  error: { code: status, message, errors: [{ domain: 'global', reason, message }] },
});

export async function startFakeGoogleCalendar(token = 'ya29.fake-google-token'): Promise<FakeGoogleCalendar> {
  const events = new Map<string, GoogleStoredEvent>();
  const fake = await startFake({
    token,
    prefix: '/calendar/v3',
    errorBody: (status, message) => googleError(status, message, status === 401 ? 'authError' : status === 404 ? 'notFound' : undefined),
    reset: () => events.clear(),
    route: () => (req) => {
      const m = /^\/calendars\/([^/]+)\/events(?:\/([^/]+))?$/.exec(req.path);
      if (!m || !m[1]) return { status: 404, body: googleError(404, 'Not Found', 'notFound') };
      const calendarId = decodeURIComponent(m[1]);
      const eventId = m[2] ? decodeURIComponent(m[2]) : undefined;
      const view = (e: GoogleStoredEvent) => ({ kind: 'calendar#event', ...e.body, id: e.id, status: e.status, htmlLink: `https://calendar.google.com/event?eid=${e.id}` });
      if (req.method === 'POST' && eventId === undefined) {
        const id = str(field(req.body, 'id'));
        if (id === undefined || !/^[a-v0-9]{5,1024}$/.test(id)) return { status: 400, body: googleError(400, 'Invalid resource id value.', 'invalid') };
        if (events.has(id)) return { status: 409, body: googleError(409, 'The requested identifier already exists.', 'duplicate') };
        const stored: GoogleStoredEvent = { calendarId, id, status: 'confirmed', body: isRecord(req.body) ? req.body : {} };
        events.set(id, stored);
        return { status: 200, body: view(stored) };
      }
      const existing = eventId === undefined ? undefined : events.get(eventId);
      if (!existing || eventId === undefined || existing.calendarId !== calendarId) return { status: 404, body: googleError(404, 'Not Found', 'notFound') };
      if (req.method === 'PUT') {
        const body = isRecord(req.body) ? req.body : {};
        const updated: GoogleStoredEvent = { calendarId, id: eventId, status: field(body, 'status') === 'cancelled' ? 'cancelled' : 'confirmed', body };
        events.set(eventId, updated);
        return { status: 200, body: view(updated) };
      }
      if (req.method === 'DELETE') {
        if (existing.status === 'cancelled') return { status: 410, body: googleError(410, 'Resource has been deleted', 'deleted') };
        events.set(eventId, { ...existing, status: 'cancelled' });
        return { status: 204 };
      }
      if (req.method === 'GET') return { status: 200, body: view(existing) };
      return { status: 405, body: googleError(405, 'Method not allowed') };
    },
  });
  return { ...fake, events };
}

// ---- Microsoft Graph -----------------------------------------------------------------------------

export interface GraphStoredEvent {
  readonly user: string;
  readonly id: string;
  readonly transactionId?: string;
  readonly body: Readonly<Record<string, unknown>>;
}

export interface FakeGraph extends FakeProvider {
  /** Live events by id (a DELETE removes them, as Graph does). */
  readonly events: Map<string, GraphStoredEvent>;
}

const graphError = (status: number, message: string) => ({
  error: {
    code: status === 401 ? 'InvalidAuthenticationToken' : status === 404 ? 'ErrorItemNotFound' : status === 429 ? 'ApplicationThrottled' : 'ServiceUnavailable',
    message,
    innerError: { 'request-id': randomUUID(), date: new Date().toISOString() },
  },
});

export async function startFakeGraph(token = 'eyJ0eXAi.fake-graph-token'): Promise<FakeGraph> {
  const events = new Map<string, GraphStoredEvent>();
  const fake = await startFake({
    token,
    prefix: '/v1.0',
    errorBody: graphError,
    reset: () => events.clear(),
    route: () => (req) => {
      const m = /^\/(?:users\/([^/]+)|me)\/events(?:\/([^/]+))?$/.exec(req.path);
      if (!m) return { status: 404, body: graphError(404, 'Resource not found for the segment.') };
      const user = m[1] ? decodeURIComponent(m[1]) : 'me';
      const eventId = m[2] ? decodeURIComponent(m[2]) : undefined;
      const view = (e: GraphStoredEvent) => ({ '@odata.etag': `W/"${randomUUID()}"`, ...e.body, id: e.id, ...(e.transactionId ? { transactionId: e.transactionId } : {}) });
      if (req.method === 'POST' && eventId === undefined) {
        const body = isRecord(req.body) ? req.body : {};
        if (!isRecord(body['start']) || !isRecord(body['end'])) return { status: 400, body: graphError(400, 'start and end are required') };
        const transactionId = str(body['transactionId']);
        const duplicate = transactionId ? [...events.values()].find((e) => e.user === user && e.transactionId === transactionId) : undefined;
        if (duplicate) return { status: 201, body: view(duplicate) };
        const rest = Object.fromEntries(Object.entries(body).filter(([k]) => k !== 'transactionId'));
        const stored: GraphStoredEvent = { user, id: `AAMkAG${randomUUID().replace(/-/g, '')}`, ...(transactionId ? { transactionId } : {}), body: rest };
        events.set(stored.id, stored);
        return { status: 201, body: view(stored) };
      }
      const existing = eventId === undefined ? undefined : events.get(eventId);
      if (!existing || existing.user !== user) return { status: 404, body: graphError(404, 'The specified object was not found in the store.') };
      if (req.method === 'PATCH') {
        const updated: GraphStoredEvent = { ...existing, body: { ...existing.body, ...(isRecord(req.body) ? req.body : {}) } };
        events.set(existing.id, updated);
        return { status: 200, body: view(updated) };
      }
      if (req.method === 'DELETE') {
        events.delete(existing.id);
        return { status: 204 };
      }
      if (req.method === 'GET') return { status: 200, body: view(existing) };
      return { status: 405, body: graphError(405, 'Method not allowed') };
    },
  });
  return { ...fake, events };
}

// ---- Calendly ------------------------------------------------------------------------------------

export interface CalendlyStoredEvent {
  readonly uuid: string;
  readonly eventType: string;
  readonly startTime: string;
  readonly status: 'active' | 'canceled';
  readonly invitee: { readonly name: string; readonly email: string; readonly timezone: string };
  readonly cancellationReason?: string;
}

export interface FakeCalendly extends FakeProvider {
  /** The event type the fake knows (`<base>/event_types/<uuid>`). */
  readonly eventTypeUri: string;
  readonly userUri: string;
  readonly events: Map<string, CalendlyStoredEvent>;
}

const calendlyError = (status: number, message: string) => ({
  title: status === 401 ? 'Unauthenticated' : status === 404 ? 'Resource Not Found' : status === 429 ? 'Too Many Requests' : status === 403 ? 'Permission Denied' : 'Invalid Argument',
  message,
});

/** Calendly events last as long as their event type says: 30 minutes here. */
const CALENDLY_EVENT_MINUTES = 30;

export async function startFakeCalendly(token = 'eyJraWQi.fake-calendly-token'): Promise<FakeCalendly> {
  const events = new Map<string, CalendlyStoredEvent>();
  const eventTypeUuid = 'ETFAKE0000000001';
  const userUuid = 'USERFAKE00000001';
  let base = '';
  const fake = await startFake({
    token,
    prefix: '',
    errorBody: calendlyError,
    reset: () => events.clear(),
    route: (baseUrl) => {
      base = baseUrl;
      const eventTypeUri = `${base}/event_types/${eventTypeUuid}`;
      const view = (e: CalendlyStoredEvent) => ({
        uri: `${base}/scheduled_events/${e.uuid}`,
        name: 'Appointment',
        status: e.status,
        start_time: e.startTime,
        end_time: new Date(Date.parse(e.startTime) + CALENDLY_EVENT_MINUTES * 60_000).toISOString(),
        event_type: e.eventType,
        event_memberships: [{ user: `${base}/users/${userUuid}` }],
      });
      return (req) => {
        if (req.method === 'GET' && req.path === '/users/me') {
          return { status: 200, body: { resource: { uri: `${base}/users/${userUuid}`, name: 'Fake Host', current_organization: `${base}/organizations/ORGFAKE` } } };
        }
        if (req.method === 'GET' && req.path === '/scheduled_events') {
          if (!req.query['user'] && !req.query['organization']) return { status: 400, body: calendlyError(400, 'user or organization is required') };
          if (req.query['user'] && req.query['user'] !== `${base}/users/${userUuid}`) return { status: 403, body: calendlyError(403, 'You do not have permission') };
          const min = req.query['min_start_time'] ? Date.parse(req.query['min_start_time']) : -Infinity;
          const max = req.query['max_start_time'] ? Date.parse(req.query['max_start_time']) : Infinity;
          const collection = [...events.values()]
            .filter((e) => (req.query['status'] ? e.status === req.query['status'] : true))
            .filter((e) => (req.query['invitee_email'] ? e.invitee.email === req.query['invitee_email'] : true))
            .filter((e) => Date.parse(e.startTime) >= min && Date.parse(e.startTime) < max)
            .map(view);
          return { status: 200, body: { collection, pagination: { count: collection.length, next_page: null } } };
        }
        if (req.method === 'POST' && req.path === '/invitees') {
          const eventType = str(field(req.body, 'event_type'));
          const startTime = str(field(req.body, 'start_time'));
          const invitee = field(req.body, 'invitee');
          const name = str(field(invitee, 'name'));
          const email = str(field(invitee, 'email'));
          const timezone = str(field(invitee, 'timezone'));
          if (eventType !== eventTypeUri) return { status: 404, body: calendlyError(404, 'The event type was not found') };
          if (!startTime || Number.isNaN(Date.parse(startTime)) || !name || !email || !timezone) {
            return { status: 400, body: calendlyError(400, 'The supplied parameters are invalid.') };
          }
          const taken = [...events.values()].some((e) => e.status === 'active' && e.eventType === eventType && Date.parse(e.startTime) === Date.parse(startTime));
          if (taken) return { status: 400, body: calendlyError(400, 'The selected time is no longer available.') };
          const stored: CalendlyStoredEvent = { uuid: randomUUID(), eventType, startTime: new Date(startTime).toISOString(), status: 'active', invitee: { name, email, timezone } };
          events.set(stored.uuid, stored);
          const inviteeUuid = randomUUID();
          return {
            status: 201,
            body: {
              resource: {
                uri: `${base}/scheduled_events/${stored.uuid}/invitees/${inviteeUuid}`,
                event: `${base}/scheduled_events/${stored.uuid}`,
                name,
                email,
                timezone,
                status: 'active',
                cancel_url: `https://calendly.com/cancellations/${inviteeUuid}`,
                reschedule_url: `https://calendly.com/reschedulings/${inviteeUuid}`,
              },
            },
          };
        }
        const one = /^\/scheduled_events\/([^/]+)(\/cancellation)?$/.exec(req.path);
        if (one && one[1]) {
          const existing = events.get(decodeURIComponent(one[1]));
          if (!existing) return { status: 404, body: calendlyError(404, 'The server could not find the requested resource.') };
          if (req.method === 'GET' && !one[2]) return { status: 200, body: { resource: view(existing) } };
          if (req.method === 'POST' && one[2]) {
            if (existing.status === 'canceled') return { status: 403, body: calendlyError(403, 'Event is already canceled') };
            const reason = str(field(req.body, 'reason'));
            events.set(existing.uuid, { ...existing, status: 'canceled', ...(reason ? { cancellationReason: reason } : {}) });
            return { status: 201, body: { resource: { canceled_by: 'Fake Host', reason: reason ?? null, canceler_type: 'host', created_at: new Date().toISOString() } } };
          }
        }
        return { status: 404, body: calendlyError(404, 'The server could not find the requested resource.') };
      };
    },
  });
  return { ...fake, eventTypeUri: `${fake.baseUrl}/event_types/${eventTypeUuid}`, userUri: `${fake.baseUrl}/users/${userUuid}`, events };
}
