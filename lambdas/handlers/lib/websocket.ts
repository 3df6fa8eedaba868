/**
 * WebSocket plumbing: the caller from the $connect authorizer's context (API
 * Gateway passes it to every later route), frame size and schema checks, and
 * one place that turns errors into `error` frames.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { APIGatewayProxyWebsocketEventV2, Context } from 'aws-lambda';
import { z } from 'zod';
import type { ChatCaller } from '../../core/conversation';
import { DomainError, describeIssue, invalidTextIssue } from '../../core/errors';
import { isTenantId } from '../../core/ids';
import type { ConnectionPusher } from '../../core/ports';
import { MAX_FRAME_BYTES, MAX_MESSAGE_BYTES, clientActions, clientFrame, staffActions, type ClientFrame, type ErrorCode } from '../../core/protocol';
import { VISITOR_ID_PATTERN } from '../../core/widget-key';
import { correlation, currentCorrelationId } from './correlation';
import { logger, metrics, tracer } from './powertools';

/** What the $connect authorizer returns as context. */
export const widgetContextSchema = z.object({ tenantId: z.string().refine(isTenantId), visitorId: z.string().regex(VISITOR_ID_PATTERN) });

/** The authorizer context as API Gateway delivers it to WebSocket routes. */
export function callerOf(event: { requestContext: { connectionId: string } & object }): ChatCaller {
  const authorizer: unknown = Reflect.get(event.requestContext, 'authorizer');
  const parsed = widgetContextSchema.safeParse(authorizer);
  if (!parsed.success) throw new DomainError('unauthorized', 'connection has no widget identity');
  const identity: unknown = Reflect.get(event.requestContext, 'identity');
  const sourceIp = typeof identity === 'object' && identity !== null ? Reflect.get(identity, 'sourceIp') : undefined;
  return { ...parsed.data, connectionId: event.requestContext.connectionId, ...(typeof sourceIp === 'string' && sourceIp.length > 0 ? { sourceIp } : {}) };
}

/** A connection the staff authorizer let in (its context says `kind: staff`). */
function isStaffConnection(event: { requestContext: object }): boolean {
  const authorizer: unknown = Reflect.get(event.requestContext, 'authorizer');
  return typeof authorizer === 'object' && authorizer !== null && Reflect.get(authorizer, 'kind') === 'staff';
}

type ActionHandlers = { readonly [A in ClientFrame['action']]: (caller: ChatCaller, frame: Extract<ClientFrame, { action: A }>) => Promise<void> };

function errorCodeOf(error: DomainError): ErrorCode {
  switch (error.code) {
    case 'rate_limited':
    case 'no_conversation':
    case 'bad_request':
      return error.code;
    case 'payload_too_large':
      return 'message_too_large';
    default:
      return 'bad_request';
  }
}

function frameError(issues: readonly z.core.$ZodIssue[], raw: unknown): { code: ErrorCode; message: string } {
  const action = typeof raw === 'object' && raw !== null ? Reflect.get(raw, 'action') : undefined;
  if (typeof action !== 'string' || !clientActions.some((a) => a === action)) {
    return { code: 'unknown_action', message: `action must be one of: ${clientActions.join(', ')}` };
  }
  const issue = issues[0];
  const { field, message } = describeIssue(issue, 'the frame');
  if (field === 'text' && issue?.message.includes('bytes')) return { code: 'message_too_large', message: `text must be at most ${MAX_MESSAGE_BYTES} bytes` };
  return { code: 'bad_request', message };
}

export function wsApi(pusher: () => ConnectionPusher, handlers: ActionHandlers) {
  const base = async (event: APIGatewayProxyWebsocketEventV2, context: Context): Promise<{ statusCode: number }> => {
    const connectionId = event.requestContext.connectionId;
    const sendError = async (code: ErrorCode, message: string, clientId?: string): Promise<void> => {
      await pusher().push(connectionId, { type: 'error', code, message, ...(clientId ? { clientId } : {}) });
    };
    let clientId: string | undefined;
    metrics.addMetric('wsFrames', 'Count', 1);
    try {
      // A staff connection's frames that are not staff actions (not JSON, unknown, a widget action) are routed here
      // with the rest: they name the actions a staff connection has.
      if (isStaffConnection(event)) {
        await sendError('unknown_action', `action must be one of: ${staffActions.join(', ')} (a staff connection)`);
        return { statusCode: 400 };
      }
      const caller = callerOf(event);
      logger.appendKeys({ tenantId: caller.tenantId, connectionId });
      const body = event.body ?? '';
      if (Buffer.byteLength(body, 'utf8') > MAX_FRAME_BYTES) {
        await sendError('message_too_large', `frames must be at most ${MAX_FRAME_BYTES} bytes`);
        return { statusCode: 413 };
      }
      let raw: unknown;
      try {
        raw = JSON.parse(body);
      } catch {
        await sendError('bad_request', 'frames must be JSON objects');
        return { statusCode: 400 };
      }
      const maybeClientId = typeof raw === 'object' && raw !== null ? Reflect.get(raw, 'clientId') : undefined;
      clientId = typeof maybeClientId === 'string' && maybeClientId.length <= 64 && invalidTextIssue(maybeClientId, 'clientId') === undefined ? maybeClientId : undefined;
      const parsed = clientFrame.safeParse(raw);
      if (!parsed.success) {
        const { code, message } = frameError(parsed.error.issues, raw);
        await sendError(code, message, clientId);
        return { statusCode: 400 };
      }
      // A lone surrogate ("\ud800") is valid JSON but not text: refused in any frame's strings (docs/decisions.md 113).
      const invalid = invalidTextIssue(raw, 'the frame');
      if (invalid) {
        await sendError('bad_request', invalid.message, clientId);
        return { statusCode: 400 };
      }
      const frame = parsed.data;
      metrics.addMetric(`action_${frame.action}`, 'Count', 1);
      await dispatch(handlers, caller, frame);
      return { statusCode: 200 };
    } catch (error) {
      if (error instanceof DomainError) {
        await sendError(errorCodeOf(error), error.message, clientId).catch(() => undefined);
        return { statusCode: 400 };
      }
      logger.error('unhandled error', { error: error instanceof Error ? error : String(error) });
      await sendError('internal', `Something went wrong on our side (ref ${currentCorrelationId() ?? context.awsRequestId}). Please try again.`, clientId).catch(() => undefined);
      return { statusCode: 500 };
    }
  };
  return middy(base)
    .use(correlation(logger))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(captureLambdaHandler(tracer));
}

function dispatch(handlers: ActionHandlers, caller: ChatCaller, frame: ClientFrame): Promise<void> {
  switch (frame.action) {
    case 'hello':
      return handlers.hello(caller, frame);
    case 'sendMessage':
      return handlers.sendMessage(caller, frame);
    case 'newConversation':
      return handlers.newConversation(caller, frame);
    case 'ping':
      return handlers.ping(caller, frame);
    case 'customerTyping':
      return handlers.customerTyping(caller, frame);
    case 'feedback':
      return handlers.feedback(caller, frame);
    case 'markRead':
      return handlers.markRead(caller, frame);
  }
}
