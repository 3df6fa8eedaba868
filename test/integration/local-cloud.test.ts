/**
 * The walking skeleton end to end through the local cloud: real DynamoDB Local,
 * real local Cognito, the real handlers behind the local gateway and bus.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { knowledgeStore, store } from '../../lambdas/adapters/container';
import { dayIn } from '../../lambdas/handlers/stats-projector';
import { provisionTenant } from '../../lambdas/core/knowledge';
import { newWidgetKey } from '../../lambdas/core/widget-key';
import type { MessageView } from '../../lambdas/core/protocol';
import type { TenantProfile } from '../../lambdas/core/ports';
import { connect, RefusedError, wsUrl, type TestSocket } from '../support/ws-client';

let cloud: LocalCloud;
let origin: string;

beforeAll(async () => {
  cloud = await startLocalCloud({ quiet: true });
  origin = new URL(cloud.urls.demoSite).origin;
}, 240_000);

afterAll(async () => {
  await cloud?.stop();
});

const visitor = (): string => randomBytes(16).toString('hex');
const clientId = (): string => randomBytes(9).toString('base64url');

async function customer(v = visitor()): Promise<TestSocket> {
  return connect(wsUrl(cloud.urls.ws, cloud.demo.widgetKey, v), origin);
}

async function signIn(email: string, password: string): Promise<string> {
  const res = await fetch(cloud.urls.cognito, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth' },
    body: JSON.stringify({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: cloud.env['USER_POOL_CLIENT_ID'], AuthParameters: { USERNAME: email, PASSWORD: password } }),
  });
  const body = (await res.json()) as { AuthenticationResult?: { IdToken?: string } };
  const token = body.AuthenticationResult?.IdToken;
  if (!token) throw new Error(`sign-in failed: ${JSON.stringify(body)}`);
  return token;
}

describe('web chat over the WebSocket API', () => {
  it('answers "do you have parking?" with its source, and replays the history on resume', async () => {
    const v = visitor();
    const first = await customer(v);
    first.send({ action: 'hello', lang: 'en' });
    const session = await first.next('session');
    expect(session.mode).toBe('bot');
    expect(session.lastSeq).toBe(0);

    const id = clientId();
    first.send({ action: 'sendMessage', clientId: id, text: 'do you have parking?' });
    const ack = await first.next('ack');
    expect(ack.clientId).toBe(id);
    const answer = await first.next('message', (m) => m.role === 'bot');
    expect(answer.text.toLowerCase()).toContain('park');
    expect(answer.sources?.[0]).toEqual(expect.objectContaining({ id: 'parking', kind: 'faq' }));
    await first.next('typing', (t) => !t.on);
    await first.close();

    // Reload: the same visitor resumes the same conversation and gets everything back.
    const again = await customer(v);
    again.send({ action: 'hello', conversationId: session.conversationId, lastSeq: 0 });
    const resumed = await again.next('session');
    expect(resumed.conversationId).toBe(session.conversationId);
    const replayed = again.frames.filter((f): f is Extract<typeof f, { type: 'message' }> => f.type === 'message');
    expect(replayed.map((m) => [m.role, m.text])).toEqual([
      ['customer', 'do you have parking?'],
      ['bot', answer.text],
    ]);
    expect(resumed.lastSeq).toBe(answer.seq);

    // Resuming from the last seen seq replays nothing more.
    again.send({ action: 'hello', conversationId: session.conversationId, lastSeq: answer.seq });
    const upToDate = await again.next('session');
    expect(upToDate.lastSeq).toBe(answer.seq);
    expect(again.frames.filter((f) => f.type === 'message')).toHaveLength(2);
    await again.close();
  });

  it('stores a resent message once and answers it once', async () => {
    const socket = await customer();
    socket.send({ action: 'hello' });
    const session = await socket.next('session');
    const id = clientId();
    socket.send({ action: 'sendMessage', clientId: id, text: 'What are your opening hours?' });
    await socket.next('message', (m) => m.role === 'bot');
    socket.send({ action: 'sendMessage', clientId: id, text: 'What are your opening hours?' });
    const secondAck = await socket.next('ack', (a) => a.clientId === id);
    await socket.next('ack', (a) => a.clientId === id);
    expect(secondAck.seq).toBe(1);
    const messages: MessageView[] = await store().listMessages(cloud.demo.tenantId, session.conversationId, 0);
    expect(messages.map((m) => m.role)).toEqual(['customer', 'bot']);
    await socket.close();
  });

  it('refuses a wrong widget key (401), a missing key (401) and a foreign origin (403)', async () => {
    const wrongKey = `wk_demo_${'0'.repeat(24)}`;
    await expect(connect(wsUrl(cloud.urls.ws, wrongKey, visitor()), origin)).rejects.toEqual(new RefusedError(401));
    await expect(connect(`${cloud.urls.ws}?visitor=${visitor()}`, origin)).rejects.toEqual(new RefusedError(401));
    await expect(connect(wsUrl(cloud.urls.ws, cloud.demo.widgetKey, visitor()), 'https://evil.example')).rejects.toEqual(new RefusedError(403));
    await expect(connect(wsUrl(cloud.urls.ws, cloud.demo.widgetKey, 'short'), origin)).rejects.toEqual(new RefusedError(403));
  });

  it('answers bad frames with clear error frames and writes nothing', async () => {
    const socket = await customer();
    socket.sendRaw('{"action": "sendMessage", ');
    expect((await socket.next('error')).code).toBe('bad_request');
    socket.send({ action: 'dance' });
    expect((await socket.next('error')).code).toBe('unknown_action');
    const id = clientId();
    socket.send({ action: 'sendMessage', clientId: id, text: 'hello?' });
    const early = await socket.next('error');
    expect(early).toEqual(expect.objectContaining({ code: 'no_conversation', clientId: id }));

    socket.send({ action: 'hello' });
    const session = await socket.next('session');
    socket.send({ action: 'sendMessage', clientId: clientId(), text: 'x'.repeat(4097) });
    expect((await socket.next('error')).code).toBe('message_too_large');
    socket.send({ action: 'sendMessage', clientId: clientId(), text: '   ' });
    expect((await socket.next('error')).message).toMatch(/text/);
    // Nothing a person can see: zero-width and format characters, or control characters, are an empty message.
    for (const invisible of ['\u200B\u200B\u2060', '\u0000'.repeat(4096), '\u0007 \u001B']) {
      socket.send({ action: 'sendMessage', clientId: clientId(), text: invisible });
      expect(await socket.next('error')).toEqual(expect.objectContaining({ code: 'bad_request', message: expect.stringMatching(/^text: must (not be empty|contain a letter)/) }));
    }
    socket.send({ action: 'sendMessage', clientId: 'bad id!', text: 'hi' });
    expect((await socket.next('error')).message).toMatch(/clientId/);
    socket.send({ action: 'hello', extra: true });
    expect((await socket.next('error')).code).toBe('bad_request');
    socket.sendRaw(JSON.stringify({ action: 'sendMessage', clientId: clientId(), text: 'y'.repeat(40_000) }));
    expect((await socket.next('error')).code).toBe('message_too_large');

    // The connection still works, and nothing was stored by the refused frames.
    socket.send({ action: 'ping' });
    await socket.next('pong');
    expect(await store().listMessages(cloud.demo.tenantId, session.conversationId, 0)).toEqual([]);
    await socket.close();
  });

  /** A tenant with the demo knowledge base and these message limits; its widget key. */
  async function tenantWithLimits(tenantId: string, limits: NonNullable<TenantProfile['limits']>): Promise<string> {
    const kb = await store().getKnowledgeBase('demo');
    if (!kb) throw new Error('demo knowledge base missing');
    const widgetKey = newWidgetKey(tenantId);
    await provisionTenant(knowledgeStore(), { tenantId, widgetKey, allowedOrigins: [origin], kb });
    const profile = await store().getProfile(tenantId);
    if (!profile) throw new Error('profile missing');
    await store().putProfile({ ...profile, limits });
    return widgetKey;
  }

  it('refuses messages past the rate limit with a rate_limited frame, storing nothing', async () => {
    const widgetKey = await tenantWithLimits('limited', { perConnection: { ratePerSecond: 0.001, burst: 2 }, perTenant: { ratePerSecond: 100, burst: 100 } });

    const socket = await connect(wsUrl(cloud.urls.ws, widgetKey, visitor()), origin);
    socket.send({ action: 'hello' });
    const session = await socket.next('session');
    for (let i = 0; i < 2; i++) {
      socket.send({ action: 'sendMessage', clientId: clientId(), text: 'do you have parking?' });
      await socket.next('message', (m) => m.role === 'bot');
    }
    const refusedId = clientId();
    socket.send({ action: 'sendMessage', clientId: refusedId, text: 'and on saturdays?' });
    expect(await socket.next('error')).toEqual(expect.objectContaining({ code: 'rate_limited', clientId: refusedId }));
    const stored = await store().listMessages('limited', session.conversationId, 0);
    expect(stored.filter((m) => m.role === 'customer').map((m) => m.clientId)).not.toContain(refusedId);
    expect(stored).toHaveLength(4);
    await socket.close();
  });

  it('limits messages per client address across its connections: reconnecting does not reset it', async () => {
    const roomy = { ratePerSecond: 100, burst: 100 };
    const widgetKey = await tenantWithLimits('by-address', { perConnection: roomy, perAddress: { ratePerSecond: 0.001, burst: 3 }, perTenant: roomy });

    // Each message from a new connection (and a new visitor), all from this machine's one address.
    const sendFromNewConnection = async (text: string, outcome: 'answered' | 'refused') => {
      const socket = await connect(wsUrl(cloud.urls.ws, widgetKey, visitor()), origin);
      socket.send({ action: 'hello' });
      const session = await socket.next('session');
      const id = clientId();
      socket.send({ action: 'sendMessage', clientId: id, text });
      if (outcome === 'answered') expect((await socket.next('message', (m) => m.role === 'bot')).text).toContain('car park');
      else expect(await socket.next('error')).toEqual(expect.objectContaining({ code: 'rate_limited', clientId: id }));
      await socket.close();
      return session.conversationId;
    };
    for (let i = 0; i < 3; i++) await sendFromNewConnection('do you have parking?', 'answered');
    const refused = await sendFromNewConnection('and on saturdays?', 'refused');
    expect(await store().listMessages('by-address', refused, 0)).toEqual([]);
  });

  it('counts conversations and answers in the daily stats through the event bus', async () => {
    await cloud.settle();
    const profile = await store().getProfile(cloud.demo.tenantId);
    const day = dayIn(profile?.timezone ?? 'UTC', new Date());
    const stats = await store().getDay(cloud.demo.tenantId, day);
    expect(stats['conversations']).toBeGreaterThanOrEqual(3);
    expect(stats['messagesReceived']).toBeGreaterThanOrEqual(2);
    expect(stats['answered']).toBeGreaterThanOrEqual(2);
  });
});

