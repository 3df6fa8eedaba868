/**
 * Authorization matrix over every staff and admin REST route of the declaration, through the local
 * gateway, the real staff authorizer (local Cognito tokens) and the real handlers:
 *
 * | caller                               | expected                                                     |
 * |--------------------------------------|--------------------------------------------------------------|
 * | no token                             | 401                                                          |
 * | expired token (validly signed)       | 401                                                          |
 * | another tenant's admin               | never tenant A's data: 404 for A's ids, 400 for empty bodies, |
 * |                                      | their own (empty) lists otherwise; nothing of A changes      |
 * | an agent on an admin-only route      | 403                                                          |
 *
 * Tenancy always comes from the token, so another tenant's admin cannot even learn whether one of
 * A's ids exists (404, like an id that never existed), rather than a 403 that would confirm it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { handoffStore, store } from '../../lambdas/adapters/container';
import { provisionTenant } from '../../lambdas/core/knowledge';
import { knowledgeBaseSchema, type KnowledgeBase } from '../../lambdas/core/knowledge-base';
import { newWidgetKey } from '../../lambdas/core/widget-key';
import { restRoutes, type RestRouteDecl } from '../../lib/declaration';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { api, ensureStaff, expiredCopyOf, signIn, staffSocket } from '../support/staff';
import { RefusedError, connect, wsUrl } from '../support/ws-client';

let cloud: LocalCloud;
const A = 'demo';
const B = 'matrix-b';
const B_ADMIN = { email: 'owner@matrix-b.example', password: 'Matrix-B-Owner-2026!' };
const marker = `matrix-marker-${randomBytes(6).toString('hex')}`;
let conversationId = '';
let followUpId = '';
let documentId = '';
const tokens: { adminA: string; agentA: string; adminB: string; expired: string } = { adminA: '', agentA: '', adminB: '', expired: '' };

beforeAll(async () => {
  cloud = await startLocalCloud({ quiet: true });
  const origin = new URL(cloud.urls.demoSite).origin;
  const demo: KnowledgeBase = knowledgeBaseSchema.parse(JSON.parse(readFileSync(join(__dirname, '..', '..', 'local-cloud', 'seed', 'demo-kb.json'), 'utf8')));
  documentId = demo.documents[0]?.id ?? 'doc';
  // Tenant B: a different business, without A's parking FAQ and documents.
  const kbB: KnowledgeBase = {
    ...demo,
    business: { ...demo.business, name: 'Other Clinic', slug: 'other-clinic' },
    faqs: demo.faqs.filter((f) => f.id !== 'parking'),
    documents: [],
    staff: [],
  };
  await provisionTenant(store(), { tenantId: B, widgetKey: newWidgetKey(B), allowedOrigins: [origin], kb: kbB });
  await ensureStaff(cloud, [{ email: B_ADMIN.email, password: B_ADMIN.password, tenantId: B, groups: ['admin', 'agent'] }]);

  // Tenant A's data: a conversation waiting for a person, with a marker only A has, and a follow-up task.
  const socket = await connect(wsUrl(cloud.urls.ws, cloud.demo.widgetKey, randomBytes(16).toString('hex')), origin);
  socket.send({ action: 'hello', lang: 'en' });
  conversationId = (await socket.next('session')).conversationId;
  socket.send({ action: 'sendMessage', clientId: randomBytes(9).toString('base64url'), text: `my reference is ${marker}` });
  await socket.next('message', (m) => m.role === 'bot', 30_000);
  socket.send({ action: 'sendMessage', clientId: randomBytes(9).toString('base64url'), text: 'I want to speak to a human' });
  await socket.next('state', (s) => s.mode === 'waiting_for_human', 30_000);
  await socket.close();
  followUpId = randomBytes(12).toString('base64url');
  await handoffStore().putFollowUp(A, { id: followUpId, conversationId, status: 'open', reason: marker, lang: 'en', createdAt: new Date().toISOString() });

  tokens.adminA = await signIn(cloud, cloud.demo.staffEmail, cloud.demo.staffPassword);
  tokens.agentA = await signIn(cloud, 'agent@harbour-dental.example', 'Harbour-Agent-2026!');
  tokens.adminB = await signIn(cloud, B_ADMIN.email, B_ADMIN.password);
  tokens.expired = expiredCopyOf(tokens.adminA);
}, 240_000);

afterAll(async () => {
  await cloud?.stop();
});

const staffRoutes = restRoutes.filter((r) => r.auth !== 'public');
const adminRoutes = staffRoutes.filter((r) => r.auth === 'admin');
const label = (r: RestRouteDecl): string => `${r.method} ${r.path}`;

function pathOf(route: RestRouteDecl): string {
  const values: Record<string, string> = { conversationId, followUpId, faqId: 'parking', documentId };
  return route.path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(values[name] ?? 'unknown-id'));
}

const bodyOf = (route: RestRouteDecl): unknown => (route.method === 'PUT' || route.method === 'POST' || route.method === 'PATCH' ? {} : undefined);

/** Nothing that only tenant A has may appear in an answer to someone else. */
function expectNoLeak(text: string): void {
  for (const secret of [marker, conversationId, followUpId, 'Harbour Dental Studio', cloud.demo.widgetKey]) expect(text).not.toContain(secret);
}

