/**
 * REST plumbing shared by every REST function: a router built from the route
 * declaration (a declared route without a handler, or a handler without a
 * route, fails at module load), the caller taken from the authorizer context,
 * role checks from the route's `auth`, JSON parsing, and one place that maps
 * errors to responses.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { z } from 'zod';
import { corsAllowHeaders, corsExposeHeaders, restRoutes, type FunctionName, type RestRouteDecl } from '../../../lib/declaration';
import { DomainError, describeIssue, httpStatusOf, forbidden, invalidTextIssue, unauthorized } from '../../core/errors';
import { isTenantId, randomId } from '../../core/ids';
import { auditEntry, bodySummary, staffActor, targetOf, type AuditLog, type AuditNote } from '../../core/audit';
import { auditLog, handoffStore, systemClock } from '../../adapters/container';
import type { StaffDirectory } from '../../core/handoff-ports';
import { groupsNow } from '../../core/team';
import { loadConfig } from '../../adapters/config';
import { correlation, currentCorrelationId } from './correlation';
import { logger, metrics, tracer } from './powertools';

export interface StaffCaller {
  readonly sub: string;
  readonly email: string;
  readonly tenantId: string;
  /** What the caller may do now: the token's groups, less what the member lost since it was issued. */
  readonly groups: readonly ('admin' | 'agent')[];
}

/** What the staff authorizer puts in the request context (API Gateway stringifies every value). */
export const staffContextSchema = z.object({
  sub: z.string().min(1),
  email: z.string(),
  tenantId: z.string().refine(isTenantId),
  groups: z.string().transform((g) => g.split(',').filter((x): x is 'admin' | 'agent' => x === 'admin' || x === 'agent')),
  /** The token's expiry (seconds since the epoch): a cached authorizer answer must not outlive it. */
  exp: z.coerce.number().int().positive().optional(),
  /** When the token was issued: a token issued before its member was disabled or demoted is held to that. */
  iat: z.coerce.number().int().positive().optional(),
});

export interface RestRequest {
  readonly route: RestRouteDecl;
  readonly path: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly body: unknown;
  /** Present on every staff and admin route; the tenant always comes from here, never from the body. */
  readonly caller: StaffCaller | undefined;
  readonly headers: Readonly<Record<string, string>>;
}

export interface RestResult {
  readonly status?: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** A body sent as it is instead of `body` as JSON (a CSV export); give its `content-type` in `headers`. */
  readonly raw?: string;
  /**
   * The audit log entry of this request (core/audit.ts): every successful non-GET staff or admin route is
   * recorded; this names its action, target and before/after better than the request body's field names can.
   * A GET is recorded only when it returns this (a data export); `false` records nothing (a POST that changes nothing).
   */
  readonly audit?: AuditNote | false;
}

export type RouteHandler = (request: RestRequest) => Promise<RestResult>;

const BASE_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'access-control-allow-headers': corsAllowHeaders.join(',').toLowerCase(),
  'access-control-expose-headers': corsExposeHeaders.join(',').toLowerCase(),
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
} as const;

function json(status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): APIGatewayProxyResult {
  return { statusCode: status, headers: { ...BASE_HEADERS, ...headers }, body: JSON.stringify(body) };
}

export function errorBody(code: string, message: string, field?: string, correlationId?: string): { error: Record<string, string> } {
  return { error: { code, message, ...(field ? { field } : {}), ...(correlationId ? { correlationId } : {}) } };
}

/** Maps any error to a response: named errors keep their meaning, anything else is a 500 with a correlation id. */
export function errorResponse(error: unknown, correlationId: string): APIGatewayProxyResult {
  if (error instanceof DomainError) return json(httpStatusOf[error.code], errorBody(error.code, error.message, error.field));
  if (error instanceof z.ZodError) {
    const { field, message } = describeIssue(error.issues[0], 'the request body');
    return json(400, errorBody('bad_request', message, field));
  }
  logger.error('unhandled error', { error: error instanceof Error ? error : String(error) });
  return json(500, errorBody('internal', 'Something went wrong on our side. Please try again.', undefined, correlationId));
}

