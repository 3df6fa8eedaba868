/**
 * The widget part of the admin API: `GET /v1/admin/widget` (staff) and
 * `PUT /v1/admin/widget` (admins). The decoder is the type (the server's is
 * `WidgetSettingsView` in lambdas/core/widget-settings.ts, which imports
 * node:crypto and so stays out of the browser's type check).
 */
import type { ApiClient, RequestOptions } from '../../api/client';
import { DecodeError, array, isRecord, object, oneOf, optional, string, type Decoder, type Infer } from '../../lib/decode';

const stringRecord: Decoder<Record<string, string>> = (value, path = '') => {
  if (!isRecord(value)) throw new DecodeError(path, 'an object');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) out[k] = string(v, `${path}.${k}`);
  return out;
};

export const widgetSettingsDecoder = object({
  widgetKey: string,
  colour: string,
  position: oneOf('right', 'left'),
  greeting: stringRecord,
  languages: array(string),
  logoUrl: optional(string),
  allowedOrigins: array(string),
  revision: string,
  supportedLanguages: array(string),
  loaderUrl: optional(string),
  snippet: optional(string),
});

export type WidgetSettings = Infer<typeof widgetSettingsDecoder>;

/** What PUT takes: every setting, and the revision the edit started from. */
export interface WidgetSettingsInput {
  readonly colour: string;
  readonly position: 'right' | 'left';
  readonly greeting: Readonly<Record<string, string>>;
  readonly languages: readonly string[];
  readonly logoUrl?: string;
  readonly allowedOrigins: readonly string[];
  readonly revision: string;
}

export interface WidgetApi {
  get(options?: RequestOptions): Promise<WidgetSettings>;
  put(input: WidgetSettingsInput, options?: RequestOptions): Promise<WidgetSettings>;
}

export function widgetApi(api: ApiClient): WidgetApi {
  return {
    get: (o) => api.call('GET', '/v1/admin/widget', widgetSettingsDecoder, undefined, o),
    put: (input, o) => api.call('PUT', '/v1/admin/widget', widgetSettingsDecoder, input, o),
  };
}
