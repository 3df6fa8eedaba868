/**
 * A conversation a person owns and then leaves unattended, through the real use cases (core/handoff.ts) and stores
 * on DynamoDB Local (a table of the test's own), with in-memory fakes of the WebSocket pusher, the bus, e-mail and
 * Step Functions callbacks; the real state-machines/handoff.asl.json for the workflow around it. The business clock
 * is moved forward (the stores write with it too) instead of waiting a day.
 *
 * - an owner who wrote nothing for a day loses the conversation: the bot answers again, the customer is told in
 *   their language (also on the web), the inbox and the bus hear of it, and the transition is recorded; a retried
 *   step changes nothing more and stores the notice once;
 * - an owner who wrote within the day keeps it, and is checked again a day after their last message;
 * - a conversation closed, returned, or owned under a newer handoff since is left alone, and a reply landing
 *   between the check and the write keeps it (the write is conditional on the message counter);
 * - the real ASL: the outcome wait timing out checks, waits while the owner writes, and then returns it to the bot.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DynamoHandoffStore } from '../../lambdas/adapters/dynamo/handoff-store';
import { DynamoStore } from '../../lambdas/adapters/dynamo/store';
import {
  OWNER_IDLE_SECONDS,
  agentReply,
  closeConversation,
  returnToBot,
  stepAwaitOutcome,
  stepOutcome,
  stepOwnerIdle,
  stepQueue,
  sendSurvey,
  takeOver,
  type HandoffDeps,
} from '../../lambdas/core/handoff';
import { handoffText } from '../../lambdas/core/handoff-text';
import { LocalWorkflows } from '../../local-cloud/workflows';
import { agentOf, handoffHarness, newExecutionId } from '../support/handoff-harness';

/** How far the business clock runs ahead of the real one, in ms. */
let ahead = 0;
const clock = { now: () => new Date(Date.now() + ahead) };
const HOUR = 3_600_000;
const DAY = OWNER_IDLE_SECONDS * 1000;

const h = handoffHarness('handoff-idle', clock);
const { frames, events } = h;
let store: DynamoStore;
let handoffs: DynamoHandoffStore;
beforeAll(() => {
  ({ store, handoffs } = h);
});
afterEach(() => {
  ahead = 0;
});
const deps = (): HandoffDeps => h.deps();

let tenantCounter = 0;
const agent = agentOf;

/**
 * A conversation of a new tenant (its customer's widget watching it, an agent's inbox connected) that the agent took
 * over, with the workflow's queue step having claimed the handoff for `executionId` (unless `claimed` is false).
 */
async function owned(options: { lang?: string; channel?: 'web' | 'whatsapp'; claimed?: boolean } = {}) {
  const tenantId = `idle-${++tenantCounter}-${randomBytes(2).toString('hex')}`;
  const channel = options.channel ?? 'web';
  const visitorId = channel === 'web' ? `visitor-${randomBytes(6).toString('hex')}` : `whatsapp:+3460${String(randomBytes(4).readUInt32BE() % 1e7).padStart(7, '0')}`;
  const started = await store.startConversation(tenantId, visitorId, options.lang ?? 'en', channel);
  const ids = { tenantId, conversationId: started.conversationId };
  const widget = `w${randomBytes(6).toString('hex')}`;
  await store.putConnection(tenantId, widget, started.visitorId);
  await store.subscribe(tenantId, widget, started.conversationId);
  const a = agent(tenantId);
  await handoffs.putStaffConnection(tenantId, { connectionId: `s${randomBytes(6).toString('hex')}`, sub: a.sub, email: a.email, groups: a.groups });
  await store.appendMessage(tenantId, started.conversationId, { role: 'customer', text: options.lang === 'es' ? 'Quiero hablar con una persona' : 'I want to talk to a person' });
  await takeOver(deps(), a, started.conversationId);
  const executionId = newExecutionId();
  if (options.claimed !== false) expect(await stepQueue(deps(), { ...ids, reason: 'taken over by staff', executionId })).toMatchObject({ route: 'owned' });
  return { ...ids, agent: a, widget, executionId, idle: { ...ids, executionId } };
}

const modeOf = async (tenantId: string, conversationId: string) => (await store.getConversation(tenantId, conversationId))?.mode;
const systemTexts = async (tenantId: string, conversationId: string): Promise<string[]> =>
  (await store.listMessages(tenantId, conversationId, 0)).filter((m) => m.role === 'system').map((m) => m.text);

