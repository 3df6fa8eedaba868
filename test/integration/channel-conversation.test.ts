/**
 * Conversations on WhatsApp / SMS through the whole local cloud: webhooks signed the way Twilio signs them
 * (the twilio SDK's `getExpectedTwilioSignature`) through the real route, the local bus applying the declared
 * rules, handlers/channel-message.ts running the same pipeline as the widget, and the reply published as
 * `message.send` for the channel senders. Also: one customer across the widget and WhatsApp, a redelivered
 * event answered once, and the concierge silent while a person owns the thread.
 */
import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import { identityStore, store } from '../../lambdas/adapters/container';
import { listCustomerConversations } from '../../lambdas/core/channels/identity';
import { ConversationStartRaced } from '../../lambdas/core/errors';
import type { MessageView } from '../../lambdas/core/protocol';
import { dayIn } from '../../lambdas/handlers/stats-projector';
import { twilioForm } from '../../local-cloud/channel-simulator';
import type { PutEventsEntry } from '../../local-cloud/event-bus';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { api, signIn } from '../support/staff';
import { connect, wsUrl } from '../support/ws-client';

let cloud: LocalCloud;
let tenantId: string;
const published: PutEventsEntry[] = [];

beforeAll(async () => {
  cloud = await startLocalCloud({ quiet: true });
  tenantId = cloud.demo.tenantId;
  const putEvents = cloud.bus.putEvents.bind(cloud.bus);
  cloud.bus.putEvents = (entries) => {
    published.push(...entries);
    return putEvents(entries);
  };
}, 240_000);

afterAll(async () => {
  await cloud?.stop();
}, 60_000);

/** A fresh Spanish mobile number per test, so tests never share a conversation. */
const phone = (): string => `+346${String(randomBytes(4).readUInt32BE() % 1e8).padStart(8, '0')}`;

async function whatsapp(from: string, text: string, form = twilioForm('whatsapp', from, text)): Promise<Record<string, string>> {
  const url = `${cloud.urls.rest}/v1/webhooks/twilio/${tenantId}`;
  const token = cloud.env['TWILIO_AUTH_TOKEN'];
  if (!token) throw new Error('the local cloud set no Twilio auth token');
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(token, url, form) },
    body: new URLSearchParams(form).toString(),
  });
  expect(response.status).toBe(200);
  await cloud.settle();
  return form;
}

async function conversationOf(identity: string): Promise<{ conversationId: string; messages: MessageView[] }> {
  const conversationId = await store().getVisitorConversation(tenantId, identity);
  if (!conversationId) throw new Error(`no conversation for ${identity}`);
  return { conversationId, messages: await store().listMessages(tenantId, conversationId, 0) };
}

const sends = (conversationId: string): Record<string, unknown>[] =>
  published
    .filter((e) => e.DetailType === 'message.send')
    .map((e) => JSON.parse(e.Detail ?? '{}') as Record<string, unknown>)
    .filter((d) => d['conversationId'] === conversationId);

