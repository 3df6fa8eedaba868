/**
 * The exact public URL a provider called, rebuilt from an API Gateway (REST, v1) proxy event — what Twilio signs
 * (`X-Twilio-Signature` covers the full URL, query included). Shared by every Twilio route (inbound messages,
 * delivery statuses).
 *
 * - scheme: `X-Forwarded-Proto` (API Gateway always sets `https`); without it, `http` for a loopback host (the local
 *   gateway) and `https` otherwise;
 * - host: the `Host` header, else `requestContext.domainName`;
 * - path: `requestContext.path`, the path as called — with the stage on the default `execute-api` endpoint
 *   (`/live/v1/…`), with the base path on a custom domain — else the event's `path`;
 * - query: the parameters in the order received, each `encodeURIComponent`-encoded. API Gateway hands them over
 *   decoded, so a URL that encodes differently (`+` for a space) cannot be rebuilt byte for byte: the URLs we give
 *   Twilio use only unreserved characters in their query.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';

export type UrlSource = Pick<APIGatewayProxyEvent, 'headers' | 'path' | 'queryStringParameters' | 'multiValueQueryStringParameters'> & {
  readonly requestContext: { readonly path?: string; readonly domainName?: string };
};

/** A header's value, whatever its case. */
export function headerOf(headers: APIGatewayProxyEvent['headers'] | null | undefined, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(headers ?? {})) if (k.toLowerCase() === wanted && typeof v === 'string') return v;
  return undefined;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/i;

/** The query string as received (without `?`), empty when there is none. */
export function queryStringOf(event: Pick<UrlSource, 'queryStringParameters' | 'multiValueQueryStringParameters'>): string {
  const pairs: string[] = [];
  const multi = event.multiValueQueryStringParameters;
  if (multi && Object.keys(multi).length > 0) {
    for (const [k, values] of Object.entries(multi)) for (const v of values ?? []) pairs.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  } else {
    for (const [k, v] of Object.entries(event.queryStringParameters ?? {})) if (v !== undefined) pairs.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  }
  return pairs.join('&');
}

/** The URL the caller requested (see the module comment). */
export function publicUrlOf(event: UrlSource): string {
  const host = headerOf(event.headers, 'Host') ?? event.requestContext.domainName ?? 'localhost';
  const forwarded = headerOf(event.headers, 'X-Forwarded-Proto')?.split(',')[0]?.trim().toLowerCase();
  const scheme = forwarded === 'http' || forwarded === 'https' ? forwarded : LOOPBACK.test(host) ? 'http' : 'https';
  const path = event.requestContext.path ?? event.path;
  const query = queryStringOf(event);
  return `${scheme}://${host}${path}${query ? `?${query}` : ''}`;
}

/** The body as sent: API Gateway base64-encodes it for binary media types. */
export function rawBodyOf(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>): string {
  const body = event.body ?? '';
  return event.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
}

/** A form-encoded body as the flat object signature helpers take (a repeated field keeps its last value). */
export function formParamsOf(raw: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(raw).entries());
}
