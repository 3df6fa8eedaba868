/**
 * The channel simulator (local cloud only, never deployed): a page at `/simulator` on the local gateway where a
 * person plays a customer on WhatsApp, SMS or Messenger.
 *
 * Sending builds the webhook exactly as the provider would — Twilio's form fields signed with the twilio SDK's
 * own `getExpectedTwilioSignature` over the full URL, Meta's JSON signed with `sha256=` HMAC-SHA256 of the body
 * with the app secret — using the secrets the webhook functions verify with (the tenant's own credentials, else
 * the local defaults made at start), and POSTs it to the REAL webhook routes of the gateway. The transcript shows
 * the identity's conversation: what the customer sent (from the conversation store) and what the business sent
 * back on the channel (from the local channel outbox the senders write, or the conversation when none is given).
 * Nothing secret reaches the page.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import twilio from 'twilio';
import { z } from 'zod';
import type { ConversationStore } from '../lambdas/core/ports';
import { escapeHtml } from './checkout';
import type { PageMount } from './gateway';

export const SIMULATOR_PREFIX = '/simulator';

/** A message the business sent to the identity on its channel (the local channel outbox). */
export interface SimulatedOutboundMessage {
  readonly id: string;
  readonly createdAt: string;
  readonly conversationId: string;
  readonly seq: number;
  readonly segment: number;
  readonly kind: string;
  readonly text: string;
  readonly buttons?: readonly { readonly title: string }[];
}

export interface ChannelSimulatorOptions {
  /** The local gateway's base URL (`http://127.0.0.1:PORT`): webhooks go to its declared routes. */
  readonly gatewayUrl: () => string;
  /** The tenant the page starts with (the seeded demo business). */
  readonly defaultTenantId: () => string | undefined;
  /** The secrets the webhook functions verify with, per tenant. */
  readonly secrets: {
    readonly twilioAuthToken: (tenantId: string) => Promise<string | undefined>;
    readonly metaAppSecret: (tenantId: string) => Promise<string | undefined>;
  };
  readonly conversations: () => Pick<ConversationStore, 'getVisitorConversation' | 'getConversation' | 'listMessages'>;
  /** The local channel outbox; absent: the business's side is read from the conversation. */
  readonly outbox?: () => {
    listOutbox(tenantId: string, options: { readonly limit: number; readonly to?: string; readonly channel?: string }): Promise<readonly SimulatedOutboundMessage[]>;
  };
  readonly log: (line: string) => void;
}

/** The simulated business numbers and page (what the tenant's Twilio number and Facebook Page would be). */
export const SIMULATED = {
  accountSid: `AC${'0'.repeat(31)}1`,
  smsNumber: '+15550100100',
  whatsappNumber: '+15550100101',
  pageId: '100000000000001',
} as const;

const identitySchema = z.object({
  tenantId: z.string().regex(/^[a-z0-9][a-z0-9-]{1,39}$/, 'must be a tenant id'),
  channel: z.enum(['whatsapp', 'sms', 'messenger']),
  from: z.string().trim(),
});
const sendSchema = identitySchema.extend({ text: z.string().trim().min(1, 'type a message').max(1600) });

function checkFrom(channel: 'whatsapp' | 'sms' | 'messenger', from: string): string | undefined {
  if (channel === 'messenger') return /^\d{1,32}$/.test(from) ? undefined : 'from: a Messenger sender id is digits only';
  return /^\+[1-9]\d{6,14}$/.test(from) ? undefined : 'from: must be an E.164 number such as +34600111222';
}

/** Twilio's incoming-message form fields for a simulated customer message. */
export function twilioForm(channel: 'whatsapp' | 'sms', from: string, text: string): Record<string, string> {
  const whatsapp = channel === 'whatsapp';
  const sid = `SM${randomBytes(16).toString('hex')}`;
  return {
    ToCountry: 'US',
    SmsMessageSid: sid,
    NumMedia: '0',
    SmsSid: sid,
    SmsStatus: 'received',
    Body: text,
    To: whatsapp ? `whatsapp:${SIMULATED.whatsappNumber}` : SIMULATED.smsNumber,
    NumSegments: '1',
    MessageSid: sid,
    AccountSid: SIMULATED.accountSid,
    From: whatsapp ? `whatsapp:${from}` : from,
    ApiVersion: '2010-04-01',
    ...(whatsapp ? { ProfileName: 'Simulated customer', WaId: from.slice(1), MessageType: 'text' } : {}),
  };
}

/** Meta's Messenger webhook body for a simulated customer message. */
export function messengerBody(psid: string, text: string, now: Date): string {
  const time = now.getTime();
  return JSON.stringify({
    object: 'page',
    entry: [
      {
        id: SIMULATED.pageId,
        time,
        messaging: [{ sender: { id: psid }, recipient: { id: SIMULATED.pageId }, timestamp: time, message: { mid: `m_${randomBytes(24).toString('base64url')}`, text } }],
      },
    ],
  });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > 16_384) throw new Error('body too large');
    chunks.push(buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(JSON.stringify(body));
}

