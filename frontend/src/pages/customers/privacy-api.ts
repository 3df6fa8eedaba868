/**
 * The privacy part of the admin API (handlers/privacy-api.ts): the retention period, and one customer's data —
 * what we hold (counts), the subject-access export (JSON), erasure. Customers are named `phone:+34…`,
 * `email:…` or by a channel identity, URL-encoded in the path.
 */
import type { ApiClient, RequestOptions } from '../../api/client';
import { DecodeError, array, boolean, isRecord, number, object, optional, string, type Decoder, type Infer } from '../../lib/decode';

const counts: Decoder<Record<string, number>> = (value, path = '') => {
  if (!isRecord(value)) throw new DecodeError(path, 'an object');
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(value)) out[k] = number(v, `${path}.${k}`);
  return out;
};
const retention: Decoder<number | null> = (value, path = '') => (value === null ? null : number(value, path));
const anyObject: Decoder<Record<string, unknown>> = (value, path = '') => {
  if (!isRecord(value)) throw new DecodeError(path, 'an object');
  return value;
};

export const privacySettingsDecoder = object({ retentionDays: retention });
export type PrivacySettings = Infer<typeof privacySettingsDecoder>;
export const customerSummaryDecoder = object({
  customerKey: string,
  customerRef: string,
  /** Every customer key the data was found under: a phone and an e-mail given together are one person. */
  customerKeys: optional(array(string)),
  identities: array(string),
  conversations: number,
  bookings: number,
  counts,
});
export type CustomerSummary = Infer<typeof customerSummaryDecoder>;
const erasureDecoder = object({ customerRef: string, erased: boolean, counts });
export type CustomerErasure = Infer<typeof erasureDecoder>;

/** `+34 600 111 222` → `phone:+34600111222`, `ana@example.com` → `email:ana@example.com`; keys and identities as typed. */
export function customerKeyFromInput(input: string): string {
  const value = input.trim();
  if (/^[a-z]+:/i.test(value)) return value;
  if (value.includes('@')) return `email:${value.toLowerCase()}`;
  return `phone:${value.replace(/[\s().-]/g, '').replace(/^00/, '+')}`;
}

export function privacyApi(api: ApiClient) {
  const path = (customerKey: string): string => `/v1/admin/customers/${encodeURIComponent(customerKey)}`;
  return {
    getSettings: (o?: RequestOptions): Promise<PrivacySettings> => api.call('GET', '/v1/admin/privacy', privacySettingsDecoder, undefined, o),
    putSettings: (settings: PrivacySettings, o?: RequestOptions): Promise<PrivacySettings> => api.call('PUT', '/v1/admin/privacy', privacySettingsDecoder, settings, o),
    find: (customerKey: string, o?: RequestOptions): Promise<CustomerSummary> => api.call('GET', path(customerKey), customerSummaryDecoder, undefined, o),
    exportData: (customerKey: string, o?: RequestOptions): Promise<Record<string, unknown>> => api.call('GET', `${path(customerKey)}/export`, anyObject, undefined, o),
    erase: (customerKey: string, o?: RequestOptions): Promise<CustomerErasure> => api.call('DELETE', path(customerKey), erasureDecoder, { confirm: customerKey }, o),
  };
}