/**
 * The caller of a staff route, as their member may act now: API Gateway caches the authorizer's answer per token
 * (5 minutes) without looking at its expiry, and a Cognito ID token cannot be revoked (it lives up to an hour), so a
 * disabled member is refused here (whatever the token, for a day) and a token issued before a demotion keeps only the
 * new role's groups (core/team.ts groupsNow; one consistent read of the member's latest access change per request).
 */
async function callerOf(event: APIGatewayProxyEvent, access: () => StaffAccessChanges, now = Date.now()): Promise<StaffCaller | undefined> {
  const parsed = staffContextSchema.safeParse(event.requestContext.authorizer ?? {});
  if (!parsed.success) return undefined;
  if (parsed.data.exp !== undefined && parsed.data.exp * 1000 <= now) return undefined;
  if (parsed.data.groups.length === 0) return undefined;
  const { sub, email, tenantId, iat } = parsed.data;
  const change = await access().getStaffAccessChange(tenantId, sub);
  const groups = groupsNow({ groups: parsed.data.groups, ...(iat !== undefined ? { issuedAt: iat } : {}) }, change, Math.floor(now / 1000));
  return groups.length > 0 ? { sub, email, tenantId, groups } : undefined;
}

function parseBody(event: APIGatewayProxyEvent): unknown {
  if (event.body === null || event.body === undefined || event.body === '') return undefined;
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  let body: unknown;
  try {
    body = JSON.parse(raw) as unknown;
  } catch {
    throw new DomainError('bad_request', 'the request body is not valid JSON');
  }
  // A lone surrogate ("\ud800") is valid JSON but not text: refused here once for every route (docs/decisions.md 113).
  const invalid = invalidTextIssue(body, 'the request body');
  if (invalid) throw new DomainError('bad_request', invalid.message, invalid.field);
  return body;
}

function stringRecord(value: Record<string, string | undefined> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value ?? {})) if (typeof v === 'string') out[k] = v;
  return out;
}

/** Where the plumbing reads a staff member's latest loss of access (a disable, a demotion). */
export type StaffAccessChanges = Pick<StaffDirectory, 'getStaffAccessChange'>;

export interface RestApiOptions {
  /** Where changes are recorded. @default the table's audit log (container.auditLog) */
  readonly audit?: () => AuditLog;
  /** Staff members' latest access changes. @default the table's staff directory (container.handoffStore) */
  readonly staffAccess?: () => StaffAccessChanges;
}

/**
 * Appends the audit entry of a successful change (docs/decisions.md, "Audit log writes"). The change is already
 * made; if the entry cannot be written (after the SDK's own retries) the caller gets a 500 saying so rather than a
 * silent success, and the whole entry goes to the error log with an `auditWriteFailed` metric, so nothing is lost.
 */
async function recordChange(
  log: AuditLog,
  event: APIGatewayProxyEvent,
  context: Context,
  route: RestRouteDecl,
  caller: StaffCaller,
  note: AuditNote | undefined,
  body: unknown,
): Promise<APIGatewayProxyResult | undefined> {
  const before = note?.before;
  const after = note?.after ?? (note?.before === undefined ? bodySummary(body) : undefined);
  const correlationId = currentCorrelationId() ?? context.awsRequestId;
  const entry = auditEntry({
    auditId: randomId(),
    tenantId: caller.tenantId,
    at: systemClock.now(),
    actor: staffActor(caller),
    action: note?.action ?? route.operationId,
    target: note?.target ?? targetOf(route.path, stringRecord(event.pathParameters)),
    ...(before !== undefined ? { before } : {}),
    ...(after !== undefined ? { after } : {}),
    requestId: event.requestContext.requestId,
    correlationId,
    ...(event.requestContext.identity?.sourceIp ? { sourceIp: event.requestContext.identity.sourceIp } : {}),
    ...(event.requestContext.identity?.userAgent ? { userAgent: event.requestContext.identity.userAgent } : {}),
  });
  try {
    await log.append(entry);
    return undefined;
  } catch (error) {
    metrics.addMetric('auditWriteFailed', 'Count', 1);
    logger.error('audit entry not written: the change was made', { auditEntry: entry, error: error instanceof Error ? error : String(error) });
    return json(
      500,
      errorBody('audit_unavailable', 'The change was saved but could not be recorded in the audit log. Do not repeat it; tell your administrator.', undefined, correlationId),
    );
  }
}

