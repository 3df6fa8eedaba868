import { apiGatewayEvent } from '../support/api-gateway-event';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { restApi } from '../../lambdas/handlers/lib/rest';
import { badRequest } from '../../lambdas/core/errors';
import type { StaffAccessChange } from '../../lambdas/core/handoff-ports';

const context = { awsRequestId: 'req-1', functionName: 'publicApi', getRemainingTimeInMillis: () => 1000 } as unknown as Context;

const event = (method: string, resource: string, extra: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent =>
  apiGatewayEvent(method, resource, { authorizer: null }, extra);

/** Staff members' latest access changes, by `tenant/sub` (the table's staff directory in the functions). */
const accessChanges = new Map<string, StaffAccessChange>();

describe('restApi', () => {
  it('refuses to build when a declared route has no handler', () => {
    expect(() => restApi('publicApi', { getHealth: async () => ({ body: {} }) })).toThrow(/routes without handlers \[getWidgetConfig\]/);
  });

  const handler = restApi('adminApi', {
    getMe: async (r) => ({ body: { tenant: r.caller?.tenantId } }),
    listConversations: async () => {
      throw badRequest('limit: too big', 'limit');
    },
    getConversation: async () => {
      throw new Error('database exploded at /secret/path');
    },
    getKnowledgeBase: async () => ({ body: {} }),
    getKnowledgeStatus: async () => ({ body: {} }),
    getFaq: async () => ({ body: {} }),
    getDocument: async () => ({ body: {} }),
    importKnowledgeBase: async (r) => ({ body: r.body }),
    testQuestion: async () => ({ body: {} }),
    putFaq: async () => ({ body: {} }),
    deleteFaq: async () => ({ body: {} }),
    putDocument: async () => ({ body: {} }),
    deleteDocument: async () => ({ body: {} }),
    listRelatedConversations: async () => ({ body: { items: [] } }),
  }, { staffAccess: () => ({ getStaffAccessChange: async (tenantId, sub) => accessChanges.get(`${tenantId}/${sub}`) }) });

  it('answers 401 on a staff route without an authorizer context', async () => {
    const res = await handler(event('GET', '/v1/admin/me'), context);
    expect(res.statusCode).toBe(401);
    expect(JSON.parse(res.body)).toEqual({ error: { code: 'unauthorized', message: 'sign in to use this route' } });
  });

  const agent = { sub: 'u1', email: 'a@example.com', tenantId: 'demo', groups: 'agent' };
  const admin = { ...agent, groups: 'admin,agent' };

  it('passes the tenant from the token to the route', async () => {
    const res = await handler(event('GET', '/v1/admin/me', { requestContext: { authorizer: agent } as unknown as APIGatewayProxyEvent['requestContext'] }), context);
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ tenant: 'demo' });
  });

  it('answers 403 to an agent on an admin-only route', async () => {
    const res = await handler(event('PUT', '/v1/admin/knowledge', { body: '{}', requestContext: { authorizer: agent } as unknown as APIGatewayProxyEvent['requestContext'] }), context);
    expect(res.statusCode).toBe(403);
  });

  it('refuses a disabled member for a day, and holds a token issued before a demotion to the new role', async () => {
    const as = (authorizer: Record<string, string>, method = 'PUT', resource = '/v1/admin/knowledge') =>
      // A malformed body: an admin gets 400 for it (nothing is written), anyone else is refused first.
      handler(event(method, resource, { body: method === 'GET' ? null : '{"a":', requestContext: { authorizer } as unknown as APIGatewayProxyEvent['requestContext'] }), context);
    const now = Math.floor(Date.now() / 1000);
    const issued = now - 600;
    const token = (sub: string, iat = issued) => ({ ...admin, sub, iat: String(iat) });
    accessChanges.set('demo/disabled', { disabledAt: issued + 60 });
    accessChanges.set('demo/disabled-long-ago', { disabledAt: now - 24 * 3600 - 1 });
    accessChanges.set('demo/demoted', { role: { changedAt: issued + 60, groups: ['agent'] } });
    accessChanges.set('other/untouched', { disabledAt: issued + 60 });

    expect((await as(token('disabled'), 'GET', '/v1/admin/me')).statusCode).toBe(401);
    // A token issued since (the local Cognito gives a disabled account one; the admin UI asks for it on a 401).
    expect((await as(token('disabled', now), 'GET', '/v1/admin/me')).statusCode).toBe(401);
    // A day on, no token from before the disable is alive: the record no longer decides (TTL deletes it lazily).
    expect((await as(token('disabled-long-ago', now), 'GET', '/v1/admin/me')).statusCode).toBe(200);
    expect((await as(token('demoted'))).statusCode).toBe(403);
    expect((await as({ ...admin, sub: 'demoted' })).statusCode).toBe(403); // no iat: counts as issued before
    expect((await as(token('demoted', issued + 60))).statusCode).toBe(403); // the same second counts as before
    expect((await as(token('demoted'), 'GET', '/v1/admin/me')).statusCode).toBe(200);
    expect((await as(token('demoted', issued + 61))).statusCode).toBe(400); // a token Cognito issued since says the role itself
    // The change is the member's in their tenant only.
    expect((await as(token('untouched'))).statusCode).toBe(400);
  });

  it('answers 400 naming the problem for malformed JSON', async () => {
    const res = await handler(event('PUT', '/v1/admin/knowledge', { body: '{"a":', requestContext: { authorizer: admin } as unknown as APIGatewayProxyEvent['requestContext'] }), context);
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).error.message).toMatch(/not valid JSON/);
  });

  it('maps named errors with their field', async () => {
    const res = await handler(event('GET', '/v1/admin/conversations', { requestContext: { authorizer: agent } as unknown as APIGatewayProxyEvent['requestContext'] }), context);
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).error.field).toBe('limit');
  });

  it('hides unknown errors behind a 500 with a correlation id', async () => {
    const res = await handler(
      event('GET', '/v1/admin/conversations/{conversationId}', { requestContext: { authorizer: agent } as unknown as APIGatewayProxyEvent['requestContext'] }),
      context,
    );
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('/secret/path');
    expect(JSON.parse(res.body).error.correlationId).toBe('req-1');
  });
});

