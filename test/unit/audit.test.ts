/**
 * The audit log's core rules, offline: what an entry may hold (redaction, size caps), targets, login entries,
 * the query string; and the REST plumbing that records every change (with an in-memory log, and one that fails).
 */
import { apiGatewayEvent } from '../support/api-gateway-event';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import fc from 'fast-check';
import { ZodError } from 'zod';
import { DomainError } from '../../lambdas/core/errors';
import {
  auditEntry,
  auditQueryOf,
  auditValue,
  bodySummary,
  customerTarget,
  integrationSummary,
  loginEntry,
  MAX_SUMMARY_CHARS,
  REDACTED,
  targetOf,
  type AuditEntry,
  type AuditLog,
} from '../../lambdas/core/audit';
import { keys } from '../../lambdas/adapters/dynamo/keys';
import { restApi, type RouteHandler } from '../../lambdas/handlers/lib/rest';

describe('auditValue', () => {
  it('redacts credentials and customer contact fields at any depth, and keeps the rest', () => {
    const value = auditValue({
      provider: 'stripe',
      secretKey: 'sk_live_123456',
      webhookSecret: 'whsec_abc',
      nested: { authToken: 'tok', apiKey: 'k', password: 'p', slaSeconds: 60 },
      customer: { name: 'Ana', phone: '+34600000000' },
      email: 'ana@example.com',
      question: 'Is there parking?',
    });
    expect(value).toEqual({
      provider: 'stripe',
      secretKey: REDACTED,
      webhookSecret: REDACTED,
      nested: { authToken: REDACTED, apiKey: REDACTED, password: REDACTED, slaSeconds: 60 },
      customer: REDACTED,
      email: REDACTED,
      question: 'Is there parking?',
    });
    expect(JSON.stringify(value)).not.toMatch(/sk_live|whsec|\+34600|ana@/);
  });

  it("keeps counts under customer field names (an erasure's summary), never a number that could be a contact or a secret", () => {
    expect(auditValue({ counts: { customerRecords: 1, emails: 2, messages: 12, bookings: 0 } })).toEqual({ counts: { customerRecords: 1, emails: 2, messages: 12, bookings: 0 } }); // were [redacted]
    expect(auditValue({ phone: 600000000, contact: 5, address: 12, pin: 1234, email: 'ana@example.com', customer: 3, customerNumber: 353871234567 })).toEqual({
      phone: REDACTED,
      contact: REDACTED,
      address: REDACTED,
      pin: REDACTED,
      email: REDACTED,
      customer: 3,
      customerNumber: REDACTED,
    });
  });

  it('keeps every summary within the cap, whatever it is given', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
        expect(JSON.stringify(auditValue(v)).length).toBeLessThanOrEqual(MAX_SUMMARY_CHARS);
      }),
      { numRuns: 300 },
    );
    const huge = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`field${i}`, 'x'.repeat(290)]));
    expect(auditValue(huge)).toEqual({ truncated: true, fields: Object.keys(huge) });
  });

  it('never lets a value of a secret-looking field through, at any depth (property)', () => {
    const secret = fc.string({ minLength: 12, maxLength: 40 }).map((s) => `S3CR3T-${s}`);
    fc.assert(
      fc.property(fc.constantFrom('token', 'clientSecret', 'password', 'apiKey', 'authorization', 'privateKey'), secret, fc.integer({ min: 0, max: 3 }), (field, value, depth) => {
        let nested: unknown = { [field]: value, ok: 1 };
        for (let i = 0; i < depth; i++) nested = { level: nested };
        expect(JSON.stringify(auditValue(nested))).not.toContain('S3CR3T-');
      }),
    );
  });
});

