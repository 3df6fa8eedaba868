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
import { restRoutes, type FunctionName, type RestRouteDecl } from '../../../lib/declaration';
import { DomainError, httpStatusOf, forbidden, unauthorized } from '../../core/errors';
import { isTenantId } from '../../core/ids';
import { logger, metrics, tracer } from './powertools';

export interface StaffCaller {
  readonly sub: string;
  readonly email: string;
  readonly tenantId: string;
  readonly groups: readonly ('admin' | 'agent')[];
}

/** What the staff authorizer puts in the request context (API Gateway stringifies every value). */
export const staffContextSchema = z.object({
  sub: z.string().min(1),
  email: z.string(),
  tenantId: z.string().refine(isTenantId),
  groups: z.string().transform((g) => g.split(',').filter((x): x is 'admin' | 'agent' => x === 'admin' || x === 'agent')),
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
}

export type RouteHandler = (request: RestRequest) => Promise<RestResult>;

const BASE_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'authorization,content-type',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
} as const;

function json(status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): APIGatewayProxyResult {
  return { statusCode: status, headers: { ...BASE_HEADERS, ...headers }, body: JSON.stringify(body) };
}

export function errorBody(code: string, message: string, field?: string, correlationId?: string): { error: Record<string, string> } {
  return { error: { code, message, ...(field ? { field } : {}), ...(correlationId ? { correlationId } : {}) } };
}

function fieldOf(issue: z.core.$ZodIssue): string | undefined {
  return issue.path.length > 0 ? issue.path.map(String).join('.') : undefined;
}

/** Maps any error to a response: named errors keep their meaning, anything else is a 500 with a correlation id. */
export function errorResponse(error: unknown, correlationId: string): APIGatewayProxyResult {
  if (error instanceof DomainError) return json(httpStatusOf[error.code], errorBody(error.code, error.message, error.field));
  if (error instanceof z.ZodError) {
    const issue = error.issues[0];
    const field = issue ? fieldOf(issue) : undefined;
    return json(400, errorBody('bad_request', issue ? `${field ? `${field}: ` : ''}${issue.message}` : 'invalid input', field));
  }
  logger.error('unhandled error', { error: error instanceof Error ? error : String(error) });
  return json(500, errorBody('internal', 'Something went wrong on our side. Please try again.', undefined, correlationId));
}

function callerOf(event: APIGatewayProxyEvent): StaffCaller | undefined {
  const parsed = staffContextSchema.safeParse(event.requestContext.authorizer ?? {});
  return parsed.success ? parsed.data : undefined;
}

function parseBody(event: APIGatewayProxyEvent): unknown {
  if (event.body === null || event.body === undefined || event.body === '') return undefined;
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new DomainError('bad_request', 'the request body is not valid JSON');
  }
}

function stringRecord(value: Record<string, string | undefined> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value ?? {})) if (typeof v === 'string') out[k] = v;
  return out;
}

/**
 * Builds the Lambda handler for one REST function from its routes in the
 * declaration and a handler per operation id.
 */
export function restApi(fn: FunctionName, handlers: Readonly<Record<string, RouteHandler>>) {
  const routes = restRoutes.filter((r) => r.fn === fn);
  const declared = new Set(routes.map((r) => r.operationId));
  const missing = routes.filter((r) => !handlers[r.operationId]).map((r) => r.operationId);
  const extra = Object.keys(handlers).filter((id) => !declared.has(id));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(`${fn}: routes without handlers [${missing.join(', ')}], handlers without routes [${extra.join(', ')}]`);
  }
  const byKey = new Map<string, RestRouteDecl>(routes.map((r) => [`${r.method} ${r.path}`, r]));

  const base = async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    metrics.addMetric('restRequests', 'Count', 1);
    try {
      if (event.httpMethod === 'OPTIONS') return { statusCode: 204, headers: { ...BASE_HEADERS, 'access-control-allow-methods': 'GET,POST,PUT,PATCH,DELETE' }, body: '' };
      const route = byKey.get(`${event.httpMethod} ${event.resource}`);
      if (!route) return json(404, errorBody('not_found', `no route ${event.httpMethod} ${event.resource}`));
      const caller = callerOf(event);
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
      return json(result.status ?? 200, result.body, result.headers);
    } catch (error) {
      return errorResponse(error, context.awsRequestId);
    }
  };

  return middy(base)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(captureLambdaHandler(tracer));
}
