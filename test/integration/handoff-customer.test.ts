/**
 * What the handoff tells and reads from the customer, through the real use cases (core/handoff.ts) and stores on
 * DynamoDB Local (a table of the test's own), with in-memory fakes of the pusher, the bus, e-mail and Step Functions
 * callbacks, and the knowledge base of an Irish business (its phone is +353: local numbers are read as Irish).
 *
 * - the callback contact: a date next to the number is not the contact; a later contact replaces the stored one and
 *   is read back; a WhatsApp or SMS customer is not asked for the number they write from, and nobody is asked for a
 *   contact more than once per callback;
 * - every handoff notice is in the language the concierge detected, not the one the conversation started with;
 * - a satisfaction answer in words ("5 - great service", "cinco", stars) is recorded, and on WhatsApp goes to the
 *   closed conversation instead of starting a new one;
 * - a second agent accepting at the same time is told who is handling the conversation.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoHandoffStore } from '../../lambdas/adapters/dynamo/handoff-store';
import { DynamoStore } from '../../lambdas/adapters/dynamo/store';
import { CSAT_ANSWER_WINDOW_MS, conversationFor, type ChannelDeps } from '../../lambdas/core/channels/inbound';
import { DynamoIdentityStore } from '../../lambdas/adapters/dynamo/channel-store';
import {
  acceptHandoff,
  closeConversation,
  onCustomerMessage,
  returnToBot,
  stepCallbackExpired,
  stepFallback,
  stepQueue,
  takeOver,
  type HandoffDeps,
} from '../../lambdas/core/handoff';
import { handoffText } from '../../lambdas/core/handoff-text';
import { knowledgeBaseSchema, type KnowledgeBase } from '../../lambdas/core/knowledge-base';
import type { ConversationRecord } from '../../lambdas/core/ports';
import { tenantProfile } from '../support/profiles';
import { agentOf, handoffHarness, newExecutionId } from '../support/handoff-harness';

const clock = { now: () => new Date() };
const h = handoffHarness('handoff-customer', clock);
let store: DynamoStore;
let handoffs: DynamoHandoffStore;
beforeAll(() => {
  ({ store, handoffs } = h);
});

/** The demo business (Dublin, +353 1 555 0142), always open: with nobody online a handoff falls back to a callback. */
const kb: KnowledgeBase = (() => {
  const demo = knowledgeBaseSchema.parse(JSON.parse(readFileSync(join(__dirname, '..', '..', 'local-cloud', 'seed', 'demo-kb.json'), 'utf8')));
  return { ...demo, hours: [] };
})();

const deps = (): HandoffDeps => h.deps({ knowledge: { getKnowledgeBase: async () => kb } });

let tenantCounter = 0;
const agent = agentOf;
const executionId = newExecutionId;

/** A conversation of a new tenant: on the web (a widget visitor), or from a WhatsApp or SMS number. */
async function conversation(options: { channel?: 'web' | 'whatsapp' | 'sms'; lang?: string; online?: boolean } = {}): Promise<ConversationRecord & { phone?: string }> {
  const tenantId = `hcust-${++tenantCounter}-${randomBytes(2).toString('hex')}`;
  const channel = options.channel ?? 'web';
  const phone = channel === 'web' ? undefined : `+3460${String(randomBytes(4).readUInt32BE() % 1e7).padStart(7, '0')}`;
  const visitorId = phone ? `${channel}:${phone}` : `visitor-${randomBytes(6).toString('hex')}`;
  const started = await store.startConversation(tenantId, visitorId, options.lang ?? 'en', channel);
  if (options.online) {
    const a = agent(tenantId);
    await handoffs.putStaffConnection(tenantId, { connectionId: `s${randomBytes(6).toString('hex')}`, sub: a.sub, email: a.email, groups: a.groups });
  }
  return { ...started, ...(phone ? { phone } : {}) };
}

/** Queued with nobody online, then the callback fallback (as the workflow runs it). */
async function promisedCallback(c: ConversationRecord): Promise<string> {
  const ids = { tenantId: c.tenantId, conversationId: c.conversationId };
  expect(await stepQueue(deps(), { ...ids, reason: 'customer asked for a person', executionId: executionId() })).toMatchObject({ route: 'fallback', why: 'nobody_available' });
  const fallback = await stepFallback(deps(), { ...ids, why: 'nobody_available' });
  expect(fallback.route).toBe('callback');
  return fallback.followUpId ?? '';
}