describe('summaries and targets', () => {
  it('summarises a body by its field names only', () => {
    expect(bodySummary({ text: 'hello, my number is +34600000000', clientId: 'abc12345' })).toEqual({ fields: ['clientId', 'text'] });
    expect(bodySummary(undefined)).toBeUndefined();
    expect(bodySummary(['a'])).toBeUndefined();
  });

  it('reduces an integration body to the provider and field names', () => {
    const summary = integrationSummary('twilio', { accountSid: 'AC123', authToken: 'secret-token-value', fromNumber: '+15550001111' });
    expect(summary).toEqual({ provider: 'twilio', fields: ['accountSid', 'authToken', 'fromNumber'] });
    expect(JSON.stringify(summary)).not.toMatch(/secret-token-value|AC123|\+1555/);
  });

  it('names the target from the path parameters, or the route', () => {
    expect(targetOf('/v1/admin/knowledge/faqs/{faqId}', { faqId: 'opening-hours' })).toBe('faq:opening-hours');
    expect(targetOf('/v1/admin/inbox/{conversationId}/takeover', { conversationId: 'c_123' })).toBe('conversation:c_123');
    expect(targetOf('/v1/admin/integrations/{provider}', { provider: 'stripe' })).toBe('provider:stripe');
    expect(targetOf('/v1/admin/team/{userId}/role', { userId: 'u-1' })).toBe('user:u-1');
    expect(targetOf('/v1/admin/handoff-settings', {})).toBe('handoff-settings');
    expect(targetOf('/v1/admin/analytics/gaps/{gapId}/resolve', { gapId: 'g1' })).toBe('gap:g1');
  });

  it('names a customer by a hash, never by the key', () => {
    const target = customerTarget('email:ana@example.com');
    expect(target).toMatch(/^customer sha256:[0-9a-f]{16}$/);
    expect(target).not.toContain('ana');
    expect(customerTarget('email:ana@example.com')).toBe(target);
  });
});

describe('entries', () => {
  it('builds an entry that fits its key, with a redacted summary', () => {
    const entry = auditEntry({
      auditId: 'abc_DEF-123',
      tenantId: 'demo',
      at: new Date('2026-03-02T09:14:07.412Z'),
      actor: { sub: 's1', email: 'owner@example.com', role: 'admin' },
      action: 'putIntegration',
      target: 'provider:stripe',
      after: { secretKey: 'sk_test_x' },
    });
    expect(entry).toMatchObject({ at: '2026-03-02T09:14:07.412Z', outcome: 'ok', summary: { after: { secretKey: REDACTED } } });
    expect(keys.auditEntry(entry.tenantId, entry.at, entry.auditId)).toEqual({ pk: 'T#demo#AUDIT', sk: '2026-03-02T09:14:07.412Z#abc_DEF-123' });
    expect(() => auditEntry({ ...entry, at: new Date(), action: 'drop table; --' })).toThrow(/invalid audit action/);
  });

  it('names one login entry per sign-in: the same for every token of a session, another for the next sign-in', () => {
    const base = { tenantId: 'demo', sub: 's1', email: 'a@example.com', groups: ['agent'] as const };
    const first = loginEntry({ ...base, authTime: 1_770_000_000 });
    const again = loginEntry({ ...base, authTime: 1_770_000_000, userAgent: 'other' });
    const next = loginEntry({ ...base, authTime: 1_770_000_600 });
    expect(again.auditId).toBe(first.auditId);
    expect(again.at).toBe(first.at);
    expect(next.auditId).not.toBe(first.auditId);
    expect(first).toMatchObject({ action: 'login', target: 'staff:s1', actor: { sub: 's1', role: 'agent' }, at: new Date(1_770_000_000_000).toISOString() });
  });
});

