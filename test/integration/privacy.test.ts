/**
 * Privacy through the local cloud (core/privacy, handlers/privacy-api.ts, handlers/retention-sweeper.ts):
 * - subject access: a customer of the demo tenant with a web conversation (phone given in the chat) and a
 *   WhatsApp one from that phone (a webhook signed as Twilio signs it), a manual booking with their e-mail and a
 *   request for a person; another customer of the same tenant; a customer of another tenant with the SAME phone.
 *   The export holds exactly the first customer's data; the erasure leaves none of it in any store (the whole
 *   DynamoDB Local table is scanned, and the search index searched), and touches nobody else; the look-up, the
 *   export and the erasure are in the audit log;
 * - a customer staff booked with a phone and an e-mail is found, exported and erased by the e-mail (decision 99), and
 *   an anonymous web visitor by `web:<visitorId>` (decision 59);
 * - retention: old conversations are deleted when a period is set, recent ones stamped (the head a grace later),
 *   and one inactive for longer than the period is hidden from the conversation list and view before it is deleted.
 */
import { randomBytes } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import twilio from 'twilio';
import { z } from 'zod';
import { documentClient } from '../../lambdas/adapters/aws/clients';
import { answerDeps, identityStore, privacyStore, store } from '../../lambdas/adapters/container';
import { DynamoStore } from '../../lambdas/adapters/dynamo/store';
import { keys } from '../../lambdas/adapters/dynamo/keys';
import { HEAD_GRACE_DAYS } from '../../lambdas/core/privacy/settings';
import { twilioForm } from '../../local-cloud/channel-simulator';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { api, ensureStaff, eventually, signIn } from '../support/staff';
import { demoWidget, widgetCustomer } from '../support/ws-client';

const OTHER = 'privacy-other';
const RETAIN = 'privacy-retain';
const PASSWORD = 'Privacy-Test-2026!';
const DAY_MS = 86_400_000;
let cloud: LocalCloud;
let admin = '';

const randomPhone = (): string => `+346${String(randomBytes(4).readUInt32BE() % 1e8).padStart(8, '0')}`;
const word = (): string => `privacy${randomBytes(5).toString('hex')}`;

beforeAll(async () => {
  cloud = await startLocalCloud({ quiet: true });
  await ensureStaff(cloud, [{ email: 'owner@privacy-retain.example', password: PASSWORD, tenantId: RETAIN, groups: ['admin'] }]);
  admin = await signIn(cloud, cloud.demo.staffEmail, cloud.demo.staffPassword);
}, 240_000);

afterAll(async () => {
  await cloud?.stop();
}, 60_000);

async function whatsapp(from: string, text: string): Promise<void> {
  const url = `${cloud.urls.rest}/v1/webhooks/twilio/${cloud.demo.tenantId}`;
  const form = twilioForm('whatsapp', from, text);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': twilio.getExpectedTwilioSignature(cloud.env['TWILIO_AUTH_TOKEN'] ?? '', url, form) },
    body: new URLSearchParams(form).toString(),
  });
  expect(res.status).toBe(200);
}

async function webChat(visitorId: string, texts: readonly string[]): Promise<string> {
  const customer = await widgetCustomer(demoWidget(cloud), { lang: 'en', visitorId });
  for (const text of texts) await customer.ask(text);
  await customer.socket.close();
  return customer.conversationId;
}

