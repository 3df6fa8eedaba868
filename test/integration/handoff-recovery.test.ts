/**
 * How a handoff ends and recovers, through the real use cases (core/handoff.ts) and stores on DynamoDB Local
 * (a table of the test's own), with in-memory fakes of the WebSocket pusher, the bus, e-mail and Step Functions
 * callbacks; the real state-machines/handoff.asl.json for the callback's expiry.
 *
 * - a callback nobody picks up within the workflow's day, or whose follow-up is marked done, returns the
 *   conversation to the bot (else the bot stays silent for good);
 * - a close whose workflow callback fails transiently is still a success and asks the CSAT question at once;
 * - a step retried after its state change was saved still sends what the first attempt did not (the
 *   "queued" notice; the follow-up task and the callback notice), each once.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { DynamoHandoffStore } from '../../lambdas/adapters/dynamo/handoff-store';
import { DynamoStore } from '../../lambdas/adapters/dynamo/store';
import {
  acceptHandoff,
  closeConversation,
  completeFollowUp,
  stepAwaitAccept,
  stepAwaitOutcome,
  stepCallbackExpired,
  stepFallback,
  stepQueue,
  type HandoffDeps,
  type StaffActor,
} from '../../lambdas/core/handoff';
import type { OutgoingEmail } from '../../lambdas/core/handoff-ports';
import { handoffText } from '../../lambdas/core/handoff-text';
import type { ConciergeEvent } from '../../lambdas/core/ports';
import type { ServerFrame } from '../../lambdas/core/protocol';
import { LocalWorkflows } from '../../local-cloud/workflows';
import { sharedTable, type SharedTable } from '../support/shared-table';

let table: SharedTable;
let store: DynamoStore;
let handoffs: DynamoHandoffStore;
const clock = { now: () => new Date() };

const frames = new Map<string, ServerFrame[]>();
const emails: OutgoingEmail[] = [];
const events: ConciergeEvent[] = [];
/** What the workflow's task tokens were answered with; `callbackFailure` makes SendTaskSuccess fail (not "token gone"). */
const answered: { token: string; output: Readonly<Record<string, unknown>> }[] = [];
let callbackFailure: Error | undefined;

function deps(): HandoffDeps {
  return {
    tenants: store,
    conversations: store,
    connections: store,
    knowledge: store,
    handoffs,
    staff: handoffs,
    settings: handoffs,
    followUps: handoffs,
    clock,
    pusher: {
      push: async (connectionId, frame) => {
        frames.set(connectionId, [...(frames.get(connectionId) ?? []), frame]);
        return true;
      },
    },
    events: { publish: async (batch) => void events.push(...batch) },
    email: { send: async (email) => void emails.push(email) },
    callbacks: {
      succeed: async (token, output) => {
        if (callbackFailure) throw callbackFailure;
        answered.push({ token, output });
        return true;
      },
    },
  };
}

beforeAll(async () => {
  table = await sharedTable('handoff-recovery');
  store = new DynamoStore(table.db, table.table, clock);
  handoffs = new DynamoHandoffStore(table.db, table.table, clock);
});

afterAll(async () => {
  table?.db.destroy();
  await table?.drop();
});

afterEach(() => {
  jest.restoreAllMocks();
  callbackFailure = undefined;
});

let tenantCounter = 0;
const agent = (tenantId: string): StaffActor => ({ tenantId, sub: `agent-${tenantId}`, email: `agent@${tenantId}.example`, groups: ['agent'] });

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
