/**
 * The integrations part of the admin API: what is configured (summaries, never secrets), set or replace one
 * provider's credentials, remove them. Decoders are the types; the provider list is checked at compile time
 * against the server's (lambdas/core/integrations.ts, type-only import).
 */
import type { IntegrationProvider as ServerProvider } from '../../../../lambdas/core/integrations';
import type { ApiClient, RequestOptions } from '../../api/client';
import { DecodeError, array, isRecord, object, oneOf, string, type Decoder, type Infer } from '../../lib/decode';

export const providers = ['stripe', 'twilio', 'meta', 'google', 'microsoft', 'calendly', 'hubspot'] as const;
export type Provider = (typeof providers)[number];
/** Compile-time check: the UI knows exactly the server's providers. */
const sameProviders: readonly ServerProvider[] = providers;
void sameProviders;

const stringRecord: Decoder<Record<string, string>> = (value, path = '') => {
  if (!isRecord(value)) throw new DecodeError(path, 'an object');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) out[k] = string(v, `${path}.${k}`);
  return out;
};

export const integrationSummaryDecoder = object({ provider: oneOf(...providers), updatedAt: string, updatedBy: string, hints: stringRecord });
export type IntegrationSummary = Infer<typeof integrationSummaryDecoder>;
const listDecoder = object({ items: array(integrationSummaryDecoder) });
const putDecoder = object({ integration: integrationSummaryDecoder });
const removeDecoder = object({ removed: object({ provider: oneOf(...providers) }) });

export function integrationsApi(api: ApiClient) {
  return {
    list: async (o?: RequestOptions): Promise<IntegrationSummary[]> => (await api.call('GET', '/v1/admin/integrations', listDecoder, undefined, o)).items,
    /** The server validates the credentials with the provider's schema and names the failing field. */
    put: async (provider: Provider, credentials: Readonly<Record<string, unknown>>, o?: RequestOptions): Promise<IntegrationSummary> =>
      (await api.call('PUT', `/v1/admin/integrations/${provider}`, putDecoder, credentials, o)).integration,
    remove: async (provider: Provider, o?: RequestOptions): Promise<void> => {
      await api.call('DELETE', `/v1/admin/integrations/${provider}`, removeDecoder, undefined, o);
    },
  };
}
