/**
 * SMS keywords (STOP / START) through receiveChannelMessage (core/channels/inbound.ts) with the real stores on
 * DynamoDB Local: an attempt that fails after the keyword was stored must not lose the opt-out — the redelivered
 * event (a duplicate) writes it — and a late redelivery of START never undoes a STOP sent after it.
 */
import { randomBytes } from 'node:crypto';
import { DynamoChannelStore } from '../../lambdas/adapters/channels/delivery-store';
import { DynamoIdentityStore } from '../../lambdas/adapters/dynamo/channel-store';
import { DynamoStore } from '../../lambdas/adapters/dynamo/store';
import { ExtractiveAnswerer } from '../../lambdas/adapters/llm/extractive';
import { receiveChannelMessage, type ChannelDeps, type InboundMessage } from '../../lambdas/core/channels/inbound';
import { isOptedOut, optOutAddress } from '../../lambdas/core/channels/policy';
import type { ConciergeEvent } from '../../lambdas/core/ports';
import { tenantProfile } from '../support/profiles';
import { sharedTable, type SharedTable } from '../support/shared-table';

const TENANT = 'harbour-dental';
let t: SharedTable;
let now = Date.parse('2026-11-26T10:00:00.000Z');
const clock = { now: () => new Date(now) };
let optOuts: DynamoChannelStore;
/** The next catalogue reads that fail (a throttled table, a timeout): between storing the keyword and answering it. */
let failingReads = 0;
let deps: ChannelDeps;
const published: ConciergeEvent[] = [];

beforeAll(async () => {
  t = await sharedTable('sms-keywords');
  const store = new DynamoStore(t.db, t.table, clock);
  optOuts = new DynamoChannelStore(t.db, t.table, clock);
  await store.putProfile(tenantProfile(TENANT, { name: 'Harbour Dental' }));
  deps = {
    tenants: store,
    conversations: store,
    connections: store,
    pusher: { push: async () => true },
    events: {
      publish: async (events) => {
        published.push(...events);
      },
    },
    clock,
    answer: {
      index: { search: async () => [] },
      model: new ExtractiveAnswerer(),
      catalogue: {
        catalogue: async () => {
          if (failingReads > 0) {
            failingReads--;
            throw new Error('ProvisionedThroughputExceededException');
          }
          return undefined;
        },
      },
    },
    identities: new DynamoIdentityStore(t.db, t.table, clock),
    optOuts,
  };
}, 60_000);

afterAll(async () => {
  await t?.drop();
});

const phone = (): string => `+3538${String(randomBytes(4).readUInt32BE() % 1e8).padStart(8, '0')}`;
const sms = (from: string, text: string, channel: 'sms' | 'whatsapp' = 'sms'): InboundMessage => ({
  tenantId: TENANT,
  channel,
  from,
  text,
  media: [],
  providerMessageId: `SM${randomBytes(16).toString('hex')}`,
});
/** The `message.send` kinds published for a conversation, in order. */
const sendKindsFor = (conversationId: string): unknown[] =>
  published.filter((e) => e.type === 'message.send' && e.detail['conversationId'] === conversationId).map((e) => e.detail['kind']);

