/**
 * Picks the channel transport per tenant and channel: the tenant's own credentials (`integrationSecrets()`,
 * core/integrations.ts), else the environment's defaults (`TWILIO_ACCOUNT_SID` + `TWILIO_AUTH_TOKEN` with
 * `TWILIO_SMS_FROM` / `TWILIO_WHATSAPP_FROM`; `META_PAGE_ACCESS_TOKEN`), else the channel outbox in the table —
 * what the local cloud uses. Also: where a conversation's customer is reached (its channel identity), and the
 * Twilio status callback URL of a delivery.
 */
import { restRoutes } from '../../../lib/declaration';
import type { OutboundChannel } from '../../core/channels/format';
import type { ChannelDirectory, ChannelTransport, ChannelTransports, DeliveryRef, ResolvedTransport } from '../../core/channels/outbound';
import type { IntegrationCredentials } from '../../core/integrations';
import type { ConversationRecord } from '../../core/ports';
import type { FetchLike } from './http';
import { MetaSender } from './meta-sender';
import { TwilioSender } from './twilio-sender';

/** The environment's channel defaults (config.ts). */
export interface ChannelEnv {
  readonly TWILIO_ACCOUNT_SID?: string | undefined;
  readonly TWILIO_AUTH_TOKEN?: string | undefined;
  readonly TWILIO_SMS_FROM?: string | undefined;
  readonly TWILIO_WHATSAPP_FROM?: string | undefined;
  readonly TWILIO_API_BASE?: string | undefined;
  readonly META_PAGE_ACCESS_TOKEN?: string | undefined;
  readonly META_GRAPH_API_BASE?: string | undefined;
}

/** A tenant's stored Twilio / Meta credentials (IntegrationSecrets.get), if any. */
export interface ChannelCredentials {
  twilio(tenantId: string): Promise<IntegrationCredentials<'twilio'> | undefined>;
  meta(tenantId: string): Promise<IntegrationCredentials<'meta'> | undefined>;
}

export interface ResolvingTransportsOptions {
  readonly env: ChannelEnv;
  readonly credentials?: ChannelCredentials;
  /** Used when neither the tenant nor the environment has credentials. */
  readonly outbox: ChannelTransport;
  readonly fetch?: FetchLike;
}

export class ResolvingTransports implements ChannelTransports {
  constructor(private readonly options: ResolvingTransportsOptions) {}

  async forChannel(tenantId: string, channel: OutboundChannel): Promise<ResolvedTransport> {
    const { env, credentials, outbox } = this.options;
    const fetchOption = this.options.fetch ? { fetch: this.options.fetch } : {};
    if (channel === 'messenger') {
      const token = (await credentials?.meta(tenantId))?.pageAccessToken ?? env.META_PAGE_ACCESS_TOKEN;
      if (!token) return { transport: outbox };
      return { transport: new MetaSender({ pageAccessToken: token, ...(env.META_GRAPH_API_BASE ? { apiBase: env.META_GRAPH_API_BASE } : {}), ...fetchOption }) };
    }
    const apiBase = env.TWILIO_API_BASE ? { apiBase: env.TWILIO_API_BASE } : {};
    const own = await credentials?.twilio(tenantId);
    if (own) {
      return {
        transport: new TwilioSender({
          accountSid: own.accountSid,
          authToken: own.authToken,
          ...(own.smsFrom ? { smsFrom: own.smsFrom } : {}),
          ...(own.whatsappFrom ? { whatsappFrom: own.whatsappFrom } : {}),
          ...apiBase,
          ...fetchOption,
        }),
        ...(own.templates ? { templates: own.templates } : {}),
      };
    }
    if (env.TWILIO_ACCOUNT_SID && env.TWILIO_AUTH_TOKEN) {
      return {
        transport: new TwilioSender({
          accountSid: env.TWILIO_ACCOUNT_SID,
          authToken: env.TWILIO_AUTH_TOKEN,
          ...(env.TWILIO_SMS_FROM ? { smsFrom: env.TWILIO_SMS_FROM } : {}),
          ...(env.TWILIO_WHATSAPP_FROM ? { whatsappFrom: env.TWILIO_WHATSAPP_FROM } : {}),
          ...apiBase,
          ...fetchOption,
        }),
      };
    }
    return { transport: outbox };
  }
}

/** The auth token Twilio signs a tenant's webhooks with: the tenant's own, else the environment's. */
export async function twilioAuthTokenFor(tenantId: string, env: ChannelEnv, credentials?: ChannelCredentials): Promise<string | undefined> {
  return (await credentials?.twilio(tenantId))?.authToken ?? env.TWILIO_AUTH_TOKEN;
}

/**
 * Channel conversations keep the customer's identity as their visitor id (`whatsapp:+34…`, `sms:+34…`,
 * `messenger:<PSID>`, core/channels/identity.ts): the address is what follows the channel.
 */
export const identityDirectory: ChannelDirectory = {
  addressOf: async (_tenantId: string, conversation: ConversationRecord) => {
    const prefix = `${conversation.channel}:`;
    if (conversation.channel === 'web' || !conversation.visitorId.startsWith(prefix)) return undefined;
    const address = conversation.visitorId.slice(prefix.length);
    if (conversation.channel === 'messenger') return /^\d{1,64}$/.test(address) ? address : undefined;
    return /^\+[1-9]\d{6,14}$/.test(address) ? address : undefined;
  },
};

const statusRoute = restRoutes.find((r) => r.operationId === 'receiveTwilioStatus');

/**
 * The StatusCallback URL of a delivery: the status route with the delivery in the query (`c`, `s`, `g`), which
 * Twilio's signature covers. Undefined without a public API URL (the callback is then not requested).
 */
export function statusCallbackUrlFor(publicApiUrl: string | undefined): (ref: DeliveryRef) => string | undefined {
  return (ref) => {
    if (!publicApiUrl || !statusRoute) return undefined;
    const path = statusRoute.path.replace('{tenantId}', encodeURIComponent(ref.tenantId));
    return `${publicApiUrl.replace(/\/$/, '')}${path}?c=${encodeURIComponent(ref.conversationId)}&s=${ref.seq}&g=${ref.segment}`;
  };
}
