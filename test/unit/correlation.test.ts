/**
 * Correlation ids (lambdas/handlers/lib/correlation.ts): where an invocation's id comes from, the
 * middy middleware setting it per invocation, the EventBridge publisher stamping it on
 * `detail.correlationId` (through the real SDK client, against the local bus behind node:http), and
 * the business metrics (EMF) carrying it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { Metrics } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { EventBridgePublisher } from '../../lambdas/adapters/aws/event-publisher';
import { recordBusinessMetric, recordChannelDeliveryFailed } from '../../lambdas/handlers/lib/business-metrics';
import { correlation, correlationIdOf, currentCorrelationId, isolatedInvocation } from '../../lambdas/handlers/lib/correlation';
import { LocalEventBus, type PutEventsEntry } from '../../local-cloud/event-bus';
import { lambdaContext } from '../support/api-gateway-event';

const context = (awsRequestId: string): Context => lambdaContext('testFn', awsRequestId);

describe('correlationIdOf', () => {
  const lambda = context('lambda-request-1');

  it('takes detail.correlationId of an EventBridge event', () => {
    expect(correlationIdOf({ 'detail-type': 'message.received', detail: { tenantId: 't1', correlationId: 'ws-req-123456' } }, lambda)).toEqual({
      correlationId: 'ws-req-123456',
      source: 'event',
    });
  });

  it('takes input.detail.correlationId of a workflow task payload', () => {
    expect(correlationIdOf({ step: 'handoff.queue', input: { detail: { tenantId: 't1', correlationId: 'ws-req-123456' } } }, lambda)).toEqual({
      correlationId: 'ws-req-123456',
      source: 'workflow',
    });
  });

  it('takes a valid x-correlation-id header (any case) before the API Gateway request id', () => {
    const event = { headers: { 'X-Correlation-Id': 'client-chosen-42' }, requestContext: { requestId: 'apigw-request-1' } };
    expect(correlationIdOf(event, lambda)).toEqual({ correlationId: 'client-chosen-42', source: 'header' });
  });

  it('ignores an invalid header or detail id (log injection, too long) and falls back', () => {
    const event = { headers: { 'x-correlation-id': 'x\n{"level":"ERROR"}' }, requestContext: { requestId: 'LkxGcGKbIAMF1Lw=' } };
    expect(correlationIdOf(event, lambda)).toEqual({ correlationId: 'LkxGcGKbIAMF1Lw=', source: 'apigateway' });
    expect(correlationIdOf({ detail: { correlationId: 'a'.repeat(200) } }, lambda)).toEqual({ correlationId: 'lambda-request-1', source: 'lambda' });
    expect(correlationIdOf(undefined, lambda)).toEqual({ correlationId: 'lambda-request-1', source: 'lambda' });
  });
});

describe('the middleware and the EventBridge publisher', () => {
  let server: Server;
  const published: PutEventsEntry[] = [];
  let publisher: EventBridgePublisher;

  beforeAll(async () => {
    const bus = new LocalEventBus([], { toFunction: async () => ({}), toStateMachine: async () => undefined });
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        const entries: unknown = typeof body === 'object' && body !== null ? Reflect.get(body, 'Entries') : undefined;
        if (Array.isArray(entries)) published.push(...(entries as PutEventsEntry[]));
        void bus.handleAwsJson(String(req.headers['x-amz-target'] ?? ''), body).then((out) => {
          res.writeHead(out.status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(out.body));
        });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    publisher = new EventBridgePublisher(new EventBridgeClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }), 'default');
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    published.length = 0;
  });

  const details = (): Record<string, unknown>[] => published.map((e) => JSON.parse(e.Detail ?? '{}') as Record<string, unknown>);

  interface TestEvent {
    readonly conversationId?: string;
    readonly detail?: { readonly conversationId?: string };
    /** Published as the detail's own correlationId. */
    readonly own?: string;
    readonly headers?: Record<string, string>;
    readonly requestContext?: { readonly requestId: string };
  }
  /** A handler that publishes one event after yielding, so overlapping invocations interleave. */
  const handler = middy(async (event: TestEvent) => {
    await new Promise((r) => setImmediate(r));
    const conversationId = event.conversationId ?? event.detail?.conversationId ?? '';
    await publisher.publish([{ type: 'message.received', tenantId: 't1', detail: { conversationId, ...(event.own ? { correlationId: event.own } : {}) } }]);
    return currentCorrelationId();
  }).use(correlation());

  it('stamps each invocation’s id on the events it publishes, even when invocations overlap', async () => {
    const ids = await Promise.all(
      ['c1', 'c2', 'c3'].map((conversationId) =>
        isolatedInvocation(() =>
          handler({ conversationId, headers: { 'x-correlation-id': `corr-${conversationId}-000` } }, context(`lambda-${conversationId}`)),
        ),
      ),
    );
    expect(ids).toEqual(['corr-c1-000', 'corr-c2-000', 'corr-c3-000']);
    expect(details().map((d) => [d['conversationId'], d['correlationId']]).sort()).toEqual([
      ['c1', 'corr-c1-000'],
      ['c2', 'corr-c2-000'],
      ['c3', 'corr-c3-000'],
    ]);
  });

  it("publishes the event's own tenant even when its detail names another", async () => {
    await publisher.publish([{ type: 'message.received', tenantId: 't1', detail: { tenantId: 't2', conversationId: 'c1' } }]);
    expect(details()).toEqual([expect.objectContaining({ tenantId: 't1', conversationId: 'c1' })]);
  });

  it('passes an event target’s incoming id on to what it publishes', async () => {
    const event = { id: 'evt-1', 'detail-type': 'handoff.requested', detail: { tenantId: 't1', conversationId: 'c9', correlationId: 'from-the-widget-1' } };
    await isolatedInvocation(() => handler(event, context('lambda-target')));
    expect(details()).toEqual([{ tenantId: 't1', conversationId: 'c9', correlationId: 'from-the-widget-1' }]);
  });

  it('publishes no correlationId outside an invocation, and keeps one the detail already has', async () => {
    await isolatedInvocation(() => publisher.publish([{ type: 'message.received', tenantId: 't1', detail: { conversationId: 'c0' } }]));
    await isolatedInvocation(() => handler({ conversationId: 'c4', requestContext: { requestId: 'apigw-req-4' } }, context('lambda-4')));
    await isolatedInvocation(() => handler({ conversationId: 'c5', own: 'chosen-by-core', requestContext: { requestId: 'apigw-req-5' } }, context('lambda-5')));
    expect(details()).toEqual([
      { tenantId: 't1', conversationId: 'c0' },
      { tenantId: 't1', conversationId: 'c4', correlationId: 'apigw-req-4' },
      { tenantId: 't1', conversationId: 'c5', correlationId: 'chosen-by-core' },
    ]);
  });
});

