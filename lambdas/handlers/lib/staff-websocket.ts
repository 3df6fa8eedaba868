/**
 * Staff connections on the WebSocket API: the $connect authorizer's staff
 * branch (`key=staff.<Cognito ID token>`), the staff identity it passes to
 * later routes, and the plumbing of the staff actions (schema checks, error
 * frames), mirroring lib/websocket.ts for the widget.
 *
 * The token is checked only at $connect, and API Gateway keeps a connection up to 2 hours (pings defeat the
 * idle timeout), so every staff frame is checked again: refused after the token's `exp` (in the context) or
 * once the connection's presence record is gone (the member was disabled), with an error frame asking the
 * client to reconnect with a fresh token.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { APIGatewayAuthorizerResult, APIGatewayProxyWebsocketEventV2, Context } from 'aws-lambda';
import { z } from 'zod';
import { createStaffTokenVerifier, type StaffTokenVerifier } from '../../adapters/auth/jwt-verifier';
import { loadConfig } from '../../adapters/config';
import { handoffStore } from '../../adapters/container';
import type { StaffDirectory } from '../../core/handoff-ports';
import { groupsNow } from '../../core/team';
import { DomainError, describeIssue, invalidTextIssue } from '../../core/errors';
import { assertStaffConnectionLive, StaffSessionEnded, type HandoffDeps, type StaffActor } from '../../core/handoff';
import { isTenantId } from '../../core/ids';
import { MAX_FRAME_BYTES, staffActions, staffClientFrame, type ErrorCode, type StaffClientFrame } from '../../core/protocol';
import { correlation } from './correlation';
import { logger, tracer } from './powertools';

/** The prefix of the `key` query parameter that carries a staff ID token instead of a widget key. */
export const STAFF_KEY_PREFIX = 'staff.';

export type StaffConnectionCaller = StaffActor & {
  readonly connectionId: string;
  /** The ID token's `exp` (seconds since the epoch); staff frames are refused after it. */
  readonly expiresAt?: number;
};

/** What the authorizer returns for a staff connection (API Gateway stringifies every value). */
export const staffWsContextSchema = z.object({
  kind: z.literal('staff'),
  tenantId: z.string().refine(isTenantId),
  sub: z.string().min(1),
  email: z.string(),
  groups: z.string().transform((g) => g.split(',').filter((x): x is 'admin' | 'agent' => x === 'admin' || x === 'agent')),
  expiresAt: z.union([z.number().int().positive(), z.string().regex(/^\d{1,12}$/).transform(Number)]).optional(),
});

/** The staff identity of a connection, or undefined for a widget connection. */
export function staffCallerOf(event: { requestContext: { connectionId: string } & object }): StaffConnectionCaller | undefined {
  const parsed = staffWsContextSchema.safeParse(Reflect.get(event.requestContext, 'authorizer'));
  return parsed.success ? { ...parsed.data, connectionId: event.requestContext.connectionId } : undefined;
}

let verifier: StaffTokenVerifier | undefined;
function staffVerifier(): StaffTokenVerifier {
  if (!verifier) {
    const config = loadConfig(['USER_POOL_ID', 'USER_POOL_CLIENT_ID']);
    verifier = createStaffTokenVerifier({
      userPoolId: config.USER_POOL_ID,
      clientId: config.USER_POOL_CLIENT_ID,
      ...(config.COGNITO_ISSUER ? { issuer: config.COGNITO_ISSUER } : {}),
      ...(config.COGNITO_JWKS_URI ? { jwksUri: config.COGNITO_JWKS_URI } : {}),
    });
  }
  return verifier;
}

/**
 * The staff branch of the $connect authorizer: a valid Cognito ID token (issuer, client id, token use,
 * expiry, signature) with a tenant and a staff group, else "Unauthorized" (401). As on the REST API, the groups are
 * what the member may do now (core/team.ts groupsNow): a member disabled within the day is refused, and a token
 * issued before a demotion connects with the new role's groups, which the staff directory records (staff e-mail
 * meant for admins follows them).
 */
