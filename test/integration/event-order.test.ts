/**
 * EventBridge delivering events out of order (issue 9), against DynamoDB Local with the real consumers:
 * - the analytics projector: one conversation's events (start, answers, thumbs, handoff queued → accepted →
 *   closed, CSAT, booking, deposit) projected forward, backward and interleaved end in the same facts, the same
 *   day counters and the same report, with the documented values (first response from the lowest seq, the
 *   latest thumbs, the wait from queue to accept);
 * - a knowledge gap dismissed by the owner is not reopened by a question asked before the dismissal whose
 *   `message.unanswered` arrives after it (one asked after it does reopen it, as documented);
 * - a channel delivery's status callbacks ("read" before "delivered") end at "read" in either order.
 * Order-free by construction and not repeated here: the outbound webhook dispatcher (each event builds its
 * payload from the booking's current state, one delivery record per event id) and the handoff consumer (acts on
 * the conversation's current mode, never the event's).
 */
import { randomBytes } from 'node:crypto';
import { analyticsStore, channelStore, store } from '../../lambdas/adapters/container';
import type { ConversationFacts } from '../../lambdas/core/analytics/facts';
import { projectEvent, type BusEvent } from '../../lambdas/core/analytics/projector';
import { buildReport } from '../../lambdas/core/analytics/report';
import { resolveGap } from '../../lambdas/core/analytics/service';
import type { DeliveryStatus } from '../../lambdas/core/channels/outbound';
import { sharedTable } from '../support/shared-table';

const T0 = Date.now() - 3600_000;
const at = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString();
/** EventBridge envelope times are whole seconds. */
const envelopeAt = (seconds: number): string => at(seconds).replace(/\.\d{3}Z$/, 'Z');

beforeAll(async () => {
  const { endpoint, table } = await sharedTable('event-order');
  Object.assign(process.env, { TABLE_NAME: table, AWS_ENDPOINT_URL_DYNAMODB: endpoint, LOCAL_SECRETS_KEY: randomBytes(32).toString('base64') });
}, 60_000);

const deps = () => ({ analytics: analyticsStore(), conversations: store(), tenants: store() });

/** A conversation with a customer question at seq 1 and 3 and bot replies at 2 and 4. */
async function conversation(tenantId: string, question = 'Do you repair bicycles on Sundays?'): Promise<string> {
  const c = await store().startConversation(tenantId, randomBytes(8).toString('hex'), 'en');
  await store().appendMessage(tenantId, c.conversationId, { role: 'customer', text: 'What are your opening hours?' });
  await store().appendMessage(tenantId, c.conversationId, { role: 'bot', text: 'We open at nine.' });
  await store().appendMessage(tenantId, c.conversationId, { role: 'customer', text: question });
  await store().appendMessage(tenantId, c.conversationId, { role: 'bot', text: 'I do not know; shall I ask a person?' });
  return c.conversationId;
}

/** Everything one conversation sends the projector, in the order it happened. */
function script(tenantId: string, conversationId: string): BusEvent[] {
  const e = (n: number, type: string, seconds: number, detail: Record<string, unknown>): BusEvent => ({
    id: `${tenantId}-${n}`,
    type,
    time: envelopeAt(seconds),
    tenantId,
    detail: { tenantId, conversationId, ...detail },
  });
  return [
    e(1, 'conversation.started', 0, { channel: 'web' }),
    e(2, 'message.received', 1, { seq: 1, channel: 'web' }),
    e(3, 'message.answered', 2, { seq: 2, replyTo: 1, channel: 'web', sourceIds: ['faq-hours'], answerMs: 800 }),
    e(4, 'message.received', 10, { seq: 3, channel: 'web' }),
    e(5, 'message.unanswered', 11, { seq: 4, replyTo: 3, channel: 'web', answerMs: 1500, intent: 'question', lang: 'en' }),
    e(6, 'message.feedback', 12, { seq: 2, helpful: false, at: at(12) }),
    e(7, 'message.feedback', 13, { seq: 2, helpful: true, at: at(13) }),
    e(8, 'handoff.requested', 20, { reason: 'wants a person' }),
    e(9, 'handoff.transition', 20, { fromMode: 'bot', toMode: 'waiting_for_human', toStatus: 'waiting', at: at(20) }),
    e(10, 'handoff.transition', 50, { fromMode: 'waiting_for_human', toMode: 'human', toStatus: 'accepted', at: at(50) }),
    e(11, 'handoff.transition', 90, { fromMode: 'human', toMode: 'closed', toStatus: 'closed', at: at(90) }),
    e(12, 'handoff.csat', 95, { score: 2 }),
    e(13, 'booking.confirmed', 100, { bookingId: 'b-1' }),
    e(14, 'payment.succeeded', 101, { bookingId: 'b-1', amountCents: 2500 }),
  ];
}

/** Forward, backward, and interleaved (odd positions first, then the even ones backward). */
const orders: Readonly<Record<string, <T>(events: readonly T[]) => T[]>> = {
  forward: (events) => [...events],
  backward: (events) => [...events].reverse(),
  interleaved: (events) => [...events.filter((_, i) => i % 2 === 1), ...events.filter((_, i) => i % 2 === 0).reverse()],
};

/** The facts without what differs per tenant only by construction (ids, the record's own start, the write counter). */
const comparable = ({ conversationId: _c, startedAt: _s, rev: _r, csat, ...rest }: ConversationFacts) => ({
  ...rest,
  csat: Object.values(csat),
});

