import { apiGatewayEvent } from '../support/api-gateway-event';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { restApi } from '../../lambdas/handlers/lib/rest';
import { badRequest } from '../../lambdas/core/errors';

const context = { awsRequestId: 'req-1', functionName: 'publicApi', getRemainingTimeInMillis: () => 1000 } as unknown as Context;

const event = (method: string, resource: string, extra: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent =>
  apiGatewayEvent(method, resource, { authorizer: null }, extra);

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
    importKnowledgeBase: async (r) => ({ body: r.body }),
    testQuestion: async () => ({ body: {} }),
    putFaq: async () => ({ body: {} }),
    deleteFaq: async () => ({ body: {} }),
    putDocument: async () => ({ body: {} }),
    deleteDocument: async () => ({ body: {} }),
    listRelatedConversations: async () => ({ body: { items: [] } }),
  });

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
