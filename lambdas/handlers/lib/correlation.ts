/**
 * Correlation ids: one id follows a request across the WebSocket / REST
 * handler, the events it publishes, the event targets and workflow tasks those
 * start, and the events they publish in turn.
 *
 * The id of an invocation is, in order: a valid `detail.correlationId` of an
 * EventBridge event; a valid `input.detail.correlationId` of a workflow task
 * (every task's payload carries the execution's state, whose `detail` is the
 * event that started it); a valid client-supplied `x-correlation-id` header;
 * API Gateway's request id (REST and WebSocket); else the Lambda request id.
 *
 * The id lives in an AsyncLocalStorage scope, not in module state nor the
 * logger's keys: the local cloud runs every handler in one process, with
 * invocations overlapping, and so may Lambda managed instances. The log
 * formatter (powertools.ts) and the event publisher read it from there; the
 * core never sees it. This module imports no Powertools instance, so adapters
 * and the local cloud can read the scope without creating a Logger early.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from '@aws-lambda-powertools/logger';
import type middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { z } from 'zod';

/** Where an invocation's correlation id came from. */
export type CorrelationSource = 'event' | 'workflow' | 'header' | 'apigateway' | 'lambda';

/** What one invocation knows about itself, for log lines and published events. */
export interface InvocationScope {
  readonly correlationId?: string;
  readonly source?: CorrelationSource;
  readonly functionName?: string;
  readonly requestId?: string;
}

// One store per process even if this module were loaded twice (the local cloud imports it and loads handler bundles).
const SCOPE_KEY = Symbol.for('concierge.invocation-scope');
function scopeStore(): AsyncLocalStorage<InvocationScope> {
  const existing: unknown = Reflect.get(globalThis, SCOPE_KEY);
  if (existing instanceof AsyncLocalStorage) return existing;
  const created = new AsyncLocalStorage<InvocationScope>();
  Reflect.set(globalThis, SCOPE_KEY, created);
  return created;
}

/**
 * The per-invocation scope. An AsyncLocalStorage, not module state or the logger's keys: the
 * local cloud runs every handler in one process with invocations overlapping (so may Lambda
 * managed instances), and the Logger's keys are shared by all of them there.
 */
const invocationScopes: AsyncLocalStorage<InvocationScope> = scopeStore();

/** The current invocation's scope, if a handler set one. */
export function currentScope(): InvocationScope | undefined {
  return invocationScopes.getStore();
}

/**
 * A correlation id as accepted from outside: 6–128 characters of letters, digits and `._:=+/-`,
 * starting with a letter or digit (UUIDs, API Gateway request ids such as `LkxGcGKbIAMF1Lw=`).
 * Anything else is ignored and a fresh id taken, so a client cannot inject text into log lines.
 */
export const correlationIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:=+/-]{5,127}$/, 'must be 6-128 letters, digits or ._:=+/-');

/** The header a client may send to choose the correlation id of its request. */
export const CORRELATION_HEADER = 'x-correlation-id';

/** The current invocation's correlation id, if a handler set one. */
export function currentCorrelationId(): string | undefined {
  return currentScope()?.correlationId;
}

/** Runs `fn` with `scope` as the invocation scope (tests, and code outside a middy chain). */
export function runInScope<T>(scope: InvocationScope, fn: () => T): T {
  return invocationScopes.run(scope, fn);
}

/**
 * Runs one handler invocation in a scope of its own, so the scope the handler sets stays inside
 * it (the local cloud's Lambda runtime wraps every invocation with this).
 */
export function isolatedInvocation<T>(fn: () => T): T {
  return invocationScopes.run({}, fn);
}

const record = z.record(z.string(), z.unknown());
const withDetail = z.object({ detail: z.object({ correlationId: correlationIdSchema }) });
const workflowTask = z.object({ input: withDetail });
const apiGateway = z.object({ requestContext: z.object({ requestId: correlationIdSchema }) });
const headersOf = z.object({ headers: record });

function header(event: unknown): string | undefined {
  const parsed = headersOf.safeParse(event);
  if (!parsed.success) return undefined;
  for (const [name, value] of Object.entries(parsed.data.headers)) {
    if (name.toLowerCase() === CORRELATION_HEADER) {
      const id = correlationIdSchema.safeParse(value);
      if (id.success) return id.data;
    }
  }
  return undefined;
}

/** Picks the correlation id of an invocation from its event (see the module comment for the order). */
export function correlationIdOf(event: unknown, context: Pick<Context, 'awsRequestId'>): { correlationId: string; source: CorrelationSource } {
  const fromEvent = withDetail.safeParse(event);
  if (fromEvent.success) return { correlationId: fromEvent.data.detail.correlationId, source: 'event' };
  const fromTask = workflowTask.safeParse(event);
  if (fromTask.success) return { correlationId: fromTask.data.input.detail.correlationId, source: 'workflow' };
  const fromHeader = header(event);
  if (fromHeader) return { correlationId: fromHeader, source: 'header' };
  const fromGateway = apiGateway.safeParse(event);
  if (fromGateway.success) return { correlationId: fromGateway.data.requestContext.requestId, source: 'apigateway' };
  return { correlationId: context.awsRequestId, source: 'lambda' };
}

/**
 * Middy middleware: sets the invocation's correlation id (and its function name and request id,
 * for log lines) before the handler runs, and logs where the id came from at debug level.
 * Put it first in the `.use` chain: `.use(correlation(logger))`.
 */
export function correlation(logger?: Pick<Logger, 'debug'>): middy.MiddlewareObj<unknown, unknown, Error, Context> {
  return {
    before: (request) => {
      const { correlationId, source } = correlationIdOf(request.event, request.context);
      // enterWith, not run: middy has no "around" hook. The scope reaches the handler and every
      // middleware after this one; isolatedInvocation (local) or the next invocation's call replaces it.
      invocationScopes.enterWith({ correlationId, source, functionName: request.context.functionName, requestId: request.context.awsRequestId });
      logger?.debug('invocation correlated', { correlationSource: source });
    },
  };
}

/** `detail` plus the current correlation id, unless there is none or the detail already names one. */
export function withCorrelationId(detail: Readonly<Record<string, unknown>>, correlationId: string | undefined = currentCorrelationId()): Readonly<Record<string, unknown>> {
  if (correlationId === undefined || 'correlationId' in detail) return detail;
  return { ...detail, correlationId };
}