describe('SMS keywords redelivered after a failed attempt', () => {
  it('STOP: the redelivery writes the opt-out the failed attempt did not', async () => {
    const from = phone();
    const stop = sms(from, 'STOP');
    failingReads = 1;
    await expect(receiveChannelMessage(deps, stop)).rejects.toThrow('ProvisionedThroughputExceededException');
    // EventBridge delivers the event again: the keyword is already stored (a duplicate), the opt-out is not yet.
    now += 1000;
    expect(await receiveChannelMessage(deps, stop)).toMatchObject({ outcome: 'duplicate' });
    expect(await isOptedOut(optOuts, TENANT, from)).toBe(true);
  });

  it('START: the redelivery writes the opt-in, unless a later STOP was recorded since', async () => {
    const from = phone();
    await receiveChannelMessage(deps, sms(from, 'STOP'));
    now += 1000;
    const start = sms(from, 'START');
    failingReads = 1;
    await expect(receiveChannelMessage(deps, start)).rejects.toThrow('ProvisionedThroughputExceededException');
    now += 1000;
    expect(await receiveChannelMessage(deps, start)).toMatchObject({ outcome: 'duplicate' });
    expect(await isOptedOut(optOuts, TENANT, from)).toBe(false);

    // Opted in again; the customer sends START (the attempt fails), then STOP; START's redelivery comes last.
    const other = phone();
    await receiveChannelMessage(deps, sms(other, 'STOP'));
    now += 1000;
    const late = sms(other, 'START');
    failingReads = 1;
    await expect(receiveChannelMessage(deps, late)).rejects.toThrow('ProvisionedThroughputExceededException');
    now += 1000;
    await receiveChannelMessage(deps, sms(other, 'STOP'));
    now += 1000;
    expect(await receiveChannelMessage(deps, late)).toMatchObject({ outcome: 'duplicate' });
    expect(await isOptedOut(optOuts, TENANT, other)).toBe(true);
  });
});

describe('keywords in Spanish, and on WhatsApp', () => {
  it('BAJA opts the number out of SMS and is confirmed once in Spanish (Twilio confirms only its English keywords)', async () => {
    const from = phone();
    const outcome = await receiveChannelMessage(deps, sms(from, '¡Baja!'));
    expect(await isOptedOut(optOuts, TENANT, from)).toBe(true);
    if (outcome.outcome !== 'stored') throw new Error(`not stored: ${outcome.outcome}`);
    expect(outcome.reply?.text).toBe('Harbour Dental: se ha dado de baja y no recibirá más SMS. Responda ALTA para volver a recibirlos.');
    // Sent as the one message allowed after an opt-out; STOP in English gets none (Twilio's own confirmation).
    expect(sendKindsFor(outcome.conversationId)).toEqual(['optout']);
    const stop = await receiveChannelMessage(deps, sms(phone(), 'STOP'));
    expect(stop).toMatchObject({ outcome: 'stored' });
    expect(stop.outcome === 'stored' ? stop.reply : 'no outcome').toBeUndefined();

    now += 1000;
    const alta = await receiveChannelMessage(deps, sms(from, 'alta'));
    expect(await isOptedOut(optOuts, TENANT, from)).toBe(false);
    expect(alta.outcome === 'stored' ? alta.reply?.text : undefined).toMatch(/^Harbour Dental: vuelve a estar suscrito\./);
  });

  it('STOP on WhatsApp opts out of what the business starts there, not of SMS, and is confirmed; START opts back in', async () => {
    const from = phone();
    const outcome = await receiveChannelMessage(deps, sms(from, 'STOP', 'whatsapp'));
    expect(await isOptedOut(optOuts, TENANT, optOutAddress('whatsapp', from))).toBe(true);
    expect(await isOptedOut(optOuts, TENANT, from)).toBe(false);
    if (outcome.outcome !== 'stored') throw new Error(`not stored: ${outcome.outcome}`);
    expect(outcome.reply?.text).toMatch(/we won't send you reminders or follow-ups on WhatsApp any more/);
    expect(sendKindsFor(outcome.conversationId)).toEqual(['system']);

    // "help" and "cancel" are the concierge's on WhatsApp, and "yes" from a number that did not opt out is an answer.
    now += 1000;
    const cancel = await receiveChannelMessage(deps, sms(from, 'cancel', 'whatsapp'));
    expect(await isOptedOut(optOuts, TENANT, optOutAddress('whatsapp', from))).toBe(true);
    expect(cancel.outcome === 'stored' ? cancel.reply?.role : undefined).toBe('bot');

    now += 1000;
    await receiveChannelMessage(deps, sms(from, 'Start', 'whatsapp'));
    expect(await isOptedOut(optOuts, TENANT, optOutAddress('whatsapp', from))).toBe(false);
  });
});
