/**
 * The audit log end to end on the local cloud (gateway, staff authorizer with local Cognito tokens, the real
 * handlers, DynamoDB Local): an admin's changes appear in GET /v1/admin/audit with who, what, before and after,
 * newest first; filters and the cursor work; agents get 403; another tenant sees none of it; each sign-in is
 * one `login` entry; and no route can change or remove an entry.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { auditLog, knowledgeStore, store } from '../../lambdas/adapters/container';
import { loginEntry } from '../../lambdas/core/audit';
import { provisionTenant } from '../../lambdas/core/knowledge';
import { knowledgeBaseSchema, type KnowledgeBase } from '../../lambdas/core/knowledge-base';
import { zonedToUtc } from '../../lambdas/core/nlu/time';
import { newWidgetKey } from '../../lambdas/core/widget-key';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { api, ensureStaff, signIn } from '../support/staff';

let cloud: LocalCloud;
const B = 'audit-b';
const B_ADMIN = { email: 'owner@audit-b.example', password: 'Audit-B-Owner-2026!' };
const AGENT = { email: 'agent@harbour-dental.example', password: 'Harbour-Agent-2026!' };
const customer = { name: 'Siobhan Audit-Customer', phone: '+353 87 555 0199' };
const tokens = { admin: '', agent: '', adminB: '' };

const entry = z.object({
  auditId: z.string(),
  at: z.string(),
  actor: z.union([z.object({ sub: z.string(), email: z.string(), role: z.enum(['admin', 'agent']) }), z.object({ system: z.string() })]),
  action: z.string(),
  target: z.string(),
  outcome: z.literal('ok'),
  summary: z.object({ before: z.unknown().optional(), after: z.unknown().optional() }),
  requestId: z.string().optional(),
  correlationId: z.string().optional(),
});
const page = z.object({ items: z.array(entry), nextCursor: z.string().optional() });
type Entry = z.infer<typeof entry>;

async function audit(query = '', token = tokens.admin): Promise<z.infer<typeof page>> {
  const res = await api(cloud, 'GET', `/v1/admin/audit${query}`, token);
  expect(res.status).toBe(200);
  return page.parse(res.body);
}

const claimsOf = (token: string): { sub: string; auth_time: number } =>
  z.object({ sub: z.string(), auth_time: z.number() }).parse(JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')));

beforeAll(async () => {
  cloud = await startLocalCloud({ quiet: true });
  const demo: KnowledgeBase = knowledgeBaseSchema.parse(JSON.parse(readFileSync(join(__dirname, '..', '..', 'local-cloud', 'seed', 'demo-kb.json'), 'utf8')));
  await provisionTenant(knowledgeStore(), {
    tenantId: B,
    widgetKey: newWidgetKey(B),
    allowedOrigins: [new URL(cloud.urls.demoSite).origin],
    kb: { ...demo, business: { ...demo.business, name: 'Other Clinic', slug: 'other-clinic-audit' } },
  });
  await ensureStaff(cloud, [{ email: B_ADMIN.email, password: B_ADMIN.password, tenantId: B, groups: ['admin'] }]);
  [tokens.admin, tokens.agent, tokens.adminB] = await Promise.all([
    signIn(cloud, cloud.demo.staffEmail, cloud.demo.staffPassword),
    signIn(cloud, AGENT.email, AGENT.password),
    signIn(cloud, B_ADMIN.email, B_ADMIN.password),
  ]);
}, 240_000);

afterAll(async () => {
  await cloud?.settle();
  await cloud?.stop();
});

/** A free slot of the demo's check-up, a few weekdays ahead. */
async function freeSlot(): Promise<string> {
  for (let i = 3; i < 20; i++) {
    const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Dublin', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(Date.now() + i * 86_400_000));
    const weekday = new Date(`${day}T12:00:00Z`).getUTCDay();
    if (weekday < 2 || weekday > 5) continue;
    const res = await api(cloud, 'GET', `/v1/admin/availability?serviceId=checkup-clean&staffId=marta-ruiz&date=${day}`, tokens.admin);
    const starts = z.object({ slots: z.array(z.object({ start: z.string() })) }).parse(res.body).slots.map((s) => s.start);
    const start = starts.find((s) => s === zonedToUtc(day, '11:00', 'Europe/Dublin').toISOString()) ?? starts[0];
    if (start) return start;
  }
  throw new Error('no free slot');
}

