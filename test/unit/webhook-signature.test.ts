/**
 * Outbound webhook signatures (core/webhooks/signature.ts): what docs/webhooks.md tells receivers to run.
 * Signing and verifying agree, the tolerance bounds replays, any change of body, time or secret fails, and
 * malformed headers are refused, never thrown on. Plus the pieces around it that need no table: the URL policy,
 * the public event mapping and the declared rule.
 */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { eventRules } from '../../lib/declaration';
import { crmContactOf, publicTypeOf, webhookSourceEvents } from '../../lambdas/core/webhooks/events';
import { deliveryIdOf, signedHeaders } from '../../lambdas/core/webhooks/service';
import { SIGNING_SECRET_PATTERN, newSigningSecret, parseSignatureHeader, signConciergePayload, verifyConciergeSignature } from '../../lambdas/core/webhooks/signature';
import { checkWebhookUrl, isForbiddenAddress } from '../../lambdas/core/webhooks/url-policy';

const secret = 'whsec_testtesttesttesttesttesttesttesttesttesttes';
const now = 1_767_000_000;

describe('Concierge-Signature', () => {
  it('is t=<seconds>,v1=<HMAC-SHA256 of "<t>.<body>"> and verifies with the same secret', () => {
    const body = '{"id":"evt_1","type":"ping"}';
    const header = signConciergePayload(body, secret, now);
    const expected = createHmac('sha256', secret).update(`${now}.${body}`).digest('hex');
    expect(header).toBe(`t=${now},v1=${expected}`);
    expect(verifyConciergeSignature(body, header, secret, 300, now)).toBe(true);
    expect(verifyConciergeSignature(Buffer.from(body), header, secret, 300, now + 299)).toBe(true);
  });

  it('refuses a signature outside the tolerance, either way', () => {
    const header = signConciergePayload('{}', secret, now);
    expect(verifyConciergeSignature('{}', header, secret, 300, now + 301)).toBe(false);
    expect(verifyConciergeSignature('{}', header, secret, 300, now - 301)).toBe(false);
    expect(verifyConciergeSignature('{}', header, secret, 600, now + 301)).toBe(true);
  });

  it('refuses a tampered body, a tampered time, another secret and malformed headers', () => {
    const body = '{"amountCents":5000}';
    const header = signConciergePayload(body, secret, now);
    expect(verifyConciergeSignature('{"amountCents":50000}', header, secret, 300, now)).toBe(false);
    expect(verifyConciergeSignature(body, header.replace(`t=${now}`, `t=${now + 1}`), secret, 300, now)).toBe(false);
    expect(verifyConciergeSignature(body, header, newSigningSecret(), 300, now)).toBe(false);
    for (const bad of [undefined, '', 'v1=abc', `t=${now}`, `t=x,v1=${'0'.repeat(64)}`, `t=${now},v1=zz`, 't=1,t=2,v1=00', '=,=']) {
      expect(verifyConciergeSignature(body, bad, secret, 300, now)).toBe(false);
    }
  });

  it('accepts any one matching v1 among several (secret rotation)', () => {
    const header = signConciergePayload('{}', secret, now);
    const other = signConciergePayload('{}', 'whsec_other', now).split(',')[1];
    expect(verifyConciergeSignature('{}', `${header},${other}`, secret, 300, now)).toBe(true);
    expect(parseSignatureHeader(`${header},${other}`)?.signatures).toHaveLength(2);
  });

  it('round-trips for any body, secret and time, and fails for any other body (fast-check)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), fc.integer({ min: 0, max: 4_000_000_000 }), fc.string(), (body, key, t, other) => {
        const header = signConciergePayload(body, key, t);
        expect(verifyConciergeSignature(body, header, key, 300, t)).toBe(true);
        if (other !== body) expect(verifyConciergeSignature(other, header, key, 300, t)).toBe(false);
      }),
    );
  });

  it('never throws on arbitrary headers (fast-check)', () => {
    fc.assert(fc.property(fc.string(), (header) => typeof verifyConciergeSignature('{}', header, secret, 300, now) === 'boolean'));
  });

  it('makes secrets of the documented shape, different every time, and signs every POST with the event id and type', () => {
    const a = newSigningSecret();
    expect(a).toMatch(SIGNING_SECRET_PATTERN);
    expect(newSigningSecret()).not.toBe(a);
    const event = { id: 'evt_1', type: 'ping' as const, createdAt: '2026-01-01T00:00:00.000Z', tenantId: 'demo', data: { webhookId: 'wh_1' } };
    const body = JSON.stringify(event);
    const headers = signedHeaders(event, body, a, new Date(now * 1000));
    expect(headers['Concierge-Event-Id']).toBe('evt_1');
    expect(headers['Concierge-Event-Type']).toBe('ping');
    expect(verifyConciergeSignature(body, headers['Concierge-Signature'], a, 300, now)).toBe(true);
  });
});

