/**
 * Read receipts through the local cloud (the real widget and staff handlers behind the local gateway, DynamoDB
 * Local, the local Cognito): a person watching or replying tells the customer's widget "read by staff"; the
 * widget's `markRead` tells the staff inbox "read by customer"; repeats and lower seqs are silent; another
 * visitor's conversation is refused; a reconnect gets the positions in its `session` frame, the inbox in its view.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { knowledgeStore, store } from '../../lambdas/adapters/container';
import { provisionTenant } from '../../lambdas/core/knowledge';
import { knowledgeBaseSchema } from '../../lambdas/core/knowledge-base';
import type { ReceiptFrame } from '../../lambdas/core/protocol';
import { newWidgetKey } from '../../lambdas/core/widget-key';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { api, ensureStaff, signIn, staffSocket } from '../support/staff';
import { connect, wsUrl, type TestSocket } from '../support/ws-client';

const tenantId = 'receipts-clinic';
const widgetKey = newWidgetKey(tenantId);
const PASSWORD = 'Receipts-Test-2026!';
const agentEmail = `agent@${tenantId}.example`;

let cloud: LocalCloud;
let origin: string;

beforeAll(async () => {
  cloud = await startLocalCloud({ quiet: true });
  origin = new URL(cloud.urls.demoSite).origin;
  const kb = knowledgeBaseSchema.parse(JSON.parse(readFileSync(join(__dirname, '..', '..', 'local-cloud', 'seed', 'demo-kb.json'), 'utf8')));
  await provisionTenant(knowledgeStore(), { tenantId, widgetKey, allowedOrigins: [origin], kb: { ...kb, business: { ...kb.business, slug: tenantId } } });
  await ensureStaff(cloud, [{ email: agentEmail, password: PASSWORD, tenantId, groups: ['agent'] }]);
}, 240_000);

afterAll(async () => {
  await cloud?.stop();
});

const clientId = (): string => randomBytes(9).toString('base64url');
const receipts = (socket: TestSocket, by: ReceiptFrame['by']): number[] => socket.frames.filter((f): f is ReceiptFrame => f.type === 'receipt' && f.by === by).map((f) => f.seq);

async function customer(visitor: string, resume?: { conversationId: string; lastSeq: number }) {
  const socket = await connect(wsUrl(cloud.urls.ws, widgetKey, visitor), origin);
  socket.send({ action: 'hello', lang: 'en', ...(resume ?? {}) });
  const session = await socket.next('session');
  return { socket, session };
}

describe('read receipts', () => {
  it('tells each side what the other has read, once per advance, and only about the reader’s own conversation', async () => {
    const visitor = randomBytes(16).toString('hex');
    const { socket, session } = await customer(visitor);
    const conversationId = session.conversationId;
    // Small talk: answered without retrieval, so the test does not wait on a cold search index.
    socket.send({ action: 'sendMessage', clientId: clientId(), text: 'hello' });
    const question = await socket.next('message', (m) => m.role === 'customer', 60_000);
    const answer = await socket.next('message', (m) => m.role === 'bot', 60_000);

    // A person takes over and opens the conversation: the customer learns their message was read.
    const agent = await signIn(cloud, agentEmail, PASSWORD);
    expect((await api(cloud, 'POST', `/v1/admin/inbox/${conversationId}/takeover`, agent)).status).toBe(200);
    await socket.next('state', (s) => s.mode === 'human');
    const inbox = await staffSocket(cloud, agent);
    inbox.send({ action: 'staffWatch', conversationId });
    await inbox.next('state');
    const staffRead = await socket.next('receipt', (r) => r.by === 'staff');
    expect(staffRead).toEqual({ type: 'receipt', id: `receipt:${conversationId}:staff:read:${question.seq}`, conversationId, seq: question.seq, status: 'read', by: 'staff' });

    // The widget has shown the answer: the inbox learns it; the reader's own socket is not told.
    socket.send({ action: 'markRead', conversationId, seq: answer.seq });
    const customerRead = await inbox.next('receipt', (r) => r.by === 'customer');
    expect(customerRead).toMatchObject({ conversationId, seq: answer.seq, status: 'read', by: 'customer', id: `receipt:${conversationId}:customer:read:${answer.seq}` });

    // A repeat and a lower seq change nothing and send nothing.
    socket.send({ action: 'markRead', conversationId, seq: answer.seq });
    socket.send({ action: 'markRead', conversationId, seq: question.seq });
    socket.send({ action: 'ping' });
    await socket.next('pong');
    expect((await store().getConversation(tenantId, conversationId))?.customerReadSeq).toBe(answer.seq);

    // A seq beyond the conversation's last message is refused.
    socket.send({ action: 'markRead', conversationId, seq: answer.seq + 50 });
    expect(await socket.next('error')).toMatchObject({ code: 'bad_request', message: expect.stringContaining('seq') });

    // While the person owns the thread: the customer writes, the agent replies — replying is reading.
    socket.send({ action: 'sendMessage', clientId: clientId(), text: 'are you still there?' });
    const second = await socket.next('message', (m) => m.role === 'customer' && m.seq > answer.seq, 60_000);
    const reply = await api(cloud, 'POST', `/v1/admin/inbox/${conversationId}/messages`, agent, { text: 'Yes, I am here.', clientId: clientId() });
    expect(reply.status).toBe(201);
    const agentMessage = await socket.next('message', (m) => m.role === 'agent', 60_000);
    await socket.next('receipt', (r) => r.by === 'staff' && r.seq === second.seq);
    socket.send({ action: 'markRead', conversationId, seq: agentMessage.seq });
    await inbox.next('receipt', (r) => r.by === 'customer' && r.seq === agentMessage.seq);
    // The reply's receipt goes to every watcher: wait until the inbox has it too before counting.
    await inbox.next('receipt', (r) => r.by === 'staff' && r.seq === second.seq);

    // Exactly one receipt per advance, in order (the silent repeats sent nothing); never echoed to the reader's own
    // socket (a REST reply has none: every watcher hears of it).
    expect(receipts(inbox, 'customer')).toEqual([answer.seq, agentMessage.seq]);
    expect(receipts(socket, 'staff')).toEqual([question.seq, second.seq]);
    expect(receipts(socket, 'customer')).toEqual([]);
    expect(receipts(inbox, 'staff')).toEqual([second.seq]);

    // Another visitor cannot mark this conversation read.
    const other = await customer(randomBytes(16).toString('hex'));
    other.socket.send({ action: 'markRead', conversationId, seq: agentMessage.seq + 1 });
    expect(await other.socket.next('error')).toMatchObject({ code: 'bad_request', message: expect.stringContaining('conversationId') });
    expect((await store().getConversation(tenantId, conversationId))?.customerReadSeq).toBe(agentMessage.seq);

    // A reconnecting widget and the inbox view see where both sides are.
    await socket.close();
    const again = await customer(visitor, { conversationId, lastSeq: agentMessage.seq });
    expect(again.session).toMatchObject({ conversationId, customerReadSeq: agentMessage.seq, staffReadSeq: second.seq });
    const view = z
      .object({ conversation: z.object({ customerReadSeq: z.number(), staffReadSeq: z.number() }) })
      .parse((await api(cloud, 'GET', `/v1/admin/inbox/${conversationId}`, agent)).body);
    expect(view.conversation).toEqual({ customerReadSeq: agentMessage.seq, staffReadSeq: second.seq });

    await Promise.all([again.socket.close(), other.socket.close(), inbox.close()]);
  }, 120_000);
});