describe('auditQueryOf', () => {
  it('reads filters, and a day as all of it', () => {
    expect(auditQueryOf({ actor: 'owner@example.com', action: 'put', from: '2026-03-01', to: '2026-03-02', limit: '10' })).toEqual({
      actor: 'owner@example.com',
      actionPrefix: 'put',
      from: '2026-03-01T00:00:00.000Z',
      to: '2026-03-02T23:59:59.999Z',
      limit: 10,
    });
    expect(auditQueryOf({ from: '2026-03-01T10:00:00+01:00' }).from).toBe('2026-03-01T09:00:00.000Z');
  });

  it('refuses what it does not know, naming the field', () => {
    expect(() => auditQueryOf({ from: 'yesterday' })).toThrow(/from/);
    expect(() => auditQueryOf({ limit: '1000' })).toThrow();
    expect(() => auditQueryOf({ action: 'a b' })).toThrow();
    expect(() => auditQueryOf({ sort: 'asc' })).toThrow();
    expect(() => auditQueryOf({ from: '2026-03-02', to: '2026-03-01' })).toThrow(/from/);
  });

  it('refuses dates that do not exist or are out of range (the store would get reversed bounds), naming the field and what is wrong', () => {
    const problem = (raw: Record<string, string>): { field: string | undefined; message: string } => {
      try {
        auditQueryOf(raw);
      } catch (error) {
        if (error instanceof ZodError) return { field: error.issues[0]?.path.join('.'), message: error.issues[0]?.message ?? '' };
        if (error instanceof DomainError && error.code === 'bad_request') return { field: error.field, message: error.message };
        throw error;
      }
      throw new Error(`accepted ${JSON.stringify(raw)}`);
    };
    expect(problem({ from: '9999-01-01' })).toEqual({ field: 'from', message: expect.stringMatching(/out of range/) });
    expect(problem({ from: '9999-12-31T23:59:59Z' })).toEqual({ field: 'from', message: expect.stringMatching(/out of range/) });
    expect(problem({ to: '0000-01-01T00:00:00+01:00' })).toEqual({ field: 'to', message: expect.stringMatching(/out of range/) });
    expect(problem({ from: '2026-02-30' })).toEqual({ field: 'from', message: expect.stringMatching(/not a date/) });
    expect(problem({ to: '2026-13-01T00:00:00Z' })).toEqual({ field: 'to', message: expect.stringMatching(/not a date/) });
    expect(problem({ from: '2026-03-01T10:00:00+01:00', to: '2026-03-01T08:59:59Z' })).toEqual({ field: 'from', message: expect.stringMatching(/must not be after to/) });
  });

  it('still takes the first and last days of the accepted years, and leap days', () => {
    expect(auditQueryOf({ from: '2000-01-01', to: '2199-12-31' })).toMatchObject({ from: '2000-01-01T00:00:00.000Z', to: '2199-12-31T23:59:59.999Z' });
    expect(auditQueryOf({ from: '2000-01-01T00:00:00+01:00', to: '2199-12-31T23:59:59.999Z' })).toMatchObject({ from: '1999-12-31T23:00:00.000Z', to: '2199-12-31T23:59:59.999Z' });
    expect(auditQueryOf({ from: '2024-02-29', to: '2024-02-29' })).toMatchObject({ from: '2024-02-29T00:00:00.000Z', to: '2024-02-29T23:59:59.999Z' });
  });
});

// ---- the REST plumbing --------------------------------------------------------------------------------------

const context = { awsRequestId: 'req-1', functionName: 'adminApi', getRemainingTimeInMillis: () => 1000 } as unknown as Context;
const admin = { sub: 'u1', email: 'owner@example.com', tenantId: 'demo', groups: 'admin,agent' };