describe('an admin’s changes', () => {
  let entries: Entry[] = [];
  let conversationId = '';

  it('are recorded with who, what, the target and before/after, newest first', async () => {
    const kb = z.object({ faqs: z.array(z.object({ id: z.string(), question: z.string(), answer: z.string(), category: z.string() })) }).parse(
      (await api(cloud, 'GET', '/v1/admin/knowledge', tokens.admin)).body,
    );
    const parking = kb.faqs.find((f) => f.id === 'parking');
    if (!parking) throw new Error('the demo has no parking FAQ');
    const faq = await api(cloud, 'PUT', '/v1/admin/knowledge/faqs/parking', tokens.admin, { ...parking, id: undefined, question: 'Where can I park near the clinic?' });
    expect(faq.status).toBe(200);

    const settings = await api(cloud, 'PUT', '/v1/admin/handoff-settings', tokens.admin, {
      slaSeconds: 240,
      cannedReplies: [{ id: 'hello', title: 'Greeting', text: 'Hi, this is the front desk.' }],
    });
    expect(settings.status).toBe(200);

    conversationId = (await store().startConversation('demo', `audit-visitor-${randomBytes(4).toString('hex')}`, 'en')).conversationId;
    expect((await api(cloud, 'POST', `/v1/admin/inbox/${conversationId}/takeover`, tokens.admin)).status).toBe(200);

    const start = await freeSlot();
    const created = await api(cloud, 'POST', '/v1/admin/bookings', tokens.admin, { serviceId: 'checkup-clean', staffId: 'marta-ruiz', start, customer, lang: 'en' });
    expect(created.status).toBe(201);
    const bookingId = z.object({ booking: z.object({ bookingId: z.string(), status: z.string() }) }).parse(created.body).booking.bookingId;
    expect((await api(cloud, 'POST', `/v1/admin/bookings/${bookingId}/cancel`, tokens.admin, { reason: 'called to cancel' })).status).toBe(200);

    const res = await api(cloud, 'GET', '/v1/admin/audit', tokens.admin);
    expect(res.status).toBe(200);
    entries = page.parse(res.body).items.filter((e) => 'email' in e.actor && e.actor.email === cloud.demo.staffEmail);
    expect(entries.map((e) => e.action)).toEqual(['cancelBooking', 'createBooking', 'takeOverConversation', 'putHandoffSettings', 'putFaq', 'login']);
    const at = entries.map((e) => e.at);
    expect([...at].sort().reverse()).toEqual(at);

    const [cancel, create, takeover, handoff, putFaq] = entries;
    const admin = { sub: claimsOf(tokens.admin).sub, email: cloud.demo.staffEmail, role: 'admin' };
    expect(putFaq).toMatchObject({
      actor: admin,
      target: 'faq:parking',
      summary: { before: { question: 'Do you have parking?', category: parking.category }, after: { question: 'Where can I park near the clinic?' } },
    });
    expect(handoff).toMatchObject({ target: 'handoff-settings', summary: { before: { slaSeconds: expect.any(Number) }, after: { slaSeconds: 240, cannedReplies: ['Greeting'] } } });
    expect(takeover).toMatchObject({ target: `conversation:${conversationId}`, summary: { before: { mode: 'bot' }, after: { mode: 'human', status: 'accepted' } } });
    expect(create).toMatchObject({ target: 'bookings', summary: { after: { fields: ['customer', 'lang', 'serviceId', 'staffId', 'start'] } } });
    expect(cancel).toMatchObject({ target: `booking:${bookingId}`, summary: { before: { start, status: expect.any(String) }, after: { start, status: 'cancelled' } } });
    expect(cancel?.correlationId).toEqual(expect.any(String));
    // The customer's name and phone never enter the audit log.
    expect(res.text).not.toContain('Siobhan');
    expect(res.text).not.toContain('555 0199');
  });

  it('filters by action, actor and time, and pages with the cursor', async () => {
    expect((await audit('?action=put')).items.map((e) => e.action)).toEqual(['putHandoffSettings', 'putFaq']);
    expect((await audit('?action=putFaq')).items.map((e) => e.target)).toEqual(['faq:parking']);
    const byAdmin = await audit(`?actor=${encodeURIComponent(cloud.demo.staffEmail.toUpperCase())}`);
    expect(byAdmin.items.map((e) => e.auditId)).toEqual(entries.map((e) => e.auditId));
    expect((await audit(`?actor=${claimsOf(tokens.admin).sub}`)).items).toHaveLength(entries.length);

    const [, , takeover, handoff] = entries;
    const window = await audit(`?from=${encodeURIComponent(handoff?.at ?? '')}&to=${encodeURIComponent(takeover?.at ?? '')}`);
    expect(window.items.map((e) => e.action)).toEqual(['takeOverConversation', 'putHandoffSettings']);

    const all = await audit();
    const first = await audit('?limit=2');
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await audit(`?limit=2&cursor=${encodeURIComponent(first.nextCursor ?? '')}`);
    expect([...first.items, ...second.items].map((e) => e.auditId)).toEqual(all.items.slice(0, 4).map((e) => e.auditId));

    const refused = await api(cloud, 'GET', '/v1/admin/audit?from=last-week', tokens.admin);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: { field: 'from' } });
  });

  it('is for admins only, and another tenant sees none of it (not even with this tenant’s cursor)', async () => {
    expect((await api(cloud, 'GET', '/v1/admin/audit', tokens.agent)).status).toBe(403);
    const other = await api(cloud, 'GET', '/v1/admin/audit', tokens.adminB);
    expect(other.status).toBe(200);
    const items = page.parse(other.body).items;
    expect(items.map((e) => e.action)).toEqual(['login']);
    for (const leak of [cloud.demo.staffEmail, 'parking', conversationId, AGENT.email]) expect(other.text).not.toContain(leak);
    const cursor = (await audit('?limit=1')).nextCursor ?? '';
    const crossed = await api(cloud, 'GET', `/v1/admin/audit?cursor=${encodeURIComponent(cursor)}`, tokens.adminB);
    expect(crossed.status).toBe(400);
  });
});

