/**
 * The channel senders against fake Twilio and Meta servers on loopback, with delivery records in DynamoDB Local:
 * exact request bodies, retries then failure handed to EventBridge, 4xx recorded without retry, a duplicate event
 * sending once, an accepted send whose record failed not sent again, the WhatsApp window (template or parked),
 * opted-out SMS refused, the outbox without credentials, and Twilio's status callbacks through the declared public
 * route (the local gateway running the real handler), signed with the twilio library's own helper — valid, forged,
 * missing, replayed and out of order.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { DynamoChannelStore } from '../../lambdas/adapters/channels/delivery-store';
import { identityDirectory, ResolvingTransports, statusCallbackUrlFor, type ChannelEnv } from '../../lambdas/adapters/channels/index';
import { OutboxSender } from '../../lambdas/adapters/channels/outbox-sender';
import { DynamoStore } from '../../lambdas/adapters/dynamo/store';
import { DeliveryError, sendChannelMessage, type OutboundDeps, type SendRequest } from '../../lambdas/core/channels/outbound';
import { optOutAddress, type ParkReason } from '../../lambdas/core/channels/policy';
import { randomId } from '../../lambdas/core/ids';
import type { ConversationRecord } from '../../lambdas/core/ports';
import { publicUrlOf } from '../../lambdas/handlers/lib/public-url';
import { ensureTable, startDynamoDbLocal, type DynamoDbLocalHandle } from '../../local-cloud/dynamodb-local';
import { LocalGateway } from '../../local-cloud/gateway';
import { LambdaRuntime } from '../../local-cloud/lambda-runtime';
import { startFakeProviders, type FakeProviders } from '../support/fake-providers';

const TABLE = 'channel-senders-test';
const TENANT = 'harbour-dental';
const ACCOUNT_SID = `AC${'1'.repeat(32)}`;
const AUTH_TOKEN = randomBytes(16).toString('hex');
const PAGE_TOKEN = `EAAG${randomBytes(20).toString('hex')}`;
const PHONE = '+353861234567';
const PSID = '24681357902468';

let ddb: DynamoDbLocalHandle;
let doc: DynamoDBDocumentClient;
let fakes: FakeProviders;
let conversations: DynamoStore;
let channels: DynamoChannelStore;
let gateway: LocalGateway;
let runtime: LambdaRuntime;
let now = new Date();
const clock = { now: () => now };
const parked: { conversationId: string; reason: ParkReason }[] = [];
let tenantTemplates: Record<string, string> | undefined;

function depsWith(env: ChannelEnv): OutboundDeps {
  return {
    conversations,
    deliveries: channels,
    optOuts: channels,
    transports: new ResolvingTransports({
      env,
      credentials: {
        // A tenant with its own Twilio account only when a test gives it templates.
        twilio: async () => (tenantTemplates ? { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, whatsappFrom: '+14155238886', smsFrom: '+15005550006', templates: tenantTemplates } : undefined),
        meta: async () => undefined,
      },
      outbox: new OutboxSender(channels, clock, randomId),
    }),
    directory: identityDirectory,
    clock,
    notices: { messageParked: async (_t, c, reason) => void parked.push({ conversationId: c.conversationId, reason }) },
    statusCallbackUrl: statusCallbackUrlFor(gateway.url),
    retry: { attempts: 3, sleep: async () => undefined },
    ids: randomId,
  };
}

let providerEnv: ChannelEnv;

async function conversationOn(channel: 'whatsapp' | 'sms' | 'messenger', address: string, customerAt?: Date): Promise<ConversationRecord> {
  const c = await conversations.startConversation(TENANT, `${channel}:${address}`, 'en', channel);
  if (customerAt) {
    const saved = now;
    now = customerAt;
    await conversations.appendMessage(TENANT, c.conversationId, { role: 'customer', text: 'Do you have parking?' });
    now = saved;
  }
  return c;
}

async function botMessage(c: ConversationRecord, text: string, extra: { quickReplies?: { label: string; text: string }[] } = {}): Promise<SendRequest> {
  const { message } = await conversations.appendMessage(TENANT, c.conversationId, { role: 'bot', text, ...extra });
  return { tenantId: TENANT, conversationId: c.conversationId, seq: message.seq, channel: c.channel === 'web' ? 'sms' : c.channel, kind: 'reply' };
}

beforeAll(async () => {
  ddb = await startDynamoDbLocal({ port: 0 });
  const client = new DynamoDBClient({ endpoint: ddb.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await ensureTable(client, TABLE);
  doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  conversations = new DynamoStore(doc, TABLE, clock);
  channels = new DynamoChannelStore(doc, TABLE, clock);
  fakes = await startFakeProviders();
  providerEnv = {
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_SMS_FROM: '+15005550006',
    TWILIO_WHATSAPP_FROM: '+14155238886',
    TWILIO_API_BASE: fakes.url,
    META_PAGE_ACCESS_TOKEN: PAGE_TOKEN,
    META_GRAPH_API_BASE: fakes.url,
  };
  // The status route's handler reads its configuration when the runtime first loads it, as a cold start would.
  Object.assign(process.env, { TABLE_NAME: TABLE, AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint, TWILIO_AUTH_TOKEN: AUTH_TOKEN, WS_MANAGEMENT_ENDPOINT: 'http://127.0.0.1:9' });
  runtime = new LambdaRuntime(resolve(__dirname, '..', '..'));
  gateway = new LocalGateway({
    port: 0,
    invoke: (fn, event) => (fn === 'twilioStatus' || fn === 'channelSender' ? runtime.invoke(fn, event) : Promise.reject(new Error(`${fn} is not under test`))),
    awsJson: {},
    statics: [],
    log: () => undefined,
  });
  await gateway.start();
});

afterAll(async () => {
  await gateway?.stop();
  await fakes?.stop();
  await ddb?.stop();
});

beforeEach(() => {
  now = new Date();
  fakes.twilio.reset();
  fakes.meta.reset();
  parked.length = 0;
  tenantTemplates = undefined;
});

describe('Twilio (SMS and WhatsApp)', () => {
  it('posts the exact form with basic auth and a status callback, and records the delivery', async () => {
    const c = await conversationOn('sms', PHONE, new Date());
    const request = await botMessage(c, '**Yes**, parking is free.', { quickReplies: [{ label: 'Book', text: 'I want to book' }, { label: 'Prices', text: 'Prices?' }] });
    const outcome = await sendChannelMessage(depsWith(providerEnv), request);
    expect(outcome).toEqual({ outcome: 'sent', provider: 'twilio', segments: 1, duplicates: 0 });
    expect(fakes.twilio.requests).toHaveLength(1);
    const [sent] = fakes.twilio.requests;
    expect(sent?.url).toBe(`/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`);
    expect(sent?.headers['authorization']).toBe(`Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`);
    expect(sent?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(sent?.form).toEqual({
      To: PHONE,
      From: '+15005550006',
      Body: 'Yes, parking is free.\n\n1. Book\n2. Prices\nReply 1 or 2.',
      StatusCallback: `${gateway.url}/v1/webhooks/twilio/${TENANT}/status?c=${c.conversationId}&s=${request.seq}&g=0`,
    });
    const [delivery] = await channels.listDeliveries(TENANT, c.conversationId);
    expect(delivery).toMatchObject({ seq: request.seq, segment: 0, status: 'queued', provider: 'twilio', to: '…4567', channel: 'sms', kind: 'reply' });
    expect(delivery?.providerMessageId).toMatch(/^SM[0-9a-f]{32}$/);
    expect(JSON.stringify(delivery)).not.toContain(PHONE);
  });

  it('sends WhatsApp from and to whatsapp: addresses', async () => {
    const c = await conversationOn('whatsapp', PHONE, new Date(Date.now() - 3600_000));
    await sendChannelMessage(depsWith(providerEnv), await botMessage(c, 'We open at 9.'));
    expect(fakes.twilio.requests[0]?.form).toMatchObject({ To: `whatsapp:${PHONE}`, From: 'whatsapp:+14155238886', Body: 'We open at 9.' });
  });

  it('a duplicate message.send sends once', async () => {
    const c = await conversationOn('sms', PHONE, new Date());
    const request = await botMessage(c, 'Once only.');
    const deps = depsWith(providerEnv);
    const [first, second] = await Promise.all([sendChannelMessage(deps, request), sendChannelMessage(deps, request)]);
    const third = await sendChannelMessage(deps, request);
    expect([first.outcome, second.outcome].sort()).toEqual(['duplicate', 'sent']);
    expect(third).toEqual({ outcome: 'duplicate' });
    expect(fakes.twilio.requests).toHaveLength(1);
  });

  it('retries 429 / 5xx / network failures with backoff, then succeeds', async () => {
    const c = await conversationOn('sms', PHONE, new Date());
    fakes.twilio.reply({ status: 503, body: { code: 20500, message: 'Service unavailable' } }, { status: 429, body: { code: 20429, message: 'Too many' }, headers: { 'retry-after': '0' } });
    const outcome = await sendChannelMessage(depsWith(providerEnv), await botMessage(c, 'Third time lucky.'));
    expect(outcome.outcome).toBe('sent');
    expect(fakes.twilio.requests).toHaveLength(3);
  });

  it('after the last retry it throws (EventBridge retries, then the DLQ) and releases the claim so a redelivery sends', async () => {
    const c = await conversationOn('sms', PHONE, new Date());
    const request = await botMessage(c, 'Eventually.');
    fakes.twilio.reply({ status: 500 }, { status: 502 }, { status: 0, destroy: true });
    const failure = await sendChannelMessage(depsWith(providerEnv), request).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DeliveryError);
    expect(failure).toMatchObject({ permanent: false });
    expect(fakes.twilio.requests).toHaveLength(3);
    expect(await channels.listDeliveries(TENANT, c.conversationId)).toEqual([]);
    // EventBridge delivers the event again: now it goes through, once.
    expect((await sendChannelMessage(depsWith(providerEnv), request)).outcome).toBe('sent');
    expect(fakes.twilio.requests).toHaveLength(4);
  });

  it('keeps the claim when recording an accepted send fails, so the redelivery does not send it again', async () => {
    const c = await conversationOn('sms', PHONE, new Date());
    const request = await botMessage(c, 'Sent once, whatever the table says.');
    const markAccepted = jest.spyOn(channels, 'markAccepted').mockRejectedValueOnce(new Error('ProvisionedThroughputExceededException'));
    try {
      await expect(sendChannelMessage(depsWith(providerEnv), request)).rejects.toThrow('ProvisionedThroughputExceededException');
    } finally {
      markAccepted.mockRestore();
    }
    expect(fakes.twilio.requests).toHaveLength(1);
    expect(await channels.listDeliveries(TENANT, c.conversationId)).toEqual([expect.objectContaining({ seq: request.seq, segment: 0, status: 'sending' })]);
    // EventBridge delivers the event again: Twilio already has the message.
    expect(await sendChannelMessage(depsWith(providerEnv), request)).toEqual({ outcome: 'duplicate' });
    expect(fakes.twilio.requests).toHaveLength(1);
  });

  it('a 4xx is permanent: recorded on the delivery and in the failed deliveries, not retried', async () => {
    const c = await conversationOn('sms', PHONE, new Date());
    const request = await botMessage(c, 'To a bad number.');
    fakes.twilio.reply({ status: 400, body: { code: 21211, message: `The 'To' number ${PHONE} is not a valid phone number.`, status: 400 } });
    expect(await sendChannelMessage(depsWith(providerEnv), request)).toEqual({ outcome: 'failed', errorCode: '21211' });
    expect(fakes.twilio.requests).toHaveLength(1);
    const [delivery] = await channels.listDeliveries(TENANT, c.conversationId);
    expect(delivery).toMatchObject({ status: 'failed', errorCode: '21211' });
    expect(delivery?.reason).not.toContain(PHONE);
    const failed = await channels.listFailures(TENANT, 50);
    expect(failed.find((f) => f.conversationId === c.conversationId)).toMatchObject({ status: 'failed', errorCode: '21211', seq: request.seq });
    // The redelivered event changes nothing.
    expect(await sendChannelMessage(depsWith(providerEnv), request)).toEqual({ outcome: 'duplicate' });
    expect(fakes.twilio.requests).toHaveLength(1);
  });

  it('Twilio 21610 (the number replied STOP) records the opt-out', async () => {
    const phone = '+353861110000';
    const c = await conversationOn('sms', phone, new Date());
    fakes.twilio.reply({ status: 400, body: { code: 21610, message: 'Attempt to send to unsubscribed recipient' } });
    await sendChannelMessage(depsWith(providerEnv), await botMessage(c, 'Hello?'));
    expect(await channels.getOptOut(TENANT, phone)).toMatchObject({ optedOut: true });
  });

  it('splits a long SMS into segments of at most 1600, one delivery record each', async () => {
    const c = await conversationOn('sms', PHONE, new Date());
    const request = await botMessage(c, 'We offer cleaning, whitening and check-ups on weekdays. '.repeat(40));
    expect(await sendChannelMessage(depsWith(providerEnv), request)).toMatchObject({ outcome: 'sent', segments: 2 });
    expect(fakes.twilio.requests.map((r) => (r.form?.['Body'] ?? '').length).every((n) => n <= 1600)).toBe(true);
    expect(fakes.twilio.requests.map((r) => r.form?.['StatusCallback']?.slice(-4))).toEqual(['&g=0', '&g=1']);
    expect((await channels.listDeliveries(TENANT, c.conversationId)).map((d) => [d.segment, d.segments])).toEqual([
      [0, 2],
      [1, 2],
    ]);
  });
});

describe('the time budget of one send', () => {
  it('starts no segment its call could take past the budget; the retry sends only the rest', async () => {
    const c = await conversationOn('sms', PHONE, new Date());
    const request = await botMessage(c, 'We offer cleaning, whitening and check-ups on weekdays. '.repeat(40));
    // A clock where each provider call takes 8 s: the first segment ends at 8 s, and a second (8 s more, with a 10 s
    // timeout) would end past the 15 s budget.
    let now = 0;
    const slow = depsWith(providerEnv);
    const deps: OutboundDeps = {
      ...slow,
      retry: { ...slow.retry, budgetMs: 15_000, callTimeoutMs: 10_000, now: () => now },
      transports: {
        forChannel: async (tenantId, channel) => {
          const resolved = await slow.transports.forChannel(tenantId, channel);
          const inner = resolved.transport;
          const transport: typeof inner = {
            provider: inner.provider,
            send: async (m) => {
              now += 8_000;
              return inner.send(m);
            },
          };
          return { ...resolved, transport };
        },
      },
    };
    const failure = await sendChannelMessage(deps, request).catch((e: unknown) => e);
    expect(failure).toMatchObject({ name: 'DeliveryError', permanent: false, code: 'budget' });
    expect(fakes.twilio.requests).toHaveLength(1);
    // Lambda's retry: the first segment is claimed (sent), the second goes now.
    now = 0;
    expect(await sendChannelMessage(deps, request)).toMatchObject({ outcome: 'sent', segments: 1, duplicates: 1 });
    expect(fakes.twilio.requests).toHaveLength(2);
  });
});

describe('WhatsApp 24-hour window', () => {
  it('closed, with the kind template configured: sends the template (ContentSid + ContentVariables)', async () => {
    tenantTemplates = { reminder: `HX${'ab'.repeat(16)}` };
    const c = await conversationOn('whatsapp', PHONE, new Date(Date.now() - 30 * 3600_000));
    const request = { ...(await botMessage(c, 'Reminder: your **cleaning**\ntomorrow at 10:00.')), kind: 'reminder' as const };
    expect(await sendChannelMessage(depsWith(providerEnv), request)).toMatchObject({ outcome: 'sent' });
    expect(fakes.twilio.requests[0]?.form).toEqual({
      To: `whatsapp:${PHONE}`,
      From: 'whatsapp:+14155238886',
      ContentSid: `HX${'ab'.repeat(16)}`,
      ContentVariables: JSON.stringify({ '1': 'Reminder: your cleaning tomorrow at 10:00.' }),
      StatusCallback: expect.stringContaining('/status?c=') as unknown as string,
    });
    expect((await channels.listDeliveries(TENANT, c.conversationId))[0]).toMatchObject({ via: 'template:reminder' });
  });

  it('closed, without a template: parked (not sent), staff told, listed as failed; a duplicate does nothing more', async () => {
    const c = await conversationOn('whatsapp', PHONE, new Date(Date.now() - 25 * 3600_000));
    const request = await botMessage(c, 'Are you still there?');
    expect(await sendChannelMessage(depsWith(providerEnv), request)).toEqual({ outcome: 'parked', reason: 'whatsapp_window_closed' });
    expect(await sendChannelMessage(depsWith(providerEnv), request)).toEqual({ outcome: 'duplicate' });
    expect(fakes.twilio.requests).toHaveLength(0);
    expect(parked).toEqual([{ conversationId: c.conversationId, reason: 'whatsapp_window_closed' }]);
    expect((await channels.listDeliveries(TENANT, c.conversationId))[0]).toMatchObject({ status: 'parked', reason: 'whatsapp_window_closed' });
    expect((await channels.listFailures(TENANT, 50)).some((f) => f.conversationId === c.conversationId && f.status === 'parked')).toBe(true);
  });
});

describe('SMS opt-out', () => {
  it('refuses to send to an opted-out number: recorded, not an error, no request', async () => {
    const phone = '+353869990000';
    await channels.putOptOut(TENANT, { address: phone, optedOut: true, at: new Date().toISOString(), keyword: 'STOP' });
    const c = await conversationOn('sms', phone, new Date());
    expect(await sendChannelMessage(depsWith(providerEnv), await botMessage(c, 'Hi!'))).toEqual({ outcome: 'refused', reason: 'sms_opted_out' });
    expect(fakes.twilio.requests).toHaveLength(0);
    expect((await channels.listDeliveries(TENANT, c.conversationId))[0]).toMatchObject({ status: 'refused', reason: 'sms_opted_out' });
    await channels.putOptOut(TENANT, { address: phone, optedOut: false, at: new Date().toISOString(), keyword: 'START' });
    expect((await sendChannelMessage(depsWith(providerEnv), await botMessage(c, 'Welcome back'))).outcome).toBe('sent');
  });
});

describe('keyword opt-outs at the sender', () => {
  it('sends the one confirmation of a Spanish SMS opt-out (kind optout) past it, and nothing else', async () => {
    const phone = '+34612990001';
    await channels.putOptOut(TENANT, { address: phone, optedOut: true, at: new Date().toISOString(), keyword: 'BAJA' });
    const c = await conversationOn('sms', phone, new Date());
    const confirmation = await botMessage(c, 'Harbour Dental: se ha dado de baja y no recibirá más SMS. Responda ALTA para volver a recibirlos.');
    expect((await sendChannelMessage(depsWith(providerEnv), { ...confirmation, kind: 'optout' })).outcome).toBe('sent');
    expect(await sendChannelMessage(depsWith(providerEnv), await botMessage(c, 'Hola'))).toEqual({ outcome: 'refused', reason: 'sms_opted_out' });
    expect(fakes.twilio.requests).toHaveLength(1);
  });

  it('after STOP on WhatsApp: no reminder, follow-up or satisfaction question; replies and booking notices still go', async () => {
    const phone = '+34612990002';
    await channels.putOptOut(TENANT, { address: optOutAddress('whatsapp', phone), optedOut: true, at: new Date().toISOString(), keyword: 'STOP' });
    const c = await conversationOn('whatsapp', phone, new Date());
    for (const kind of ['reminder', 'followup', 'csat'] as const) {
      expect(await sendChannelMessage(depsWith(providerEnv), { ...(await botMessage(c, `a ${kind}`)), kind })).toEqual({ outcome: 'refused', reason: 'whatsapp_opted_out' });
    }
    expect(fakes.twilio.requests).toHaveLength(0);
    for (const kind of ['reply', 'booking'] as const) expect((await sendChannelMessage(depsWith(providerEnv), { ...(await botMessage(c, `a ${kind}`)), kind })).outcome).toBe('sent');
    // The number's texts are another matter: an SMS reminder still goes.
    const text = await conversationOn('sms', phone, new Date());
    expect((await sendChannelMessage(depsWith(providerEnv), { ...(await botMessage(text, 'Reminder: tomorrow at 10')), kind: 'reminder' })).outcome).toBe('sent');
  });
});

describe('Meta Send API (Messenger)', () => {
  it('posts recipient, RESPONSE, text and quick replies, with the page token in the query', async () => {
    const c = await conversationOn('messenger', PSID, new Date());
    const request = await botMessage(c, '**Open** today.', { quickReplies: [{ label: 'Book an appointment now', text: 'I want to book' }] });
    expect(await sendChannelMessage(depsWith(providerEnv), request)).toMatchObject({ outcome: 'sent', provider: 'meta' });
    const [sent] = fakes.meta.requests;
    expect(sent?.url).toBe(`/v21.0/me/messages?access_token=${PAGE_TOKEN}`);
    expect(sent?.json).toEqual({
      recipient: { id: PSID },
      messaging_type: 'RESPONSE',
      message: { text: 'Open today.', quick_replies: [{ content_type: 'text', title: 'Book an appointment…', payload: 'I want to book' }] },
    });
    const [delivery] = await channels.listDeliveries(TENANT, c.conversationId);
    expect(delivery?.providerMessageId).toMatch(/^m_/);
    expect(JSON.stringify(delivery)).not.toContain(PAGE_TOKEN);
  });

  it('outside the window, an agent reply goes with the HUMAN_AGENT tag; a 4xx is not retried', async () => {
    const c = await conversationOn('messenger', PSID, new Date(Date.now() - 48 * 3600_000));
    const request = { ...(await botMessage(c, 'Sorry for the wait.')), kind: 'agent' as const };
    fakes.meta.reply({ status: 400, body: { error: { message: '(#551) This person isn’t available right now.', code: 551 } } });
    expect(await sendChannelMessage(depsWith(providerEnv), request)).toEqual({ outcome: 'failed', errorCode: '551' });
    expect(fakes.meta.requests).toHaveLength(1);
    expect(fakes.meta.requests[0]?.json).toMatchObject({ messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' });
  });
});

describe('without credentials', () => {
  it('messages land in the channel outbox, in full, for the simulator and the admin UI', async () => {
    const c = await conversationOn('whatsapp', '+34600111222', new Date());
    const request = await botMessage(c, 'Hello from the outbox.', { quickReplies: [{ label: 'Yes', text: 'yes' }] });
    expect(await sendChannelMessage(depsWith({}), request)).toMatchObject({ outcome: 'sent', provider: 'outbox' });
    expect(fakes.twilio.requests).toHaveLength(0);
    const [message] = await channels.listOutbox(TENANT, { limit: 10, to: '+34600111222' });
    expect(message).toMatchObject({ channel: 'whatsapp', to: '+34600111222', conversationId: c.conversationId, seq: request.seq, text: 'Hello from the outbox.\n\n1. Yes\nReply 1.' });
    expect((await channels.listDeliveries(TENANT, c.conversationId))[0]).toMatchObject({ provider: 'outbox', status: 'delivered' });
  });
});

describe('the channelSender handler (EventBridge target)', () => {
  it('drops a malformed event, and delivers a message.send once (no credentials in its environment: the outbox)', async () => {
    expect(await runtime.invoke('channelSender', { id: 'e-1', 'detail-type': 'message.send', detail: { tenantId: 'NOT A TENANT' } })).toEqual({
      outcome: 'skipped',
      reason: 'malformed event',
    });
    const c = await conversationOn('sms', '+353867770000', new Date());
    const request = await botMessage(c, 'Through the handler.');
    const event = { id: 'e-2', source: 'concierge', 'detail-type': 'message.send', time: new Date().toISOString(), detail: { ...request } };
    expect(await runtime.invoke('channelSender', event)).toMatchObject({ outcome: 'sent', provider: 'outbox' });
    expect(await runtime.invoke('channelSender', { ...event, id: 'e-3' })).toEqual({ outcome: 'duplicate' });
    expect((await channels.listOutbox(TENANT, { limit: 10, to: '+353867770000' })).map((m) => m.text)).toEqual(['Through the handler.']);
  });
});

describe('status callbacks (POST /v1/webhooks/twilio/{tenantId}/status)', () => {
  async function sentSms(): Promise<{ c: ConversationRecord; sid: string; url: string }> {
    const c = await conversationOn('sms', PHONE, new Date());
    const request = await botMessage(c, 'Tracked.');
    await sendChannelMessage(depsWith(providerEnv), request);
    const sent = fakes.twilio.requests.at(-1);
    const [delivery] = await channels.listDeliveries(TENANT, c.conversationId);
    return { c, sid: delivery?.providerMessageId ?? '', url: sent?.form?.['StatusCallback'] ?? '' };
  }

  function post(url: string, params: Record<string, string>, signature: string | undefined): Promise<Response> {
    return fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature === undefined ? {} : { 'x-twilio-signature': signature }) },
      body: new URLSearchParams(params).toString(),
    });
  }

  const statusOf = async (c: ConversationRecord) => (await channels.listDeliveries(TENANT, c.conversationId))[0];

  it('a valid signature records the status (and the error code), forward only, idempotent', async () => {
    const { c, sid, url } = await sentSms();
    const delivered = { MessageSid: sid, MessageStatus: 'delivered', AccountSid: ACCOUNT_SID, To: PHONE };
    const response = await post(url, delivered, getExpectedTwilioSignature(AUTH_TOKEN, url, delivered));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/xml');
    expect(await response.text()).toContain('<Response/>');
    expect(await statusOf(c)).toMatchObject({ status: 'delivered' });
    // A late "sent" (out of order) and a replay change nothing.
    const late = { MessageSid: sid, MessageStatus: 'sent' };
    expect((await post(url, late, getExpectedTwilioSignature(AUTH_TOKEN, url, late))).status).toBe(200);
    expect((await post(url, delivered, getExpectedTwilioSignature(AUTH_TOKEN, url, delivered))).status).toBe(200);
    expect(await statusOf(c)).toMatchObject({ status: 'delivered' });
    const read = { MessageSid: sid, MessageStatus: 'read' };
    await post(url, read, getExpectedTwilioSignature(AUTH_TOKEN, url, read));
    expect(await statusOf(c)).toMatchObject({ status: 'read' });
  });

  it('records failures with their error code and lists them as failed deliveries', async () => {
    const { c, sid, url } = await sentSms();
    const failed = { MessageSid: sid, MessageStatus: 'undelivered', ErrorCode: '30003' };
    expect((await post(url, failed, getExpectedTwilioSignature(AUTH_TOKEN, url, failed))).status).toBe(200);
    expect(await statusOf(c)).toMatchObject({ status: 'undelivered', errorCode: '30003' });
    expect((await channels.listFailures(TENANT, 50)).some((f) => f.conversationId === c.conversationId && f.status === 'undelivered')).toBe(true);
  });

  it('a forged or missing signature is refused (403) and changes nothing', async () => {
    const { c, sid, url } = await sentSms();
    const params = { MessageSid: sid, MessageStatus: 'failed', ErrorCode: '30007' };
    const forged = getExpectedTwilioSignature(randomBytes(16).toString('hex'), url, params);
    expect((await post(url, params, forged)).status).toBe(403);
    expect((await post(url, params, undefined)).status).toBe(403);
    // Signed for other parameters, or for another URL (another delivery).
    expect((await post(url, params, getExpectedTwilioSignature(AUTH_TOKEN, url, { ...params, ErrorCode: '1' }))).status).toBe(403);
    expect((await post(url, params, getExpectedTwilioSignature(AUTH_TOKEN, url.replace('&g=0', '&g=1'), params))).status).toBe(403);
    expect(await statusOf(c)).toMatchObject({ status: 'queued' });
  });

  it('a verified but malformed callback is a 400 naming the field; another message sid is ignored', async () => {
    const { c, sid, url } = await sentSms();
    const bad = { MessageSid: 'nope', MessageStatus: 'delivered' };
    const response = await post(url, bad, getExpectedTwilioSignature(AUTH_TOKEN, url, bad));
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain('MessageSid');
    const other = { MessageSid: `SM${'f'.repeat(32)}`, MessageStatus: 'failed' };
    expect((await post(url, other, getExpectedTwilioSignature(AUTH_TOKEN, url, other))).status).toBe(200);
    expect(await statusOf(c)).toMatchObject({ status: 'queued', providerMessageId: sid });
  });

  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'receiving'])('a verified callback with MessageStatus=%s is a 400 naming the field, and changes nothing', async (status) => {
    const { c, sid, url } = await sentSms();
    const params = { MessageSid: sid, MessageStatus: status };
    const response = await post(url, params, getExpectedTwilioSignature(AUTH_TOKEN, url, params));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: { code: 'bad_request', field: 'MessageStatus', message: 'MessageStatus: is not a delivery status' } });
    expect(await statusOf(c)).toMatchObject({ status: 'queued', providerMessageId: sid });
  });
});

describe('public URL reconstruction (what Twilio signed)', () => {
  it('rebuilds the default execute-api URL with the stage, https and the query', () => {
    const url = publicUrlOf({
      headers: { Host: 'abc123.execute-api.eu-west-1.amazonaws.com', 'X-Forwarded-Proto': 'https' },
      path: '/v1/webhooks/twilio/harbour-dental/status',
      requestContext: { path: '/live/v1/webhooks/twilio/harbour-dental/status', domainName: 'abc123.execute-api.eu-west-1.amazonaws.com' },
      queryStringParameters: { c: 'abcdefgh12', s: '3', g: '0' },
      multiValueQueryStringParameters: { c: ['abcdefgh12'], s: ['3'], g: ['0'] },
    });
    expect(url).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com/live/v1/webhooks/twilio/harbour-dental/status?c=abcdefgh12&s=3&g=0');
  });

  it('uses the custom domain as called, and http on the loopback gateway', () => {
    expect(
      publicUrlOf({
        headers: { host: 'api.example.com', 'x-forwarded-proto': 'https' },
        path: '/v1/webhooks/twilio/t1/status',
        requestContext: { path: '/v1/webhooks/twilio/t1/status' },
        queryStringParameters: null,
        multiValueQueryStringParameters: null,
      }),
    ).toBe('https://api.example.com/v1/webhooks/twilio/t1/status');
    expect(
      publicUrlOf({ headers: { host: '127.0.0.1:4010' }, path: '/v1/x', requestContext: {}, queryStringParameters: { a: 'b c' }, multiValueQueryStringParameters: null }),
    ).toBe('http://127.0.0.1:4010/v1/x?a=b%20c');
  });
});