describe('a conversation on WhatsApp', () => {
  it('answers a question from the knowledge base and hands the reply to the senders as message.send', async () => {
    const from = phone();
    await whatsapp(from, 'Do you have parking?');
    const { conversationId, messages } = await conversationOf(`whatsapp:${from}`);
    const conversation = await store().getConversation(tenantId, conversationId);
    expect(conversation).toMatchObject({ channel: 'whatsapp', visitorId: `whatsapp:${from}`, mode: 'bot' });
    // A phone channel's sender is a verified contact: the booking dialog will not ask for the number.
    expect(conversation?.context?.contact?.phone).toBe(from);
    expect(messages.map((m) => m.role)).toEqual(['customer', 'bot']);
    expect(messages[0]?.text).toBe('Do you have parking?');
    expect(messages[1]?.text).toMatch(/park/i);
    // correlationId: the id of the invocation that published it (lambdas/handlers/lib/correlation.ts).
    expect(sends(conversationId)).toEqual([{ tenantId, conversationId, seq: messages[1]?.seq, channel: 'whatsapp', kind: 'reply', correlationId: expect.any(String) }]);
  });

  it('answers a redelivered event and a replayed webhook once, and counts the message once', async () => {
    const from = phone();
    const profile = await store().getProfile(tenantId);
    const day = dayIn(profile?.timezone ?? 'UTC', new Date());
    const before = (await store().getDay(tenantId, day))['messagesReceived_whatsapp'] ?? 0;
    const form = await whatsapp(from, 'What are your opening hours?');
    const { conversationId } = await conversationOf(`whatsapp:${from}`);
    // Twilio retrying the webhook: refused by the webhook's idempotency.
    await whatsapp(from, 'What are your opening hours?', form);
    // EventBridge delivering the same event twice (at least once): acknowledged by the conversation's clientId.
    const event = published.find((e) => e.DetailType === 'channel.message.received' && e.Detail?.includes(form['MessageSid'] ?? '-'));
    if (!event) throw new Error('the inbound event was not published');
    await cloud.bus.putEvents([event]);
    await cloud.settle();
    const { messages } = await conversationOf(`whatsapp:${from}`);
    expect(messages.map((m) => m.role)).toEqual(['customer', 'bot']);
    expect(sends(conversationId).filter((s) => s['kind'] === 'reply')).toHaveLength(1);
    const after = (await store().getDay(tenantId, day))['messagesReceived_whatsapp'] ?? 0;
    expect(after - before).toBe(1);
  });

  it('keeps one open conversation per number and starts a new one after it is closed', async () => {
    const from = phone();
    await whatsapp(from, 'hello');
    const first = await conversationOf(`whatsapp:${from}`);
    await whatsapp(from, 'Do you have parking?');
    expect((await conversationOf(`whatsapp:${from}`)).conversationId).toBe(first.conversationId);
    const owner = await signIn(cloud, cloud.demo.staffEmail, cloud.demo.staffPassword);
    expect((await api(cloud, 'POST', `/v1/admin/inbox/${first.conversationId}/close`, owner)).status).toBe(200);
    await cloud.settle();
    await whatsapp(from, 'hello again');
    const second = await conversationOf(`whatsapp:${from}`);
    expect(second.conversationId).not.toBe(first.conversationId);
    expect(second.messages[0]?.text).toBe('hello again');
  });

  it('keeps two messages sent in the same second from a new number in one conversation, answered there', async () => {
    const from = phone();
    // Both webhooks arrive before either message is stored: each finds no conversation for the number.
    await Promise.all([whatsapp(from, 'Do you have parking?'), whatsapp(from, 'What are your opening hours?')]);
    const { conversationId, messages } = await conversationOf(`whatsapp:${from}`);
    const customer = await listCustomerConversations({ identities: identityStore(), conversations: store() }, tenantId, conversationId);
    expect(customer.conversations.map((c) => c.conversationId)).toEqual([conversationId]);
    const started = published
      .filter((e) => e.DetailType === 'conversation.started')
      .map((e) => JSON.parse(e.Detail ?? '{}') as Record<string, unknown>)
      .filter((d) => d['conversationId'] === conversationId || customer.conversations.some((c) => c.conversationId === d['conversationId']));
    expect(started).toHaveLength(1);
    expect(messages.filter((m) => m.role === 'customer').map((m) => m.text).sort()).toEqual(['Do you have parking?', 'What are your opening hours?']);
    expect(messages.filter((m) => m.role === 'bot')).toHaveLength(2);
    expect(sends(conversationId).filter((s) => s['kind'] === 'reply')).toHaveLength(2);
  });

  it('keeps a photo’s https address with the message for staff (inbox and conversation views), and never a javascript: one', async () => {
    const from = phone();
    const photo = `https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM${randomBytes(8).toString('hex')}/Media/ME1`;
    await whatsapp(from, 'Is this swelling normal?', {
      ...twilioForm('whatsapp', from, 'Is this swelling normal?'),
      NumMedia: '2',
      MediaUrl0: photo,
      MediaContentType0: 'image/jpeg',
      MediaUrl1: 'javascript:alert(document.cookie)',
      MediaContentType1: 'image/png',
    });
    const { conversationId, messages } = await conversationOf(`whatsapp:${from}`);
    expect(messages[0]).toMatchObject({ role: 'customer', text: 'Is this swelling normal?\n[attachment: image/jpeg]\n[attachment: image/png]', attachments: [{ url: photo, contentType: 'image/jpeg' }] });
    const owner = await signIn(cloud, cloud.demo.staffEmail, cloud.demo.staffPassword);
    for (const path of [`/v1/admin/inbox/${conversationId}`, `/v1/admin/conversations/${conversationId}`]) {
      const view = await api(cloud, 'GET', path, owner);
      expect(view.status).toBe(200);
      const body = view.body as { messages: { role: string; attachments?: unknown }[] };
      expect(body.messages.filter((m) => m.role === 'customer').map((m) => m.attachments)).toEqual([[{ url: photo, contentType: 'image/jpeg' }]]);
    }
  });

  it('stays silent while a person owns the thread, and delivers the agent’s reply on WhatsApp', async () => {
    const from = phone();
    await whatsapp(from, 'hello');
    const { conversationId } = await conversationOf(`whatsapp:${from}`);
    const owner = await signIn(cloud, cloud.demo.staffEmail, cloud.demo.staffPassword);
    expect((await api(cloud, 'POST', `/v1/admin/inbox/${conversationId}/takeover`, owner)).status).toBe(200);
    await cloud.settle();
    const before = (await conversationOf(`whatsapp:${from}`)).messages.length;
    await whatsapp(from, 'Do you have parking?');
    const after = (await conversationOf(`whatsapp:${from}`)).messages.slice(before);
    expect(after.map((m) => m.role)).toEqual(['customer']);

    const reply = await api(cloud, 'POST', `/v1/admin/inbox/${conversationId}/messages`, owner, { text: 'Hi, this is the front desk. Yes, we have parking.' });
    expect(reply.status).toBe(201);
    await cloud.settle();
    const agentMessage = (await conversationOf(`whatsapp:${from}`)).messages.find((m) => m.role === 'agent');
    expect(sends(conversationId)).toContainEqual({ tenantId, conversationId, seq: agentMessage?.seq, channel: 'whatsapp', kind: 'agent', correlationId: expect.any(String) });
    expect(sends(conversationId).filter((s) => s['kind'] === 'reply')).toHaveLength(1); // the answer to "hello" only
  });
});