export async function authorizeStaffConnection(
  key: string,
  methodArn: string,
  verifier: () => StaffTokenVerifier = staffVerifier,
  access: () => Pick<StaffDirectory, 'getStaffAccessChange'> = handoffStore,
): Promise<APIGatewayAuthorizerResult> {
  const token = key.slice(STAFF_KEY_PREFIX.length);
  try {
    const verified = await verifier().verify(token);
    const change = verified.groups.length > 0 ? await access().getStaffAccessChange(verified.tenantId, verified.sub) : undefined;
    const claims = { ...verified, groups: groupsNow(verified, change, Math.floor(Date.now() / 1000)) };
    if (claims.groups.length === 0) throw new Error('not in a staff group, or disabled');
    return {
      principalId: claims.sub,
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: methodArn }] },
      context: {
        kind: 'staff',
        tenantId: claims.tenantId,
        sub: claims.sub,
        email: claims.email,
        groups: claims.groups.join(','),
        // Every later frame is refused after it (staffWsApi), and the presence record expires with it.
        ...(claims.expiresAt !== undefined ? { expiresAt: String(claims.expiresAt) } : {}),
      },
    };
  } catch (error) {
    logger.info('staff token refused', { reason: error instanceof Error ? error.message : String(error) });
    throw new Error('Unauthorized');
  }
}

type StaffHandlers = { readonly [A in StaffClientFrame['action']]: (caller: StaffConnectionCaller, frame: Extract<StaffClientFrame, { action: A }>) => Promise<void> };

function errorCodeOf(error: DomainError): ErrorCode {
  if (error instanceof StaffSessionEnded) return 'session_expired';
  return error.code === 'no_conversation' || error.code === 'rate_limited' ? error.code : 'bad_request';
}

export type StaffWsPorts = Pick<HandoffDeps, 'pusher' | 'staff' | 'connections' | 'clock'>;

/**
 * Builds the handler of the staff actions: only staff connections whose sign-in is still valid, frames checked
 * by schema, errors as frames.
 */
export function staffWsApi(ports: () => StaffWsPorts, handlers: StaffHandlers) {
  const base = async (event: APIGatewayProxyWebsocketEventV2, context: Context): Promise<{ statusCode: number }> => {
    const connectionId = event.requestContext.connectionId;
    const sendError = (code: ErrorCode, message: string): Promise<boolean> => ports().pusher.push(connectionId, { type: 'error', code, message }).catch(() => false);
    try {
      const caller = staffCallerOf(event);
      if (!caller) throw new DomainError('unauthorized', 'staff actions need a staff connection');
      logger.appendKeys({ tenantId: caller.tenantId, connectionId });
      await assertStaffConnectionLive(ports(), caller);
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
      const parsed = staffClientFrame.safeParse(raw);
      if (!parsed.success) {
        const action = typeof raw === 'object' && raw !== null ? Reflect.get(raw, 'action') : undefined;
        if (typeof action !== 'string' || !staffActions.some((a) => a === action)) await sendError('unknown_action', `action must be one of: ${staffActions.join(', ')}`);
        else await sendError('bad_request', describeIssue(parsed.error.issues[0], 'the frame').message);
        return { statusCode: 400 };
      }
      const invalid = invalidTextIssue(raw, 'the frame');
      if (invalid) {
        await sendError('bad_request', invalid.message);
        return { statusCode: 400 };
      }
      const frame = parsed.data;
      switch (frame.action) {
        case 'staffWatch':
          await handlers.staffWatch(caller, frame);
          break;
        case 'staffTyping':
          await handlers.staffTyping(caller, frame);
          break;
        case 'staffPing':
          await handlers.staffPing(caller, frame);
          break;
      }
      return { statusCode: 200 };
    } catch (error) {
      if (error instanceof DomainError) {
        await sendError(errorCodeOf(error), error.message);
        return { statusCode: 400 };
      }
      logger.error('unhandled error', { error: error instanceof Error ? error : String(error) });
      await sendError('internal', `Something went wrong on our side (ref ${context.awsRequestId}). Please try again.`);
      return { statusCode: 500 };
    }
  };
  return middy(base).use(correlation(logger)).use(injectLambdaContext(logger, { resetKeys: true })).use(captureLambdaHandler(tracer));
}
