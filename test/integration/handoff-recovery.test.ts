/**
 * How a handoff ends and recovers, through the real use cases (core/handoff.ts) and stores on DynamoDB Local
 * (a table of the test's own), with in-memory fakes of the WebSocket pusher, the bus, e-mail and Step Functions
 * callbacks; the real state-machines/handoff.asl.json for the callback's expiry.
 *
 * - a callback nobody picks up within the workflow's day, or whose follow-up is marked done, returns the
 *   conversation to the bot (else the bot stays silent for good);
 * - a close whose workflow callback fails transiently is still a success and asks the CSAT question at once;
 * - a step retried after its state change was saved still sends what the first attempt did not (the
 *   "queued" notice; the follow-up task and the callback notice), each once;
 * - a step retried after its staff e-mail went out (the task failed later: its function timed out, its answer was
 *   lost) sends staff no second e-mail (a marker recorded right after the e-mail was accepted), while the customer's
 *   notice is still delivered again; an e-mail that failed is sent by the retry (also the "escalated" one, after the
 *   escalation was saved); every handoff gets its own.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { DynamoHandoffStore } from '../../lambdas/adapters/dynamo/handoff-store';
import { DynamoStore } from '../../lambdas/adapters/dynamo/store';
import {
  acceptHandoff,
  closeConversation,
  completeFollowUp,
  stepAwaitAccept,
  stepAwaitOutcome,
  stepCallbackExpired,
  stepEscalate,
  stepFallback,
  stepNotify,
  stepQueue,
  type HandoffDeps,
  type StaffActor,
} from '../../lambdas/core/handoff';
import type { EmailKind } from '../../lambdas/core/handoff-ports';
import { handoffText } from '../../lambdas/core/handoff-text';
import { LocalWorkflows } from '../../local-cloud/workflows';
import { agentOf, handoffHarness } from '../support/handoff-harness';

const clock = { now: () => new Date() };
const h = handoffHarness('handoff-recovery', clock);
const { frames, emails } = h;
let store: DynamoStore;
let handoffs: DynamoHandoffStore;
beforeAll(() => {
  ({ store, handoffs } = h);
});

/** What the workflow's task tokens were answered with; `callbackFailure` makes SendTaskSuccess fail (not "token gone"). */
const answered: { token: string; output: Readonly<Record<string, unknown>> }[] = [];
let callbackFailure: Error | undefined;

function deps(): HandoffDeps {
  return h.deps({
    callbacks: {
      succeed: async (token, output) => {
        if (callbackFailure) throw callbackFailure;
        answered.push({ token, output });
        return true;
      },
    },
  });
}

afterEach(() => {
  callbackFailure = undefined;
});

let tenantCounter = 0;
const agent = (tenantId: string): StaffActor => agentOf(tenantId);

/** A tenant (always open: no hours) with a web conversation the customer's widget watches, and (optionally) an agent online. */
async function conversation(online: boolean) {
  const tenantId = `recovery-${++tenantCounter}-${randomBytes(2).toString('hex')}`;
  const started = await store.startConversation(tenantId, `visitor-${randomBytes(6).toString('hex')}`, 'en');
  const widget = `w${randomBytes(6).toString('hex')}`;
  await store.putConnection(tenantId, widget, started.visitorId);
  await store.subscribe(tenantId, widget, started.conversationId);
  if (online) {
    const a = agent(tenantId);
    await handoffs.putStaffConnection(tenantId, { connectionId: `s${randomBytes(6).toString('hex')}`, sub: a.sub, email: a.email, groups: a.groups });
  }
  const ids = { tenantId, conversationId: started.conversationId };
  const executionId = `arn:aws:states:local:000000000000:execution:handoff:${randomBytes(6).toString('hex')}`;
  return { ...ids, widget, executionId, queue: { ...ids, reason: 'customer asked for a person', executionId } };
}

