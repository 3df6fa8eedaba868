/**
 * REST authorizer for staff routes: verifies the Cognito ID token (issuer,
 * audience, token use, expiry, signature) and passes the tenant and groups from
 * its claims. Route-level roles are checked by the REST plumbing from the
 * declaration.
 *
 * Each sign-in is recorded once in the audit log (`login`, keyed on the token's `auth_time` and the staff
 * member, so every request of the session names the same entry). A failure to record it is logged and the
 * request allowed: the audit log must not lock staff out (docs/decisions.md).
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { createStaffTokenVerifier, type StaffClaims } from '../adapters/auth/jwt-verifier';
import { documentClient } from '../adapters/aws/clients';
import { loadConfig } from '../adapters/config';
import { DynamoAuditLog } from '../adapters/dynamo/audit-store';
import { loginEntry } from '../core/audit';
import { logger } from './lib/powertools';
import { correlation } from './lib/correlation';

const config = loadConfig(['USER_POOL_ID', 'USER_POOL_CLIENT_ID', 'TABLE_NAME']);
const verifier = createStaffTokenVerifier({
  userPoolId: config.USER_POOL_ID,
  clientId: config.USER_POOL_CLIENT_ID,
  ...(config.COGNITO_ISSUER ? { issuer: config.COGNITO_ISSUER } : {}),
  ...(config.COGNITO_JWKS_URI ? { jwksUri: config.COGNITO_JWKS_URI } : {}),
});

// Built here, not through the container: the authorizer runs before every staff request and loads no other adapter.
const audit = new DynamoAuditLog(documentClient(config.AWS_ENDPOINT_URL_DYNAMODB), config.TABLE_NAME);
/** Sign-ins this container has recorded (`sub auth_time`), so repeated requests skip the conditional write. */
const recorded = new Set<string>();
const MAX_REMEMBERED = 5000;

async function recordLogin(claims: StaffClaims, event: APIGatewayRequestAuthorizerEvent): Promise<void> {
  if (claims.authTime === undefined) return;
  const session = `${claims.sub} ${claims.authTime}`;
  if (recorded.has(session)) return;
  try {
    const identity = event.requestContext?.identity;
    await audit.append(
      loginEntry({
        tenantId: claims.tenantId,
        sub: claims.sub,
        email: claims.email,
        groups: claims.groups,
        authTime: claims.authTime,
        ...(identity?.sourceIp ? { sourceIp: identity.sourceIp } : {}),
        ...(identity?.userAgent ? { userAgent: identity.userAgent } : {}),
      }),
    );
    if (recorded.size >= MAX_REMEMBERED) recorded.clear();
    recorded.add(session);
  } catch (error) {
    logger.error('login not recorded in the audit log; request allowed', { sub: claims.sub, tenantId: claims.tenantId, error: error instanceof Error ? error : String(error) });
  }
}

/** Allows the whole API for this caller: per-route roles are enforced inside, so a cached policy stays correct. */
function allowAll(methodArn: string): string {
  const [arnPrefix, stage] = methodArn.split('/');
  return `${arnPrefix ?? methodArn}/${stage ?? '*'}/*`;
}

export const handler = middy(async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
  const header = event.headers?.['Authorization'] ?? event.headers?.['authorization'] ?? '';
  const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  if (!token) throw new Error('Unauthorized');
  try {
    const claims = await verifier.verify(token);
    // As the WebSocket authorizer: someone removed from both staff groups is no longer staff.
    if (claims.groups.length === 0) throw new Error('the user is in no staff group');
    await recordLogin(claims, event);
    return {
      principalId: claims.sub,
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: allowAll(event.methodArn) }] },
      // `exp` too: API Gateway caches this answer for a while per token and would otherwise serve it past the expiry.
      // `iat` too: the REST plumbing holds a token issued before its member was disabled or demoted to what they may do now.
      context: {
        sub: claims.sub,
        email: claims.email,
        tenantId: claims.tenantId,
        groups: claims.groups.join(','),
        ...(claims.expiresAt !== undefined ? { exp: claims.expiresAt } : {}),
        ...(claims.issuedAt !== undefined ? { iat: claims.issuedAt } : {}),
      },
    };
  } catch (error) {
    logger.info('token refused', { reason: error instanceof Error ? error.message : String(error) });
    throw new Error('Unauthorized');
  }
}).use(correlation(logger))
  .use(injectLambdaContext(logger, { resetKeys: true }));
