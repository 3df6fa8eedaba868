/**
 * A data request reaches the whole person, against a table of the test's own on DynamoDB Local (core/privacy with the
 * DynamoDB adapters; decisions 59 and 99):
 * - a booking staff made with a phone AND an e-mail is keyed by the phone; a request by the e-mail finds it (also
 *   with no link written when it was made: the calendar index is read), says under which keys data was found,
 *   exports it, and the erasure anonymises it and deletes the staff e-mail quoting the address — and nobody else's;
 * - a request by the phone reaches what is held under the e-mail given with it;
 * - a conversation in which the customer gave a phone and an e-mail is recorded under both, so a request by either
 *   finds it; retention deletes both refs with the conversation;
 * - an erasure by the e-mail cut short after the booking was anonymised (nothing joins the e-mail to the phone any
 *   more) is finished by its retry by the same e-mail;
 * - an anonymous web visitor (never linked to a customer) is a subject of their own: every conversation they wrote
 *   from, its messages and knowledge-gap samples are found, exported and erased; another visitor's are not.
 */
import { randomBytes } from 'node:crypto';
import { BatchWriteCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoBookingStore } from '../../lambdas/adapters/dynamo/booking-store';
import { DynamoIdentityStore } from '../../lambdas/adapters/dynamo/channel-store';
import { DynamoHandoffStore } from '../../lambdas/adapters/dynamo/handoff-store';
import { keys } from '../../lambdas/adapters/dynamo/keys';
import { DynamoPrivacyStore } from '../../lambdas/adapters/dynamo/privacy-store';
import { queryPartition } from '../../lambdas/adapters/dynamo/query';
import { DynamoStore } from '../../lambdas/adapters/dynamo/store';
import { cellsFor, type Booking } from '../../lambdas/core/booking/ports';
import { linkConversation } from '../../lambdas/core/channels/identity';
import type { Clock } from '../../lambdas/core/ports';
import type { ConversationSamples } from '../../lambdas/core/privacy/ports';
import { customerSummary, eraseCustomer, exportCustomer, type SubjectAccessDeps } from '../../lambdas/core/privacy/subject-access';
import { sharedTable, type SharedTable } from '../support/shared-table';

const clock: Clock = { now: () => new Date() };
const hex = (): string => randomBytes(6).toString('hex');
const phoneOf = (): string => `+3460${String(randomBytes(4).readUInt32BE() % 1e7).padStart(7, '0')}`;

let shared: SharedTable;
let db: DynamoDBDocumentClient;
let table: string;
let privacy: DynamoPrivacyStore;
let identities: DynamoIdentityStore;
let outbox: DynamoHandoffStore;

beforeAll(async () => {
  shared = await sharedTable('privacy-person');
  ({ db, table } = shared);
  privacy = new DynamoPrivacyStore(db, table, clock);
  identities = new DynamoIdentityStore(db, table, clock);
  outbox = new DynamoHandoffStore(db, table, clock);
}, 60_000);

afterAll(async () => {
  await shared?.drop();
});

/** Every item of the table whose JSON names `needle` (case-insensitively), as `pk sk`. */
async function itemsNaming(needle: string): Promise<string[]> {
  const out: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) if (JSON.stringify(item).toLowerCase().includes(needle.toLowerCase())) out.push(`${String(item['pk'])} ${String(item['sk'])}`);
    start = page.LastEvaluatedKey;
  } while (start);
  return out.sort();
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

const accessDeps = (gaps: ConversationSamples = samples()): SubjectAccessDeps => ({ data: privacy, events: { publish: async () => undefined }, clock, samples: gaps });

