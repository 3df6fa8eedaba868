/**
 * The analytics part of the admin API (lambdas/core/analytics/contract.ts is the contract): the report for a
 * date range, its CSV export, the knowledge gaps and their resolution, and the FAQ that answers a gap.
 * Decoders are the types; a compile-time check keeps them assignable to the server's zod-inferred types
 * (type-only import: zod never reaches the browser).
 */
import type { AnalyticsReport as ServerReport, KnowledgeGap as ServerGap } from '../../../../lambdas/core/analytics/contract';
import type { ApiClient, RequestOptions } from '../../api/client';
import { ApiError, isAbortError, networkError, parseApiError, parseJsonBody } from '../../lib/api-error';
import { apiEndpoint, CONFIG_URL, loadConfig } from '../../lib/config';
import { DecodeError, array, isRecord, number, object, string, type Decoder, type Infer } from '../../lib/decode';
import { resolveApiUrl } from '../../lib/url';
import { csvFilename, filenameFromDisposition, type DayRange } from './analytics';
import type { Download } from '../../lib/download';

const nullableNumber: Decoder<number | null> = (value, path = '') => (value === null ? null : number(value, path));

const counts: Decoder<Record<string, number>> = (value, path = '') => {
  if (!isRecord(value)) throw new DecodeError(path, 'an object');
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(value)) out[k] = number(v, `${path}.${k}`);
  return out;
};

const metricFields = {
  conversations: number,
  conversationsByChannel: counts,
  messages: number,
  messagesByChannel: counts,
  answered: number,
  unanswered: number,
  resolvedConfirmed: number,
  resolvedAssumed: number,
  handoffs: number,
  handoffReasons: counts,
  firstResponseMsSum: number,
  firstResponseCount: number,
  responseMsSum: number,
  responseCount: number,
  humanAcceptMsSum: number,
  humanAcceptCount: number,
  csatSum: number,
  csatCount: number,
  bookingsMade: number,
  bookingsCancelled: number,
  bookingsNoShow: number,
  depositsCents: number,
  depositsRefundedCents: number,
};

export const analyticsReportDecoder = object({
  from: string,
  to: string,
  timezone: string,
  currency: string,
  days: array(object({ day: string, ...metricFields })),
  totals: object(metricFields),
  rates: object({
    resolutionRate: nullableNumber,
    handoffRate: nullableNumber,
    avgFirstResponseMs: nullableNumber,
    avgResponseMs: nullableNumber,
    avgHumanAcceptMs: nullableNumber,
    csatAverage: nullableNumber,
  }),
  topQuestions: array(object({ sourceId: string, title: string, count: number })),
});
export type AnalyticsReport = Infer<typeof analyticsReportDecoder>;
export type DayMetrics = AnalyticsReport['totals'];

export const knowledgeGapDecoder = object({
  gapId: string,
  question: string,
  lang: string,
  count: number,
  firstAskedAt: string,
  lastAskedAt: string,
  conversationIds: array(string),
});
export type KnowledgeGap = Infer<typeof knowledgeGapDecoder>;

/** Compile-time checks: what the UI decodes is what the server's contract says it sends. */
const sameReport = (r: AnalyticsReport): ServerReport => r;
const sameGap = (g: KnowledgeGap): ServerGap => g;
void sameReport;
void sameGap;

const gapListDecoder = object({ items: array(knowledgeGapDecoder) });
const resolveResultDecoder: Decoder<unknown> = (value) => value;

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface AnalyticsApi {
  /** The report of `range`; none: the server's default range (the last 7 days in the business's time zone). */
  report(range: DayRange | undefined, options?: RequestOptions): Promise<AnalyticsReport>;
  gaps(options?: RequestOptions): Promise<KnowledgeGap[]>;
  /** Admins only: the FAQ now answering the gap (saved first through knowledge/knowledge-api.ts), or a dismissal. */
  resolveGap(gapId: string, resolution: { readonly faqId: string } | { readonly dismiss: true }, options?: RequestOptions): Promise<void>;
  /** Admins only: creates or replaces an FAQ. */
  /** The range's CSV export, fetched with the staff member's token (a plain link could not send it). */
  exportCsv(range: DayRange, options?: RequestOptions & { readonly businessSlug?: string }): Promise<Download>;
}

export interface AnalyticsApiOptions {
  /** The REST API's base URL; read from config.json (as App.tsx does) when absent. */
  readonly apiUrl?: string;
  readonly fetch?: FetchLike;
}

const rangeQuery = (range: DayRange): string => new URLSearchParams({ from: range.from, to: range.to }).toString();

export function analyticsApi(api: ApiClient, options: AnalyticsApiOptions = {}): AnalyticsApi {
  const doFetch: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  let base: Promise<string> | undefined;
  const apiBase = (): Promise<string> => {
    if (options.apiUrl !== undefined) return Promise.resolve(options.apiUrl);
    base ??= loadConfig(doFetch, CONFIG_URL).then((r) => {
      if (!r.ok) {
        base = undefined;
        throw new ApiError({ status: 0, code: 'config', message: `Could not read the app's configuration (${r.problems.join('; ')}).` });
      }
      return resolveApiUrl(r.config.apiUrl, window.location.href);
    });
    return base;
  };

  return {
    report: (range, o) => api.call('GET', range ? `/v1/admin/analytics?${rangeQuery(range)}` : '/v1/admin/analytics', analyticsReportDecoder, undefined, o),
    gaps: async (o) => (await api.call('GET', '/v1/admin/analytics/gaps', gapListDecoder, undefined, o)).items,
    resolveGap: async (gapId, resolution, o) => {
      await api.call('POST', `/v1/admin/analytics/gaps/${encodeURIComponent(gapId)}/resolve`, resolveResultDecoder, resolution, o);
    },
    exportCsv: async (range, o) => {
      const url = apiEndpoint(await apiBase(), `/v1/admin/analytics/export?${rangeQuery(range)}`);
      const token = await api.idToken();
      if (!token) throw new ApiError({ status: 401, code: 'unauthenticated', message: 'You are signed out. Sign in again.' });
      let response: Response;
      try {
        response = await doFetch(url, { headers: { Authorization: `Bearer ${token}`, Accept: 'text/csv' }, ...(o?.signal ? { signal: o.signal } : {}) });
      } catch (err) {
        if (isAbortError(err)) throw err;
        throw networkError();
      }
      if (!response.ok) throw parseApiError(response.status, parseJsonBody(await response.text()));
      const filename = filenameFromDisposition(response.headers.get('content-disposition')) ?? csvFilename(range, o?.businessSlug);
      return { blob: await response.blob(), filename };
    },
  };
}