describe('starting a conversation over the visitor pointer (store)', () => {
  it('writes nothing and says so when the pointer moved since the caller read it', async () => {
    const tenant = `race-${randomBytes(6).toString('hex')}`;
    const visitor = `whatsapp:${phone()}`;
    const first = await store().startConversation(tenant, visitor, 'en', 'whatsapp', { replacing: undefined });
    // A second "first message" that also read no pointer loses, and writes no conversation.
    await expect(store().startConversation(tenant, visitor, 'en', 'whatsapp', { replacing: undefined })).rejects.toBeInstanceOf(ConversationStartRaced);
    // Over the pointer as it is: taken. Over the old one again: refused.
    const second = await store().startConversation(tenant, visitor, 'en', 'whatsapp', { replacing: first.conversationId });
    await expect(store().startConversation(tenant, visitor, 'en', 'whatsapp', { replacing: first.conversationId })).rejects.toBeInstanceOf(ConversationStartRaced);
    expect(await store().getVisitorConversation(tenant, visitor)).toBe(second.conversationId);
    const { items } = await store().listConversations(tenant, 10);
    expect(items.map((c) => c.conversationId).sort()).toEqual([first.conversationId, second.conversationId].sort());
  });
});

describe('the widget', () => {
  it('gives two tabs of a new visitor saying hello at the same moment one conversation', async () => {
    const visitor = randomBytes(16).toString('hex');
    const origin = new URL(cloud.urls.demoSite).origin;
    const tabs = await Promise.all([connect(wsUrl(cloud.urls.ws, cloud.demo.widgetKey, visitor), origin), connect(wsUrl(cloud.urls.ws, cloud.demo.widgetKey, visitor), origin)]);
    for (const tab of tabs) tab.send({ action: 'hello', lang: 'en' });
    const sessions = await Promise.all(tabs.map((tab) => tab.next('session')));
    await Promise.all(tabs.map((tab) => tab.close()));
    expect(sessions[0]?.conversationId).toBe(sessions[1]?.conversationId);
    expect(await store().getVisitorConversation(tenantId, visitor)).toBe(sessions[0]?.conversationId);
  });
});

describe('one customer across channels', () => {
  it('joins the widget conversation where the customer gave their phone to their WhatsApp conversation', async () => {
    const from = phone();
    const visitor = randomBytes(16).toString('hex');
    const socket = await connect(wsUrl(cloud.urls.ws, cloud.demo.widgetKey, visitor), new URL(cloud.urls.demoSite).origin);
    socket.send({ action: 'hello', lang: 'en' });
    const session = await socket.next('session');
    socket.send({ action: 'sendMessage', clientId: randomBytes(9).toString('base64url'), text: `My phone number is ${from.slice(0, 3)} ${from.slice(3, 6)} ${from.slice(6)}` });
    await socket.next('message', (m) => m.role === 'bot', 60_000);
    await socket.close();

    await whatsapp(from, 'Do you have parking?');
    const { conversationId } = await conversationOf(`whatsapp:${from}`);
    const customer = await listCustomerConversations({ identities: identityStore(), conversations: store() }, tenantId, conversationId);
    expect(customer.customerKey).toBe(`phone:${from}`);
    expect(customer.identities).toEqual(expect.arrayContaining([`web:${visitor}`, `whatsapp:${from}`]));
    expect(customer.conversations.map((c) => [c.conversationId, c.channel]).sort()).toEqual(
      [
        [session.conversationId, 'web'],
        [conversationId, 'whatsapp'],
      ].sort(),
    );
    // Seen from the widget's side, it is the same customer.
    const fromWeb = await listCustomerConversations({ identities: identityStore(), conversations: store() }, tenantId, session.conversationId);
    expect(fromWeb.customerKey).toBe(`phone:${from}`);
    expect(fromWeb.conversations).toHaveLength(2);
  });
});
