/**
 * Retention and erasure at the edges, against a table of the test's own on DynamoDB Local (core/privacy with the
 * DynamoDB adapters, no local cloud):
 * - TTL must never delete a conversation's head before the daily sweep has found the conversation by it: the head
 *   expires a grace after the period (DynamoDB Local runs no TTL, so the test deletes what has expired itself), the
 *   conversation is hidden from readers by its last activity, and the sweep deletes the items with no expiry;
 * - a booking whose copy in the customer's records retention removed is still found, exported and anonymised;
 * - an erasure cut short (a timeout after its first batch) is finished by the retry: the links go last;
 * - an erasure forgets the knowledge-gap samples of every conversation the customer's records name, also those
 *   whose head is gone.
 */
import { randomBytes } from 'node:crypto';
import { BatchWriteCommand, DeleteCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoChannelStore } from '../../lambdas/adapters/channels/delivery-store';
import { DynamoBookingStore } from '../../lambdas/adapters/dynamo/booking-store';
import { optOutAddress } from '../../lambdas/core/channels/policy';
import { DynamoIdentityStore } from '../../lambdas/adapters/dynamo/channel-store';
import { keys } from '../../lambdas/adapters/dynamo/keys';
import { DynamoPrivacyStore } from '../../lambdas/adapters/dynamo/privacy-store';
import { queryPartition } from '../../lambdas/adapters/dynamo/query';
import { DynamoStore } from '../../lambdas/adapters/dynamo/store';
import { cellsFor, type Booking } from '../../lambdas/core/booking/ports';
import type { Clock } from '../../lambdas/core/ports';
import type { ConversationSamples } from '../../lambdas/core/privacy/ports';
import { sweepRetention } from '../../lambdas/core/privacy/retention';
import { HEAD_GRACE_DAYS } from '../../lambdas/core/privacy/settings';
import { eraseCustomer, exportCustomer, type SubjectAccessDeps } from '../../lambdas/core/privacy/subject-access';
import { sharedTable, type SharedTable } from '../support/shared-table';

const DAY_MS = 86_400_000;
const DAY_S = 86_400;
const clock: Clock = { now: () => new Date() };
const daysAgo = (n: number): Clock => ({ now: () => new Date(Date.now() - n * DAY_MS) });
const hex = (): string => randomBytes(6).toString('hex');

let shared: SharedTable;
let db: DynamoDBDocumentClient;
let table: string;
let privacy: DynamoPrivacyStore;
let identities: DynamoIdentityStore;

beforeAll(async () => {
  shared = await sharedTable('privacy-store');
  ({ db, table } = shared);
  privacy = new DynamoPrivacyStore(db, table, clock);
  identities = new DynamoIdentityStore(db, table, clock);
}, 60_000);

afterAll(async () => {
  await shared?.drop();
});

const put = (item: Record<string, unknown>): Promise<unknown> => db.send(new PutCommand({ TableName: table, Item: item }));

/** Every item of the table whose JSON names `needle`, as `pk sk`. */
async function itemsNaming(needle: string): Promise<string[]> {
  const out: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) if (JSON.stringify(item).includes(needle)) out.push(`${String(item['pk'])} ${String(item['sk'])}`);
    start = page.LastEvaluatedKey;
  } while (start);
  return out.sort();
}

/** What DynamoDB's TTL does in the end (DynamoDB Local never does): deletes every item whose `expiresAt` has passed. */
async function runTtl(): Promise<number> {
  const now = Math.floor(Date.now() / 1000);
  let deleted = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      if (typeof item['expiresAt'] === 'number' && item['expiresAt'] <= now) {
        await db.send(new DeleteCommand({ TableName: table, Key: { pk: item['pk'], sk: item['sk'] } }));
        deleted++;
      }
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return deleted;
}

function samples(): ConversationSamples & { forgotten: string[] } {
  const forgotten: string[] = [];
  return {
    forgotten,
    listConversationSamples: async (_tenantId, ids) => ids.map((conversationId) => ({ conversationId })),
    forgetConversations: async (_tenantId, ids) => {
      forgotten.push(...ids);
      return ids.length;
    },
  };
}