describe('an owner who wrote nothing for a day', () => {
  it('loses the conversation: the bot answers again, the customer is told in their language, staff and the bus hear of it', async () => {
    const c = await owned({ lang: 'es' });
    await agentReply(deps(), c.agent, c.conversationId, { text: 'Hola, ¿en qué te ayudo?' });
    await store.appendMessage(c.tenantId, c.conversationId, { role: 'customer', text: 'Un momento, lo miro' });
    ahead = DAY + HOUR;
    // A day later the customer has the page open again (the connection of the day before has expired).
    const widget = `w${randomBytes(6).toString('hex')}`;
    const visitorId = (await store.getConversation(c.tenantId, c.conversationId))?.visitorId ?? '';
    await store.putConnection(c.tenantId, widget, visitorId);
    await store.subscribe(c.tenantId, widget, c.conversationId);
    // And a colleague has the inbox open.
    const inbox = `s${randomBytes(6).toString('hex')}`;
    const colleague = agent(c.tenantId, 'colleague');
    await handoffs.putStaffConnection(c.tenantId, { connectionId: inbox, sub: colleague.sub, email: colleague.email, groups: colleague.groups });

    expect(await stepOwnerIdle(deps(), c.idle)).toEqual({ route: 'released' });

    expect(await modeOf(c.tenantId, c.conversationId)).toBe('bot'); // was human: the bot stayed silent for good
    expect(await handoffs.getHandoff(c.tenantId, c.conversationId)).toMatchObject({ status: 'returned', endedAt: expect.any(String), assignee: { sub: c.agent.sub } });
    const transition = (await handoffs.listTransitions(c.tenantId, c.conversationId)).at(-1);
    expect(transition).toEqual(expect.objectContaining({ fromMode: 'human', toMode: 'bot', fromStatus: 'accepted', toStatus: 'returned', reason: expect.stringMatching(/no reply from the team/) }));
    expect(transition?.by).toBeUndefined();
    // Told on the web too (stored: a customer who comes back later finds it in the conversation).
    const notice = handoffText.backToAssistant('es', 'waiting');
    expect((await systemTexts(c.tenantId, c.conversationId)).at(-1)).toBe(notice);
    expect(frames.get(widget)).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'state', mode: 'bot' }), expect.objectContaining({ type: 'message', role: 'system', text: notice })]));
    expect(frames.get(inbox)).toContainEqual(expect.objectContaining({ type: 'inbox', event: 'returned', conversationId: c.conversationId, mode: 'bot', reason: transition?.reason }));
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'handoff.transition', tenantId: c.tenantId, detail: expect.objectContaining({ conversationId: c.conversationId, fromMode: 'human', toMode: 'bot', toStatus: 'returned' }) }),
    );
    // The inbox no longer lists it as the agent's.
    expect((await handoffs.listInbox(c.tenantId)).map((e) => e.conversationId)).not.toContain(c.conversationId);

    // The workflow retries the step (its answer was lost): nothing more changes, the notice is stored once.
    expect(await stepOwnerIdle(deps(), c.idle)).toEqual({ route: 'released' });
    expect((await systemTexts(c.tenantId, c.conversationId)).filter((t) => t === notice)).toHaveLength(1);
    expect((await handoffs.listTransitions(c.tenantId, c.conversationId)).filter((t) => t.toMode === 'bot')).toHaveLength(1);
  });

  it('on WhatsApp, the customer is told too (once), in English by default', async () => {
    const c = await owned({ channel: 'whatsapp' });
    ahead = DAY + 1000;
    expect(await stepOwnerIdle(deps(), c.idle)).toEqual({ route: 'released' });
    expect((await systemTexts(c.tenantId, c.conversationId)).filter((t) => t === handoffText.backToAssistant('en', 'waiting'))).toHaveLength(1);
  });

  it('a retry whose first attempt failed after the release still tells the customer', async () => {
    const c = await owned();
    ahead = DAY + HOUR;
    jest.spyOn(store, 'appendMessage').mockRejectedValueOnce(new Error('DynamoDB unavailable'));
    await expect(stepOwnerIdle(deps(), c.idle)).rejects.toThrow('DynamoDB unavailable');
    expect(await modeOf(c.tenantId, c.conversationId)).toBe('bot');
    expect(await systemTexts(c.tenantId, c.conversationId)).toEqual([]);

    expect(await stepOwnerIdle(deps(), c.idle)).toEqual({ route: 'released' });
    expect(await systemTexts(c.tenantId, c.conversationId)).toEqual([handoffText.backToAssistant('en', 'waiting')]);
  });
});

