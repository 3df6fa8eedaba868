/**
 * Twilio's Messages API as a channel transport (SMS and WhatsApp): `POST /2010-04-01/Accounts/{sid}/Messages.json`,
 * form-encoded, HTTP basic auth with the account SID and auth token. Free-form text goes as `Body`; a WhatsApp
 * template outside the 24-hour window as `ContentSid` + `ContentVariables`. `StatusCallback` points at our
 * delivery-status route. The API base is configurable so tests talk to a fake Twilio on loopback.
 */
import { z } from 'zod';
import type { ChannelSend, ChannelTransport, DeliveryStatus } from '../../core/channels/outbound';
import { DeliveryError } from '../../core/channels/outbound';
import { postForJson, type FetchLike } from './http';

export const TWILIO_API_BASE = 'https://api.twilio.com';

export interface TwilioSenderOptions {
  readonly accountSid: string;
  readonly authToken: string;
  /** E.164 SMS sender. */
  readonly smsFrom?: string;
  /** E.164 WhatsApp sender (without `whatsapp:`). */
  readonly whatsappFrom?: string;
  /** @default https://api.twilio.com */
  readonly apiBase?: string;
  readonly fetch?: FetchLike;
  /** @default 10000 */
  readonly timeoutMs?: number;
}

const created = z.object({ sid: z.string().min(1), status: z.string().optional() });
const twilioError = z.object({ code: z.number().optional(), message: z.string().optional() });

const knownStatus = z.enum(['accepted', 'queued', 'sent', 'delivered', 'read', 'undelivered', 'failed']);
/** A Twilio message status as ours (`sending`, `scheduled`, `receiving`… become `queued`). */
export function twilioStatus(status: string | undefined): DeliveryStatus {
  const parsed = knownStatus.safeParse(status);
  return parsed.success ? parsed.data : 'queued';
}

export class TwilioSender implements ChannelTransport {
  readonly provider = 'twilio' as const;

  constructor(private readonly options: TwilioSenderOptions) {}

  /** The form Twilio receives (exported for tests and docs). */
  form(message: ChannelSend): URLSearchParams {
    const whatsapp = message.channel === 'whatsapp';
    const from = whatsapp ? this.options.whatsappFrom : this.options.smsFrom;
    if (!from) throw new DeliveryError(true, 'no_sender', `no ${whatsapp ? 'WhatsApp' : 'SMS'} sender number is configured`);
    const form = new URLSearchParams();
    form.set('To', whatsapp ? `whatsapp:${message.to}` : message.to);
    form.set('From', whatsapp ? `whatsapp:${from}` : from);
    if (message.template) {
      form.set('ContentSid', message.template.contentSid);
      form.set('ContentVariables', JSON.stringify(message.template.variables));
    } else form.set('Body', message.text);
    if (message.statusCallback) form.set('StatusCallback', message.statusCallback);
    return form;
  }

  async send(message: ChannelSend): Promise<{ providerMessageId: string; status: DeliveryStatus }> {
    if (message.channel === 'messenger') throw new DeliveryError(true, 'wrong_channel', 'Twilio does not send Messenger messages');
    const { accountSid, authToken } = this.options;
    const url = `${(this.options.apiBase ?? TWILIO_API_BASE).replace(/\/$/, '')}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Messages.json`;
    const body = await postForJson(
      this.options.fetch ?? fetch,
      url,
      {
        headers: {
          authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: this.form(message).toString(),
        timeoutMs: this.options.timeoutMs ?? 10_000,
      },
      (status, raw) => {
        const parsed = twilioError.safeParse(raw);
        const code = parsed.success && parsed.data.code !== undefined ? String(parsed.data.code) : `http_${status}`;
        return { code, message: `Twilio ${status}${parsed.success && parsed.data.message ? `: ${parsed.data.message}` : ''}` };
      },
    );
    const parsed = created.safeParse(body);
    if (!parsed.success) throw new DeliveryError(false, 'bad_response', 'Twilio answered without a message sid');
    return { providerMessageId: parsed.data.sid, status: twilioStatus(parsed.data.status) };
  }
}
