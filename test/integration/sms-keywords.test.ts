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
import { isOptedOut } from '../../lambdas/core/channels/policy';
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
    events: { publish: async () => undefined },
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
const sms = (from: string, text: string): InboundMessage => ({ tenantId: TENANT, channel: 'sms', from, text, media: [], providerMessageId: `SM${randomBytes(16).toString('hex')}` });

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