describe('an owner still writing', () => {
  it('keeps the conversation, and is checked again a day after their last message', async () => {
    const c = await owned();
    ahead = 20 * HOUR;
    await agentReply(deps(), c.agent, c.conversationId, { text: 'Still checking with the kitchen, one moment.' });
    // The customer writing does not keep it for the owner.
    ahead = 23 * HOUR;
    await store.appendMessage(c.tenantId, c.conversationId, { role: 'customer', text: 'ok' });
    ahead = DAY + HOUR;

    const idle = await stepOwnerIdle(deps(), c.idle);
    expect(idle.route).toBe('active');
    // Their reply was 5 h ago: idle in 19 h.
    expect(idle.waitSeconds).toBeGreaterThan(19 * 3600 - 60);
    expect(idle.waitSeconds).toBeLessThanOrEqual(19 * 3600);
    expect(await modeOf(c.tenantId, c.conversationId)).toBe('human');

    ahead = 20 * HOUR + DAY + 1000;
    expect(await stepOwnerIdle(deps(), c.idle)).toEqual({ route: 'released' });
    expect(await modeOf(c.tenantId, c.conversationId)).toBe('bot');
  });

  it('an acceptance less than a day old counts as activity', async () => {
    const c = await owned();
    ahead = 2 * HOUR;
    expect(await stepOwnerIdle(deps(), c.idle)).toMatchObject({ route: 'active', waitSeconds: expect.any(Number) });
    expect(await modeOf(c.tenantId, c.conversationId)).toBe('human');
  });

  it('a reply landing between the check and the write keeps it (the write is conditional on the message counter)', async () => {
    const c = await owned();
    ahead = DAY + HOUR;
    const apply = handoffs.applyChange.bind(handoffs);
    let replied = false;
    jest.spyOn(handoffs, 'applyChange').mockImplementation(async (change) => {
      if (!replied) {
        replied = true;
        await agentReply(deps(), c.agent, c.conversationId, { text: 'Sorry for the wait, here is your answer.' });
      }
      return apply(change);
    });

    expect((await stepOwnerIdle(deps(), c.idle)).route).toBe('active');
    expect(replied).toBe(true);
    expect(await modeOf(c.tenantId, c.conversationId)).toBe('human');
    expect(await handoffs.getHandoff(c.tenantId, c.conversationId)).toMatchObject({ status: 'accepted' });
    expect(await systemTexts(c.tenantId, c.conversationId)).toEqual([]);
  });
});

describe('a conversation that moved on is left alone', () => {
  it('closed: the workflow reads the outcome (and the survey is asked once)', async () => {
    const c = await owned();
    await stepAwaitOutcome(deps(), { tenantId: c.tenantId, conversationId: c.conversationId, taskToken: `outcome-${c.executionId}` });
    await closeConversation(deps(), c.agent, c.conversationId);
    ahead = 2 * DAY;
    expect(await stepOwnerIdle(deps(), c.idle)).toEqual({ route: 'ended' });
    expect(await modeOf(c.tenantId, c.conversationId)).toBe('closed');
    expect(await stepOutcome(deps(), c)).toEqual({ outcome: 'closed' });
    await sendSurvey(deps(), c);
    expect((await systemTexts(c.tenantId, c.conversationId)).filter((t) => t === handoffText.csatQuestion('en'))).toHaveLength(1);
  });

  it('returned by staff: nothing more is said', async () => {
    const c = await owned({ channel: 'whatsapp' });
    await returnToBot(deps(), c.agent, c.conversationId);
    const before = await systemTexts(c.tenantId, c.conversationId);
    ahead = 2 * DAY;
    expect(await stepOwnerIdle(deps(), c.idle)).toEqual({ route: 'ended' });
    expect(await systemTexts(c.tenantId, c.conversationId)).toEqual(before);
    expect((await handoffs.listTransitions(c.tenantId, c.conversationId)).filter((t) => t.toMode === 'bot')).toHaveLength(1);
  });

  it('returned, then taken over by someone else: the old workflow does not release the new owner', async () => {
    const c = await owned();
    await returnToBot(deps(), c.agent, c.conversationId);
    const other = agent(c.tenantId, 'other');
    ahead = 2 * DAY;
    await takeOver(deps(), other, c.conversationId);
    // Before and after the new handoff's own workflow claims it.
    expect(await stepOwnerIdle(deps(), c.idle)).toEqual({ route: 'done' });
    const second = newExecutionId();
    expect(await stepQueue(deps(), { tenantId: c.tenantId, conversationId: c.conversationId, reason: 'taken over by staff', executionId: second })).toMatchObject({ route: 'owned' });
    ahead = 4 * DAY;
    expect(await stepOwnerIdle(deps(), c.idle)).toEqual({ route: 'done' });
    expect(await modeOf(c.tenantId, c.conversationId)).toBe('human');
    expect(await handoffs.getHandoff(c.tenantId, c.conversationId)).toMatchObject({ status: 'accepted', assignee: { sub: other.sub } });
    // Its own workflow does, once the new owner has been silent for a day.
    expect(await stepOwnerIdle(deps(), { tenantId: c.tenantId, conversationId: c.conversationId, executionId: second })).toEqual({ route: 'released' });
  });
});

