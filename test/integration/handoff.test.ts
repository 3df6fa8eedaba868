/**
 * The human handoff through the local cloud: the real ASL (state-machines/handoff.asl.json) on
 * aws-local-stepfunctions, the real handlers behind the local gateway and bus, DynamoDB Local and
 * the local Cognito. Waits are shortened only by configuration (`waitScale`; per-tenant SLA).
 *
 * - accept within the SLA → the person owns the thread, the bot is silent, typing both ways,
 *   close → CSAT question → the answer is recorded; every transition has its reason and time;
 * - SLA timeout → escalation to every agent → second timeout → callback fallback with a follow-up
 *   task → the contact the customer leaves lands on the task;
 * - outside business hours → straight to the callback fallback;
 * - take over from the bot, return to the bot (the bot answers again);
 * - staff WebSocket: token checks, tenant scoping, actions on the wrong kind of connection.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { handoffStore, knowledgeStore } from '../../lambdas/adapters/container';
import { localTime } from '../../lambdas/core/business-hours';
import { provisionTenant } from '../../lambdas/core/knowledge';
import { knowledgeBaseSchema, type KnowledgeBase, type OpeningHours } from '../../lambdas/core/knowledge-base';
import type { ServerFrame } from '../../lambdas/core/protocol';
import { newWidgetKey } from '../../lambdas/core/widget-key';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { api, ensureStaff, eventually, signIn, staffSocket } from '../support/staff';
import { RefusedError, widgetCustomer, type TestSocket, type WidgetCustomer } from '../support/ws-client';

/** Cap of each wait for a frame or a state: generous, a loaded CI machine runs the handlers many times slower. */
const STEP_MS = 60_000;
// Several such waits per test, after a cold start of the handlers.
jest.setTimeout(300_000);

/** Every Wait state runs 50 times faster: an SLA of 50 s takes 1 s. */
const WAIT_SCALE = 0.02;
const PASSWORD = 'Handoff-Test-2026!';
const ASK_FOR_PERSON = 'I want to speak to a human';

let cloud: LocalCloud;
let origin: string;
const widgetKeys: Record<string, string> = {};