const systemTexts = async (tenantId: string, conversationId: string): Promise<string[]> =>
  (await store.listMessages(tenantId, conversationId, 0)).filter((m) => m.role === 'system').map((m) => m.text);

const modeOf = async (tenantId: string, conversationId: string) => (await store.getConversation(tenantId, conversationId))?.mode;

/** Queued with nobody online, then the callback fallback: the state AwaitLateAccept waits in. */
async function promisedCallback() {
  const c = await conversation(false);
  expect(await stepQueue(deps(), c.queue)).toMatchObject({ route: 'fallback', why: 'nobody_available' });
  const fallback = await stepFallback(deps(), { tenantId: c.tenantId, conversationId: c.conversationId, why: 'nobody_available' });
  expect(fallback.route).toBe('callback');
  await stepAwaitAccept(deps(), { tenantId: c.tenantId, conversationId: c.conversationId, taskToken: `late-${c.executionId}` });
  return { ...c, followUpId: fallback.followUpId ?? '' };
}

describe('a promised callback ends', () => {
  it('when nobody picks it up within the day: the conversation is the bot’s again, the follow-up stays open', async () => {
    const c = await promisedCallback();
    expect(await modeOf(c.tenantId, c.conversationId)).toBe('waiting_for_human');

    expect(await stepCallbackExpired(deps(), c)).toEqual({ returned: true });
    expect(await modeOf(c.tenantId, c.conversationId)).toBe('bot');
    expect(await handoffs.getHandoff(c.tenantId, c.conversationId)).toMatchObject({ status: 'returned', endedAt: expect.any(String) });
    const last = (await handoffs.listTransitions(c.tenantId, c.conversationId)).at(-1);
    expect(last).toMatchObject({ fromMode: 'waiting_for_human', toMode: 'bot', fromStatus: 'callback', toStatus: 'returned', reason: expect.stringMatching(/callback/) });
    // The customer's widget is told, as for a staff return; the timed-out token is not answered.
    expect(frames.get(c.widget)).toContainEqual(expect.objectContaining({ type: 'state', mode: 'bot' }));
    expect(answered.filter((a) => a.token === `late-${c.executionId}`)).toEqual([]);
    expect((await handoffs.getFollowUp(c.tenantId, c.followUpId))?.status).toBe('open');
    // Run again (a retry): nothing more changes.
    expect(await stepCallbackExpired(deps(), c)).toEqual({ returned: false });
  });

  it('when its follow-up is marked done: the conversation is the bot’s again and the waiting workflow is told', async () => {
    const c = await promisedCallback();
    const done = await completeFollowUp(deps(), agent(c.tenantId), c.followUpId);
    expect(done).toMatchObject({ status: 'done', doneBy: agent(c.tenantId).email });
    expect(await modeOf(c.tenantId, c.conversationId)).toBe('bot');
    expect(await handoffs.getHandoff(c.tenantId, c.conversationId)).toMatchObject({ status: 'returned' });
    expect(answered).toContainEqual({ token: `late-${c.executionId}`, output: { outcome: 'returned' } });
  });

  it('the real ASL: the late-accept wait timing out runs the callbackExpired step', async () => {
    const calls: string[] = [];
    const workflows = new LocalWorkflows({
      rootDir: path.resolve(__dirname, '..', '..'),
      retryScale: 0,
      // AwaitLateAccept's 24 h TimeoutSeconds becomes ~0.1 s.
      callbackTimeoutScale: 0.000_001,
      invokeFunction: async (_fn, raw) => {
        const step = typeof raw === 'object' && raw !== null ? String(Reflect.get(raw, 'step')) : '?';
        calls.push(step);
        if (step === 'handoff.queue') return { route: 'fallback', slaSeconds: 60, why: 'nobody_available' };
        if (step === 'handoff.fallback') return { route: 'callback' };
        if (step === 'handoff.callbackExpired') return { returned: true };
        return { waiting: true };
      },
    });
    const { executionArn } = workflows.startExecution('handoff', { detail: { tenantId: 'demo', conversationId: 'c1234567' } });
    const done = await workflows.waitForExecution(executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(calls).toEqual(['handoff.queue', 'handoff.fallback', 'handoff.awaitAccept', 'handoff.callbackExpired']);
  });
});

describe('a close whose workflow callback fails transiently', () => {
  it('succeeds, and the customer gets the satisfaction question at once (once)', async () => {
    const c = await conversation(true);
    expect((await stepQueue(deps(), c.queue)).route).toBe('notify');
    await acceptHandoff(deps(), agent(c.tenantId), c.conversationId);
    await stepAwaitOutcome(deps(), { tenantId: c.tenantId, conversationId: c.conversationId, taskToken: `outcome-${c.executionId}` });
    callbackFailure = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const warned = jest.spyOn(console, 'warn').mockImplementation(() => undefined);

    await expect(closeConversation(deps(), agent(c.tenantId), c.conversationId)).resolves.toMatchObject({ status: 'closed' });
    expect(warned).toHaveBeenCalledWith(expect.stringContaining('ThrottlingException'));
    expect((await handoffs.getHandoff(c.tenantId, c.conversationId))?.csat?.askedAt).toEqual(expect.any(String));
    expect((await systemTexts(c.tenantId, c.conversationId)).filter((t) => t === handoffText.csatQuestion('en'))).toHaveLength(1);
  });
});

describe('a step retried after its change was saved', () => {
  it('queue: the customer still gets the "queued" notice, stored once', async () => {
    const c = await conversation(true);
    jest.spyOn(store, 'appendMessage').mockRejectedValueOnce(new Error('DynamoDB unavailable'));
    await expect(stepQueue(deps(), c.queue)).rejects.toThrow('DynamoDB unavailable');
    expect(await modeOf(c.tenantId, c.conversationId)).toBe('waiting_for_human');

    expect((await stepQueue(deps(), c.queue)).route).toBe('notify');
    expect((await stepQueue(deps(), c.queue)).route).toBe('notify');
    expect(await systemTexts(c.tenantId, c.conversationId)).toEqual([handoffText.queued('en', 120)]);
    expect(frames.get(c.widget)).toContainEqual(expect.objectContaining({ type: 'message', role: 'system', text: handoffText.queued('en', 120) }));
  });

  it('fallback: the follow-up task, the callback notice and the staff e-mail still happen, each once', async () => {
    const c = await conversation(false);
    // A member who gets staff e-mail, not online now.
    const a = agent(c.tenantId);
    await handoffs.putStaffConnection(c.tenantId, { connectionId: 'gone-now', sub: a.sub, email: a.email, groups: a.groups });
    await handoffs.removeStaffConnection(c.tenantId, 'gone-now');
    await stepQueue(deps(), c.queue);
    const input = { tenantId: c.tenantId, conversationId: c.conversationId, why: 'nobody_available' as const };

    // The first attempt saves the change, then fails to write the follow-up task.
    jest.spyOn(handoffs, 'putFollowUp').mockRejectedValueOnce(new Error('DynamoDB unavailable'));
    await expect(stepFallback(deps(), input)).rejects.toThrow('DynamoDB unavailable');
    const followUpId = (await handoffs.getHandoff(c.tenantId, c.conversationId))?.followUpId ?? '';
    expect(followUpId).not.toBe('');
    // The second gets as far as the customer's notice, then fails before the e-mail (the profile read for its subject).
    jest.spyOn(store, 'getProfile').mockResolvedValueOnce(undefined).mockRejectedValueOnce(new Error('DynamoDB unavailable'));
    await expect(stepFallback(deps(), input)).rejects.toThrow('DynamoDB unavailable');
    // The third finishes.
    expect(await stepFallback(deps(), input)).toEqual({ route: 'callback', followUpId });

    expect(await handoffs.listFollowUps(c.tenantId)).toEqual([expect.objectContaining({ id: followUpId, conversationId: c.conversationId, status: 'open' })]);
    expect(await systemTexts(c.tenantId, c.conversationId)).toEqual([handoffText.callback('en', 'nobody_available')]);
    expect(emails.filter((e) => e.tenantId === c.tenantId && e.kind === 'handoff.callback')).toEqual([expect.objectContaining({ to: [a.email] })]);
  });
});

describe('a step retried after its staff e-mail went out', () => {
  /** E-mail into the outbox (the table), as the local cloud sends it. */
  const outboxDeps = (): HandoffDeps => ({ ...deps(), email: handoffs });
  const outbox = async (tenantId: string, kind: EmailKind, conversationId?: string) =>
    (await handoffs.listOutbox(tenantId, 100)).filter((e) => e.kind === kind && (conversationId === undefined || e.conversationId === conversationId));
  /** A staff member who gets staff e-mail (`everyone`) and is online (`online`) unless `online` is false. */
  async function member(tenantId: string, online: boolean): Promise<StaffActor> {
    const a = agent(tenantId);
    await handoffs.putStaffConnection(tenantId, { connectionId: `m${randomBytes(6).toString('hex')}`, sub: a.sub, email: a.email, groups: a.groups });
    if (!online) for (const c of await handoffs.listStaffConnections(tenantId)) await handoffs.removeStaffConnection(tenantId, c.connectionId);
    return a;
  }
  const timedOut = (): Error => Object.assign(new Error('Task timed out after 10.00 seconds'), { name: 'Sandbox.Timedout' });

  it('fallback: the callback e-mail goes to staff once; the customer’s notice is delivered again', async () => {
    const c = await conversation(false);
    const a = await member(c.tenantId, false);
    await stepQueue(outboxDeps(), c.queue);
    const input = { tenantId: c.tenantId, conversationId: c.conversationId, why: 'nobody_available' as const };

    const first = await stepFallback(outboxDeps(), input);
    expect(first).toEqual({ route: 'callback', followUpId: expect.any(String) });
    expect(await outbox(c.tenantId, 'handoff.callback')).toHaveLength(1);
    // The task failed after the step's work (its function timed out, its answer was lost): Step Functions runs it again.
    expect(await stepFallback(outboxDeps(), input)).toEqual(first);
    expect(await stepFallback(outboxDeps(), input)).toEqual(first);

    expect(await outbox(c.tenantId, 'handoff.callback')).toEqual([expect.objectContaining({ to: [a.email], conversationId: c.conversationId })]);
    expect(await handoffs.listFollowUps(c.tenantId)).toHaveLength(1);
    // The customer's notice: stored once, delivered by every attempt (at least once; the widget de-duplicates by seq).
    const callbackText = handoffText.callback('en', 'nobody_available');
    expect(await systemTexts(c.tenantId, c.conversationId)).toEqual([callbackText]);
    expect(frames.get(c.widget)?.filter((f) => f.type === 'message' && f.text === callbackText)).toHaveLength(3);
  });

  it('notify: the online agents get the "waiting" e-mail once', async () => {
    const c = await conversation(false);
    const a = await member(c.tenantId, true);
    expect((await stepQueue(outboxDeps(), c.queue)).route).toBe('notify');
    const ids = { tenantId: c.tenantId, conversationId: c.conversationId };

    expect(await stepNotify(outboxDeps(), ids)).toEqual({ notified: 1 });
    // Retried after the task failed past its e-mail: nothing more is sent.
    expect(await stepNotify(outboxDeps(), ids)).toEqual({ notified: 0 });
    expect(await outbox(c.tenantId, 'handoff.waiting')).toEqual([expect.objectContaining({ to: [a.email], conversationId: c.conversationId })]);
  });

  it('an e-mail that failed is sent by the retry, once (at least once, never lost)', async () => {
    const c = await conversation(false);
    await member(c.tenantId, true);
    await stepQueue(outboxDeps(), c.queue);
    const ids = { tenantId: c.tenantId, conversationId: c.conversationId };
    const input = { ...ids, why: 'nobody_available' as const };

    jest.spyOn(handoffs, 'send').mockRejectedValueOnce(new Error('SES unavailable'));
    await expect(stepNotify(outboxDeps(), ids)).rejects.toThrow('SES unavailable');
    expect(await stepNotify(outboxDeps(), ids)).toEqual({ notified: 1 });
    expect(await stepNotify(outboxDeps(), ids)).toEqual({ notified: 0 });

    jest.spyOn(handoffs, 'send').mockRejectedValueOnce(new Error('SES unavailable'));
    await expect(stepFallback(outboxDeps(), input)).rejects.toThrow('SES unavailable');
    await stepFallback(outboxDeps(), input);
    await stepFallback(outboxDeps(), input);

    expect(await outbox(c.tenantId, 'handoff.waiting')).toHaveLength(1);
    expect(await outbox(c.tenantId, 'handoff.callback')).toHaveLength(1);
  });

  it('escalate: an "escalated" e-mail that failed after the escalation was saved is sent by the retry, once', async () => {
    const c = await conversation(false);
    const a = await member(c.tenantId, true);
    expect((await stepQueue(outboxDeps(), c.queue)).route).toBe('notify');
    const ids = { tenantId: c.tenantId, conversationId: c.conversationId };

    jest.spyOn(handoffs, 'send').mockRejectedValueOnce(new Error('SES unavailable'));
    await expect(stepEscalate(outboxDeps(), ids)).rejects.toThrow('SES unavailable');
    expect((await handoffs.getHandoff(c.tenantId, c.conversationId))?.status).toBe('escalated');
    // Step Functions retries the task: the escalation is saved already, its e-mail is not sent yet.
    expect(await stepEscalate(outboxDeps(), ids)).toMatchObject({ route: 'wait' });
    // And once more (the retry's answer was lost): nothing more is sent.
    expect(await stepEscalate(outboxDeps(), ids)).toMatchObject({ route: 'wait' });

    expect(await outbox(c.tenantId, 'handoff.escalated')).toEqual([expect.objectContaining({ to: [a.email], conversationId: c.conversationId })]);
    // One escalation: one transition into `escalated`.
    expect((await handoffs.listTransitions(c.tenantId, c.conversationId)).filter((t) => t.toStatus === 'escalated' && t.fromStatus === 'waiting')).toHaveLength(1);
  });

  it('every handoff gets its own e-mails: a second handoff of the conversation, and another conversation', async () => {
    const c = await conversation(false);
    await member(c.tenantId, true);
    const other = await store.startConversation(c.tenantId, `visitor-${randomBytes(6).toString('hex')}`, 'en');
    const secondExecution = `${c.executionId}-2`;
    const otherExecution = `${c.executionId}-other`;
    /** One handoff: queued (an agent online), notified, then the callback fallback; each step run twice (a retry). */
    async function handoff(conversationId: string, executionId: string): Promise<void> {
      const ids = { tenantId: c.tenantId, conversationId };
      expect((await stepQueue(outboxDeps(), { ...ids, reason: 'customer asked for a person', executionId })).route).toBe('notify');
      for (let run = 0; run < 2; run++) await stepNotify(outboxDeps(), ids);
      for (let run = 0; run < 2; run++) expect((await stepFallback(outboxDeps(), { ...ids, why: 'nobody_available' })).route).toBe('callback');
    }

    await handoff(c.conversationId, c.executionId);
    // Nobody called back within the day: the bot answers again, and the customer asks for a person again.
    expect(await stepCallbackExpired(outboxDeps(), c)).toEqual({ returned: true });
    await handoff(c.conversationId, secondExecution);
    await handoff(other.conversationId, otherExecution);

    for (const kind of ['handoff.waiting', 'handoff.callback'] as const) {
      expect(await outbox(c.tenantId, kind, c.conversationId)).toHaveLength(2);
      expect(await outbox(c.tenantId, kind, other.conversationId)).toHaveLength(1);
    }
    expect(await handoffs.listFollowUps(c.tenantId)).toHaveLength(3);
  });

  it('the real ASL: NotifyStaff, Escalate and Fallback each time out once after their e-mail, are retried, and staff get each e-mail once', async () => {
    const c = await conversation(false);
    await member(c.tenantId, true);
    await handoffs.putHandoffSettings(c.tenantId, { slaSeconds: 1, cannedReplies: [] });
    const task = z.object({
      step: z.string(),
      executionId: z.string().optional(),
      taskToken: z.string().optional(),
      input: z.object({
        detail: z.object({ tenantId: z.string(), conversationId: z.string(), reason: z.string().optional() }),
        queue: z.object({ why: z.enum(['after_hours', 'nobody_available']).optional() }).loose().optional(),
        escalate: z.object({ why: z.enum(['after_hours', 'nobody_available']).optional() }).loose().optional(),
      }),
    });
    const calls: string[] = [];
    const failOnce = new Set(['handoff.notify', 'handoff.escalate', 'handoff.fallback']);
    /** The handoff steps as handlers/workflow-task.ts runs them, on this test's stores. */
    async function run(raw: unknown): Promise<unknown> {
      const { step, executionId, taskToken, input } = task.parse(raw);
      const ids = { tenantId: input.detail.tenantId, conversationId: input.detail.conversationId };
      const d = outboxDeps();
      switch (step) {
        case 'handoff.queue':
          return stepQueue(d, { ...ids, reason: input.detail.reason ?? 'customer asked for a person', executionId: executionId ?? '' });
        case 'handoff.notify':
          return stepNotify(d, ids);
        case 'handoff.awaitAccept':
          return stepAwaitAccept(d, { ...ids, taskToken: taskToken ?? '' });
        case 'handoff.escalate':
          return stepEscalate(d, ids);
        case 'handoff.fallback': {
          const why = input.escalate?.why ?? input.queue?.why;
          return stepFallback(d, { ...ids, ...(why ? { why } : {}) });
        }
        case 'handoff.callbackExpired':
          return stepCallbackExpired(d, ids);
        default:
          throw new Error(`unexpected step ${step}`);
      }
    }
    const workflows = new LocalWorkflows({
      rootDir: path.resolve(__dirname, '..', '..'),
      retryScale: 0,
      // The 1 s SLA takes 1 ms; the day-long task-token waits ~0.9 s (AwaitLateAccept times out into CallbackExpired).
      waitScale: 0.001,
      callbackTimeoutScale: 0.000_01,
      invokeFunction: async (_fn, raw) => {
        const step = z.object({ step: z.string() }).parse(raw).step;
        calls.push(step);
        const result = await run(raw);
        // The step did its work (its e-mail went out), then its function timed out: Step Functions' Retry runs it again.
        if (failOnce.delete(step)) throw timedOut();
        return result;
      },
    });

    const { executionArn } = workflows.startExecution('handoff', { detail: { tenantId: c.tenantId, conversationId: c.conversationId, reason: 'customer asked for a person' } });
    expect((await workflows.waitForExecution(executionArn)).status).toBe('SUCCEEDED');
    expect(calls.filter((s) => s !== 'handoff.awaitAccept')).toEqual([
      'handoff.queue',
      'handoff.notify',
      'handoff.notify',
      'handoff.escalate',
      'handoff.escalate',
      'handoff.fallback',
      'handoff.fallback',
      'handoff.callbackExpired',
    ]);
    for (const kind of ['handoff.waiting', 'handoff.escalated', 'handoff.callback'] as const) {
      expect(await outbox(c.tenantId, kind)).toEqual([expect.objectContaining({ conversationId: c.conversationId })]);
    }
    expect(await modeOf(c.tenantId, c.conversationId)).toBe('bot');
  });
});
