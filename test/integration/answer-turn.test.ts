/**
 * The conversation's answering turn (DynamoStore.joinTurnLine / takeTurn / releaseTurn, docs/decisions.md 68)
 * against DynamoDB Local: one holder at a time; messages waiting for it are served by seq, first come first
 * served, however their retries interleave; a ticket whose invocation is over (stale) no longer holds the line up;
 * a holder whose lease ran out loses the turn; leaving the line is clean whether or not the turn was taken.
 */
import { randomBytes } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoStore } from '../../lambdas/adapters/dynamo/store';
import { keys } from '../../lambdas/adapters/dynamo/keys';
import type { TurnTicket } from '../../lambdas/core/ports';
import { SHARED_DYNAMODB_ENV, ensureTable } from '../../local-cloud/dynamodb-local';

const TABLE = `answer-turn-${randomBytes(4).toString('hex')}`;
const TENANT = 'turn-clinic';
const T0 = Date.parse('2026-11-26T10:00:00.000Z');
const LEASE = { leaseMs: 30_000, deferToEarlier: true } as const;
let client: DynamoDBClient;
let db: DynamoDBDocumentClient;
let now = T0;
let store: DynamoStore;

beforeAll(async () => {
  const endpoint = process.env[SHARED_DYNAMODB_ENV];
  if (!endpoint) throw new Error(`${SHARED_DYNAMODB_ENV} is not set: run through jest (test/support/global-setup.ts)`);
  client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await ensureTable(client, TABLE);
  db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  store = new DynamoStore(db, TABLE, { now: () => new Date(now) });
}, 60_000);

afterAll(async () => {
  await client?.send(new DeleteTableCommand({ TableName: TABLE })).catch(() => undefined);
});

beforeEach(() => {
  now = T0;
});

const ticket = (seq: number, expiresAt = T0 + 60_000): TurnTicket => ({ owner: `m${seq}`, seq, expiresAt });

async function conversation(): Promise<string> {
  return (await store.startConversation(TENANT, randomBytes(8).toString('hex'), 'en')).conversationId;
}

async function turnAttributes(conversationId: string): Promise<Record<string, unknown>> {
  const out = await db.send(new GetCommand({ TableName: TABLE, Key: keys.conversation(TENANT, conversationId), ConsistentRead: true }));
  const item = out.Item ?? {};
  return { turnOwner: item['turnOwner'], turnLine: item['turnLine'] ? [...(item['turnLine'] as Set<string>)].sort() : undefined };
}

describe('the answering turn', () => {
  it('is held by one message at a time and passes to the lowest seq waiting, not to whoever retries first', async () => {
    const id = await conversation();
    for (const seq of [1, 3, 5]) await store.joinTurnLine(TENANT, id, ticket(seq));
    // 5 and 3 defer to 1, which is still in line though it has not tried yet.
    expect(await store.takeTurn(TENANT, id, ticket(5), LEASE)).toBeUndefined();
    expect(await store.takeTurn(TENANT, id, ticket(3), LEASE)).toBeUndefined();
    const first = await store.takeTurn(TENANT, id, ticket(1), LEASE);
    expect(first?.conversationId).toBe(id);
    // Held: nobody else gets it, in line or not.
    expect(await store.takeTurn(TENANT, id, ticket(3), LEASE)).toBeUndefined();
    expect(await store.takeTurn(TENANT, id, ticket(9), { ...LEASE, deferToEarlier: false })).toBeUndefined();
    await store.releaseTurn(TENANT, id, ticket(1));
    // Given back: 5 still defers to 3, which takes it.
    expect(await store.takeTurn(TENANT, id, ticket(5), LEASE)).toBeUndefined();
    expect(await store.takeTurn(TENANT, id, ticket(3), LEASE)).toBeDefined();
    await store.releaseTurn(TENANT, id, ticket(3));
    expect(await store.takeTurn(TENANT, id, ticket(5), LEASE)).toBeDefined();
    await store.releaseTurn(TENANT, id, ticket(5));
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
        for (;;) {
          if (await store.takeTurn(TENANT, id, ticket(seq), LEASE)) break;
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 15));
        }
        order.push(seq);
        await new Promise((resolve) => setTimeout(resolve, 5));
        await store.releaseTurn(TENANT, id, ticket(seq));
      }),
    );
    expect(order).toEqual(seqs);
  });

  it('stops deferring to a stale ticket, and a waiter whose wait is over takes a free turn regardless', async () => {
    const id = await conversation();
    // Message 1's invocation died while waiting: its ticket stays in the line until it expires.
    await store.joinTurnLine(TENANT, id, ticket(1, T0 + 1_000));
    await store.joinTurnLine(TENANT, id, ticket(2));
    expect(await store.takeTurn(TENANT, id, ticket(2), LEASE)).toBeUndefined();
    expect(await store.takeTurn(TENANT, id, ticket(2), { ...LEASE, deferToEarlier: false })).toBeDefined();
    await store.releaseTurn(TENANT, id, ticket(2));
    now = T0 + 1_001;
    await store.joinTurnLine(TENANT, id, ticket(3));
    expect(await store.takeTurn(TENANT, id, ticket(3), LEASE)).toBeDefined();
  });

  it('frees a turn whose holder outlived its lease, and the late holder gives back nothing but its place in line', async () => {
    const id = await conversation();
    await store.joinTurnLine(TENANT, id, ticket(1));
    expect(await store.takeTurn(TENANT, id, { ...ticket(1) }, { leaseMs: 1_000, deferToEarlier: true })).toBeDefined();
    await store.joinTurnLine(TENANT, id, ticket(2));
    expect(await store.takeTurn(TENANT, id, ticket(2), { ...LEASE, deferToEarlier: false })).toBeUndefined();
    now = T0 + 1_001;
    // 1 is still in line (its invocation has not finished), so 2 waits only for its wait to be over.
    expect(await store.takeTurn(TENANT, id, ticket(2), { ...LEASE, deferToEarlier: false })).toBeDefined();
    await store.releaseTurn(TENANT, id, ticket(1));
    expect(await turnAttributes(id)).toEqual({ turnOwner: 'm2', turnLine: [`2:${T0 + 60_000}`] });
    await store.releaseTurn(TENANT, id, ticket(2));
    expect(await turnAttributes(id)).toEqual({ turnOwner: undefined, turnLine: undefined });
  });

  it('has no line for a conversation that does not exist', async () => {
    await expect(store.joinTurnLine(TENANT, 'no-such-conversation', ticket(1))).resolves.toBeUndefined();
    expect(await store.takeTurn(TENANT, 'no-such-conversation', ticket(1), LEASE)).toBeUndefined();
    await expect(store.releaseTurn(TENANT, 'no-such-conversation', ticket(1))).resolves.toBeUndefined();
  });
});