/** The customer writes; the handoff hears of it (`message.received`). */
async function customerSays(c: ConversationRecord, text: string) {
  const stored = await store.appendMessage(c.tenantId, c.conversationId, { role: 'customer', text });
  return onCustomerMessage(deps(), { tenantId: c.tenantId, conversationId: c.conversationId, seq: stored.message.seq });
}

const systemTexts = async (c: ConversationRecord): Promise<string[]> =>
  (await store.listMessages(c.tenantId, c.conversationId, 0)).filter((m) => m.role === 'system').map((m) => m.text);

describe('the callback contact', () => {
  it('is the phone number next to a date, read in the business country, and a later contact replaces it and is read back', async () => {
    const c = await conversation();
    const followUpId = await promisedCallback(c);

    expect(await customerSays(c, 'Please call me about my appointment on 02.12.2026, my number is 087 123 4567')).toEqual({ handled: 'contact' });
    expect((await handoffs.getHandoff(c.tenantId, c.conversationId))?.contact).toBe('+353 87 123 4567');
    expect((await systemTexts(c)).at(-1)).toBe(handoffText.contactReceived('en', '+353 87 123 4567'));

    // A hyphen and an hour after the number are not part of it; while the callback is open, the new number counts.
    expect(await customerSays(c, 'sorry, better call 086 765 4321 - 10 is best')).toEqual({ handled: 'contact' });
    expect((await handoffs.getHandoff(c.tenantId, c.conversationId))?.contact).toBe('+353 86 765 4321');
    expect((await handoffs.getFollowUp(c.tenantId, followUpId))?.contact).toBe('+353 86 765 4321');
    expect((await systemTexts(c)).at(-1)).toBe(handoffText.contactReceived('en', '+353 86 765 4321'));

    // A retry of that event reads the contact back once.
    const before = (await systemTexts(c)).length;
    const last = (await store.listMessages(c.tenantId, c.conversationId, 0)).filter((m) => m.role === 'customer').at(-1);
    expect(await onCustomerMessage(deps(), { tenantId: c.tenantId, conversationId: c.conversationId, seq: last?.seq ?? 0 })).toEqual({ handled: 'contact' });
    expect(await systemTexts(c)).toHaveLength(before);

    // Anything else is for the team: no reply from the handoff.
    expect(await customerSays(c, 'thanks, talk tomorrow')).toEqual({ handled: 'notified' });
    expect(await systemTexts(c)).toHaveLength(before);
  });

  it('is asked for at most once per callback', async () => {
    const c = await conversation();
    await promisedCallback(c);
    const first = await store.appendMessage(c.tenantId, c.conversationId, { role: 'customer', text: 'ok' });
    const ids = { tenantId: c.tenantId, conversationId: c.conversationId };
    expect(await onCustomerMessage(deps(), { ...ids, seq: first.message.seq })).toEqual({ handled: 'asked_contact' });
    // A retry of that event delivers the question again (stored once); a later message is not asked again.
    expect(await onCustomerMessage(deps(), { ...ids, seq: first.message.seq })).toEqual({ handled: 'asked_contact' });
    expect(await customerSays(c, 'Do you have parking?')).toEqual({ handled: 'notified' });
    expect(await customerSays(c, 'hello?')).toEqual({ handled: 'notified' });
    expect((await systemTexts(c)).filter((t) => t === handoffText.contactAgain('en'))).toHaveLength(1);
    // A contact is still taken after that.
    expect(await customerSays(c, 'mail me: Maria.Lopez@example.com')).toEqual({ handled: 'contact' });
  });

  it.each(['whatsapp', 'sms'] as const)('on %s is the number the customer writes from: not asked for, and another one still replaces it', async (channel) => {
    const c = await conversation({ channel });
    const followUpId = await promisedCallback(c);
    expect((await handoffs.getHandoff(c.tenantId, c.conversationId))?.contact).toBe(c.phone);
    expect((await handoffs.getFollowUp(c.tenantId, followUpId))?.contact).toBe(c.phone);
    const [offer] = await systemTexts(c);
    expect(offer).toBe(handoffText.callback('en', 'nobody_available', undefined, true));
    expect(offer).not.toMatch(/phone number/i);

    expect(await customerSays(c, 'Yes please call me on this number')).toEqual({ handled: 'notified' });
    expect(await customerSays(c, 'Do you have parking?')).toEqual({ handled: 'notified' });
    expect(await systemTexts(c)).toEqual([offer]);

    expect(await customerSays(c, 'actually my landline is better: 01 555 0199')).toEqual({ handled: 'contact' });
    expect((await handoffs.getHandoff(c.tenantId, c.conversationId))?.contact).toBe('+353 1 555 0199');
    expect((await systemTexts(c)).at(-1)).toBe(handoffText.contactReceived('en', '+353 1 555 0199'));
  });
});

