/**
 * Staff REST routes of analytics (docs/metrics.md): the report of a date range as JSON or CSV, the open knowledge
 * gaps, and closing one (admins) with the FAQ that now answers it or a dismissal. The tenant always comes from the
 * verified token; the shapes are core/analytics/contract.ts.
 */
import { z } from 'zod';
import { analyticsDeps } from '../adapters/container';
import { analyticsQuerySchema, resolveGapBodySchema, type AnalyticsQuery } from '../core/analytics/contract';
import { reportCsv } from '../core/analytics/report';
import { analyticsReport, listOpenGaps, resolveGap } from '../core/analytics/service';
import { unauthorized } from '../core/errors';
import { restApi, type RestRequest, type StaffCaller } from './lib/rest';

function callerOf(request: RestRequest): StaffCaller {
  if (!request.caller) throw unauthorized('sign in to use this route');
  return request.caller;
}

/** The range asked for; none at all (both absent) means the default range (core/analytics/service.ts). */
function rangeOf(request: RestRequest): AnalyticsQuery | undefined {
  if (request.query['from'] === undefined && request.query['to'] === undefined) return undefined;
  return analyticsQuerySchema.parse(request.query);
}

const gapPath = z.object({ gapId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a gap id from the gaps list') });
const gapsQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(100) });

export const handler = restApi('analyticsApi', {
  getAnalytics: async (request) => {
    const { tenantId } = callerOf(request);
    return { body: await analyticsReport(analyticsDeps(), tenantId, rangeOf(request)) };
  },
  exportAnalytics: async (request) => {
    const { tenantId } = callerOf(request);
    const report = await analyticsReport(analyticsDeps(), tenantId, rangeOf(request));
    return {
      body: undefined,
      raw: reportCsv(report),
      headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="analytics-${report.from}-${report.to}.csv"` },
    };
  },
  listKnowledgeGaps: async (request) => {
    const { tenantId } = callerOf(request);
    const query = gapsQuery.parse(request.query);
    return { body: { items: await listOpenGaps(analyticsDeps(), tenantId, query.limit) } };
  },
  resolveKnowledgeGap: async (request) => {
    const caller = callerOf(request);
    const { gapId } = gapPath.parse(request.path);
    const body = resolveGapBodySchema.parse(request.body);
    const result = await resolveGap(analyticsDeps(), caller.tenantId, gapId, body, caller.sub);
    return { body: result };
  },
});