/** Every item of the whole table (tests may scan), as JSON text with its partition key. */
async function scanTable(): Promise<{ pk: string; text: string }[]> {
  const db = documentClient(cloud.urls.dynamodb);
  const out: { pk: string; text: string }[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new ScanCommand({ TableName: cloud.tableName, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) out.push({ pk: String(item['pk']), text: JSON.stringify(item) });
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

const exportDoc = z.object({
  format: z.literal('concierge.customer-export/1'),
  customerKey: z.string(),
  identities: z.array(z.string()),
  conversations: z.array(z.object({ conversationId: z.string(), messages: z.array(z.object({ text: z.string() })) }).passthrough()),
  bookings: z.array(z.object({ bookingId: z.string() }).passthrough()),
  counts: z.record(z.string(), z.number()),
});
const erasure = z.object({ customerRef: z.string(), erased: z.boolean(), counts: z.record(z.string(), z.number()) });

it('exports exactly one customer and erases them from every store, leaving other customers and tenants untouched', async () => {
  const tenantId = cloud.demo.tenantId;
  const phone = randomPhone();
  const email = `${word()}@example.com`;
  const customerKey = `phone:${phone}`;
  const webPhrase = word();
  const whatsappPhrase = word();
  const visitorId = randomBytes(16).toString('hex');

  // 0. A webhook receiver that is down: its failed deliveries keep their payloads (the customer's contact) for redelivery.
  const hook = await api(cloud, 'POST', '/v1/admin/webhooks', admin, { url: 'http://127.0.0.1:9/down', events: ['customer.created', 'booking.created'] });
  expect(hook.status).toBe(201);
  const webhookId = z.object({ webhook: z.object({ webhookId: z.string() }) }).parse(hook.body).webhook.webhookId;

  // 1. Customer one: a web chat where they give their phone, then WhatsApp from that phone, then a person.
  const webId = await webChat(visitorId, [`My phone number is ${phone}`, `Do you have parking near ${webPhrase}?`]);
  // The contact is linked after the reply goes out: wait for it rather than race it.
  await eventually(async () => ((await identityStore().getIdentityCustomer(tenantId, `web:${visitorId}`)) === customerKey ? true : undefined), 'the web visitor linked to the phone', 60_000);
  await whatsapp(phone, `Is there parking by ${whatsappPhrase}?`);
  const whatsappId = await eventually(() => store().getVisitorConversation(tenantId, `whatsapp:${phone}`), 'the WhatsApp conversation', 60_000);
  await cloud.settle();
  await whatsapp(phone, 'can I talk to a person');
  await eventually(async () => ((await store().getConversation(tenantId, whatsappId))?.mode !== 'bot' ? true : undefined), 'the handoff', 60_000);
  // A booking made by staff with their phone and e-mail (confirmation e-mail, maybe a deposit checkout).
  const slots = z.object({ slots: z.array(z.object({ start: z.string(), staffId: z.string() })) }).parse((await api(cloud, 'GET', '/v1/admin/availability?serviceId=checkup-clean&limit=3', admin)).body).slots;
  const slot = slots[0];
  if (!slot) throw new Error('no free slot');
  const booked = await api(cloud, 'POST', '/v1/admin/bookings', admin, { serviceId: 'checkup-clean', staffId: slot.staffId, start: slot.start, customer: { name: 'Privacy Person', phone, email } });
  expect(booked.status).toBe(201);
  const bookingId = z.object({ booking: z.object({ bookingId: z.string() }) }).parse(booked.body).booking.bookingId;

  // 2. Customer two of the same tenant, and a customer of another tenant with the SAME phone (written by the stores).
  const phoneTwo = randomPhone();
  const phraseTwo = word();
  await whatsapp(phoneTwo, `What are your hours near ${phraseTwo}?`);
  const twoId = await eventually(() => store().getVisitorConversation(tenantId, `whatsapp:${phoneTwo}`), 'customer two', 60_000);
  const otherPhrase = word();
  const other = await store().startConversation(OTHER, `whatsapp:${phone}`, 'en', 'whatsapp');
  await store().appendMessage(OTHER, other.conversationId, { role: 'customer', text: `Hello from ${otherPhrase}` });
  await identityStore().linkIdentity(OTHER, `whatsapp:${phone}`, customerKey);
  await identityStore().addCustomerConversation(OTHER, customerKey, { conversationId: other.conversationId, channel: 'whatsapp', identity: `whatsapp:${phone}`, createdAt: other.createdAt });
  await cloud.settle();

  // 3. The export: a download of exactly customer one.
  const path = `/v1/admin/customers/${encodeURIComponent(customerKey)}`;
  const res = await fetch(`${cloud.urls.rest}${path}/export`, { headers: { authorization: `Bearer ${admin}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="customer-[0-9a-f]{12}\.json"$/);
  const text = await res.text();
  const doc = exportDoc.parse(JSON.parse(text));
  expect(doc.customerKey).toBe(customerKey);
  expect(doc.identities).toEqual(expect.arrayContaining([`web:${visitorId}`, `whatsapp:${phone}`]));
  expect(doc.conversations.map((c) => c.conversationId).sort()).toEqual([webId, whatsappId].sort());
  expect(doc.bookings.map((b) => b.bookingId)).toEqual([bookingId]);
  for (const needle of [webPhrase, whatsappPhrase, email, bookingId]) expect(text).toContain(needle);
  for (const absent of [phraseTwo, phoneTwo, twoId, otherPhrase, other.conversationId, OTHER]) expect(text).not.toContain(absent);
  expect(doc.counts['messages']).toBeGreaterThanOrEqual(4);
  expect(doc.counts['handoffs']).toBeGreaterThanOrEqual(1);
  // Found by a channel identity too; another tenant's staff find nothing of it.
  expect((await api(cloud, 'GET', `/v1/admin/customers/${encodeURIComponent(`web:${visitorId}`)}`, admin)).body).toMatchObject({ customerKey });

  // The search index holds knowledge passages only: nothing of the customer, before or after.
  const searchIndex = async (): Promise<string> => JSON.stringify(await answerDeps().index.search(tenantId, `${webPhrase} ${whatsappPhrase} parking`, 10));
  expect(await searchIndex()).not.toMatch(new RegExp(`${webPhrase}|${whatsappPhrase}`));

  // The scan below finds what is there: before the erasure, customer one is in many items.
  const needles = [phone, phone.slice(1), email, visitorId, webId, whatsappId, webPhrase, whatsappPhrase];
  const holding = async () => (await scanTable()).filter((i) => i.pk.startsWith(`T#${tenantId}`) && needles.some((n) => i.text.includes(n)));
  expect((await holding()).length).toBeGreaterThan(10);
  // …among them a failed webhook delivery naming them.
  await eventually(async () => ((await holding()).some((i) => i.text.includes('"DELIVERY#')) ? true : undefined), 'a failed webhook delivery naming the customer', 60_000);

  // 4. Erasure: confirmed or refused.
  expect((await api(cloud, 'DELETE', path, admin)).status).toBe(400);
  const wrong = await api(cloud, 'DELETE', path, admin, { confirm: 'phone:+34000000000' });
  expect(wrong.status).toBe(400);
  expect(wrong.body).toMatchObject({ error: { field: 'confirm' } });
  const erased = await api(cloud, 'DELETE', path, admin, { confirm: customerKey });
  expect(erased.status).toBe(200);
  const result = erasure.parse(erased.body);
  expect(result).toMatchObject({ erased: true, counts: { conversations: 2, bookings: 1 } });
  expect(erased.text).not.toContain(phone);
  await cloud.settle();

  // 5. Every store: nothing of customer one in the demo tenant's items (scanned whole), the booking anonymised.
  expect(await holding()).toEqual([]);
  const booking = await api(cloud, 'GET', `/v1/admin/bookings/${bookingId}`, admin);
  expect(booking.body).toMatchObject({ booking: { bookingId, serviceId: 'checkup-clean', customer: { name: 'Erased customer' } } });
  expect(booking.text).not.toContain(email);
  expect(await searchIndex()).not.toMatch(new RegExp(`${webPhrase}|${whatsappPhrase}`));
  expect(await identityStore().getIdentityCustomer(tenantId, `web:${visitorId}`)).toBeUndefined();
  expect(await identityStore().getIdentityCustomer(tenantId, `whatsapp:${phone}`)).toBeUndefined();
  expect(await store().getVisitorConversation(tenantId, `whatsapp:${phone}`)).toBeUndefined();
  expect((await api(cloud, 'GET', path, admin)).status).toBe(404);
  expect((await api(cloud, 'GET', `${path}/export`, admin)).status).toBe(404);

  // Nobody else: customer two, and the other tenant's customer with the same phone.
  expect((await store().listMessages(tenantId, twoId, 0)).map((m) => m.text).join(' ')).toContain(phraseTwo);
  expect((await store().listMessages(OTHER, other.conversationId, 0)).map((m) => m.text)).toEqual([`Hello from ${otherPhrase}`]);
  expect(await identityStore().getIdentityCustomer(OTHER, `whatsapp:${phone}`)).toBe(customerKey);
  expect(await identityStore().listCustomerConversations(OTHER, customerKey, 10)).toHaveLength(1);

  // The look-up (it shows the identities), the export and the erasure are in the audit log, under a hash of the key (never the phone).
  const audit = await api(cloud, 'GET', '/v1/admin/audit?action=customer.', admin);
  expect(audit.status).toBe(200);
  const actions = z.object({ items: z.array(z.object({ action: z.string(), target: z.string() }).passthrough()) }).parse(audit.body).items;
  const target = `customer sha256:${result.customerRef.slice(0, 12)}`;
  expect(actions).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ action: 'customer.view', target }),
      expect.objectContaining({ action: 'customer.export', target }),
      expect.objectContaining({ action: 'customer.erase', target }),
    ]),
  );
  expect(audit.text).not.toContain(phone.slice(1));

  expect((await api(cloud, 'DELETE', `/v1/admin/webhooks/${webhookId}`, admin)).status).toBeLessThan(300);

  // Again: nothing left to erase, and said so.
  const again = await api(cloud, 'DELETE', path, admin, { confirm: customerKey });
  expect(again.status).toBe(200);
  expect(erasure.parse(again.body)).toMatchObject({ erased: false, customerRef: result.customerRef });
  expect(Object.values(erasure.parse(again.body).counts).every((n) => n === 0)).toBe(true);
}, 240_000);

it("finds a customer staff booked with a local number when the look-up gives it the same local way", async () => {
  // An Irish mobile written without +353 at the demo's Irish clinic: the booking is stored under +353…
  const local = `087 ${String(randomBytes(4).readUInt32BE() % 1e7).padStart(7, '0')}`;
  const international = `+353${local.replace(/\D/g, '').slice(1)}`;
  const slots = z.object({ slots: z.array(z.object({ start: z.string(), staffId: z.string() })) }).parse((await api(cloud, 'GET', '/v1/admin/availability?serviceId=checkup-clean&limit=5', admin)).body).slots;
  const slot = slots[slots.length - 1];
  if (!slot) throw new Error('no free slot');
  const booked = await api(cloud, 'POST', '/v1/admin/bookings', admin, { serviceId: 'checkup-clean', staffId: slot.staffId, start: slot.start, customer: { name: 'Local Number', phone: local } });
  expect(booked.status).toBe(201);
  const bookingId = z.object({ booking: z.object({ bookingId: z.string() }) }).parse(booked.body).booking.bookingId;

  // …and the privacy look-up of `phone:087 …` (what the admin UI sends for "087 …") finds that customer and booking.
  for (const named of [`phone:${local}`, `phone:${international}`]) {
    const found = await api(cloud, 'GET', `/v1/admin/customers/${encodeURIComponent(named)}/export`, admin);
    expect(found.status).toBe(200);
    expect(exportDoc.parse(found.body)).toMatchObject({ customerKey: `phone:${international}`, bookings: [expect.objectContaining({ bookingId })] });
  }
});

it('finds, exports and erases by the e-mail a customer staff booked with a phone and that e-mail (the booking keyed by the phone)', async () => {
  const tenantId = cloud.demo.tenantId;
  const phone = randomPhone();
  const email = `${word()}@example.com`;
  const slots = z.object({ slots: z.array(z.object({ start: z.string(), staffId: z.string() })) }).parse((await api(cloud, 'GET', '/v1/admin/availability?serviceId=checkup-clean&limit=8', admin)).body).slots;
  const slot = slots[3];
  if (!slot) throw new Error('no free slot');
  const booked = await api(cloud, 'POST', '/v1/admin/bookings', admin, { serviceId: 'checkup-clean', staffId: slot.staffId, start: slot.start, customer: { name: 'Lucía Fernández', phone, email } });
  expect(booked.status).toBe(201);
  const bookingId = z.object({ booking: z.object({ bookingId: z.string() }) }).parse(booked.body).booking.bookingId;
  await cloud.settle();
  const holding = async () => (await scanTable()).filter((i) => i.pk.startsWith(`T#${tenantId}`) && [phone, email].some((n) => i.text.includes(n)));
  // The staff notice of the booking quotes the address too.
  await eventually(async () => ((await holding()).some((i) => i.pk.endsWith('#OUTBOX') && i.text.includes('New booking')) ? true : undefined), 'the staff e-mail', 60_000);

  const key = `email:${email}`;
  const path = `/v1/admin/customers/${encodeURIComponent(key)}`;
  const found = await api(cloud, 'GET', path, admin);
  expect(found.status).toBe(200);
  expect(found.body).toMatchObject({ customerKey: key, customerKeys: [key, `phone:${phone}`], bookings: 1 });
  const exported = exportDoc.parse((await api(cloud, 'GET', `${path}/export`, admin)).body);
  expect(exported.bookings.map((b) => b.bookingId)).toEqual([bookingId]);

  const erased = await api(cloud, 'DELETE', path, admin, { confirm: key });
  expect(erased.status).toBe(200);
  expect(erasure.parse(erased.body)).toMatchObject({ erased: true, counts: { bookings: 1 } });
  await cloud.settle();
  expect(await holding()).toEqual([]);
  const booking = await api(cloud, 'GET', `/v1/admin/bookings/${bookingId}`, admin);
  expect(booking.body).toMatchObject({ booking: { bookingId, customer: { name: 'Erased customer' } } });
  expect((await api(cloud, 'GET', path, admin)).status).toBe(404);
  expect((await api(cloud, 'GET', `/v1/admin/customers/${encodeURIComponent(`phone:${phone}`)}`, admin)).status).toBe(404);
}, 120_000);

it('finds, exports and erases an anonymous web visitor by web:<visitorId>', async () => {
  const tenantId = cloud.demo.tenantId;
  const visitorId = randomBytes(16).toString('hex');
  const phrase = word();
  const conversationId = await webChat(visitorId, [`Do you open on Sundays near ${phrase}?`]);
  await cloud.settle();
  const key = `web:${visitorId}`;
  const path = `/v1/admin/customers/${encodeURIComponent(key)}`;
  const found = await api(cloud, 'GET', path, admin);
  expect(found.status).toBe(200);
  expect(found.body).toMatchObject({ customerKey: key, customerKeys: [], identities: [key], conversations: 1, bookings: 0 });
  const res = await api(cloud, 'GET', `${path}/export`, admin);
  expect(res.status).toBe(200);
  expect(exportDoc.parse(res.body).conversations.map((c) => c.conversationId)).toEqual([conversationId]);
  expect(res.text).toContain(phrase);

  const erased = await api(cloud, 'DELETE', path, admin, { confirm: key });
  expect(erased.status).toBe(200);
  expect(erasure.parse(erased.body)).toMatchObject({ erased: true, counts: { conversations: 1, visitors: 1 } });
  await cloud.settle();
  expect((await scanTable()).filter((i) => i.pk.startsWith(`T#${tenantId}`) && [visitorId, conversationId, phrase].some((n) => i.text.includes(n)))).toEqual([]);
  expect((await api(cloud, 'GET', path, admin)).status).toBe(404);
}, 120_000);

it('sweeps old conversations when a period is set, stamps the rest, and hides an expired one from reads', async () => {
  const owner = await signIn(cloud, 'owner@privacy-retain.example', PASSWORD);
  const at = (daysAgo: number) => ({ now: () => new Date(Date.now() - daysAgo * DAY_MS) });
  const writer = (daysAgo: number) => new DynamoStore(documentClient(cloud.urls.dynamodb), cloud.tableName, at(daysAgo), privacyStore());
  const write = async (daysAgo: number, text: string) => {
    const s = writer(daysAgo);
    const c = await s.startConversation(RETAIN, randomBytes(8).toString('hex'), 'en');
    await s.appendMessage(RETAIN, c.conversationId, { role: 'customer', text });
    return c.conversationId;
  };
  const old = await write(40, 'an old question');
  const recent = await write(2, 'a recent question');

  expect((await api(cloud, 'GET', '/v1/admin/privacy', owner)).body).toEqual({ retentionDays: null });
  const refused = await api(cloud, 'PUT', '/v1/admin/privacy', owner, { retentionDays: 3 });
  expect(refused.status).toBe(400);
  expect(refused.body).toMatchObject({ error: { field: 'retentionDays' } });
  const put = await api(cloud, 'PUT', '/v1/admin/privacy', owner, { retentionDays: 30 });
  expect(put.status).toBe(200);
  expect(put.body).toEqual({ retentionDays: 30 });
  await cloud.settle();

  // The sweeper (privacy.retention.changed): the old conversation is gone whole, the recent one stamped.
  const partition = async (id: string) => (await scanTable()).filter((i) => i.pk === keys.conversationPartition(RETAIN, id));
  expect(await partition(old)).toEqual([]);
  const stamped = (await partition(recent)).map((i) => z.object({ sk: z.string(), expiresAt: z.number().optional() }).parse(JSON.parse(i.text)));
  expect(stamped.length).toBeGreaterThanOrEqual(2);
  const expected = Math.floor((Date.now() - 2 * DAY_MS + 30 * DAY_MS) / 1000);
  // The head (what the daily sweep finds the conversation by) outlives the period by a grace, so TTL never takes it first.
  for (const item of stamped) expect(Math.abs((item.expiresAt ?? 0) - expected - (item.sk === 'META' ? HEAD_GRACE_DAYS * 86_400 : 0))).toBeLessThan(120);

  // Written now with the period set: stamped at once. One written 31 days ago is already expired: hidden from reads.
  const expired = await write(31, 'an expired question');
  const list = z.object({ items: z.array(z.object({ conversationId: z.string() })) }).parse((await api(cloud, 'GET', '/v1/admin/conversations', owner)).body);
  expect(list.items.map((c) => c.conversationId)).toEqual([recent]);
  expect((await api(cloud, 'GET', `/v1/admin/conversations/${expired}`, owner)).status).toBe(404);
  expect((await api(cloud, 'GET', `/v1/admin/conversations/${recent}`, owner)).status).toBe(200);
  // Until TTL (or the next sweep) deletes it, it is still in the table: DynamoDB deletes expired items within days.
  expect((await partition(expired)).length).toBeGreaterThan(0);

  // Keep again: the stamps are removed.
  expect((await api(cloud, 'PUT', '/v1/admin/privacy', owner, { retentionDays: null })).status).toBe(200);
  await cloud.settle();
  const unstamped = (await partition(recent)).map((i) => z.object({ expiresAt: z.number().optional() }).parse(JSON.parse(i.text)));
  expect(unstamped.every((i) => i.expiresAt === undefined)).toBe(true);
}, 120_000);
