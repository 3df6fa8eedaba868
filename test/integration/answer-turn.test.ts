/**
 * The conversation's answering turn (DynamoStore.joinTurnLine / takeTurn / releaseTurn, docs/decisions.md 68)
 * against DynamoDB Local: one holder at a time; messages waiting for it are served by seq, first come first
 * served, however their retries interleave; a ticket whose invocation is over (stale) no longer holds the line up;
 * a holder whose lease ran out loses the turn; leaving the line is clean whether or not the turn was taken.
 */
import { randomBytes } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoStore } from '../../lambdas/adapters/dynamo/store';
import { keys } from '../../lambdas/adapters/dynamo/keys';
import type { TurnTicket } from '../../lambdas/core/ports';
import { sharedTable, type SharedTable } from '../support/shared-table';

const TENANT = 'turn-clinic';
const T0 = Date.parse('2026-11-26T10:00:00.000Z');
const LEASE = { leaseMs: 30_000, deferToEarlier: true } as const;
let t: SharedTable;
let now = T0;
let store: DynamoStore;

beforeAll(async () => {
  t = await sharedTable('answer-turn');
  store = new DynamoStore(t.db, t.table, { now: () => new Date(now) });
}, 60_000);

afterAll(async () => {
  await t?.drop();
});

beforeEach(() => {
  now = T0;
});

const ticket = (seq: number, expiresAt = T0 + 60_000): TurnTicket => ({ owner: `m${seq}`, seq, expiresAt });

async function conversation(): Promise<string> {
  return (await store.startConversation(TENANT, randomBytes(8).toString('hex'), 'en')).conversationId;
}

async function turnAttributes(conversationId: string): Promise<Record<string, unknown>> {
  const out = await t.db.send(new GetCommand({ TableName: t.table, Key: keys.conversation(TENANT, conversationId), ConsistentRead: true }));
  const item = out.Item ?? {};
  return { turnOwner: item['turnOwner'], turnLine: item['turnLine'] ? [...(item['turnLine'] as Set<string>)].sort() : undefined };
}