let hour = 0;
/** A staff booking of `customer` (a phone and/or an e-mail, as typed), keyed as the booking service keys it: by the phone when there is one. */
async function staffBooking(tenantId: string, customer: { name: string; phone?: string; email?: string }, customerKey: string): Promise<Booking> {
  const start = new Date(Math.floor(Date.now() / 3_600_000 + 48 + hour++) * 3_600_000).toISOString();
  const booking: Booking = {
    tenantId,
    bookingId: `bk-${hex()}`,
    serviceId: 'checkup',
    staffId: 'niamh',
    start,
    end: new Date(Date.parse(start) + 45 * 60_000).toISOString(),
    customer,
    customerKey,
    status: 'held',
    priceCents: 8000,
    depositCents: 0,
    currency: 'EUR',
    payment: { status: 'none' },
    cells: cellsFor('niamh', start, 45),
    holdExpiresAt: new Date(Date.now() + 600_000).toISOString(),
    channel: 'staff',
    lang: 'en',
    source: 'staff',
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    rev: 1,
  };
  expect((await new DynamoBookingStore(db, table, clock).hold(booking)).ok).toBe(true);
  return booking;
}

describe('a request by any of a customer’s contacts', () => {
  it('by the e-mail finds, exports and erases the booking keyed by the phone given with it, and the staff e-mail quoting the address', async () => {
    const tenantId = `person-email-${hex()}`;
    const phone = phoneOf();
    const email = `lucia.${hex()}@example.com`;
    const booking = await staffBooking(tenantId, { name: 'Lucía Fernández', phone, email: email.toUpperCase() }, `phone:${phone}`);
    // The staff notice of the booking (its id), and a handoff notice quoting the address in its text only.
    await outbox.send({ tenantId, to: ['owner@clinic.example'], kind: 'booking.confirmed', subject: 'New booking', text: `Lucía Fernández, ${email}`, bookingId: booking.bookingId });
    await outbox.send({ tenantId, to: ['owner@clinic.example'], kind: 'handoff.callback', subject: 'Call back', text: `Please call back: ${email.toUpperCase()}.` });
    // Another customer: an address that ends like Lucía's, a booking of their own, and an e-mail quoting it.
    const otherEmail = `x${email}`;
    const other = await staffBooking(tenantId, { name: 'Other', email: otherEmail }, `email:${otherEmail}`);
    await outbox.send({ tenantId, to: ['owner@clinic.example'], kind: 'handoff.callback', subject: 'Call back', text: `Please call back: ${otherEmail}` });

    const customerKey = `email:${email}`;
    const { summary } = await customerSummary(accessDeps(), tenantId, { kind: 'customer', customerKey });
    expect(summary).toMatchObject({ customerKey, customerKeys: [customerKey, `phone:${phone}`], bookings: 1 });
    expect(summary.counts).toMatchObject({ bookings: 1, emails: 2 });

    const exported = await exportCustomer(accessDeps(), tenantId, { kind: 'customer', customerKey });
    expect(exported.document.bookings).toEqual([expect.objectContaining({ bookingId: booking.bookingId, customer: expect.objectContaining({ phone }) })]);
    expect(exported.document.emails).toHaveLength(2);
    expect(JSON.stringify(exported.document)).not.toContain(otherEmail);

    const erased = await eraseCustomer(accessDeps(), tenantId, { kind: 'customer', customerKey }, 'test');
    expect(erased).toMatchObject({ erased: true, counts: expect.objectContaining({ bookings: 1, emails: 2 }) });
    const after = await new DynamoBookingStore(db, table, clock).getBooking(tenantId, booking.bookingId);
    expect(after).toMatchObject({ customer: { name: 'Erased customer' } });
    // What still names the address is the other customer's (theirs ends like it).
    expect(await itemsNaming(email)).toEqual(await itemsNaming(otherEmail));
    expect(await itemsNaming(phone)).toEqual([]);
    // Nothing of the other customer was touched.
    expect(await new DynamoBookingStore(db, table, clock).getBooking(tenantId, other.bookingId)).toMatchObject({ customer: { name: 'Other', email: otherEmail } });
    expect((await itemsNaming(otherEmail)).length).toBeGreaterThanOrEqual(3);
    await expect(customerSummary(accessDeps(), tenantId, { kind: 'customer', customerKey })).rejects.toMatchObject({ code: 'not_found' });
    await expect(customerSummary(accessDeps(), tenantId, { kind: 'customer', customerKey: `phone:${phone}` })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('by the phone reaches what is held under the e-mail given with it', async () => {
    const tenantId = `person-phone-${hex()}`;
    const phone = phoneOf();
    const email = `ana.${hex()}@example.com`;
    // Before the booking, the customer wrote on the web and gave only the e-mail.
    const writer = new DynamoStore(db, table, clock, privacy);
    const visitorId = hex();
    const c = await writer.startConversation(tenantId, visitorId, 'en');
    await writer.appendMessage(tenantId, c.conversationId, { role: 'customer', text: `my e-mail is ${email}` });
    await linkConversation({ identities }, c, { email });
    await staffBooking(tenantId, { name: 'Ana', phone, email }, `phone:${phone}`);

    const customerKey = `phone:${phone}`;
    const { summary } = await customerSummary(accessDeps(), tenantId, { kind: 'customer', customerKey });
    expect(summary).toMatchObject({ customerKeys: [customerKey, `email:${email}`], identities: [`web:${visitorId}`], conversations: 1, bookings: 1 });
    await eraseCustomer(accessDeps(), tenantId, { kind: 'customer', customerKey }, 'test');
    expect(await itemsNaming(email)).toEqual([]);
    expect(await itemsNaming(visitorId)).toEqual([]);
    expect(await identities.getIdentityCustomer(tenantId, `web:${visitorId}`)).toBeUndefined();
  });

  it('finds a conversation in which the customer gave a phone and an e-mail by either, and retention deletes both refs', async () => {
    const tenantId = `person-conv-${hex()}`;
    const phone = phoneOf();
    const email = `marta.${hex()}@example.com`;
    const writer = new DynamoStore(db, table, clock, privacy);
    const visitorId = hex();
    const c = await writer.startConversation(tenantId, visitorId, 'en');
    await writer.appendMessage(tenantId, c.conversationId, { role: 'customer', text: 'call me' });
    // As the chat does: the contact joins the conversation's context, and the conversation its customer.
    await writer.updateConversationContext(tenantId, c.conversationId, { contact: { phone, email, name: 'Marta' } });
    await linkConversation({ identities }, c, { phone, email, name: 'Marta' });
    expect(await identities.getIdentityCustomer(tenantId, `web:${visitorId}`)).toBe(`phone:${phone}`);

    for (const customerKey of [`email:${email}`, `phone:${phone}`]) {
      const { summary } = await customerSummary(accessDeps(), tenantId, { kind: 'customer', customerKey });
      expect(summary).toMatchObject({ customerKey, identities: [`web:${visitorId}`], conversations: 1 });
      expect([...summary.customerKeys].sort()).toEqual([`email:${email}`, `phone:${phone}`].sort());
    }
    await privacy.deleteConversation(tenantId, { ...c, lastMessageAt: c.createdAt, channel: 'web' });
    expect(await queryPartition(db, table, keys.customerPartition(tenantId, `email:${email}`), { prefix: keys.customerConversationPrefix })).toEqual([]);
    expect(await queryPartition(db, table, keys.customerPartition(tenantId, `phone:${phone}`), { prefix: keys.customerConversationPrefix })).toEqual([]);
  });
});

describe('an erasure by the e-mail cut short after the booking was anonymised', () => {
  it('is finished by its retry by the same e-mail, which still reaches the phone’s records', async () => {
    const tenantId = `person-retry-${hex()}`;
    const phone = phoneOf();
    const email = `rosa.${hex()}@example.com`;
    // The WhatsApp customer of that phone, booked by staff with the phone and the e-mail: only the booking joins them.
    const writer = new DynamoStore(db, table, clock, privacy);
    const c = await writer.startConversation(tenantId, `whatsapp:${phone}`, 'en', 'whatsapp');
    await writer.appendMessage(tenantId, c.conversationId, { role: 'customer', text: 'hola' });
    await linkConversation({ identities }, c, {});
    await staffBooking(tenantId, { name: 'Rosa', phone, email }, `phone:${phone}`);

    let anonymised = false;
    const timingOut = new Proxy(db, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver);
        return (command: Parameters<DynamoDBDocumentClient['send']>[0]) => {
          if (command instanceof UpdateCommand) anonymised = true;
          // The first deletion after the booking was anonymised: the links and records of every key.
          else if (anonymised && command instanceof BatchWriteCommand) return Promise.reject(new Error('Task timed out after 30.00 seconds'));
          return target.send(command);
        };
      },
    });
    const customerKey = `email:${email}`;
    const cut: SubjectAccessDeps = { ...accessDeps(), data: new DynamoPrivacyStore(timingOut, table, clock) };
    await expect(eraseCustomer(cut, tenantId, { kind: 'customer', customerKey }, 'test')).rejects.toThrow('Task timed out');
    expect(anonymised).toBe(true);
    expect(await itemsNaming(phone)).not.toEqual([]);

    const retried = await eraseCustomer(accessDeps(), tenantId, { kind: 'customer', customerKey }, 'test');
    expect(retried.erased).toBe(true);
    expect(await itemsNaming(phone)).toEqual([]);
    expect(await itemsNaming(email)).toEqual([]);
    expect(await itemsNaming(c.conversationId)).toEqual([]);
  });
});

