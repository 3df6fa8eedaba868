/**
 * Meta's Send API as the Messenger transport: `POST /v21.0/me/messages?access_token=<page token>` with the
 * recipient's page-scoped id, `messaging_type` RESPONSE (within the 24-hour window) or MESSAGE_TAG with a tag
 * outside it, the text and up to 13 quick reply buttons. The token travels only in the query, never in a log.
 */
import { z } from 'zod';
import type { ChannelSend, ChannelTransport, DeliveryStatus } from '../../core/channels/outbound';
import { DeliveryError } from '../../core/channels/outbound';
import { postForJson, type FetchLike } from './http';

export const META_GRAPH_API_BASE = 'https://graph.facebook.com';
export const META_GRAPH_VERSION = 'v21.0';

export interface MetaSenderOptions {
  readonly pageAccessToken: string;
  /** @default https://graph.facebook.com */
  readonly apiBase?: string;
  readonly fetch?: FetchLike;
  /** @default 10000 */
  readonly timeoutMs?: number;
}

const sent = z.object({ message_id: z.string().min(1) });
const metaError = z.object({ error: z.object({ message: z.string().optional(), code: z.number().optional(), error_subcode: z.number().optional() }) });

/** The Send API request body (exported for tests and docs). */
export function sendApiBody(message: ChannelSend): Record<string, unknown> {
  return {
    recipient: { id: message.to },
    messaging_type: message.tag ? 'MESSAGE_TAG' : 'RESPONSE',
    ...(message.tag ? { tag: message.tag } : {}),
    message: {
      text: message.text,
      ...(message.buttons && message.buttons.length > 0
        ? { quick_replies: message.buttons.map((b) => ({ content_type: 'text', title: b.title, payload: b.payload })) }
        : {}),
    },
  };
}

export class MetaSender implements ChannelTransport {
  readonly provider = 'meta' as const;

  constructor(private readonly options: MetaSenderOptions) {}

  async send(message: ChannelSend): Promise<{ providerMessageId: string; status: DeliveryStatus }> {
    if (message.channel !== 'messenger') throw new DeliveryError(true, 'wrong_channel', 'the Send API sends Messenger messages only');
    const base = (this.options.apiBase ?? META_GRAPH_API_BASE).replace(/\/$/, '');
    const url = `${base}/${META_GRAPH_VERSION}/me/messages?access_token=${encodeURIComponent(this.options.pageAccessToken)}`;
    const body = await postForJson(
      this.options.fetch ?? fetch,
      url,
      { headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(sendApiBody(message)), timeoutMs: this.options.timeoutMs ?? 10_000 },
      (status, raw) => {
        const parsed = metaError.safeParse(raw);
        const code = parsed.success && parsed.data.error.code !== undefined ? String(parsed.data.error.code) : `http_${status}`;
        return { code, message: `Meta ${status}${parsed.success && parsed.data.error.message ? `: ${parsed.data.error.message}` : ''}` };
      },
    );
    const parsed = sent.safeParse(body);
    if (!parsed.success) throw new DeliveryError(false, 'bad_response', 'Meta answered without a message id');
    return { providerMessageId: parsed.data.message_id, status: 'sent' };
  }
}