describe('business metrics (EMF)', () => {
  const previous = process.env['POWERTOOLS_METRICS_DISABLED'];
  const previousEnvironment = process.env['TENANT_ENVIRONMENT'];
  let out: string[];
  let sink: Metrics;
  beforeEach(() => {
    process.env['POWERTOOLS_METRICS_DISABLED'] = 'false';
    process.env['TENANT_ENVIRONMENT'] = 'test-env';
    out = [];
    jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void out.push(args.map(String).join(' ')));
    sink = new Metrics({ namespace: 'Concierge', serviceName: 'concierge' });
  });
  afterEach(() => {
    jest.restoreAllMocks();
    process.env['POWERTOOLS_METRICS_DISABLED'] = previous;
    if (previousEnvironment === undefined) delete process.env['TENANT_ENVIRONMENT'];
    else process.env['TENANT_ENVIRONMENT'] = previousEnvironment;
  });

  const emf = (): Record<string, unknown>[] => out.map((l) => JSON.parse(l) as Record<string, unknown>);

  it('emits one metric per business event, in the Concierge namespace with the environment dimension only', async () => {
    const event = (type: string, detail: Record<string, unknown> = {}) => ({ 'detail-type': type, detail: { tenantId: 'bistro', ...detail } });
    await isolatedInvocation(async () => {
      await middy(async () => {
        recordBusinessMetric(event('conversation.started', { channel: 'whatsapp' }), sink);
        recordBusinessMetric(event('message.answered'), sink);
        recordBusinessMetric(event('message.unanswered'), sink);
        recordBusinessMetric(event('handoff.requested'), sink);
        recordBusinessMetric(event('booking.confirmed'), sink);
        recordBusinessMetric(event('payment.succeeded', { amountCents: 2500 }), sink);
        recordBusinessMetric(event('message.received'), sink); // not a business metric
        recordBusinessMetric({ nonsense: true }, sink);
        recordChannelDeliveryFailed('bistro', 'sms', sink);
      }).use(correlation())({ requestContext: { requestId: 'metrics-req-1' } }, context('lambda-m'));
    });
    const lines = emf();
    const values = lines.map((l) => {
      const definition = (l['_aws'] as { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] }).CloudWatchMetrics[0];
      const name = definition?.Metrics[0]?.Name ?? '';
      expect(definition?.Namespace).toBe('Concierge');
      expect(definition?.Dimensions).toEqual([['environment']]);
      expect(l).toMatchObject({ environment: 'test-env', tenantId: 'bistro', correlationId: 'metrics-req-1' });
      expect(l).not.toHaveProperty('service');
      return [name, l[name]];
    });
    expect(values).toEqual([
      ['ConversationStarted', 1],
      ['MessageAnswered', 1],
      ['MessageUnanswered', 1],
      ['HandoffRequested', 1],
      ['BookingConfirmed', 1],
      ['DepositCollectedCents', 2500],
      ['ChannelDeliveryFailed', 1],
    ]);
    expect(lines[0]).toMatchObject({ channel: 'whatsapp' });
  });
});