describe('an anonymous web visitor', () => {
  it('is a subject of their own: every conversation they wrote from is found, exported and erased, nobody else’s', async () => {
    const tenantId = `person-web-${hex()}`;
    const writer = new DynamoStore(db, table, clock, privacy);
    const visitorId = `v_${hex()}`;
    const first = await writer.startConversation(tenantId, visitorId, 'en');
    await writer.appendMessage(tenantId, first.conversationId, { role: 'customer', text: 'do you open on Sundays?' });
    // "New conversation" in the widget: the pointer moves on, the first conversation stays.
    const second = await writer.startConversation(tenantId, visitorId, 'en');
    await writer.appendMessage(tenantId, second.conversationId, { role: 'customer', text: 'how much is a checkup?' });
    const stranger = await writer.startConversation(tenantId, `v_${hex()}`, 'en');
    await writer.appendMessage(tenantId, stranger.conversationId, { role: 'customer', text: 'hello' });

    const name = { kind: 'identity', identity: `web:${visitorId}` } as const;
    const { summary } = await customerSummary(accessDeps(), tenantId, name);
    expect(summary).toMatchObject({ customerKey: `web:${visitorId}`, customerKeys: [], identities: [`web:${visitorId}`], conversations: 2, bookings: 0 });
    expect(summary.counts).toMatchObject({ visitors: 1, conversations: 2, messages: 2, knowledgeGaps: 2 });

    const exported = await exportCustomer(accessDeps(), tenantId, name);
    expect(exported.document.conversations.map((c) => String((c as Record<string, unknown>)['conversationId'])).sort()).toEqual([first.conversationId, second.conversationId].sort());
    expect(JSON.stringify(exported.document)).toContain('do you open on Sundays?');
    expect(JSON.stringify(exported.document)).not.toContain(stranger.conversationId);

    const gaps = samples();
    const erased = await eraseCustomer(accessDeps(gaps), tenantId, name, 'test');
    expect(erased).toMatchObject({ erased: true, counts: expect.objectContaining({ conversations: 2, messages: 2, visitors: 1, knowledgeGaps: 2 }) });
    expect(gaps.forgotten.sort()).toEqual([first.conversationId, second.conversationId].sort());
    expect(await itemsNaming(visitorId)).toEqual([]);
    expect(await itemsNaming(first.conversationId)).toEqual([]);
    expect(await writer.getConversation(tenantId, stranger.conversationId)).toMatchObject({ conversationId: stranger.conversationId });
    await expect(customerSummary(accessDeps(), tenantId, name)).rejects.toMatchObject({ code: 'not_found' });
    // A repeat is not an error.
    expect(await eraseCustomer(accessDeps(), tenantId, name, 'test')).toMatchObject({ erased: false });
  });

  it('still resolves to the customer once linked', async () => {
    const tenantId = `person-linked-${hex()}`;
    const email = `leo.${hex()}@example.com`;
    const writer = new DynamoStore(db, table, clock, privacy);
    const visitorId = `v_${hex()}`;
    const c = await writer.startConversation(tenantId, visitorId, 'en');
    await linkConversation({ identities }, c, { email });
    const { summary } = await customerSummary(accessDeps(), tenantId, { kind: 'identity', identity: `web:${visitorId}` });
    expect(summary).toMatchObject({ customerKey: `email:${email}`, customerKeys: [`email:${email}`], conversations: 1 });
  });
});