async function outcome(tenantId: string) {
  const from = new Date(T0 - 86_400_000).toISOString().slice(0, 10);
  const to = new Date(T0 + 86_400_000).toISOString().slice(0, 10);
  const days = await analyticsStore().listDays(tenantId, from, to);
  const facts = await analyticsStore().listConversationFacts(tenantId, new Date(T0 - 86_400_000).toISOString(), new Date(Date.now() + 60_000).toISOString());
  const report = buildReport({ from, to, timezone: 'UTC', currency: 'EUR', now: new Date(T0 + 3 * 86_400_000), days, facts, titles: new Map() });
  return { days: [...days.entries()], facts: facts.map(comparable), report };
}

describe('the analytics projector, events out of order', () => {
  it('ends in the same facts, counters and report whatever the order, with the documented values', async () => {
    const results: Record<string, Awaited<ReturnType<typeof outcome>>> = {};
    for (const [name, order] of Object.entries(orders)) {
      const tenantId = `order-${name}-${randomBytes(3).toString('hex')}`;
      const conversationId = await conversation(tenantId);
      // The transition into `closed` is not an analytics fact (event 11): the projector ignores it.
      for (const event of order(script(tenantId, conversationId))) expect(await projectEvent(deps(), event)).toBe(event.id.endsWith('-11') ? 'ignored' : 'applied');
      results[name] = await outcome(tenantId);
    }
    const forward = results['forward'];
    expect(results['backward']).toEqual(forward);
    expect(results['interleaved']).toEqual(forward);

    // The documented end state (docs/metrics.md), not just "the same".
    const [facts] = forward?.facts ?? [];
    expect(facts).toMatchObject({
      firstReply: { seq: 2, ms: 800 }, // the lowest seq, not the last to arrive (seq 4, 1500 ms)
      lastReply: { seq: 4, answered: false },
      lastCustomerMessageAt: at(10).replace(/\.\d{3}Z$/, '.000Z'),
      handoff: { reason: 'wants a person' },
      queuedAt: [at(20)],
      acceptedAt: [at(50)],
      feedback: { '2': { helpful: true, at: at(13) } }, // the latest thumbs, not the last delivered
    });
    const totals = forward?.report.totals;
    expect(totals).toMatchObject({ conversations: 1, answered: 1, unanswered: 1, bookingsMade: 1, depositsCents: 2500, csatSum: 2, csatCount: 1 });
    expect(totals?.firstResponseMsSum).toBe(800);
    expect(totals?.firstResponseCount).toBe(1);
  });
});

describe('a knowledge gap and a late unanswered question', () => {
  it('a question asked before the gap was dismissed does not reopen it; one asked after does', async () => {
    const tenantId = `order-gap-${randomBytes(3).toString('hex')}`;
    const question = 'Can I bring my parrot to the appointment?';
    const [early, late] = [await conversation(tenantId, question), await conversation(tenantId, question)];
    const unanswered = (id: string, conversationId: string, seconds: number): BusEvent => ({
      id,
      type: 'message.unanswered',
      time: envelopeAt(seconds),
      tenantId,
      detail: { tenantId, conversationId, seq: 4, replyTo: 3, intent: 'question', lang: 'en' },
    });
    // The first asking arrives; the owner dismisses the gap (now: T0 + 1 h, after both askings below).
    expect(await projectEvent(deps(), unanswered('gap-1', early, 0))).toBe('applied');
    const [gap] = await analyticsStore().listGaps(tenantId);
    if (!gap) throw new Error('no gap was recorded');
    const clock = { now: () => new Date(T0 + 30 * 60_000) };
    await resolveGap({ gaps: analyticsStore(), knowledge: store(), clock }, tenantId, gap.gapId, { dismiss: true }, 'owner');

    // The second asking happened before the dismissal, but its event is delivered after it (a retry, a slow target).
    expect(await projectEvent(deps(), unanswered('gap-2', late, 60))).toBe('applied');
    expect(await analyticsStore().getGap(tenantId, gap.gapId)).toMatchObject({ status: 'dismissed', count: 1 });

    // Asked again after the dismissal: the gap opens anew (docs/metrics.md "Knowledge gaps").
    expect(await projectEvent(deps(), unanswered('gap-3', late, 3600))).toBe('applied');
    expect(await analyticsStore().getGap(tenantId, gap.gapId)).toMatchObject({ status: 'open', count: 1, firstAskedAt: at(3600).replace(/\.\d{3}Z$/, '.000Z') });
  });
});

describe('channel delivery status callbacks out of order', () => {
  it.each([
    ['delivered then read', ['sent', 'delivered', 'read']],
    ['read then delivered', ['read', 'delivered', 'sent']],
  ] as const)('%s ends at read', async (_name, statuses: readonly DeliveryStatus[]) => {
    const tenantId = `order-dlv-${randomBytes(3).toString('hex')}`;
    const ref = { tenantId, conversationId: randomBytes(8).toString('hex'), seq: 2, segment: 0 };
    const now = new Date().toISOString();
    const sid = `SM${randomBytes(16).toString('hex')}`;
    expect(
      await channelStore().claim({ ...ref, channel: 'sms', kind: 'reply', status: 'sending', to: '…4567', createdAt: now, updatedAt: now, attemptId: 'a-1', segments: 1 }),
    ).toBe(true);
    await channelStore().markAccepted(ref, { provider: 'twilio', providerMessageId: sid, status: 'queued' });
    for (const status of statuses) await channelStore().applyStatus(ref, { providerMessageId: sid, status, at: new Date().toISOString() });
    expect(await channelStore().getDelivery(ref)).toMatchObject({ status: 'read', providerMessageId: sid });
  });
});