describe('the language of the handoff', () => {
  /** A Spanish speaker on an English widget: the concierge detected Spanish and keeps it in the context. */
  async function spanishOnEnglish(online: boolean) {
    const c = await conversation({ lang: 'en', online });
    await store.updateConversationContext(c.tenantId, c.conversationId, { lang: 'es' });
    return c;
  }

  it('queues in the language the concierge detected', async () => {
    const c = await spanishOnEnglish(true);
    expect(await stepQueue(deps(), { tenantId: c.tenantId, conversationId: c.conversationId, reason: 'customer asked for a person', executionId: executionId() })).toMatchObject({
      route: 'notify',
    });
    expect(await systemTexts(c)).toEqual([handoffText.queued('es', 120)]);
  });

  it('offers the callback and reads the contact back in it', async () => {
    const c = await spanishOnEnglish(false);
    await promisedCallback(c);
    expect(await customerSays(c, 'vale')).toEqual({ handled: 'asked_contact' });
    expect(await customerSays(c, 'mi correo es ana@example.es')).toEqual({ handled: 'contact' });
    expect(await systemTexts(c)).toEqual([handoffText.callback('es', 'nobody_available'), handoffText.contactAgain('es'), handoffText.contactReceived('es', 'ana@example.es')]);
  });

  it('asks the satisfaction question in it after a takeover, and after a close without a handoff', async () => {
    const taken = await spanishOnEnglish(true);
    await takeOver(deps(), agent(taken.tenantId), taken.conversationId);
    await closeConversation(deps(), agent(taken.tenantId), taken.conversationId);
    expect(await systemTexts(taken)).toEqual([handoffText.csatQuestion('es')]);
    expect(await customerSays(taken, '5')).toEqual({ handled: 'csat' });
    expect((await systemTexts(taken)).at(-1)).toBe(handoffText.csatThanks('es'));

    const closed = await spanishOnEnglish(true);
    expect((await closeConversation(deps(), agent(closed.tenantId), closed.conversationId)).lang).toBe('es');
  });
});

describe('a satisfaction answer in words', () => {
  /** Taken over by an agent and closed: the survey was asked. */
  async function surveyed(channel: 'web' | 'whatsapp' = 'web') {
    const c = await conversation({ channel, online: true });
    await takeOver(deps(), agent(c.tenantId), c.conversationId);
    await closeConversation(deps(), agent(c.tenantId), c.conversationId);
    expect(await systemTexts(c)).toEqual([handoffText.csatQuestion('en')]);
    return c;
  }

  it.each([
    ['5 - great service, thank you', 5],
    ['5, thanks', 5],
    ['five', 5],
    ['cinco', 5],
    ['⭐⭐⭐⭐', 4],
  ])('records %j as %d', async (text, score) => {
    const c = await surveyed();
    expect(await customerSays(c, text)).toEqual({ handled: 'csat' });
    expect((await handoffs.getHandoff(c.tenantId, c.conversationId))?.csat?.score).toBe(score);
  });

  it('does not take a message that merely starts with a number for one', async () => {
    const c = await surveyed();
    expect(await customerSays(c, '2 more questions: do you open on Sunday?')).toEqual({ handled: 'ignored' });
    expect((await handoffs.getHandoff(c.tenantId, c.conversationId))?.csat?.score).toBeUndefined();
  });

  it('on WhatsApp goes to the closed conversation, not to a new one', async () => {
    const c = await surveyed('whatsapp');
    const channelDeps = { conversations: store, tenants: store, clock } as unknown as ChannelDeps;
    const inbound = { tenantId: c.tenantId, channel: 'whatsapp' as const, from: c.phone ?? '', text: '5 - great service, thank you', media: [], providerMessageId: 'SM1' };
    expect(await conversationFor(channelDeps, inbound)).toMatchObject({ started: false, conversation: { conversationId: c.conversationId } });
  });

  it('on WhatsApp, more than a week after the question, "5" starts a new conversation', async () => {
    const c = await surveyed('whatsapp');
    await store.putProfile(tenantProfile(c.tenantId));
    const later = { now: () => new Date(Date.now() + CSAT_ANSWER_WINDOW_MS + 60_000) };
    const channelDeps = {
      conversations: store,
      tenants: store,
      clock: later,
      identities: new DynamoIdentityStore(h.table.db, h.table.table, later),
      events: { publish: async () => undefined },
    } as unknown as ChannelDeps;
    const inbound = { tenantId: c.tenantId, channel: 'whatsapp' as const, from: c.phone ?? '', text: '5', media: [], providerMessageId: 'SM2' };
    const { started, conversation: next } = await conversationFor(channelDeps, inbound);
    expect(started).toBe(true);
    expect(next.conversationId).not.toBe(c.conversationId);
    expect(await store.getVisitorConversation(c.tenantId, `whatsapp:${c.phone ?? ''}`)).toBe(next.conversationId);
  });
});