/** The simulator page and its two small JSON endpoints, to mount on the local gateway. */
export function channelSimulatorPage(options: ChannelSimulatorOptions): PageMount {
  /** Signs and delivers one customer message to the real webhook route; the route's status and body. */
  const deliver = async (input: z.infer<typeof sendSchema>): Promise<{ status: number; body: string }> => {
    const base = options.gatewayUrl().replace(/\/$/, '');
    if (input.channel === 'messenger') {
      const secret = await options.secrets.metaAppSecret(input.tenantId);
      if (!secret) return { status: 409, body: 'no Meta app secret for this tenant' };
      const payload = messengerBody(input.from, input.text, new Date());
      const signature = `sha256=${createHmac('sha256', secret).update(payload).digest('hex')}`;
      const response = await fetch(`${base}/v1/webhooks/meta/${input.tenantId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature, 'user-agent': 'facebookexternalua' },
        body: payload,
      });
      return { status: response.status, body: await response.text() };
    }
    const token = await options.secrets.twilioAuthToken(input.tenantId);
    if (!token) return { status: 409, body: 'no Twilio auth token for this tenant' };
    const url = `${base}/v1/webhooks/twilio/${input.tenantId}`;
    const form = twilioForm(input.channel, input.from, input.text);
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        'x-twilio-signature': twilio.getExpectedTwilioSignature(token, url, form),
        'user-agent': 'TwilioProxy/1.1',
      },
      body: new URLSearchParams(form).toString(),
    });
    return { status: response.status, body: await response.text() };
  };

  const transcript = async (input: z.infer<typeof identitySchema>) => {
    const identity = `${input.channel}:${input.from}`;
    const store = options.conversations();
    const conversationId = await store.getVisitorConversation(input.tenantId, identity);
    const conversation = conversationId ? await store.getConversation(input.tenantId, conversationId) : undefined;
    if (!conversation) return { messages: [] };
    const stored = await store.listMessages(input.tenantId, conversation.conversationId, 0, 500);
    const sent = stored.filter((m) => m.role === 'customer').map((m) => ({ id: `c${m.seq}`, at: m.createdAt, direction: 'in', text: m.text }));
    const received = options.outbox
      ? (await options.outbox().listOutbox(input.tenantId, { limit: 200, to: input.from, channel: input.channel }))
          .filter((m) => m.conversationId === conversation.conversationId)
          .map((m) => ({ id: m.id, at: m.createdAt, direction: 'out', text: m.text, kind: m.kind, ...(m.buttons ? { buttons: m.buttons.map((b) => b.title) } : {}) }))
      : stored.filter((m) => m.role !== 'customer').map((m) => ({ id: `b${m.seq}`, at: m.createdAt, direction: 'out', text: m.text, kind: m.role }));
    const messages = [...sent, ...received].sort((a, b) => a.at.localeCompare(b.at) || a.id.localeCompare(b.id));
    return { conversationId: conversation.conversationId, mode: conversation.mode, messages };
  };

  return {
    prefix: SIMULATOR_PREFIX,
    async handle(req, res, url) {
      const method = (req.method ?? 'GET').toUpperCase();
      const path = url.pathname.replace(/\/+$/, '') || '/';
      try {
        if (path === SIMULATOR_PREFIX && (method === 'GET' || method === 'HEAD')) return page(res, options.defaultTenantId() ?? '');
        if (path === `${SIMULATOR_PREFIX}/api/messages` && method === 'GET') {
          const parsed = identitySchema.safeParse(Object.fromEntries(url.searchParams));
          if (!parsed.success) return json(res, 400, { error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
          const problem = checkFrom(parsed.data.channel, parsed.data.from);
          if (problem) return json(res, 400, { error: problem });
          return json(res, 200, await transcript(parsed.data));
        }
        if (path === `${SIMULATOR_PREFIX}/api/send` && method === 'POST') {
          const parsed = sendSchema.safeParse(await readJson(req).catch(() => undefined));
          if (!parsed.success) return json(res, 400, { error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
          const problem = checkFrom(parsed.data.channel, parsed.data.from);
          if (problem) return json(res, 400, { error: problem });
          const delivered = await deliver(parsed.data);
          if (delivered.status >= 300) options.log(`simulator: the ${parsed.data.channel} webhook answered ${delivered.status}`);
          return json(res, delivered.status < 300 ? 200 : 502, { webhookStatus: delivered.status, webhookBody: delivered.body.slice(0, 500) });
        }
        return json(res, 404, { error: 'not found' });
      } catch (error) {
        options.log(`simulator: ${error instanceof Error ? error.message : String(error)}`);
        return json(res, 500, { error: 'the simulator failed; see the local cloud log' });
      }
    },
  };
}

const STYLE = `body{font-family:system-ui,sans-serif;background:#eef1f4;color:#1f2933;margin:0}
main{max-width:34rem;margin:2rem auto;background:#fff;border-radius:12px;padding:1.5rem;box-shadow:0 2px 12px rgba(0,0,0,.08)}
h1{font-size:1.3rem;margin:0 0 .25rem}p.note{color:#52606d;font-size:.85rem;margin:.25rem 0 1rem}
fieldset{border:0;padding:0;margin:0 0 1rem;display:grid;grid-template-columns:repeat(3,1fr);gap:.5rem}
label{display:flex;flex-direction:column;font-size:.8rem;gap:.2rem}input,select,button{font:inherit;padding:.45rem .6rem;border:1px solid #9aa5b1;border-radius:6px}
ol{list-style:none;padding:.75rem;margin:0 0 1rem;background:#e7ddd3;border-radius:8px;min-height:16rem;max-height:28rem;overflow-y:auto;display:flex;flex-direction:column;gap:.4rem}
li{max-width:80%;padding:.45rem .65rem;border-radius:8px;white-space:pre-wrap;word-break:break-word}
li.msg--in{align-self:flex-end;background:#d9fdd3}li.msg--out{align-self:flex-start;background:#fff}
li .buttons{display:block;margin-top:.3rem;font-size:.8rem;color:#0f766e}
form.compose{display:flex;gap:.5rem}form.compose input{flex:1}button{background:#0f766e;color:#fff;border-color:#0f766e;cursor:pointer}
button:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
#status{font-size:.8rem;color:#b42318;min-height:1.2em;margin:.5rem 0 0}`;

const SCRIPT = `(() => {
  const $ = (id) => document.getElementById(id);
  const channel = $('channel'), from = $('from'), tenant = $('tenant'), list = $('transcript'), status = $('status');
  const defaults = { whatsapp: '+34600111222', sms: '+34600111222', messenger: '2000000000000001' };
  let shown = '';
  const identity = () => new URLSearchParams({ tenantId: tenant.value.trim(), channel: channel.value, from: from.value.trim() });
  async function refresh() {
    try {
      const response = await fetch('${SIMULATOR_PREFIX}/api/messages?' + identity().toString(), { cache: 'no-store' });
      const data = await response.json();
      if (!response.ok) { status.textContent = data.error || 'cannot read the conversation'; return; }
      const key = JSON.stringify(data.messages);
      if (key === shown) return;
      shown = key;
      list.replaceChildren(...data.messages.map((m) => {
        const li = document.createElement('li');
        li.className = m.direction === 'in' ? 'msg--in' : 'msg--out';
        if (m.kind) li.dataset.kind = m.kind;
        li.textContent = m.text;
        if (m.buttons && m.buttons.length) {
          const b = document.createElement('span');
          b.className = 'buttons';
          b.textContent = m.buttons.map((t) => '[' + t + ']').join(' ');
          li.append(b);
        }
        return li;
      }));
      list.scrollTop = list.scrollHeight;
    } catch (e) { status.textContent = 'cannot reach the local cloud'; }
  }
  channel.addEventListener('change', () => { from.value = defaults[channel.value]; shown = ''; refresh(); });
  from.addEventListener('change', () => { shown = ''; refresh(); });
  tenant.addEventListener('change', () => { shown = ''; refresh(); });
  $('compose').addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = $('text').value.trim();
    if (!text) return;
    status.textContent = '';
    const response = await fetch('${SIMULATOR_PREFIX}/api/send', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tenantId: tenant.value.trim(), channel: channel.value, from: from.value.trim(), text }),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) { status.textContent = data.error || ('the webhook answered ' + data.webhookStatus); return; }
    $('text').value = '';
    refresh();
  });
  setInterval(refresh, 1000);
  refresh();
})();`;

function page(res: ServerResponse, tenantId: string): void {
  const nonce = randomBytes(16).toString('base64');
  const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Channel simulator</title><style>${STYLE}</style></head>
<body><main>
<h1>Channel simulator</h1>
<p class="note">Local cloud only: messages are signed like Twilio's and Meta's webhooks and sent through the real webhook routes; replies come from the local channel outbox.</p>
<fieldset>
<label>Business (tenant id)<input id="tenant" value="${escapeHtml(tenantId)}" autocomplete="off"></label>
<label>Channel<select id="channel"><option value="whatsapp">WhatsApp</option><option value="sms">SMS</option><option value="messenger">Messenger</option></select></label>
<label>Customer (phone or PSID)<input id="from" value="+34600111222" autocomplete="off"></label>
</fieldset>
<ol id="transcript" aria-label="Conversation" aria-live="polite"></ol>
<form id="compose" class="compose"><input id="text" aria-label="Message" autocomplete="off" maxlength="1600" placeholder="Type a message"><button type="submit">Send</button></form>
<p id="status" role="status"></p>
</main>
<script nonce="${nonce}">${SCRIPT}</script>
</body>
</html>`;
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-${nonce}'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'`,
  });
  res.end(html);
}