function accessDeps(data: DynamoPrivacyStore = privacy, gaps: ConversationSamples = samples()): SubjectAccessDeps {
  return { data, events: { publish: async () => undefined }, clock, samples: gaps };
}

/** A web visitor linked to `customerKey`, with a conversation of `messages` customer messages written `ago` days ago. */
async function webCustomer(tenantId: string, customerKey: string, messages = 1, ago = 0): Promise<{ visitorId: string; conversationId: string }> {
  const visitorId = hex();
  const writer = new DynamoStore(db, table, daysAgo(ago), privacy);
  const c = await writer.startConversation(tenantId, visitorId, 'en');
  for (let i = 0; i < messages; i++) await writer.appendMessage(tenantId, c.conversationId, { role: 'customer', text: `question ${i}` });
  await identities.linkIdentity(tenantId, `web:${visitorId}`, customerKey);
  await identities.addCustomerConversation(tenantId, customerKey, { conversationId: c.conversationId, channel: 'web', identity: `web:${visitorId}`, createdAt: c.createdAt });
  return { visitorId, conversationId: c.conversationId };
}

describe('retention', () => {
  it('stamps the head past the period, so the daily sweep finds the conversation before TTL and deletes what has no expiry', async () => {
    const tenantId = `ret-ttl-${hex()}`;
    await privacy.putPrivacySettings(tenantId, { retentionDays: 30 });
    const phone = `+3460${String(Date.now() % 1e7).padStart(7, '0')}`;
    const identity = `whatsapp:${phone}`;
    const writer = new DynamoStore(db, table, daysAgo(31), privacy);
    const c = await writer.startConversation(tenantId, identity, 'en', 'whatsapp');
    const { conversationId } = c;
    await writer.appendMessage(tenantId, conversationId, { role: 'customer', text: 'please call me back' });
    const last = (await queryPartition(db, table, keys.conversationPartition(tenantId, conversationId))).find((i) => i['sk'] === 'META');
    const lastActivity = Date.parse(String(last?.['lastMessageAt']));

    // Items other stores write without an expiry, holding the customer's contact or naming the conversation.
    const at = new Date(lastActivity).toISOString();
    await put({ ...keys.handoff(tenantId, conversationId), tenantId, conversationId, status: 'requested', callback: { phone } });
    await put({ ...keys.handoffTransition(tenantId, conversationId, at, 't1'), conversationId, fromMode: 'bot', toMode: 'waiting_for_human', at });
    await put({ ...keys.inboxEntry(tenantId, conversationId), tenantId, conversationId, preview: 'please call me back' });
    await put({ ...keys.followUp(tenantId, `f-${hex()}`), tenantId, conversationId, contact: phone, status: 'open' });
    await identities.addCustomerConversation(tenantId, `phone:${phone}`, { conversationId, channel: 'whatsapp', identity, createdAt: c.createdAt });

    // The expiries written: the message 30 days after it, the head a grace later than its last activity + 30 days.
    const items = await queryPartition(db, table, keys.conversationPartition(tenantId, conversationId));
    const expiry = (sk: (s: string) => boolean): unknown => items.find((i) => sk(String(i['sk'])))?.['expiresAt'];
    expect(expiry((sk) => sk === 'META')).toBe(Math.floor(lastActivity / 1000) + (30 + HEAD_GRACE_DAYS) * DAY_S);
    expect(HEAD_GRACE_DAYS).toBeGreaterThan(1); // the sweep runs daily
    expect(expiry((sk) => sk.startsWith(keys.messagePrefix))).toBe(Math.floor(lastActivity / 1000) + 30 * DAY_S);

    // 31 days on, TTL has deleted the message and the visitor record, not the head…
    expect(await runTtl()).toBeGreaterThanOrEqual(2);
    expect((await queryPartition(db, table, keys.conversationPartition(tenantId, conversationId))).map((i) => i['sk'])).toContain('META');
    // …which readers hide already: its last activity is older than the period.
    const reader = new DynamoStore(db, table, clock, privacy);
    expect(await reader.getConversation(tenantId, conversationId)).toBeUndefined();
    expect((await reader.listConversations(tenantId, 10)).items).toEqual([]);

    // The daily sweep finds it by its head and deletes everything naming it, expiry or not.
    expect(await sweepRetention({ settings: privacy, store: privacy, clock }, tenantId, 'expired')).toMatchObject({ deleted: 1 });
    expect(await itemsNaming(conversationId)).toEqual([]);
  });

  it('re-stamps the head with the grace on a change of period, and shows a conversation again when the period grows', async () => {
    const tenantId = `ret-full-${hex()}`;
    await privacy.putPrivacySettings(tenantId, { retentionDays: 30 });
    const { conversationId } = await webCustomer(tenantId, `email:${hex()}@example.com`, 1, 32);
    const reader = new DynamoStore(db, table, clock, privacy);
    expect(await reader.getConversation(tenantId, conversationId)).toBeUndefined();
    await privacy.putPrivacySettings(tenantId, { retentionDays: 60 });
    expect(await reader.getConversation(tenantId, conversationId)).toMatchObject({ conversationId });
    expect(await sweepRetention({ settings: privacy, store: privacy, clock }, tenantId, 'full')).toMatchObject({ deleted: 0 });
    const head = (await queryPartition(db, table, keys.conversationPartition(tenantId, conversationId))).find((i) => i['sk'] === 'META');
    expect(head?.['expiresAt']).toBe(Math.floor(Date.parse(String(head?.['lastMessageAt'])) / 1000) + (60 + HEAD_GRACE_DAYS) * DAY_S);
  });

  it('leaves a reference to a booking whose customer copy it removes, so the booking is still exported and anonymised', async () => {
    const tenantId = `ret-booking-${hex()}`;
    await privacy.putPrivacySettings(tenantId, { retentionDays: 30 });
    const email = `ana-${hex()}@example.com`;
    const customerKey = `email:${email}`;
    const start = new Date(Math.floor((Date.now() - 40 * DAY_MS) / 3_600_000) * 3_600_000).toISOString();
    const bookings = new DynamoBookingStore(db, table, daysAgo(41));
    const booking: Booking = {
      tenantId,
      bookingId: `bk-${hex()}`,
      serviceId: 'checkup',
      staffId: 'niamh',
      start,
      end: new Date(Date.parse(start) + 45 * 60_000).toISOString(),
      customer: { name: 'Ana Old', email },
      customerKey,
      status: 'held',
      priceCents: 8000,
      depositCents: 0,
      currency: 'EUR',
      payment: { status: 'none' },
      cells: cellsFor('niamh', start, 45),
      holdExpiresAt: new Date(Date.now() - 41 * DAY_MS + 600_000).toISOString(),
      channel: 'staff',
      lang: 'en',
      source: 'staff',
      createdAt: new Date(Date.now() - 41 * DAY_MS).toISOString(),
      updatedAt: new Date(Date.now() - 41 * DAY_MS).toISOString(),
      rev: 1,
    };
    expect((await bookings.hold(booking)).ok).toBe(true);
    expect(await bookings.listCustomerBookings(tenantId, customerKey)).toHaveLength(1);

    expect(await sweepRetention({ settings: privacy, store: privacy, clock }, tenantId, 'expired')).toMatchObject({ bookingCopies: 1 });
    // The copy is gone (the booking store lists none, and still reads the partition); what stays names the booking only.
    expect(await bookings.listCustomerBookings(tenantId, customerKey)).toEqual([]);
    const left = await queryPartition(db, table, keys.customerPartition(tenantId, customerKey));
    expect(left.map((i) => Object.keys(i).filter((k) => k !== 'pk' && k !== 'sk'))).toEqual([['bookingId']]);

    const exported = await exportCustomer(accessDeps(), tenantId, { kind: 'customer', customerKey });
    expect(exported.document.bookings).toEqual([expect.objectContaining({ bookingId: booking.bookingId, customer: { name: 'Ana Old', email } })]);
    const erased = await eraseCustomer(accessDeps(), tenantId, { kind: 'customer', customerKey }, 'test');
    expect(erased.counts).toMatchObject({ bookings: 1, customerRecords: 1 });
    const after = await bookings.getBooking(tenantId, booking.bookingId);
    expect(after).toMatchObject({ bookingId: booking.bookingId, start, customer: { name: 'Erased customer' } });
    expect(JSON.stringify(after)).not.toContain(email);
    expect(await itemsNaming(email)).toEqual([]);
  });
});