describe('every staff route', () => {
  it('has routes to check', () => {
    expect(staffRoutes.length).toBeGreaterThanOrEqual(20);
    expect(adminRoutes.length).toBeGreaterThanOrEqual(4);
  });

  it.each(staffRoutes.map((r) => [label(r), r] as const))('%s: no token → 401', async (_, route) => {
    const res = await api(cloud, route.method, pathOf(route), undefined, bodyOf(route));
    expect(res.status).toBe(401);
    expectNoLeak(res.text);
  });

  it.each(staffRoutes.map((r) => [label(r), r] as const))('%s: expired token → 401', async (_, route) => {
    const res = await api(cloud, route.method, pathOf(route), tokens.expired, bodyOf(route));
    expect(res.status).toBe(401);
    expectNoLeak(res.text);
  });

  it.each(staffRoutes.map((r) => [label(r), r] as const))("%s: another tenant's admin sees nothing of tenant A", async (_, route) => {
    const res = await api(cloud, route.method, pathOf(route), tokens.adminB, bodyOf(route));
    expectNoLeak(res.text);
    if (route.path.includes('{')) expect([400, 404]).toContain(res.status);
    else if (bodyOf(route) !== undefined) expect(res.status).toBe(400);
    else expect(res.status).toBe(200);
  });

  it.each(adminRoutes.map((r) => [label(r), r] as const))('%s: an agent on an admin-only route → 403', async (_, route) => {
    const res = await api(cloud, route.method, pathOf(route), tokens.agentA, bodyOf(route));
    expect(res.status).toBe(403);
    expectNoLeak(res.text);
  });

  it("left tenant A exactly as it was, and its own admin still sees it", async () => {
    const conversation = await store().getConversation(A, conversationId);
    expect(conversation?.mode).toBe('waiting_for_human');
    expect((await handoffStore().getFollowUp(A, followUpId))?.status).toBe('open');
    expect((await store().getKnowledgeBase(A))?.faqs.some((f) => f.id === 'parking')).toBe(true);
    const own = await api(cloud, 'GET', `/v1/admin/inbox/${conversationId}`, tokens.adminA);
    expect(own.status).toBe(200);
    expect(own.text).toContain(marker);
  });
});

describe('the staff WebSocket $connect', () => {
  it('refuses no token, a garbage token and an expired token with 401', async () => {
    await expect(connect(`${cloud.urls.ws}?key=staff.`, 'http://127.0.0.1')).rejects.toEqual(new RefusedError(401));
    await expect(staffSocket(cloud, 'garbage')).rejects.toEqual(new RefusedError(401));
    await expect(staffSocket(cloud, tokens.expired)).rejects.toEqual(new RefusedError(401));
    const ok = await staffSocket(cloud, tokens.agentA);
    ok.send({ action: 'staffPing' });
    await ok.next('pong');
    await ok.close();
  });
});