describe('REST API', () => {
  it('serves health and the widget configuration publicly', async () => {
    const health = await fetch(`${cloud.urls.rest}/v1/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual(expect.objectContaining({ status: 'ok' }));
    const config = await fetch(`${cloud.urls.rest}/v1/public/widget/${cloud.demo.widgetKey}/config`);
    expect(config.status).toBe(200);
    expect(await config.json()).toEqual(expect.objectContaining({ name: 'Harbour Dental Studio', languages: ['en', 'es'] }));
    const unknown = await fetch(`${cloud.urls.rest}/v1/public/widget/wk_demo_${'1'.repeat(24)}/config`);
    expect(unknown.status).toBe(404);
  });

  it('refuses a malformed percent-encoding on every path with a 400, and keeps its AWS service APIs off the routes', async () => {
    for (const path of ['/admin/%E0%A4%A', '/widget/%E0%A4%A', '/@connections/%E0%A4%A', '/checkout/%E0%A4%A', '/v1/health/%E0%A4%A']) {
      const res = await fetch(`${cloud.urls.rest.replace(/\/$/, '')}${path}`, { method: path.startsWith('/@') ? 'POST' : 'GET' });
      expect([path, res.status]).toEqual([path, 400]);
      expect(await res.json()).toEqual({ error: { code: 'bad_request', message: 'the path has a malformed percent-encoding' } });
    }
    // The local EventBridge answers the SDK at the gateway's root; on a public route the header is just a header.
    const forged = await fetch(`${cloud.urls.rest}/v1/webhooks/stripe/demo`, {
      method: 'POST',
      headers: { 'x-amz-target': 'AWSEvents.PutEvents', 'content-type': 'application/x-amz-json-1.1' },
      body: JSON.stringify({ Entries: [{ Source: 'concierge', DetailType: 'conversation.started', Detail: '{}', EventBusName: 'concierge' }] }),
    });
    expect(forged.status).toBe(400);
    expect(JSON.stringify(await forged.json())).toMatch(/Stripe-Signature|signature/i);
  });

  it('lets staff in with a local Cognito token, scoped to their tenant', async () => {
    const anonymous = await fetch(`${cloud.urls.rest}/v1/admin/me`);
    expect(anonymous.status).toBe(401);
    // The gateway's own refusal, in the API's error shape (lib/declaration.ts gatewayErrors, as the CDK stack sets it).
    expect(await anonymous.json()).toEqual({ error: { code: 'unauthorized', message: expect.stringContaining('Sign in again') } });
    for (const [method, path] of [['GET', '/v1/no-such-route'], ['DELETE', '/v1/health']]) {
      const missing = await fetch(`${cloud.urls.rest}${path}`, { method });
      expect([method, path, missing.status]).toEqual([method, path, 404]);
      expect(await missing.json()).toEqual({ error: { code: 'not_found', message: expect.stringContaining('no such route') } });
    }
    expect((await fetch(`${cloud.urls.rest}/v1/admin/me`, { headers: { authorization: 'Bearer not-a-jwt' } })).status).toBe(401);

    const token = await signIn(cloud.demo.staffEmail, cloud.demo.staffPassword);
    const me = await fetch(`${cloud.urls.rest}/v1/admin/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual(expect.objectContaining({ tenantId: 'demo', groups: expect.arrayContaining(['admin']) }));

    const list = await fetch(`${cloud.urls.rest}/v1/admin/conversations`, { headers: { authorization: `Bearer ${token}` } });
    const conversations = (await list.json()) as { items: { conversationId: string; lastMessagePreview: string }[] };
    expect(conversations.items.some((c) => c.lastMessagePreview.toLowerCase().includes('park'))).toBe(true);

    const test = await fetch(`${cloud.urls.rest}/v1/admin/knowledge/test`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ question: 'Where can I park my car?' }),
    });
    expect(await test.json()).toEqual({ answer: expect.objectContaining({ answered: true, sources: [expect.objectContaining({ id: 'parking' })] }) });

    const bad = await fetch(`${cloud.urls.rest}/v1/admin/knowledge/test`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ question: '' }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { field: string } }).error.field).toBe('question');
  });

  it('keeps agents off admin-only routes and rejects an invalid knowledge base without writing it', async () => {
    const agent = await signIn('agent@harbour-dental.example', 'Harbour-Agent-2026!');
    const denied = await fetch(`${cloud.urls.rest}/v1/admin/knowledge`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${agent}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(denied.status).toBe(403);

    const admin = await signIn(cloud.demo.staffEmail, cloud.demo.staffPassword);
    const before = await store().getProfile('demo');
    const invalid = await fetch(`${cloud.urls.rest}/v1/admin/knowledge`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ business: { name: 'x' }, hours: [], services: [], staff: [], faqs: [], documents: [] }),
    });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { error: { field: string } }).error.field).toMatch(/^business\./);
    expect((await store().getProfile('demo'))?.kbVersion).toBe(before?.kbVersion);
  });
});

describe('one local cloud per process', () => {
  it('refuses a second cloud on another DynamoDB endpoint in this process, with a reason, and leaves the first one serving', async () => {
    // Its own DynamoDB Local on another port (not the shared one): the handlers' module state still points at the first.
    const other = await new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    await expect(startLocalCloud({ quiet: true, ports: { dynamodb: other } })).rejects.toThrow(/One local cloud per process: this process already ran one on .*table concierge-test-/);
    const health = await fetch(`${cloud.urls.rest}/v1/health`);
    expect(health.status).toBe(200);
  }, 120_000);
});
