/**
 * The audit log part of the admin API (read only: there is no route that changes an entry): decoders (the
 * decoders are the types) and a small client built on `ApiClient.call`. Redaction happens on the server
 * (lambdas/core/audit.ts); the page shows what it gets.
 */
import type { ApiClient, RequestOptions } from '../../api/client';
import { array, object, oneOf, optional, string, type Decoder, type Infer } from '../../lib/decode';

/** A summary's before / after: small JSON, shown as it is. */
const json: Decoder<unknown> = (value) => value;

export const auditEntryDecoder = object({
  auditId: string,
  at: string,
  actor: object({ sub: optional(string), email: optional(string), role: optional(oneOf('admin', 'agent')), system: optional(string) }),
  action: string,
  target: string,
  summary: object({ before: optional(json), after: optional(json) }),
  sourceIp: optional(string),
  correlationId: optional(string),
});
export type AuditEntry = Infer<typeof auditEntryDecoder>;

const pageDecoder = object({ items: array(auditEntryDecoder), nextCursor: optional(string) });
export type AuditPage = Infer<typeof pageDecoder>;

/** The page's filters: empty strings mean "any". `from` / `to` are dates (YYYY-MM-DD). */
export interface AuditFilters {
  readonly actor: string;
  readonly action: string;
  readonly from: string;
  readonly to: string;
}

export const noFilters: AuditFilters = { actor: '', action: '', from: '', to: '' };

/** The query string of one page of the log. */
export function auditQuery(filters: AuditFilters, cursor?: string, limit = 25): string {
  const params = new URLSearchParams();
  for (const key of ['actor', 'action', 'from', 'to'] as const) {
    const value = filters[key].trim();
    if (value !== '') params.set(key, value);
  }
  if (cursor !== undefined) params.set('cursor', cursor);
  params.set('limit', String(limit));
  return params.toString();
}

export interface AuditApi {
  list(filters: AuditFilters, cursor?: string, options?: RequestOptions): Promise<AuditPage>;
}

export function auditApi(api: ApiClient): AuditApi {
  return {
    list: (filters, cursor, o) => api.call('GET', `/v1/admin/audit?${auditQuery(filters, cursor)}`, pageDecoder, undefined, o),
  };
}

/** Who, in words: the staff member's e-mail and role, or the system actor. */
export function actorLabel(actor: AuditEntry['actor']): string {
  if (actor.system !== undefined) return `system: ${actor.system}`;
  return `${actor.email ?? actor.sub ?? 'unknown'}${actor.role !== undefined ? ` (${actor.role})` : ''}`;
}