describe('the answering turn', () => {
  it('is held by one message at a time and passes to the lowest seq waiting, not to whoever retries first', async () => {
    const id = await conversation();
    for (const seq of [1, 3, 5]) await store.joinTurnLine(TENANT, id, ticket(seq));
    // 5 and 3 defer to 1, which is still in line though it has not tried yet: each gives the free turn straight back.
    expect(await store.takeTurn(TENANT, id, ticket(5), LEASE)).toEqual({ inLine: true });
    expect(await store.takeTurn(TENANT, id, ticket(3), LEASE)).toEqual({ inLine: true });
    expect((await store.takeTurn(TENANT, id, ticket(1), LEASE)).taken?.conversationId).toBe(id);
    // Held: nobody else gets it, in line or not.
    expect(await store.takeTurn(TENANT, id, ticket(3), LEASE)).toEqual({ inLine: false });
    expect(await store.takeTurn(TENANT, id, ticket(9), { ...LEASE, deferToEarlier: false })).toEqual({ inLine: false });
    await store.releaseTurn(TENANT, id, ticket(1), true);
    // Given back: 5 still defers to 3, which takes it.
    expect(await store.takeTurn(TENANT, id, ticket(5), LEASE)).toEqual({ inLine: true });
    expect((await store.takeTurn(TENANT, id, ticket(3), LEASE)).taken).toBeDefined();
    await store.releaseTurn(TENANT, id, ticket(3), true);
    expect((await store.takeTurn(TENANT, id, ticket(5), LEASE)).taken).toBeDefined();
    await store.releaseTurn(TENANT, id, ticket(5), true);
    await store.releaseTurn(TENANT, id, ticket(9), false);
    expect(await turnAttributes(id)).toEqual({ turnOwner: undefined, turnLine: undefined });
  });

  it('joins the line in the same write that takes a free turn', async () => {
    const id = await conversation();
    expect((await store.takeTurn(TENANT, id, ticket(4), LEASE)).taken).toBeDefined();
    expect(await turnAttributes(id)).toEqual({ turnOwner: 'm4', turnLine: [`4:${T0 + 60_000}`] });
    await store.releaseTurn(TENANT, id, ticket(4), true);
    expect(await turnAttributes(id)).toEqual({ turnOwner: undefined, turnLine: undefined });
  });

  it('serves concurrent waiters in seq order whatever their timing', async () => {
    const id = await conversation();
    const seqs = [2, 4, 6, 8, 10];
    const order: number[] = [];
    await Promise.all(seqs.map((seq) => store.joinTurnLine(TENANT, id, ticket(seq))));
    // Every waiter polls at its own random pace; each holds the turn briefly once it has it.
    await Promise.all(
      [...seqs].reverse().map(async (seq) => {
        while (!(await store.takeTurn(TENANT, id, ticket(seq), LEASE)).taken) await new Promise((resolve) => setTimeout(resolve, Math.random() * 15));
        order.push(seq);
        await new Promise((resolve) => setTimeout(resolve, 5));
        await store.releaseTurn(TENANT, id, ticket(seq), true);
      }),
    );
    expect(order).toEqual(seqs);
  });

  it('stops deferring to a stale ticket and clears it; a waiter whose wait is over takes a free turn regardless', async () => {
    const id = await conversation();
    // Message 1's invocation died while waiting: its ticket stays in the line until it expires.
    await store.joinTurnLine(TENANT, id, ticket(1, T0 + 1_000));
    await store.joinTurnLine(TENANT, id, ticket(2));
    expect(await store.takeTurn(TENANT, id, ticket(2), LEASE)).toEqual({ inLine: true });
    expect((await store.takeTurn(TENANT, id, ticket(2), { ...LEASE, deferToEarlier: false })).taken).toBeDefined();
    await store.releaseTurn(TENANT, id, ticket(2), true);
    now = T0 + 1_001;
    expect((await store.takeTurn(TENANT, id, ticket(3), LEASE)).taken).toBeDefined();
    expect(await turnAttributes(id)).toEqual({ turnOwner: 'm3', turnLine: [`3:${T0 + 60_000}`] });
    await store.releaseTurn(TENANT, id, ticket(3), true);
  });

  it('frees a turn whose holder outlived its lease, and the late holder gives back nothing but its place in line', async () => {
    const id = await conversation();
    expect((await store.takeTurn(TENANT, id, ticket(1), { leaseMs: 1_000, deferToEarlier: true })).taken).toBeDefined();
    expect(await store.takeTurn(TENANT, id, ticket(2), LEASE)).toEqual({ inLine: false });
    await store.joinTurnLine(TENANT, id, ticket(2));
    now = T0 + 1_001;
    // 1 is still in line (its invocation has not finished): 2 defers to it until its own wait is over.
    expect(await store.takeTurn(TENANT, id, ticket(2), LEASE)).toEqual({ inLine: true });
    expect((await store.takeTurn(TENANT, id, ticket(2), { ...LEASE, deferToEarlier: false })).taken).toBeDefined();
    await store.releaseTurn(TENANT, id, ticket(1), true);
    expect(await turnAttributes(id)).toEqual({ turnOwner: 'm2', turnLine: [`2:${T0 + 60_000}`] });
    await store.releaseTurn(TENANT, id, ticket(2), true);
    expect(await turnAttributes(id)).toEqual({ turnOwner: undefined, turnLine: undefined });
  });

  it('has no line for a conversation that does not exist', async () => {
    await expect(store.joinTurnLine(TENANT, 'no-such-conversation', ticket(1))).resolves.toBeUndefined();
    expect(await store.takeTurn(TENANT, 'no-such-conversation', ticket(1), LEASE)).toEqual({ inLine: false });
    await expect(store.releaseTurn(TENANT, 'no-such-conversation', ticket(1), true)).resolves.toBeUndefined();
  });
});
