/**
 * One correlation id across the local cloud: a widget message asking for a person goes through the
 * WebSocket handler (API Gateway request id), the events it publishes (message.received,
 * handoff.requested), an event target (the stats projector), the handoff workflow's task and the
 * events that task publishes — every log line of theirs and every event carrying the same id, while
 * the customer's earlier `hello` has an id of its own. Log lines are the shared Powertools logger's,
 * captured from the console (POWERTOOLS_DEV) at debug level; events are what the local bus received.
 */
import { randomBytes } from 'node:crypto';
import type { PutEventsEntry } from '../../local-cloud/event-bus';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { connect, wsUrl, type TestSocket } from '../support/ws-client';

let cloud: LocalCloud;
const entries: PutEventsEntry[] = [];
const logLines: Record<string, unknown>[] = [];

const previousLevel = process.env['POWERTOOLS_LOG_LEVEL'];

beforeAll(async () => {
  // The handlers' logger reads its level once, when the runtime first loads them (Powertools returns to that
  // level at every invocation): debug, so each invocation's "invocation correlated" line is written.
  process.env['POWERTOOLS_LOG_LEVEL'] = 'DEBUG';
  cloud = await startLocalCloud({ onProgress: () => undefined });
  const putEvents = cloud.bus.putEvents.bind(cloud.bus);
  jest.spyOn(cloud.bus, 'putEvents').mockImplementation((batch) => {
    entries.push(...batch);
    return putEvents(batch);
  });
  const capture = (...args: unknown[]): void => {
    for (const arg of args) {
      if (typeof arg !== 'string' || !arg.startsWith('{')) continue;
      try {
        logLines.push(JSON.parse(arg) as Record<string, unknown>);
      } catch {
        // not a log line of ours
      }
    }
  };
  for (const method of ['debug', 'info', 'warn', 'error', 'log'] as const) jest.spyOn(console, method).mockImplementation(capture);
}, 240_000);

afterAll(async () => {
  await cloud?.stop();
  jest.restoreAllMocks();
  process.env['POWERTOOLS_LOG_LEVEL'] = previousLevel;
});

/** Details of the events of `type` about a conversation. */
function events(type: string, conversationId: string): Record<string, unknown>[] {
  return entries
    .filter((e) => e.DetailType === type)
    .map((e) => JSON.parse(e.Detail ?? '{}') as Record<string, unknown>)
    .filter((d) => d['conversationId'] === conversationId);
}

/** The correlation ids of a function's log lines. */
const idsLoggedBy = (fn: string): Set<unknown> => new Set(logLines.filter((l) => l['function_name'] === fn).map((l) => l['correlation_id']));

it('follows a widget message from the WebSocket handler through the bus, an event target and the workflow', async () => {
  const origin = new URL(cloud.urls.demoSite).origin;
  const socket: TestSocket = await connect(wsUrl(cloud.urls.ws, cloud.demo.widgetKey, randomBytes(16).toString('hex')), origin);
  try {
    socket.send({ action: 'hello', lang: 'en' });
    const { conversationId } = await socket.next('session');
    socket.send({ action: 'sendMessage', clientId: randomBytes(9).toString('base64url'), text: 'I want to speak to a human' });
    await socket.next('state', (s) => s.mode === 'waiting_for_human', 60_000);
    await cloud.settle();

    // The WebSocket handler published both events of the message under its request's id.
    const [requested] = events('handoff.requested', conversationId);
    const correlationId = requested?.['correlationId'];
    expect(typeof correlationId).toBe('string');
    expect(events('message.received', conversationId).map((d) => d['correlationId'])).toEqual([correlationId]);
    // `hello` was another request: the conversation.started it published has another id.
    const [started] = events('conversation.started', conversationId);
    expect(started?.['correlationId']).toEqual(expect.any(String));
    expect(started?.['correlationId']).not.toBe(correlationId);

    // The workflow's task published the handoff's transition under the same id.
    const transitions = events('handoff.transition', conversationId);
    expect(transitions.length).toBeGreaterThan(0);
    for (const t of transitions) expect(t['correlationId']).toBe(correlationId);

    // The same id on the log lines of the WebSocket handler, the event target and the workflow task.
    for (const fn of ['wsMessage', 'statsProjector', 'workflowTask']) expect(idsLoggedBy(fn)).toContain(correlationId);
    const taskLine = logLines.find((l) => l['function_name'] === 'workflowTask' && l['correlation_id'] === correlationId);
    expect(taskLine).toMatchObject({ message: 'invocation correlated', correlationSource: 'workflow' });
    const targetLine = logLines.find((l) => l['function_name'] === 'statsProjector' && l['correlation_id'] === correlationId);
    expect(targetLine).toMatchObject({ correlationSource: 'event' });
    const wsLine = logLines.find((l) => l['function_name'] === 'wsMessage' && l['correlation_id'] === correlationId);
    expect(wsLine).toMatchObject({ correlationSource: 'apigateway' });
  } finally {
    await socket.close();
  }
});