describe('sign-ins', () => {
  it('records one login per sign-in, however many requests its token makes', async () => {
    const agent = claimsOf(tokens.agent);
    for (let i = 0; i < 3; i++) expect((await api(cloud, 'GET', '/v1/admin/inbox', tokens.agent)).status).toBe(200);
    const logins = (await audit(`?action=login&actor=${encodeURIComponent(AGENT.email)}`)).items;
    expect(logins).toHaveLength(1);
    expect(logins[0]).toMatchObject({ actor: { sub: agent.sub, role: 'agent' }, at: new Date(agent.auth_time * 1000).toISOString(), target: `staff:${agent.sub}` });
    // Another container (no memory of this session) writes the same entry again: the store keeps the first.
    const again = loginEntry({ tenantId: 'demo', sub: agent.sub, email: AGENT.email, groups: ['agent'], authTime: agent.auth_time, userAgent: 'another container' });
    expect(again.auditId).toBe(logins[0]?.auditId);
    expect(await auditLog().append(again)).toBe('duplicate');
    expect((await audit(`?action=login&actor=${encodeURIComponent(AGENT.email)}`)).items).toEqual(logins);
  });
});

describe('entries cannot be altered through any route', () => {
  it.each(['PUT', 'PATCH', 'DELETE', 'POST'])('%s /v1/admin/audit and /v1/admin/audit/{id} are refused, and the log is unchanged', async (method) => {
    const before = await audit();
    const target = before.items[0];
    for (const path of ['/v1/admin/audit', `/v1/admin/audit/${target?.auditId ?? 'x'}`, `/v1/admin/audit/${encodeURIComponent(`${target?.at ?? ''}#${target?.auditId ?? ''}`)}`]) {
      const res = await api(cloud, method, path, tokens.admin, method === 'DELETE' ? undefined : { action: 'nothing happened', summary: {} });
      expect([403, 404, 405]).toContain(res.status);
    }
    expect(await audit()).toEqual(before);
  });
});

describe('dates the query cannot mean', () => {
  // Found by fuzzing: these were 500s, DynamoDB refusing bounds reversed against the store's sentinels.
  it.each([
    ['from=9999-01-01', 'from', /out of range/],
    ['from=9999-12-31T23:59:59Z', 'from', /out of range/],
    ['to=0000-01-01T00:00:00%2B01:00', 'to', /out of range/],
    ['from=2026-02-30', 'from', /not a date/],
    ['to=2026-13-01', 'to', /not a date/],
    ['from=2026-03-02&to=2026-03-01', 'from', /must not be after to/],
  ])('GET /v1/admin/audit?%s → 400 naming %s and what is wrong', async (query, field, message) => {
    const res = await api(cloud, 'GET', `/v1/admin/audit?${query}`, tokens.admin);
    expect(res.status).toBe(400);
    const error = z.object({ error: z.object({ code: z.string(), message: z.string(), field: z.string() }) }).parse(res.body).error;
    expect(error).toMatchObject({ code: 'bad_request', field });
    expect(error.message).toMatch(message);
  });

  it('answers the widest range it takes, and a bare edge, with every entry or none', async () => {
    const all = await audit();
    expect((await audit('?from=2000-01-01&to=2199-12-31')).items).toEqual(all.items);
    expect((await audit('?from=2000-01-01')).items).toEqual(all.items);
    expect((await audit('?to=2199-12-31T23:59:59.999Z')).items).toEqual(all.items);
    expect((await audit('?from=2199-12-31')).items).toEqual([]);
    expect((await audit('?to=2000-01-01T00:00:00%2B01:00')).items).toEqual([]);
  });

  it('never sends DynamoDB reversed bounds, whatever range reaches the store', async () => {
    await expect(auditLog().list('demo', { limit: 10, from: '9999-01-01T00:00:00.000Z' })).resolves.toEqual({ items: [] });
    await expect(auditLog().list('demo', { limit: 10, from: '2026-03-02T00:00:00.000Z', to: '2026-03-01T00:00:00.000Z' })).resolves.toEqual({ items: [] });
    await expect(auditLog().list('demo', { limit: 10, to: '-000001-12-31T23:00:00.000Z' })).resolves.toEqual({ items: [] });
  });
});
