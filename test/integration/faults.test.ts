/**
 * Faults on the customer's message path, injected deterministically (issue 9). The real widget handler
 * (handlers/ws-message.ts) runs against DynamoDB Local through the composition root's own document client —
 * faults go into that client's middleware stack, inside the SDK's retry loop — and a local fake of the API
 * Gateway management API and EventBridge (node:http on 127.0.0.1) that records every frame and event, and
 * answers 410 Gone for a connection that went away, so the real GoneException mapping (adapters/aws/ws-pusher.ts)
 * is exercised. No local cloud: no workflow or rule is crossed here.
 *
 * What each test proves fails if the protection is removed:
 * - throttling absorbed: the client's retries (maxAttempts 5, adapters/aws/clients.ts);
 * - DynamoDB failing past them: the error frame, and the all-or-nothing message write (store.ts appendMessage);
 * - a timeout, before the table saw the write or after (response lost): retried, stored and answered once
 *   (the transaction's idempotency token, reused by the SDK's retry);
 * - a connection gone mid-reply: the stored history, the forgotten subscription, the replay on `hello`.
 *
 * EventBridge delivering `message.received` twice is covered by test/integration/channel-conversation.test.ts
 * ("answers a redelivered event and a replayed webhook once").
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyWebsocketEventV2, Context } from 'aws-lambda';
import { z } from 'zod';
import { documentClient } from '../../lambdas/adapters/aws/clients';
import { knowledgeStore, store } from '../../lambdas/adapters/container';
import { keys } from '../../lambdas/adapters/dynamo/keys';
import { handler } from '../../lambdas/handlers/ws-message';
import { MESSAGE_CLAIM_MS, receivedKey } from '../../lambdas/core/conversation';
import { provisionTenant } from '../../lambdas/core/knowledge';
import { knowledgeBaseSchema } from '../../lambdas/core/knowledge-base';
import { newWidgetKey } from '../../lambdas/core/widget-key';
import { sharedTable } from '../support/shared-table';
import { lambdaContext } from '../support/api-gateway-event';

const tenantId = 'faults-clinic';

// ---- the fake API Gateway management API + EventBridge -------------------------------------------------

const frameSchema = z.looseObject({ type: z.string(), clientId: z.string().optional(), seq: z.number().optional(), role: z.string().optional(), code: z.string().optional() });
type Frame = z.infer<typeof frameSchema>;
const putEventsSchema = z.object({ Entries: z.array(z.object({ DetailType: z.string(), Detail: z.string() })) });

interface FakeAws {
  readonly url: string;
  /** Frames delivered, per connection id. */
  readonly frames: Map<string, Frame[]>;
  /** PostToConnection calls answered 410, per connection id. */
  readonly goneAnswers: Map<string, number>;
  /** Connections the fake treats as gone: every post answered 410 GoneException, as API Gateway does. */
  readonly gone: Set<string>;
  /** Called after each delivered frame (to make a connection go away at a chosen point). */
  onFrame: (connectionId: string, frame: Frame) => void;
  readonly events: { readonly type: string; readonly detail: Record<string, unknown> }[];
  /** Detail types EventBridge refuses (a failed entry, as PutEvents reports one), with how many more times. */
  readonly refuse: Map<string, number>;
  readonly close: () => Promise<void>;
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