const allWeek: OpeningHours[] = (['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const).map((day) => ({ day, open: '00:00', close: '23:59' }));

/** Open only on a day that is not today in Dublin, so "now" is outside business hours whenever the test runs. */
function closedToday(): OpeningHours[] {
  const today = localTime(new Date(), 'Europe/Dublin').day;
  const days = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
  const other = days[(days.indexOf(today) + 2) % 7] ?? 'mon';
  return [{ day: other, open: '09:00', close: '17:00' }];
}

async function tenant(tenantId: string, hours: OpeningHours[], slaSeconds: number): Promise<void> {
  const demo: KnowledgeBase = knowledgeBaseSchema.parse(JSON.parse(readFileSync(join(__dirname, '..', '..', 'local-cloud', 'seed', 'demo-kb.json'), 'utf8')));
  const kb: KnowledgeBase = { ...demo, business: { ...demo.business, slug: tenantId }, hours };
  widgetKeys[tenantId] = newWidgetKey(tenantId);
  await provisionTenant(knowledgeStore(), { tenantId, widgetKey: widgetKeys[tenantId] ?? '', allowedOrigins: [origin], kb });
  await handoffStore().putHandoffSettings(tenantId, { slaSeconds, cannedReplies: [] });
}

const agentEmail = (tenantId: string): string => `agent@${tenantId}.example`;

beforeAll(async () => {
  cloud = await startLocalCloud({ quiet: true, waitScale: WAIT_SCALE });
  origin = new URL(cloud.urls.demoSite).origin;
  await Promise.all([
    // A day (29 min at this scale): the accept-within-the-SLA test must never race the SLA timer, however slow the machine.
    tenant('hand-open', allWeek, 86_400),
    tenant('hand-sla', allWeek, 50),
    tenant('hand-closed', closedToday(), 3600),
    tenant('hand-other', allWeek, 3600),
  ]);
  await ensureStaff(
    cloud,
    ['hand-open', 'hand-sla', 'hand-closed', 'hand-other'].flatMap((t) => [
      { email: agentEmail(t), password: PASSWORD, tenantId: t, groups: ['agent'] as const },
      { email: `owner@${t}.example`, password: PASSWORD, tenantId: t, groups: ['admin', 'agent'] as const },
    ]),
  );
}, 240_000);

afterAll(async () => {
  await cloud?.stop();
});

const clientId = (): string => randomBytes(9).toString('base64url');

const customer = (tenantId: string): Promise<WidgetCustomer> => widgetCustomer({ ws: cloud.urls.ws, widgetKey: widgetKeys[tenantId] ?? '', origin }, { lang: 'en' });

type Message = Extract<ServerFrame, { type: 'message' }>;
const messages = (socket: TestSocket): Message[] => socket.frames.filter((f): f is Message => f.type === 'message');

const handoffBody = z.object({
  conversation: z.object({ mode: z.string() }),
  customer: z.object({ label: z.string(), contact: z.string().optional() }),
  handoff: z
    .object({
      status: z.string(),
      reason: z.string(),
      assignee: z.object({ email: z.string() }).optional(),
      contact: z.string().optional(),
      followUpId: z.string().optional(),
      csat: z.object({ askedAt: z.string(), score: z.number().optional() }).optional(),
    })
    .nullable(),
  transitions: z.array(z.object({ fromMode: z.string(), toMode: z.string(), fromStatus: z.string().optional(), toStatus: z.string(), reason: z.string(), at: z.string(), by: z.string().optional() })),
  messages: z.array(z.object({ role: z.string(), text: z.string(), seq: z.number() })),
});

async function inboxConversation(token: string, conversationId: string) {
  const res = await api(cloud, 'GET', `/v1/admin/inbox/${conversationId}`, token);
  expect(res.status).toBe(200);
  return handoffBody.parse(res.body);
}

function executionFor(conversationId: string) {
  return cloud.workflows.listExecutions().find((e) => e.stateMachine === 'handoff' && e.input.includes(conversationId));
}

describe('handoff: accept within the SLA', () => {
  it('hands the thread to a person, keeps the bot silent, relays typing, closes with one CSAT question and records every transition', async () => {
    const agent = await signIn(cloud, agentEmail('hand-open'), PASSWORD);
    const inbox = await staffSocket(cloud, agent);
    const { socket, conversationId } = await customer('hand-open');

    socket.send({ action: 'sendMessage', clientId: clientId(), text: ASK_FOR_PERSON });
    await socket.next('state', (s) => s.mode === 'waiting_for_human', STEP_MS);
    const told = await socket.next('message', (m) => m.role === 'system', STEP_MS);
    expect(told.text).toMatch(/asked the team/i);
    expect(told.text).toMatch(/within about 1440 minutes/); // the tenant's SLA, honestly
    const waiting = await inbox.next('inbox', (f) => f.conversationId === conversationId && f.event === 'waiting');
    expect(waiting.mode).toBe('waiting_for_human');

    const queue = await api(cloud, 'GET', '/v1/admin/inbox?queue=waiting', agent);
    expect(z.object({ items: z.array(z.object({ conversationId: z.string() })) }).parse(queue.body).items.map((i) => i.conversationId)).toContain(conversationId);

    // While waiting the bot stays silent too.
    const botBefore = messages(socket).filter((m) => m.role === 'bot').length;
    socket.send({ action: 'sendMessage', clientId: clientId(), text: 'hello? anyone there?' });
    await socket.next('ack');

    const accepted = await api(cloud, 'POST', `/v1/admin/inbox/${conversationId}/accept`, agent);
    expect(accepted.status).toBe(200);
    await socket.next('state', (s) => s.mode === 'human');
    await inbox.next('inbox', (f) => f.conversationId === conversationId && f.event === 'accepted');
    // A second agent cannot accept it any more.
    const owner = await signIn(cloud, 'owner@hand-open.example', PASSWORD);
    expect((await api(cloud, 'POST', `/v1/admin/inbox/${conversationId}/accept`, owner)).status).toBe(409);

    // Typing both ways, once the agent watches the conversation.
    inbox.send({ action: 'staffWatch', conversationId });
    await inbox.next('state', (s) => s.mode === 'human');
    socket.send({ action: 'customerTyping', on: true });
    await inbox.next('typing', (t) => t.role === 'customer' && t.on);
    inbox.send({ action: 'staffTyping', conversationId, on: true });
    await socket.next('typing', (t) => t.role === 'agent' && t.on);

    socket.send({ action: 'sendMessage', clientId: clientId(), text: 'Can you move my appointment?' });
    await inbox.next('message', (m) => m.role === 'customer' && m.text === 'Can you move my appointment?');
    const reply = await api(cloud, 'POST', `/v1/admin/inbox/${conversationId}/messages`, agent, { text: 'Of course, which day suits you?' });
    expect(reply.status).toBe(201);
    const agentMessage = await socket.next('message', (m) => m.role === 'agent');
    expect(agentMessage.text).toBe('Of course, which day suits you?');
    await socket.next('typing', (t) => t.role === 'agent' && !t.on);
    // Only the owner may reply.
    expect((await api(cloud, 'POST', `/v1/admin/inbox/${conversationId}/messages`, owner, { text: 'me too' })).status).toBe(403);
    expect((await api(cloud, 'POST', `/v1/admin/inbox/${conversationId}/messages`, agent, { text: '  ' })).status).toBe(400);

    await cloud.settle();
    expect(messages(socket).filter((m) => m.role === 'bot')).toHaveLength(botBefore);

    const closed = await api(cloud, 'POST', `/v1/admin/inbox/${conversationId}/close`, agent);
    expect(closed.status).toBe(200);
    await socket.next('state', (s) => s.mode === 'closed');
    const csat = await socket.next('message', (m) => m.role === 'system' && (m.quickReplies?.length ?? 0) === 5, STEP_MS);
    expect(csat.text).toMatch(/how satisfied/i);
    expect(csat.quickReplies?.map((q) => q.text)).toEqual(['1', '2', '3', '4', '5']);

    socket.send({ action: 'sendMessage', clientId: clientId(), text: '5' });
    await socket.next('message', (m) => m.role === 'system' && /thank you/i.test(m.text), STEP_MS);
    const done = await inboxConversation(agent, conversationId);
    expect(done.handoff).toMatchObject({ status: 'closed', assignee: { email: agentEmail('hand-open') }, csat: { score: 5 } });
    expect(done.transitions.map((t) => `${t.fromMode}>${t.toMode}:${t.toStatus}`)).toEqual(['bot>waiting_for_human:waiting', 'waiting_for_human>human:accepted', 'human>closed:closed']);
    expect(done.transitions[0]?.reason).toBe('customer asked for a person');
    expect(done.transitions[1]?.by).toBe(agentEmail('hand-open'));
    for (const t of done.transitions) expect(Number.isNaN(Date.parse(t.at))).toBe(false);
    // No bot message after the request for a person.
    const firstSystem = done.messages.find((m) => m.role === 'system');
    expect(done.messages.filter((m) => m.role === 'bot' && m.seq > (firstSystem?.seq ?? 0))).toEqual([]);

    const execution = await eventually(async () => (executionFor(conversationId)?.status === 'SUCCEEDED' ? executionFor(conversationId) : undefined), 'the workflow to end', STEP_MS);
    expect(execution.status).toBe('SUCCEEDED');
    await Promise.all([socket.close(), inbox.close()]);
  });
});

describe('handoff: nobody accepts', () => {
  it('escalates to every agent after the SLA, then offers a callback with a follow-up task that gets the contact', async () => {
    const agent = await signIn(cloud, agentEmail('hand-sla'), PASSWORD);
    const inbox = await staffSocket(cloud, agent); // online, but never accepts
    const { socket, conversationId } = await customer('hand-sla');

    socket.send({ action: 'sendMessage', clientId: clientId(), text: ASK_FOR_PERSON });
    await socket.next('state', (s) => s.mode === 'waiting_for_human', STEP_MS);
    await inbox.next('inbox', (f) => f.conversationId === conversationId && f.event === 'waiting');
    // SLA 50 s × 0.02 = 1 s, twice.
    await inbox.next('inbox', (f) => f.conversationId === conversationId && f.event === 'escalated', STEP_MS);
    await inbox.next('inbox', (f) => f.conversationId === conversationId && f.event === 'callback', STEP_MS);
    const offer = await socket.next('message', (m) => m.role === 'system' && /phone number/i.test(m.text), STEP_MS);
    expect(offer.text).toMatch(/nobody from the team can join/i);

    const view = await inboxConversation(agent, conversationId);
    expect(view.transitions.map((t) => t.toStatus)).toEqual(['waiting', 'escalated', 'callback']);
    expect(view.transitions[1]?.reason).toMatch(/no agent accepted within 50 s/);
    const followUps = z.object({ items: z.array(z.object({ id: z.string(), conversationId: z.string(), status: z.string(), contact: z.string().optional() })) });
    const listed = followUps.parse((await api(cloud, 'GET', '/v1/admin/follow-ups', agent)).body).items.find((f) => f.conversationId === conversationId);
    expect(listed).toMatchObject({ status: 'open' });

    // The owner sees the e-mails the local outbox kept: the waiting notice and the escalation.
    const owner = await signIn(cloud, 'owner@hand-sla.example', PASSWORD);
    const outbox = z.object({ items: z.array(z.object({ kind: z.string(), to: z.array(z.string()), conversationId: z.string().optional() })) });
    // The callback e-mail is sent after the offer reaches the customer: wait until it is in the outbox.
    const emails = await eventually(async () => {
      const items = outbox.parse((await api(cloud, 'GET', '/v1/admin/outbox', owner)).body).items.filter((e) => e.conversationId === conversationId);
      return items.some((e) => e.kind === 'handoff.callback') ? items : undefined;
    }, 'the callback e-mail in the outbox', STEP_MS);
    expect(emails.map((e) => e.kind).sort()).toEqual(['handoff.callback', 'handoff.escalated', 'handoff.waiting']);
    expect(emails.find((e) => e.kind === 'handoff.waiting')?.to).toEqual([agentEmail('hand-sla')]);
    expect((await api(cloud, 'GET', '/v1/admin/outbox', agent)).status).toBe(403);

    // Typed the Irish way: read in the business's country, so the customer sees the number that will be called.
    socket.send({ action: 'sendMessage', clientId: clientId(), text: 'Sure, call me on 087 123 4567' });
    const thanks = await socket.next('message', (m) => m.role === 'system' && /contact you at/i.test(m.text), STEP_MS);
    expect(thanks.text).toContain('+353 87 123 4567');
    const after = followUps.parse((await api(cloud, 'GET', '/v1/admin/follow-ups', agent)).body).items.find((f) => f.conversationId === conversationId);
    expect(after?.contact).toBe('+353 87 123 4567');

    // The workflow still waits for a late accept (the callback is promised, an agent may pick it up).
    // (The Fallback step ends after the e-mails; the workflow then parks on AwaitLateAccept.)
    await eventually(async () => (cloud.workflows.listPendingTasks().some((t) => t.stateName === 'AwaitLateAccept' && t.executionArn === executionFor(conversationId)?.executionArn) ? true : undefined), 'the workflow to wait for a late accept', STEP_MS);
    const late = await api(cloud, 'POST', `/v1/admin/inbox/${conversationId}/accept`, agent);
    expect(late.status).toBe(200);
    await socket.next('state', (s) => s.mode === 'human');
    await eventually(async () => (cloud.workflows.listPendingTasks().some((t) => t.stateName === 'AwaitOutcome' && t.executionArn === executionFor(conversationId)?.executionArn) ? true : undefined), 'the workflow to follow the late accept', STEP_MS);

    // The callback was made: the task is done, and the conversation the agent now owns stays theirs (a follow-up
    // done while nobody owns the conversation returns it to the bot: test/integration/handoff-recovery.test.ts).
    const done = await api(cloud, 'POST', `/v1/admin/follow-ups/${after?.id ?? ''}/done`, agent);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ followUp: { status: 'done', doneBy: agentEmail('hand-sla') } });
    expect((await inboxConversation(agent, conversationId)).conversation.mode).toBe('human');
    await Promise.all([socket.close(), inbox.close()]);
  });

  it('outside business hours goes straight to the callback, saying when the team is back', async () => {
    const agent = await signIn(cloud, agentEmail('hand-closed'), PASSWORD);
    const inbox = await staffSocket(cloud, agent);
    const { socket, conversationId } = await customer('hand-closed');
    socket.send({ action: 'sendMessage', clientId: clientId(), text: ASK_FOR_PERSON });
    const offer = await socket.next('message', (m) => m.role === 'system', STEP_MS);
    expect(offer.text).toMatch(/isn't available right now\. We're back on \w+day at 09:00\./);
    await inbox.next('inbox', (f) => f.conversationId === conversationId && f.event === 'callback');
    const view = await inboxConversation(agent, conversationId);
    expect(view.transitions.map((t) => t.toStatus)).toEqual(['waiting', 'callback']);
    expect(view.transitions[1]?.reason).toMatch(/outside business hours/);
    expect(view.handoff?.followUpId).toEqual(expect.any(String));
    // No "someone will join" promise was made.
    expect(messages(socket).some((m) => /asked the team/i.test(m.text))).toBe(false);

    socket.send({ action: 'sendMessage', clientId: clientId(), text: 'ok' });
    await socket.next('message', (m) => m.role === 'system' && /phone number or an email/i.test(m.text), STEP_MS);
    socket.send({ action: 'sendMessage', clientId: clientId(), text: 'mail me: Maria.Lopez@example.com' });
    await socket.next('message', (m) => m.role === 'system' && m.text.includes('maria.lopez@example.com'), STEP_MS);
    await Promise.all([socket.close(), inbox.close()]);
  });
});