describe('two agents accept at once', () => {
  it('tells the second who is handling the conversation', async () => {
    const c = await conversation({ online: true });
    const ids = { tenantId: c.tenantId, conversationId: c.conversationId };
    expect(await stepQueue(deps(), { ...ids, reason: 'customer asked for a person', executionId: executionId() })).toMatchObject({ route: 'notify' });
    const waiting = await store.getConversation(c.tenantId, c.conversationId);
    await acceptHandoff(deps(), agent(c.tenantId, 'first'), c.conversationId);
    // The second read the conversation (still waiting) just before the first accept landed, and the handoff after.
    jest.spyOn(store, 'getConversation').mockResolvedValueOnce(waiting);
    await expect(acceptHandoff(deps(), agent(c.tenantId, 'second'), c.conversationId)).rejects.toMatchObject({
      code: 'conflict',
      message: `first@${c.tenantId}.example is already handling this conversation`,
    });
    // Later, and for the one who has it, as before.
    await expect(acceptHandoff(deps(), agent(c.tenantId, 'second'), c.conversationId)).rejects.toMatchObject({ message: `first@${c.tenantId}.example is already handling this conversation` });
    expect(await acceptHandoff(deps(), agent(c.tenantId, 'first'), c.conversationId)).toMatchObject({ status: 'accepted', assignee: { email: `first@${c.tenantId}.example` } });
  });
});

describe('the assistant answering again', () => {
  it('is said to a customer who was told to wait, when staff return the conversation or nobody takes up the callback', async () => {
    const c = await conversation({ channel: 'whatsapp' });
    await promisedCallback(c);
    const waiting = await systemTexts(c);
    await returnToBot(deps(), agent(c.tenantId), c.conversationId);
    expect(await systemTexts(c)).toEqual([...waiting, handoffText.backToAssistant('en', 'waiting')]); // was nothing

    const d = await conversation({ lang: 'es' });
    await promisedCallback(d);
    expect((await stepCallbackExpired(deps(), { tenantId: d.tenantId, conversationId: d.conversationId })).returned).toBe(true);
    expect((await systemTexts(d)).at(-1)).toBe(handoffText.backToAssistant('es', 'waiting'));
    // Run again by the workflow's retry: said once.
    await stepCallbackExpired(deps(), { tenantId: d.tenantId, conversationId: d.conversationId });
    expect((await systemTexts(d)).filter((t) => t === handoffText.backToAssistant('es', 'waiting'))).toHaveLength(1);
  });

  it('is said on WhatsApp when the person who took over leaves; on the web the widget says it itself', async () => {
    const c = await conversation({ channel: 'whatsapp' });
    const a = agent(c.tenantId);
    await takeOver(deps(), a, c.conversationId);
    await returnToBot(deps(), a, c.conversationId);
    expect((await systemTexts(c)).at(-1)).toBe(handoffText.backToAssistant('en', 'person'));

    const w = await conversation();
    const b = agent(w.tenantId);
    await takeOver(deps(), b, w.conversationId);
    const before = await systemTexts(w);
    await returnToBot(deps(), b, w.conversationId);
    expect(await systemTexts(w)).toEqual(before);
  });
});

describe('a takeover handed back before its workflow ran', () => {
  it('queues nothing: the customer is not told to wait for a person nobody asked for', async () => {
    const c = await conversation({ online: true });
    const a = agent(c.tenantId);
    await takeOver(deps(), a, c.conversationId);
    await returnToBot(deps(), a, c.conversationId);
    const before = await systemTexts(c);
    // The takeover's handoff.requested reaches the workflow only now.
    expect(await stepQueue(deps(), { tenantId: c.tenantId, conversationId: c.conversationId, reason: 'taken over by staff', executionId: executionId() })).toMatchObject({ route: 'done' });
    expect((await store.getConversation(c.tenantId, c.conversationId))?.mode).toBe('bot'); // was waiting_for_human
    expect(await systemTexts(c)).toEqual(before);
  });
});