/**
 * The one place a REST answer gets `Access-Control-Allow-Origin`: with CORS_ALLOWED_ORIGINS (the stack sets the
 * widget's and the admin UI's origins), the request's Origin only when it is one of them (and `Vary: Origin` keeps
 * caches apart); without it (the local cloud), any origin. API Gateway answers preflights for the same list
 * (lib/constructs/concierge-rest-api.ts). Webhook answers (errorResponse) get none: their callers are servers.
 */
export function withCors(response: APIGatewayProxyResult, requestHeaders: APIGatewayProxyEvent['headers'], allowed: readonly string[] | undefined): APIGatewayProxyResult {
  if (!allowed) return { ...response, headers: { ...response.headers, 'access-control-allow-origin': '*' } };
  const headers: Record<string, string | number | boolean> = { ...response.headers, vary: 'Origin' };
  const origin = Object.entries(requestHeaders ?? {}).find(([name]) => name.toLowerCase() === 'origin')?.[1]?.replace(/\/$/, '').toLowerCase();
  if (origin && allowed.includes(origin)) headers['access-control-allow-origin'] = origin;
  return { ...response, headers };
}

/**
 * Builds the Lambda handler for one REST function from its routes in the
 * declaration and a handler per operation id.
 */
export function restApi(fn: FunctionName, handlers: Readonly<Record<string, RouteHandler>>, options: RestApiOptions = {}) {
  const audit = options.audit ?? auditLog;
  const staffAccess = options.staffAccess ?? handoffStore;
  const routes = restRoutes.filter((r) => r.fn === fn);
  const declared = new Set(routes.map((r) => r.operationId));
  const missing = routes.filter((r) => !handlers[r.operationId]).map((r) => r.operationId);
  const extra = Object.keys(handlers).filter((id) => !declared.has(id));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(`${fn}: routes without handlers [${missing.join(', ')}], handlers without routes [${extra.join(', ')}]`);
  }
  const byKey = new Map<string, RestRouteDecl>(routes.map((r) => [`${r.method} ${r.path}`, r]));

  const allowedOrigins = loadConfig([]).CORS_ALLOWED_ORIGINS;
  const respond = async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    metrics.addMetric('restRequests', 'Count', 1);
    try {
      if (event.httpMethod === 'OPTIONS') return { statusCode: 204, headers: { ...BASE_HEADERS, 'access-control-allow-methods': 'GET,POST,PUT,PATCH,DELETE' }, body: '' };
      const route = byKey.get(`${event.httpMethod} ${event.resource}`);
      if (!route) return json(404, errorBody('not_found', `no route ${event.httpMethod} ${event.resource}`));
      const caller = route.auth === 'public' ? undefined : await callerOf(event, staffAccess);
      if (route.auth !== 'public') {
        if (!caller) throw unauthorized('sign in to use this route');
        if (route.auth === 'admin' && !caller.groups.includes('admin')) throw forbidden('this route is for admins only');
        logger.appendKeys({ tenantId: caller.tenantId });
      }
      const result = await handlers[route.operationId]?.({
        route,
        path: stringRecord(event.pathParameters),
        query: stringRecord(event.queryStringParameters),
        body: parseBody(event),
        caller,
        headers: stringRecord(event.headers),
      });
      if (!result) throw new Error(`no handler for ${route.operationId}`);
      if (caller && route.auth !== 'public' && result.audit !== false && (result.status ?? 200) < 400 && (route.method !== 'GET' || result.audit)) {
        const unrecorded = await recordChange(audit(), event, context, route, caller, result.audit, parseBody(event));
        if (unrecorded) return unrecorded;
      }
      if (result.raw !== undefined) return { statusCode: result.status ?? 200, headers: { ...BASE_HEADERS, ...result.headers }, body: result.raw };
      return json(result.status ?? 200, result.body, result.headers);
    } catch (error) {
      return errorResponse(error, currentCorrelationId() ?? context.awsRequestId);
    }
  };

  const base = async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => withCors(await respond(event, context), event.headers, allowedOrigins);

  return middy(base)
    .use(correlation(logger))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(captureLambdaHandler(tracer));
}