describe('handoff: staff take over and return to the bot', () => {
  it('takes a bot conversation over, then returns it and the bot answers again', async () => {
    const agent = await signIn(cloud, agentEmail('hand-open'), PASSWORD);
    const { socket, conversationId } = await customer('hand-open');
    // Small talk: answered without retrieval, so the test does not wait on a cold search index.
    socket.send({ action: 'sendMessage', clientId: clientId(), text: 'hello' });
    await socket.next('message', (m) => m.role === 'bot', STEP_MS);

    const all = z.object({ items: z.array(z.object({ conversationId: z.string(), mode: z.string() })), counts: z.object({ all: z.number() }) });
    const listed = all.parse((await api(cloud, 'GET', '/v1/admin/inbox?queue=all', agent)).body);
    expect(listed.items.find((i) => i.conversationId === conversationId)?.mode).toBe('bot');

    expect((await api(cloud, 'POST', `/v1/admin/inbox/${conversationId}/takeover`, agent)).status).toBe(200);
    await socket.next('state', (s) => s.mode === 'human');
    const mine = all.parse((await api(cloud, 'GET', '/v1/admin/inbox?queue=mine', agent)).body);
    expect(mine.items.map((i) => i.conversationId)).toContain(conversationId);
    // The workflow follows the takeover to its outcome.
    await eventually(async () => (cloud.workflows.listPendingTasks().some((t) => t.stateName === 'AwaitOutcome' && t.executionArn === executionFor(conversationId)?.executionArn) ? true : undefined), 'the workflow to follow the takeover', STEP_MS);

    expect((await api(cloud, 'POST', `/v1/admin/inbox/${conversationId}/return`, agent)).status).toBe(200);
    await socket.next('state', (s) => s.mode === 'bot');
    expect((await api(cloud, 'POST', `/v1/admin/inbox/${conversationId}/return`, agent)).status).toBe(409);
    socket.send({ action: 'sendMessage', clientId: clientId(), text: 'thank you' });
    await socket.next('message', (m) => m.role === 'bot' && m.seq > 3, STEP_MS);
    await eventually(async () => (executionFor(conversationId)?.status === 'SUCCEEDED' ? true : undefined), 'the workflow to end', STEP_MS);
    const view = await inboxConversation(agent, conversationId);
    expect(view.transitions.map((t) => `${t.fromMode}>${t.toMode}`)).toEqual(['bot>human', 'human>bot']);
    await socket.close();
  });
});