describe('the real ASL', () => {
  it('waits for the outcome exactly the owner’s inactivity period (the first check comes when it has passed)', () => {
    const asl = z
      .object({ States: z.object({ AwaitOutcome: z.object({ TimeoutSeconds: z.number() }).loose() }).loose() })
      .parse(JSON.parse(readFileSync(path.resolve(__dirname, '..', '..', 'state-machines', 'handoff.asl.json'), 'utf8')));
    expect(asl.States.AwaitOutcome.TimeoutSeconds).toBe(OWNER_IDLE_SECONDS);
  });

  const task = z.object({
    step: z.string(),
    executionId: z.string().optional(),
    taskToken: z.string().optional(),
    input: z.object({ detail: z.object({ tenantId: z.string(), conversationId: z.string(), reason: z.string().optional() }) }),
  });

  it('the outcome wait timing out checks the owner: waits while they write, then returns the conversation to the bot', async () => {
    // Taken over; the workflow's queue step claims the handoff.
    const c = await owned({ lang: 'es', claimed: false });
    await agentReply(deps(), c.agent, c.conversationId, { text: 'Hola' });

    const calls: string[] = [];
    /** The business clock at each owner check: 2 h after the reply (still theirs), then past a day. */
    const checks = [2 * HOUR, DAY + HOUR];
    const waits: number[] = [];
    const workflows = new LocalWorkflows({
      rootDir: path.resolve(__dirname, '..', '..'),
      retryScale: 0,
      // The day-long outcome wait takes ~0.09 s; the 22 h wait for the owner ~0.08 s.
      callbackTimeoutScale: 0.000_001,
      waitScale: 0.000_001,
      invokeFunction: async (_fn, raw) => {
        const { step, executionId, taskToken, input } = task.parse(raw);
        calls.push(step);
        const ids = { tenantId: input.detail.tenantId, conversationId: input.detail.conversationId };
        switch (step) {
          case 'handoff.queue':
            return stepQueue(deps(), { ...ids, reason: input.detail.reason ?? 'customer asked for a person', executionId: executionId ?? '' });
          case 'handoff.awaitOutcome':
            return stepAwaitOutcome(deps(), { ...ids, taskToken: taskToken ?? '' });
          case 'handoff.ownerIdle': {
            ahead = checks.shift() ?? ahead;
            const idle = await stepOwnerIdle(deps(), { ...ids, executionId: executionId ?? '' });
            if (idle.waitSeconds) waits.push(idle.waitSeconds);
            return idle;
          }
          case 'handoff.outcome':
            return stepOutcome(deps(), ids);
          case 'handoff.survey':
            return sendSurvey(deps(), ids);
          default:
            throw new Error(`unexpected step ${step}`);
        }
      },
    });

    const { executionArn } = workflows.startExecution('handoff', { detail: { tenantId: c.tenantId, conversationId: c.conversationId, reason: 'taken over by staff' } });
    expect((await workflows.waitForExecution(executionArn)).status).toBe('SUCCEEDED');
    expect(calls).toEqual(['handoff.queue', 'handoff.awaitOutcome', 'handoff.ownerIdle', 'handoff.ownerIdle']);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(21 * 3600);
    expect(await modeOf(c.tenantId, c.conversationId)).toBe('bot');
    expect((await systemTexts(c.tenantId, c.conversationId)).at(-1)).toBe(handoffText.backToAssistant('es', 'waiting'));
  });
});