async function startFakeAws(): Promise<FakeAws> {
  const fake: Omit<FakeAws, 'url' | 'close'> = { frames: new Map(), goneAnswers: new Map(), gone: new Set(), onFrame: () => undefined, events: [], refuse: new Map() };
  const server: Server = createServer((req, res) => {
    void body(req).then((text) => {
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      if (req.method === 'POST' && path.startsWith('/@connections/')) {
        const connectionId = decodeURIComponent(path.slice('/@connections/'.length));
        if (fake.gone.has(connectionId)) {
          fake.goneAnswers.set(connectionId, (fake.goneAnswers.get(connectionId) ?? 0) + 1);
          res.writeHead(410, { 'content-type': 'application/json', 'x-amzn-errortype': 'GoneException' });
          res.end(JSON.stringify({ message: `connection ${connectionId} is gone` }));
          return;
        }
        const frame = frameSchema.parse(JSON.parse(text));
        fake.frames.set(connectionId, [...(fake.frames.get(connectionId) ?? []), frame]);
        fake.onFrame(connectionId, frame);
        res.writeHead(200);
        res.end();
        return;
      }
      if (req.method === 'POST' && req.headers['x-amz-target'] === 'AWSEvents.PutEvents') {
        const { Entries } = putEventsSchema.parse(JSON.parse(text));
        const results = Entries.map((e) => {
          const refusals = fake.refuse.get(e.DetailType) ?? 0;
          if (refusals > 0) {
            fake.refuse.set(e.DetailType, refusals - 1);
            return { ErrorCode: 'InternalFailure', ErrorMessage: 'Internal service error' };
          }
          fake.events.push({ type: e.DetailType, detail: z.record(z.string(), z.unknown()).parse(JSON.parse(e.Detail)) });
          return { EventId: randomUUID() };
        });
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results }));
        return;
      }
      res.writeHead(404);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = z.object({ port: z.number() }).parse(server.address());
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

// ---- fault injection in the composition root's DynamoDB client -------------------------------------------

type FaultKind = 'throttle' | 'timeout' | 'lost-response';
interface Fault {
  /** The DynamoDB operation (X-Amz-Target suffix), e.g. `TransactWriteItems`. */
  readonly operation: string;
  readonly kind: FaultKind;
  /** How many more calls fail. */
  remaining: number;
  /** How many calls failed so far. */
  injected: number;
}
let faults: Fault[] = [];

function arm(operation: string, kind: FaultKind, times: number): Fault {
  const fault: Fault = { operation, kind, remaining: times, injected: 0 };
  faults.push(fault);
  return fault;
}

/**
 * At the `deserialize` step — inside the retry middleware (`finalizeRequest`), so each attempt meets the
 * fault: throttling and timeouts before the request is sent, or a lost response after DynamoDB applied it.
 */
function installFaults(endpoint: string): void {
  documentClient(endpoint).middlewareStack.add(
    (next) => async (args) => {
      const request: unknown = args.request;
      const headers = z.object({ headers: z.record(z.string(), z.string()) }).safeParse(request);
      const target = headers.success ? (headers.data.headers['x-amz-target'] ?? headers.data.headers['X-Amz-Target'] ?? '') : '';
      const fault = faults.find((f) => f.remaining > 0 && target.endsWith(`.${f.operation}`));
      if (!fault) return next(args);
      fault.remaining -= 1;
      fault.injected += 1;
      if (fault.kind === 'throttle') {
        throw new ProvisionedThroughputExceededException({ message: 'The level of configured provisioned throughput for the table was exceeded.', $metadata: { httpStatusCode: 400 } });
      }
      if (fault.kind === 'lost-response') await next(args);
      throw Object.assign(new Error('socket timed out before a response arrived'), { name: 'TimeoutError' });
    },
    { step: 'deserialize', name: 'faultInjection', override: true },
  );
}

// ---- the handler, as API Gateway invokes it ----------------------------------------------------------------

const context = (): Context => lambdaContext('wsMessage');

interface Visitor {
  readonly visitorId: string;
  readonly connectionId: string;
}

async function frame(who: Visitor, payload: Record<string, unknown>): Promise<number> {
  const event = {
    body: JSON.stringify(payload),
    isBase64Encoded: false,
    requestContext: {
      routeKey: '$default',
      eventType: 'MESSAGE',
      connectionId: who.connectionId,
      messageId: randomBytes(8).toString('base64'),
      extendedRequestId: randomUUID(),
      requestTime: new Date().toUTCString(),
      messageDirection: 'IN',
      stage: 'local',
      connectedAt: Date.now(),
      requestTimeEpoch: Date.now(),
      requestId: randomUUID(),
      domainName: '127.0.0.1',
      apiId: 'local',
      authorizer: { principalId: who.visitorId, tenantId, visitorId: who.visitorId },
    },
  } satisfies Omit<APIGatewayProxyWebsocketEventV2, 'requestContext'> & { requestContext: APIGatewayProxyWebsocketEventV2['requestContext'] & { authorizer: object } };
  const out = z.object({ statusCode: z.number() }).parse(await handler(event, context()));
  return out.statusCode;
}

let aws: FakeAws;
const framesOf = (who: Visitor): Frame[] => aws.frames.get(who.connectionId) ?? [];

/** A widget connection ($connect already authorized) that said hello: its conversation id. */
async function visitor(): Promise<Visitor & { readonly conversationId: string }> {
  const who = { visitorId: randomBytes(16).toString('hex'), connectionId: `c${randomBytes(8).toString('hex')}` };
  await store().putConnection(tenantId, who.connectionId, who.visitorId);
  expect(await frame(who, { action: 'hello', lang: 'en' })).toBe(200);
  const session = z.object({ conversationId: z.string() }).parse(framesOf(who).find((f) => f.type === 'session'));
  return { ...who, conversationId: session.conversationId };
}

/** The conversation's partition as stored: messages, client-id guards, subscriptions, and the head's count. */
async function partition(conversationId: string) {
  const out = await documentClient(process.env['AWS_ENDPOINT_URL_DYNAMODB']).send(
    new QueryCommand({ TableName: process.env['TABLE_NAME'], KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.conversationPartition(tenantId, conversationId) }, ConsistentRead: true }),
  );
  const items = (out.Items ?? []).map((i) => z.looseObject({ sk: z.string() }).parse(i));
  const messages = items.filter((i) => i.sk.startsWith(keys.messagePrefix)).map((i) => z.looseObject({ seq: z.number(), role: z.string(), clientId: z.string().optional() }).parse(i));
  const guards = items.filter((i) => i.sk.startsWith('CLIENT#')).map((i) => z.looseObject({ seq: z.number() }).parse(i));
  const head = z.looseObject({ messageCount: z.number() }).parse(items.find((i) => i.sk === 'META'));
  return { messages, guards, messageCount: head.messageCount };
}

/** Nothing half-written: every guard points at a stored customer message with its clientId and back; the count matches. */
function expectConsistent(p: Awaited<ReturnType<typeof partition>>): void {
  expect(p.messageCount).toBe(p.messages.length);
  const guarded = p.messages.filter((m) => m.clientId !== undefined);
  expect(p.guards.map((g) => g.seq).sort()).toEqual(guarded.map((m) => m.seq).sort());
}

const receivedFor = (conversationId: string) => aws.events.filter((e) => e.type === 'message.received' && e.detail['conversationId'] === conversationId);

beforeAll(async () => {
  aws = await startFakeAws();
  const { endpoint, table } = await sharedTable('faults');
  // The composition root reads its configuration when it first builds a port (after this).
  Object.assign(process.env, {
    TABLE_NAME: table,
    EVENT_BUS_NAME: 'faults-bus',
    WS_MANAGEMENT_ENDPOINT: aws.url,
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: aws.url,
    LLM_PROVIDER: 'embedded',
    VECTOR_STORE: 'embedded',
    LOCAL_SECRETS_KEY: randomBytes(32).toString('base64'),
  });
  installFaults(endpoint);
  const kb = knowledgeBaseSchema.parse(JSON.parse(readFileSync(join(__dirname, '..', '..', 'local-cloud', 'seed', 'demo-kb.json'), 'utf8')));
  await provisionTenant(knowledgeStore(), { tenantId, widgetKey: newWidgetKey(tenantId), allowedOrigins: ['http://127.0.0.1'], kb: { ...kb, business: { ...kb.business, slug: tenantId } } });
}, 120_000);

afterEach(() => {
  faults = [];
  aws.onFrame = () => undefined;
  aws.refuse.clear();
});

afterAll(async () => {
  await aws?.close();
});

const clientId = (): string => randomBytes(9).toString('base64url');

describe('DynamoDB throttling and outages on the message write', () => {
  it('is absorbed by the client’s retries: the message is stored once, acknowledged and answered', async () => {
    const who = await visitor();
    const id = clientId();
    const fault = arm('TransactWriteItems', 'throttle', 2);
    expect(await frame(who, { action: 'sendMessage', clientId: id, text: 'hello' })).toBe(200);
    expect(fault.injected).toBe(2);

    const frames = framesOf(who);
    const ack = frames.find((f) => f.type === 'ack' && f.clientId === id);
    expect(ack).toBeDefined();
    expect(frames.filter((f) => f.type === 'message' && f.role === 'customer')).toHaveLength(1);
    expect(frames.filter((f) => f.type === 'message' && f.role === 'bot')).toHaveLength(1);
    expect(frames.some((f) => f.type === 'error')).toBe(false);

    const stored = await partition(who.conversationId);
    expect(stored.messages.map((m) => m.role)).toEqual(['customer', 'bot']);
    expect(stored.messages[0]).toMatchObject({ clientId: id, seq: ack?.seq });
    expectConsistent(stored);
    expect(receivedFor(who.conversationId)).toHaveLength(1);
  });

  // Exhausted with timeouts, not throttles: the SDK's throttling backoff (full jitter, base 1 s: up to 1+2+4+8 s)
  // would cost the suite ~7.5 s on average; what happens once the retries are spent does not depend on the error.
  it('that outlasts the retries tells the customer, writes nothing half-way, and a resend is stored once', async () => {
    const who = await visitor();
    const id = clientId();
    const fault = arm('TransactWriteItems', 'timeout', Number.POSITIVE_INFINITY);
    expect(await frame(who, { action: 'sendMessage', clientId: id, text: 'hello' })).toBe(500);
    // Every attempt the SDK makes (maxAttempts 5) failed; then the handler gave up.
    expect(fault.injected).toBe(5);
    fault.remaining = 0;

    // Told something true: an `internal` error naming the message, no ack, no echo, no answer.
    const told = framesOf(who).filter((f) => f.type !== 'session');
    expect(told).toEqual([expect.objectContaining({ type: 'error', code: 'internal', clientId: id })]);
    const after = await partition(who.conversationId);
    expect(after.messages).toEqual([]);
    expect(after.guards).toEqual([]);
    expectConsistent(after);
    expect(receivedFor(who.conversationId)).toEqual([]);

    // The widget resends with the same clientId once DynamoDB has capacity again: stored once, answered once.
    expect(await frame(who, { action: 'sendMessage', clientId: id, text: 'hello' })).toBe(200);
    await frame(who, { action: 'sendMessage', clientId: id, text: 'hello' }); // and a second resend: only acknowledged
    const acks = framesOf(who).filter((f) => f.type === 'ack' && f.clientId === id);
    expect(acks).toHaveLength(2);
    expect(new Set(acks.map((a) => a.seq)).size).toBe(1);
    const stored = await partition(who.conversationId);
    expect(stored.messages.map((m) => [m.role, m.clientId])).toEqual([
      ['customer', id],
      ['bot', undefined],
    ]);
    expectConsistent(stored);
    expect(receivedFor(who.conversationId)).toHaveLength(1);
  });
});

describe('DynamoDB timeouts on the message write', () => {
  it('before DynamoDB saw the write: retried, stored and answered once', async () => {
    const who = await visitor();
    const id = clientId();
    const fault = arm('TransactWriteItems', 'timeout', 1);
    expect(await frame(who, { action: 'sendMessage', clientId: id, text: 'hello' })).toBe(200);
    expect(fault.injected).toBe(1);
    const stored = await partition(who.conversationId);
    expect(stored.messages.map((m) => m.role)).toEqual(['customer', 'bot']);
    expectConsistent(stored);
    expect(framesOf(who).filter((f) => f.type === 'message' && f.role === 'bot')).toHaveLength(1);
  });

  it('after DynamoDB applied it (the response lost): the retry is not mistaken for a resend — stored once and still answered', async () => {
    const who = await visitor();
    const id = clientId();
    const fault = arm('TransactWriteItems', 'lost-response', 1);
    expect(await frame(who, { action: 'sendMessage', clientId: id, text: 'hello' })).toBe(200);
    expect(fault.injected).toBe(1);
    const frames = framesOf(who);
    expect(frames.filter((f) => f.type === 'ack' && f.clientId === id)).toHaveLength(1);
    expect(frames.filter((f) => f.type === 'message' && f.role === 'customer')).toHaveLength(1);
    expect(frames.filter((f) => f.type === 'message' && f.role === 'bot')).toHaveLength(1);
    const stored = await partition(who.conversationId);
    expect(stored.messages.map((m) => m.role)).toEqual(['customer', 'bot']);
    expectConsistent(stored);
    expect(receivedFor(who.conversationId)).toHaveLength(1);
  });
});

describe('a WebSocket connection gone mid-reply', () => {
  it('keeps the history, forgets the connection, and replays exactly the missed reply on the next hello', async () => {
    const who = await visitor();
    const id = clientId();
    // The customer's connection drops right after their message is acknowledged: API Gateway answers 410.
    aws.onFrame = (connectionId, f) => {
      if (connectionId === who.connectionId && f.type === 'ack') aws.gone.add(who.connectionId);
    };
    expect(await frame(who, { action: 'sendMessage', clientId: id, text: 'hello' })).toBe(200);
    expect(framesOf(who).filter((f) => f.type !== 'session').map((f) => f.type)).toEqual(['ack']);
    expect(aws.goneAnswers.get(who.connectionId)).toBeGreaterThan(0);
    const ackSeq = z.number().parse(framesOf(who).find((f) => f.type === 'ack')?.seq);

    // The reply was written all the same; the gone connection is no longer a subscriber.
    const stored = await partition(who.conversationId);
    expect(stored.messages.map((m) => m.role)).toEqual(['customer', 'bot']);
    expectConsistent(stored);
    expect(await store().getConnection(tenantId, who.connectionId)).toBeUndefined();
    expect(await store().listSubscribers(tenantId, who.conversationId)).not.toContain(who.connectionId);

    // The widget reconnects and resumes from the last seq it saw: it gets the reply it missed, once.
    const again = { visitorId: who.visitorId, connectionId: `c${randomBytes(8).toString('hex')}` };
    await store().putConnection(tenantId, again.connectionId, again.visitorId);
    expect(await frame(again, { action: 'hello', lang: 'en', conversationId: who.conversationId, lastSeq: ackSeq })).toBe(200);
    const replayed = framesOf(again);
    const reply = stored.messages[1];
    expect(replayed.map((f) => [f.type, f.role, f.seq])).toEqual([
      ['message', 'bot', reply?.seq],
      ['session', undefined, undefined],
    ]);
    expect(replayed[1]).toMatchObject({ conversationId: who.conversationId, lastSeq: reply?.seq });
    expect(await store().listSubscribers(tenantId, who.conversationId)).toEqual([again.connectionId]);
  });
});

describe('a stored message whose handling failed', () => {
  const botReplies = (who: Visitor) => framesOf(who).filter((f) => f.type === 'message' && f.role === 'bot');

  it('is answered when it comes again: EventBridge refused its message.received, the resend is not taken for a duplicate', async () => {
    const who = await visitor();
    const id = clientId();
    aws.refuse.set('message.received', 1);
    expect(await frame(who, { action: 'sendMessage', clientId: id, text: 'what are your opening hours?' })).toBe(500);
    // Stored and acknowledged, then the publish failed: not answered (yet), nothing counted.
    const first = await partition(who.conversationId);
    expect(first.messages.map((m) => m.role)).toEqual(['customer']);
    expect(receivedFor(who.conversationId)).toEqual([]);
    expect(botReplies(who)).toEqual([]);

    // The same message again (a resend, or Lambda's retry of a channel event): handled now, once.
    expect(await frame(who, { action: 'sendMessage', clientId: id, text: 'what are your opening hours?' })).toBe(200);
    expect(await frame(who, { action: 'sendMessage', clientId: id, text: 'what are your opening hours?' })).toBe(200);
    const acks = framesOf(who).filter((f) => f.type === 'ack' && f.clientId === id);
    expect(acks.map((a) => a.seq)).toEqual([first.messages[0]?.seq, first.messages[0]?.seq, first.messages[0]?.seq]);
    const stored = await partition(who.conversationId);
    expect(stored.messages.map((m) => [m.role, m.clientId])).toEqual([
      ['customer', id],
      ['bot', undefined],
    ]);
    expectConsistent(stored);
    expect(botReplies(who)).toHaveLength(1);
    // Counted once, by an idempotency key the stats projector keys on (a publish that did reach the bus twice counts once).
    expect(receivedFor(who.conversationId).map((e) => e.detail['idempotencyKey'])).toEqual([receivedKey(who.conversationId, z.number().parse(first.messages[0]?.seq))]);
  });

  it('of an invocation that died (its claim kept): left to it until the claim runs out, then taken over and answered once', async () => {
    const who = await visitor();
    const id = clientId();
    // Stored and claimed by an invocation that then died (a timeout, out of memory): nothing gave the claim up.
    const { message } = await store().appendMessage(tenantId, who.conversationId, { role: 'customer', text: 'do you take card payments?', clientId: id, claimMs: MESSAGE_CLAIM_MS });
    expect(await frame(who, { action: 'sendMessage', clientId: id, text: 'do you take card payments?' })).toBe(200);
    // Still claimed: it may be being answered right now, so the resend is only acknowledged.
    expect(botReplies(who)).toEqual([]);
    expect((await partition(who.conversationId)).messages.map((m) => m.role)).toEqual(['customer']);

    // The claim runs out (moved into the past here rather than waiting a minute).
    await documentClient(process.env['AWS_ENDPOINT_URL_DYNAMODB']).send(
      new UpdateCommand({ TableName: process.env['TABLE_NAME'], Key: keys.clientMessage(tenantId, who.conversationId, id), UpdateExpression: 'SET claimUntil = :past', ExpressionAttributeValues: { ':past': Date.now() - 1 } }),
    );
    expect(await frame(who, { action: 'sendMessage', clientId: id, text: 'do you take card payments?' })).toBe(200);
    expect(await frame(who, { action: 'sendMessage', clientId: id, text: 'do you take card payments?' })).toBe(200);
    const stored = await partition(who.conversationId);
    expect(stored.messages.map((m) => [m.role, m.seq === message.seq])).toEqual([
      ['customer', true],
      ['bot', false],
    ]);
    expectConsistent(stored);
    expect(botReplies(who)).toHaveLength(1);
    expect(receivedFor(who.conversationId)).toHaveLength(1);
  });
});