describe('the staff WebSocket', () => {
  it('needs a valid staff token, scopes everything to its tenant, and keeps widget and staff actions apart', async () => {
    await expect(staffSocket(cloud, 'not-a-jwt')).rejects.toEqual(new RefusedError(401));
    const other = await signIn(cloud, agentEmail('hand-other'), PASSWORD);
    const { socket, conversationId } = await customer('hand-open');
    const foreign = await staffSocket(cloud, other);
    foreign.send({ action: 'staffWatch', conversationId });
    expect((await foreign.next('error')).code).toBe('no_conversation');
    // Anything that is not a staff action, a widget action included, names the staff actions.
    foreign.send({ action: 'sendMessage', clientId: clientId(), text: 'hi' });
    expect(await foreign.next('error')).toEqual(expect.objectContaining({ code: 'unknown_action', message: expect.stringContaining('staffWatch, staffTyping, staffPing') }));
    foreign.sendRaw('not json');
    expect((await foreign.next('error')).code).toBe('unknown_action');
    foreign.send({ action: 'staffPing' });
    await foreign.next('pong');
    socket.send({ action: 'staffWatch', conversationId });
    expect(await socket.next('error')).toEqual(expect.objectContaining({ type: 'error' }));
    // The other tenant's inbox never hears about this tenant's conversations.
    socket.send({ action: 'sendMessage', clientId: clientId(), text: ASK_FOR_PERSON });
    await socket.next('state', (s) => s.mode === 'waiting_for_human', STEP_MS);
    await cloud.settle();
    expect(foreign.frames.filter((f) => f.type === 'inbox')).toEqual([]);
    await Promise.all([socket.close(), foreign.close()]);
  });
});