describe('the webhook URL policy', () => {
  const aws = { allowLoopback: false };
  const local = { allowLoopback: true };

  it('allows https to public hosts, and http only to loopback in the local cloud', () => {
    expect(checkWebhookUrl('https://hooks.zapier.com/hooks/catch/1/abc', aws).hostname).toBe('hooks.zapier.com');
    expect(checkWebhookUrl('http://127.0.0.1:8080/hook', local).port).toBe('8080');
    expect(checkWebhookUrl('http://localhost:8080/hook', local).hostname).toBe('localhost');
    expect(() => checkWebhookUrl('http://127.0.0.1:8080/hook', aws)).toThrow(/https/);
    expect(() => checkWebhookUrl('http://example.com/hook', local)).toThrow(/https/);
    expect(() => checkWebhookUrl('ftp://example.com/', aws)).toThrow(/https/);
    expect(() => checkWebhookUrl('not a url', aws)).toThrow(/url/);
    expect(() => checkWebhookUrl('https://user:pw@example.com/', aws)).toThrow(/password/);
  });

  it('refuses private, loopback, link-local and metadata addresses in AWS', () => {
    for (const url of ['https://10.0.0.5/', 'https://169.254.169.254/latest/meta-data', 'https://[::1]/', 'https://192.168.1.1/', 'https://[fd00::1]/', 'https://[::ffff:10.0.0.1]/', 'https://localhost/', 'https://db.internal/']) {
      expect(() => checkWebhookUrl(url, aws)).toThrow(/public address/);
    }
    expect(isForbiddenAddress('169.254.169.254', local)).toBe(true);
    expect(isForbiddenAddress('127.0.0.1', local)).toBe(false);
    expect(isForbiddenAddress('127.0.0.1', aws)).toBe(true);
    expect(isForbiddenAddress('::ffff:172.16.0.1', aws)).toBe(true);
    expect(isForbiddenAddress('93.184.216.34', aws)).toBe(false);
    expect(isForbiddenAddress('2606:4700::1111', aws)).toBe(false);
  });
});

describe('public webhook events', () => {
  it('are routed by the OutboundWebhooks rule from exactly the source events the dispatcher maps', () => {
    const rule = eventRules.find((r) => r.name === 'OutboundWebhooks');
    expect(rule?.target).toEqual({ fn: 'webhookDispatcher' });
    expect(rule?.delivery).toBeDefined();
    expect([...(rule?.pattern['detail-type'] ?? [])].sort()).toEqual([...webhookSourceEvents].sort());
    expect(publicTypeOf('booking.confirmed', {})).toBe('booking.created');
    expect(publicTypeOf('handoff.transition', { toMode: 'closed' })).toBe('conversation.closed');
    expect(publicTypeOf('handoff.transition', { toMode: 'human' })).toBeUndefined();
    expect(publicTypeOf('message.received', {})).toBeUndefined();
  });

  it('give the CRM the contact only when a phone or e-mail is known', () => {
    const base = { id: 'e', createdAt: 'x', tenantId: 'demo' };
    expect(crmContactOf({ ...base, type: 'customer.created', data: { customer: { email: 'ana@example.com', name: 'Ana María López' } } })).toEqual({
      email: 'ana@example.com',
      firstName: 'Ana',
      lastName: 'María López',
    });
    expect(crmContactOf({ ...base, type: 'customer.created', data: { customer: { name: 'Ana' } } })).toBeUndefined();
    expect(crmContactOf({ ...base, type: 'handoff.requested', data: { conversationId: 'c' } })).toBeUndefined();
  });

  it('map an event and a target to one stable delivery id', () => {
    expect(deliveryIdOf('evt-1', 'wh_a')).toBe(deliveryIdOf('evt-1', 'wh_a'));
    expect(deliveryIdOf('evt-1', 'wh_a')).not.toBe(deliveryIdOf('evt-1', 'wh_b'));
    expect(deliveryIdOf('evt-1', 'hubspot')).toMatch(/^dlv_[A-Za-z0-9_-]{32}$/);
  });
});