describe('export', () => {
  it("includes the number's WhatsApp opt-out next to its SMS one", async () => {
    const tenantId = `export-optout-${hex()}`;
    const phone = `+3461${String(Date.now() % 1e7).padStart(7, '0')}`;
    const channels = new DynamoChannelStore(db, table, clock);
    await identities.linkIdentity(tenantId, `whatsapp:${phone}`, `phone:${phone}`);
    await channels.putOptOut(tenantId, { address: optOutAddress('sms', phone), optedOut: true, at: '2026-11-01T10:00:00.000Z', keyword: 'BAJA' });
    await channels.putOptOut(tenantId, { address: optOutAddress('whatsapp', phone), optedOut: true, at: '2026-11-02T10:00:00.000Z', keyword: 'STOP' });
    const exported = await exportCustomer(accessDeps(), tenantId, { kind: 'customer', customerKey: `phone:${phone}` });
    expect(exported.document.optOuts).toEqual(
      expect.arrayContaining([expect.objectContaining({ address: phone, keyword: 'BAJA' }), expect.objectContaining({ address: `whatsapp:${phone}`, keyword: 'STOP' })]),
    );
    expect(exported.document.optOuts).toHaveLength(2);
  });
});

describe('erasure', () => {
  it('is finished by its retry when a timeout cuts it short after its first batch: the links go last', async () => {
    const tenantId = `erase-retry-${hex()}`;
    const customerKey = `email:${hex()}@example.com`;
    // More than one batch of 25 deletions.
    const { visitorId, conversationId } = await webCustomer(tenantId, customerKey, 30);
    let batches = 0;
    const timingOut = new Proxy(db, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver);
        return (command: Parameters<DynamoDBDocumentClient['send']>[0]) => {
          if (command instanceof BatchWriteCommand && ++batches === 2) return Promise.reject(new Error('Task timed out after 30.00 seconds'));
          return target.send(command);
        };
      },
    });
    await expect(eraseCustomer(accessDeps(new DynamoPrivacyStore(timingOut, table, clock)), tenantId, { kind: 'customer', customerKey }, 'test')).rejects.toThrow('Task timed out');
    expect(batches).toBe(2);

    // The retry still finds the customer, and what is left of them.
    const gaps = samples();
    const retried = await eraseCustomer(accessDeps(privacy, gaps), tenantId, { kind: 'customer', customerKey }, 'test');
    expect(retried.erased).toBe(true);
    expect(gaps.forgotten).toEqual([conversationId]);
    expect(await itemsNaming(conversationId)).toEqual([]);
    expect(await itemsNaming(visitorId)).toEqual([]);
    expect(await identities.getIdentityCustomer(tenantId, `web:${visitorId}`)).toBeUndefined();
  });

  it("forgets the knowledge-gap samples of every conversation the customer's records name, also one whose head is gone", async () => {
    const tenantId = `erase-gaps-${hex()}`;
    const customerKey = `email:${hex()}@example.com`;
    const live = await webCustomer(tenantId, customerKey);
    const headless = await webCustomer(tenantId, customerKey);
    await db.send(new DeleteCommand({ TableName: table, Key: keys.conversation(tenantId, headless.conversationId) }));

    const gaps = samples();
    const erased = await eraseCustomer(accessDeps(privacy, gaps), tenantId, { kind: 'customer', customerKey }, 'test');
    expect(erased.counts).toMatchObject({ conversations: 1, knowledgeGaps: 2 });
    expect(gaps.forgotten.sort()).toEqual([live.conversationId, headless.conversationId].sort());
    expect(await itemsNaming(headless.conversationId)).toEqual([]);
  });
});
