/**
 * Token refresh with InitiateAuth REFRESH_TOKEN_AUTH, for the local Cognito.
 *
 * Amplify 6.21+ refreshes with the newer GetTokensFromRefreshToken operation,
 * which cognito-local 5.3 does not implement; it does implement InitiateAuth
 * with REFRESH_TOKEN_AUTH. Used only when config.json sets userPoolEndpoint;
 * in AWS Amplify's own refresher runs.
 */
import { isRecord } from '../lib/decode';

type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface RefreshedTokens {
  readonly idToken: string;
  readonly accessToken: string;
  /** Present only when the pool rotates refresh tokens. */
  readonly refreshToken?: string;
}

/** A Cognito service error; `name` is the Cognito exception name, which Amplify's token orchestrator inspects. */
export class CognitoServiceError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export async function refreshWithRefreshTokenAuth(input: {
  readonly endpoint: string;
  readonly clientId: string;
  readonly refreshToken: string;
  readonly fetch: FetchLike;
}): Promise<RefreshedTokens> {
  let response: Response;
  try {
    response = await input.fetch(input.endpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.1',
        'X-Amz-Target': 'AWSCognitoIdentityProviderService.InitiateAuth',
      },
      body: JSON.stringify({
        AuthFlow: 'REFRESH_TOKEN_AUTH',
        ClientId: input.clientId,
        AuthParameters: { REFRESH_TOKEN: input.refreshToken },
      }),
    });
  } catch {
    throw new CognitoServiceError('NetworkError', 'Could not reach the user pool to refresh the session.');
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const type = isRecord(body) && typeof body.__type === 'string' ? body.__type : 'UnknownError';
    const message = isRecord(body) && typeof body.message === 'string' ? body.message : `HTTP ${response.status}`;
    // AWS sometimes prefixes the name: "com.amazonaws...#NotAuthorizedException".
    throw new CognitoServiceError(type.slice(type.lastIndexOf('#') + 1), message);
  }
  const result = isRecord(body) ? body.AuthenticationResult : undefined;
  if (!isRecord(result) || typeof result.IdToken !== 'string' || typeof result.AccessToken !== 'string') {
    throw new CognitoServiceError('InvalidResponseException', 'The user pool answered without tokens.');
  }
  return {
    idToken: result.IdToken,
    accessToken: result.AccessToken,
    ...(typeof result.RefreshToken === 'string' && result.RefreshToken !== '' ? { refreshToken: result.RefreshToken } : {}),
  };
}

/** The payload of a JWT, without verifying it (the API verifies). */
export function decodeJwtPayload(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (part === undefined) throw new CognitoServiceError('InvalidTokenException', 'Not a JWT.');
  const base64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
  const binary = atob(base64);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  const payload: unknown = JSON.parse(new TextDecoder().decode(bytes));
  if (!isRecord(payload)) throw new CognitoServiceError('InvalidTokenException', 'JWT payload is not an object.');
  return payload;
}
