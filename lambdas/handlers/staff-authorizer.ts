/**
 * REST authorizer for staff routes: verifies the Cognito ID token (issuer,
 * audience, token use, expiry, signature) and passes the tenant and groups from
 * its claims. Route-level roles are checked by the REST plumbing from the
 * declaration.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { createStaffTokenVerifier } from '../adapters/auth/jwt-verifier';
import { loadConfig } from '../adapters/config';
import { logger } from './lib/powertools';

const config = loadConfig(['USER_POOL_ID', 'USER_POOL_CLIENT_ID']);
const verifier = createStaffTokenVerifier({
  userPoolId: config.USER_POOL_ID,
  clientId: config.USER_POOL_CLIENT_ID,
  ...(config.COGNITO_ISSUER ? { issuer: config.COGNITO_ISSUER } : {}),
  ...(config.COGNITO_JWKS_URI ? { jwksUri: config.COGNITO_JWKS_URI } : {}),
});

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
    return {
      principalId: claims.sub,
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: allowAll(event.methodArn) }] },
      context: { sub: claims.sub, email: claims.email, tenantId: claims.tenantId, groups: claims.groups.join(',') },
    };
  } catch (error) {
    logger.info('token refused', { reason: error instanceof Error ? error.message : String(error) });
    throw new Error('Unauthorized');
  }
}).use(injectLambdaContext(logger, { resetKeys: true }));
