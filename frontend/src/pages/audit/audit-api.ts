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

/**
 * A date picked in the browser as the instant its day starts or ends there: the log shows times in the browser's
 * time zone, so "2 March" means 2 March as the table labels it, not the UTC day (which a Madrid admin's 00:30 misses).
 */
export function localDayBoundary(date: string, side: 'start' | 'end', timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return date;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const wall = side === 'start' ? Date.UTC(y, m - 1, d, 0, 0, 0, 0) : Date.UTC(y, m - 1, d, 23, 59, 59, 999);
  // The instant whose wall-clock time in the zone is `wall`: subtract the zone's offset, checked again at the result
  // (the offset may differ there on the day the clocks change).
  const first = wall - offsetMs(wall, timeZone);
  return new Date(wall - offsetMs(first, timeZone)).toISOString();
}

/** How far the zone's wall clock is ahead of UTC at `instant`, in milliseconds. */
function offsetMs(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(instant);
  const part = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
  return asUtc - (instant - (((instant % 1000) + 1000) % 1000));
}

/** The query string of one page of the log. */
export function auditQuery(filters: AuditFilters, cursor?: string, limit = 25, timeZone?: string): string {
  const params = new URLSearchParams();
  for (const key of ['actor', 'action'] as const) {
    const value = filters[key].trim();
    if (value !== '') params.set(key, value);
  }
  if (filters.from.trim() !== '') params.set('from', localDayBoundary(filters.from.trim(), 'start', timeZone));
  if (filters.to.trim() !== '') params.set('to', localDayBoundary(filters.to.trim(), 'end', timeZone));
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