describe('CORS from CORS_ALLOWED_ORIGINS (as the stack sets it)', () => {
  const build = (origins: string | undefined) => {
    const before = process.env['CORS_ALLOWED_ORIGINS'];
    if (origins === undefined) delete process.env['CORS_ALLOWED_ORIGINS'];
    else process.env['CORS_ALLOWED_ORIGINS'] = origins;
    try {
      return restApi('publicApi', { getHealth: async () => ({ body: { ok: true } }), getWidgetConfig: async () => ({ body: {} }) });
    } finally {
      if (before === undefined) delete process.env['CORS_ALLOWED_ORIGINS'];
      else process.env['CORS_ALLOWED_ORIGINS'] = before;
    }
  };
  const health = (origin?: string, method = 'GET') => event(method, '/v1/health', origin ? { headers: { Origin: origin } } : {});

  it('echoes an allowed origin (any case, with Vary: Origin), on answers, errors and preflights', async () => {
    const handler = build(JSON.stringify(['https://d111.cloudfront.net', 'https://admin.harbour-dental.example/']));
    const ok = await handler(health('https://Admin.Harbour-Dental.example'), context);
    expect(ok.statusCode).toBe(200);
    expect(ok.headers).toMatchObject({ 'access-control-allow-origin': 'https://admin.harbour-dental.example', vary: 'Origin' });
    const missing = await handler(event('GET', '/v1/nothing', { headers: { origin: 'https://d111.cloudfront.net' } }), context);
    expect(missing.statusCode).toBe(404);
    expect(missing.headers?.['access-control-allow-origin']).toBe('https://d111.cloudfront.net');
    const preflight = await handler(health('https://d111.cloudfront.net', 'OPTIONS'), context);
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers?.['access-control-allow-origin']).toBe('https://d111.cloudfront.net');
  });

  it('gives any other origin, or none, no Access-Control-Allow-Origin at all', async () => {
    const handler = build(JSON.stringify(['https://d111.cloudfront.net']));
    for (const origin of ['https://evil.example', 'null', undefined]) {
      const res = await handler(health(origin), context);
      expect(res.statusCode).toBe(200);
      expect(res.headers).not.toHaveProperty('access-control-allow-origin');
      expect(res.headers?.['vary']).toBe('Origin');
    }
  });

  it('allows any origin when the list is not configured (the local cloud)', async () => {
    const res = await build(undefined)(health('http://127.0.0.1:5173'), context);
    expect(res.headers?.['access-control-allow-origin']).toBe('*');
  });

  it('refuses to start with a malformed list, naming the variable', () => {
    expect(() => build('https://not-json.example')).toThrow(/CORS_ALLOWED_ORIGINS: must be a JSON array of origins/);
    expect(() => build('["not a url"]')).toThrow(/CORS_ALLOWED_ORIGINS/);
  });
});