const event = (method: string, resource: string, extra: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent =>
  apiGatewayEvent(method, resource, { authorizer: admin, requestId: 'api-1', identity: { sourceIp: '203.0.113.9', userAgent: 'jest' } }, extra);

class MemoryLog implements AuditLog {
  readonly entries: AuditEntry[] = [];
  fail = false;
  async append(entry: AuditEntry): Promise<'appended'> {
    if (this.fail) throw new Error('ProvisionedThroughputExceededException');
    this.entries.push(entry);
    return 'appended';
  }
  async list(): Promise<{ items: AuditEntry[] }> {
    return { items: this.entries };
  }
}

describe('restApi records changes', () => {
  const log = new MemoryLog();
  const ok: RouteHandler = async () => ({ body: {} });
  const handler = restApi(
    'adminApi',
    {
      getMe: async () => ({ body: {} }),
      listConversations: ok,
      getConversation: async () => ({ body: {}, audit: { action: 'conversation.export' } }),
      getKnowledgeBase: ok,
      getKnowledgeStatus: ok,
      getFaq: ok,
      getDocument: ok,
      importKnowledgeBase: async () => ({ status: 400, body: {} }),
      testQuestion: async () => ({ body: {}, audit: false }),
      putFaq: async (r) => ({ status: 201, body: {}, audit: { before: { question: 'Old?' }, after: { question: `New for ${r.path['faqId']}?` } } }),
      deleteFaq: ok,
      putDocument: async () => {
        throw new Error('boom');
      },
      deleteDocument: ok,
      listRelatedConversations: ok,
    },
    { audit: () => log, staffAccess: () => ({ getStaffAccessChange: async () => undefined }) },
  );
  beforeEach(() => {
    log.entries.length = 0;
    log.fail = false;
  });

  it("appends who, what, the target and the handler's before/after after a successful change", async () => {
    const res = await handler(event('PUT', '/v1/admin/knowledge/faqs/{faqId}', { pathParameters: { faqId: 'parking' }, body: '{"question":"x"}' }), context);
    expect(res.statusCode).toBe(201);
    expect(log.entries).toEqual([
      expect.objectContaining({
        tenantId: 'demo',
        actor: { sub: 'u1', email: 'owner@example.com', role: 'admin' },
        action: 'putFaq',
        target: 'faq:parking',
        outcome: 'ok',
        summary: { before: { question: 'Old?' }, after: { question: 'New for parking?' } },
        requestId: 'api-1',
        correlationId: 'req-1',
        sourceIp: '203.0.113.9',
        userAgent: 'jest',
      }),
    ]);
  });

  it('summarises the body by field names when the handler says nothing', async () => {
    await handler(event('DELETE', '/v1/admin/knowledge/faqs/{faqId}', { pathParameters: { faqId: 'parking' }, body: '{"password":"hunter2","note":"x"}' }), context);
    expect(log.entries[0]?.summary).toEqual({ after: { fields: ['note', 'password'] } });
    expect(JSON.stringify(log.entries)).not.toContain('hunter2');
  });

  it('records nothing for reads, refusals, failures, or a handler that opts out; a read that asks is recorded', async () => {
    await handler(event('GET', '/v1/admin/me'), context);
    await handler(event('PUT', '/v1/admin/knowledge', { body: '{}' }), context);
    await handler(event('PUT', '/v1/admin/knowledge/documents/{documentId}', { pathParameters: { documentId: 'd' }, body: '{}' }), context);
    await handler(event('POST', '/v1/admin/knowledge/test', { body: '{}' }), context);
    await handler(event('PUT', '/v1/admin/knowledge/faqs/{faqId}', { body: '{}', requestContext: { authorizer: null } as unknown as APIGatewayProxyEvent['requestContext'] }), context);
    expect(log.entries).toEqual([]);
    await handler(event('GET', '/v1/admin/conversations/{conversationId}', { pathParameters: { conversationId: 'c_12345678' } }), context);
    expect(log.entries.map((e) => [e.action, e.target])).toEqual([['conversation.export', 'conversation:c_12345678']]);
  });

  it('does not let a change succeed silently when its entry cannot be written', async () => {
    log.fail = true;
    const res = await handler(event('PUT', '/v1/admin/knowledge/faqs/{faqId}', { pathParameters: { faqId: 'parking' }, body: '{}' }), context);
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body)).toEqual({ error: expect.objectContaining({ code: 'audit_unavailable', correlationId: 'req-1' }) });
    expect(res.body).not.toContain('Provisioned');
  });
});
