/**
 * The local bus behind the real @aws-sdk/client-eventbridge client (endpoint override → a tiny
 * HTTP server forwarding to handleAwsJson): PutEvents validation and results, routing by the
 * declared rules, asynchronous delivery, retries with backoff, dead letters and drain().
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { eventRules, type FunctionName, type StateMachineName } from '../../lib/declaration';
import {
  LocalEventBus,
  type BusLogger,
  type EventTargets,
  type LocalEventBridgeEvent,
} from '../../local-cloud/event-bus';
import { startAwsJsonServer, type AwsJsonServer } from './support/aws-json-server';

interface Delivery {
  readonly kind: 'fn' | 'sm';
  readonly target: FunctionName | StateMachineName;
  readonly event: LocalEventBridgeEvent;
}

function recordingTargets(failures: { fn?: number; sm?: number } = {}): EventTargets & { deliveries: Delivery[]; attempts: number } {
  let fnFailures = failures.fn ?? 0;
  let smFailures = failures.sm ?? 0;
  const state = {
    deliveries: [] as Delivery[],
    attempts: 0,
    async toFunction(fn: FunctionName, event: LocalEventBridgeEvent): Promise<unknown> {
      state.attempts++;
      if (fnFailures-- > 0) throw new Error(`${fn} is down`);
      state.deliveries.push({ kind: 'fn', target: fn, event });
      return { ok: true };
    },
    async toStateMachine(name: StateMachineName, input: LocalEventBridgeEvent): Promise<void> {
      state.attempts++;
      if (smFailures-- > 0) throw new Error(`${name} refused`);
      state.deliveries.push({ kind: 'sm', target: name, event: input });
    },
  };
  return state;
}

function recordingLogger(): BusLogger & { warnings: string[]; errors: string[] } {
  const logger = {
    warnings: [] as string[],
    errors: [] as string[],
    warn: (message: string) => void logger.warnings.push(message),
    error: (message: string) => void logger.errors.push(message),
  };
  return logger;
}

const entry = (detailType: string, detail: object = { tenantId: 't1' }): PutEventsRequestEntry => ({
  Source: 'concierge',
  DetailType: detailType,
  Detail: JSON.stringify(detail),
  EventBusName: 'concierge-local',
});

describe('LocalEventBus through @aws-sdk/client-eventbridge', () => {
  let server: AwsJsonServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function setup(targets: EventTargets, options: ConstructorParameters<typeof LocalEventBus>[2] = {}) {
    // The bus's behaviour, on the declared rules these tests are about (rules added later do not change the counts).
    const rules = eventRules.filter((r) => ['ConversationStats', 'HandoffRequested', 'BookingRequested', 'HandoffCustomerMessages'].includes(r.name));
    const bus = new LocalEventBus(rules, targets, { eventBusName: 'concierge-local', logger: recordingLogger(), ...options });
    server = await startAwsJsonServer(bus, 'application/x-amz-json-1.1');
    const client = new EventBridgeClient({
      endpoint: server.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    return { bus, client };
  }

  test('PutEvents returns EventIds and delivers each matched target once', async () => {
    const targets = recordingTargets();
    const { bus, client } = await setup(targets);
    const time = new Date('2026-03-01T10:00:00.000Z');
    const out = await client.send(
      new PutEventsCommand({
        Entries: [
          { ...entry('message.received', { tenantId: 't1', conversationId: 'c1' }), Time: time, Resources: ['r1'] },
          entry('handoff.requested'),
          entry('booking.requested'),
          entry('nobody.listens'),
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(0);
    expect(out.Entries).toHaveLength(4);
    for (const e of out.Entries ?? []) expect(e.EventId).toMatch(/^[0-9a-f-]{36}$/);

    await bus.drain();
    const byTarget = targets.deliveries.map((d) => `${d.kind}:${d.target}:${d.event['detail-type']}`).sort();
    expect(byTarget).toEqual(['fn:statsProjector:handoff.requested', 'fn:statsProjector:message.received', 'sm:booking:booking.requested', 'sm:handoff:handoff.requested']);

    const stats = targets.deliveries.find((d) => d.target === 'statsProjector')?.event;
    expect(stats).toEqual({
      version: '0',
      id: out.Entries?.[0]?.EventId,
      'detail-type': 'message.received',
      source: 'concierge',
      account: '000000000000',
      time: '2026-03-01T10:00:00Z',
      region: 'us-east-1',
      resources: ['r1'],
      detail: { tenantId: 't1', conversationId: 'c1' },
    });
  });

  test('handleAwsJson answers before any target runs', async () => {
    const targets = recordingTargets();
    const { bus } = await setup(targets);
    const res = await bus.handleAwsJson('AWSEvents.PutEvents', { Entries: [{ Source: 'concierge', DetailType: 'booking.requested', Detail: '{}', EventBusName: 'concierge-local' }] });
    expect(res).toMatchObject({ status: 200, body: { FailedEntryCount: 0 } });
    expect(targets.attempts).toBe(0);
    await bus.drain();
    expect(targets.attempts).toBe(1);
  });

  test('invalid entries fail individually; the valid ones are still delivered', async () => {
    const targets = recordingTargets();
    const { bus, client } = await setup(targets);
    const out = await client.send(
      new PutEventsCommand({
        Entries: [
          { ...entry('message.answered'), Detail: '{not json' },
          { ...entry('message.answered'), Detail: '[1,2]' },
          { ...entry('message.answered'), Source: undefined },
          { ...entry('message.answered'), DetailType: undefined },
          { ...entry('message.answered'), EventBusName: 'some-other-bus' },
          { ...entry('message.answered'), Source: 'aws.ec2' },
          entry('message.answered'),
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(6);
    expect(out.Entries?.map((e) => e.ErrorCode ?? 'ok')).toEqual([
      'MalformedDetail',
      'MalformedDetail',
      'InvalidArgument',
      'InvalidArgument',
      'ResourceNotFoundException',
      'NotAuthorizedForSourceException',
      'ok',
    ]);
    expect(out.Entries?.[2]?.ErrorMessage).toMatch(/Source/);
    await bus.drain();
    expect(targets.deliveries).toHaveLength(1);
  });

  test('the bus ARN is accepted as EventBusName', async () => {
    const targets = recordingTargets();
    const { bus, client } = await setup(targets);
    const out = await client.send(
      new PutEventsCommand({ Entries: [{ ...entry('message.answered'), EventBusName: 'arn:aws:events:us-east-1:000000000000:event-bus/concierge-local' }] }),
    );
    expect(out.FailedEntryCount).toBe(0);
    await bus.drain();
    expect(targets.deliveries).toHaveLength(1);
  });

  test('request-level validation errors are AWS-shaped exceptions', async () => {
    const { client } = await setup(recordingTargets());
    const tooMany = Array.from({ length: 11 }, () => entry('message.received'));
    await expect(client.send(new PutEventsCommand({ Entries: tooMany }))).rejects.toMatchObject({
      name: 'ValidationException',
      $metadata: { httpStatusCode: 400 },
    });
    const huge = entry('message.received', { blob: 'x'.repeat(300 * 1024) });
    await expect(client.send(new PutEventsCommand({ Entries: [huge] }))).rejects.toMatchObject({ name: 'ValidationException' });
  });

  test('unknown operations are refused', async () => {
    const { bus } = await setup(recordingTargets());
    const res = await bus.handleAwsJson('AWSEvents.PutRule', { Name: 'x' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ __type: 'UnknownOperationException' });
  });

  test('a failing target is retried with backoff and then succeeds', async () => {
    const targets = recordingTargets({ fn: 2 });
    const logger = recordingLogger();
    const { bus, client } = await setup(targets, { logger, maxAttempts: 3, retryBaseDelayMs: 50 });
    const started = Date.now();
    await client.send(new PutEventsCommand({ Entries: [entry('conversation.started')] }));
    await bus.drain();
    expect(targets.attempts).toBe(3);
    expect(targets.deliveries).toHaveLength(1);
    expect(bus.deadLetters).toHaveLength(0);
    expect(logger.warnings).toHaveLength(2);
    // Backoff 50 ms then 100 ms (doubling): at least 150 ms in all. Timers never fire early (a load only makes
    // them later), but Date.now() and the timers' clock may round apart by a millisecond: 140 leaves a margin
    // while still failing without the doubling (50 + 50 = 100).
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  test('after the last attempt the event is dead-lettered and logged', async () => {
    const targets = recordingTargets({ sm: 99 });
    const logger = recordingLogger();
    const { bus, client } = await setup(targets, { logger, maxAttempts: 2, retryBaseDelayMs: 5 });
    const out = await client.send(new PutEventsCommand({ Entries: [entry('handoff.requested', { conversationId: 'c9' })] }));
    await bus.drain();
    expect(targets.attempts).toBe(3); // two for the workflow, one for the stats projector (analytics)
    expect(bus.deadLetters).toHaveLength(1);
    expect(bus.deadLetters[0]).toMatchObject({
      rule: 'HandoffRequested',
      target: { stateMachine: 'handoff' },
      attempts: 2,
      error: 'Error: handoff refused',
      event: { id: out.Entries?.[0]?.EventId, detail: { conversationId: 'c9' } },
    });
    expect(logger.errors.join('\n')).toMatch(/dead-lettered/);
  });

  test('without eventBusName every bus name reaches the one local bus', async () => {
    const targets = recordingTargets();
    const bus = new LocalEventBus(eventRules, targets, { logger: recordingLogger() });
    const result = bus.putEvents([{ Source: 'concierge', DetailType: 'booking.requested', Detail: '{}', EventBusName: 'anything' }]);
    expect(result.FailedEntryCount).toBe(0);
    await bus.drain();
    expect(targets.deliveries.map((d) => d.target)).toEqual(['booking']);
  });

  test('an invalid declared pattern fails at construction, naming the rule', () => {
    expect(
      () =>
        new LocalEventBus(
          [{ name: 'Broken', description: '', pattern: { source: 'concierge' as unknown as string[] }, target: { fn: 'statsProjector' } }],
          recordingTargets(),
        ),
    ).toThrow(/Rule Broken/);
  });
});
