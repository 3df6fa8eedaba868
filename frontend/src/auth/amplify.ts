/** Amplify Auth set-up from the runtime config. */
import { Amplify } from 'aws-amplify';
import { decodeJWT, fetchAuthSession, signIn, type SignInInput, type SignInOutput } from 'aws-amplify/auth';
import { cognitoUserPoolsTokenProvider } from 'aws-amplify/auth/cognito';
import { amplifyConfigFor, signInFlowFor, type AppConfig } from '../lib/config';
import { CognitoServiceError, refreshWithRefreshTokenAuth } from './refresh-token-auth';

type TokenRefresher = Parameters<typeof cognitoUserPoolsTokenProvider.tokenOrchestrator.setTokenRefresher>[0];

function localTokenRefresher(endpoint: string, clientId: string): TokenRefresher {
  return async ({ tokens, username }) => {
    if (!tokens.refreshToken) throw new CognitoServiceError('NotAuthorizedException', 'No refresh token; sign in again.');
    const fresh = await refreshWithRefreshTokenAuth({
      endpoint,
      clientId,
      refreshToken: tokens.refreshToken,
      fetch: (input, init) => fetch(input, init),
    });
    const accessToken = decodeJWT(fresh.accessToken);
    const idToken = decodeJWT(fresh.idToken);
    const iat = accessToken.payload.iat;
    return {
      accessToken,
      idToken,
      clockDrift: typeof iat === 'number' ? iat * 1000 - Date.now() : 0,
      refreshToken: fresh.refreshToken ?? tokens.refreshToken,
      username,
      ...(tokens.deviceMetadata ? { deviceMetadata: tokens.deviceMetadata } : {}),
    };
  };
}

export function configureAuth(config: AppConfig): void {
  Amplify.configure(amplifyConfigFor(config));
  if (config.userPoolEndpoint !== undefined) {
    cognitoUserPoolsTokenProvider.tokenOrchestrator.setTokenRefresher(localTokenRefresher(config.userPoolEndpoint, config.userPoolClientId));
  }
}

/**
 * The Authenticator's `services.handleSignIn`: Amplify's signIn with the flow the
 * pool supports (cognito-local has no SRP). The Authenticator calls it with the
 * input only; the (server-context, input) overload exists for typing and is not used.
 */
export function signInServiceFor(config: AppConfig): typeof signIn {
  const authFlowType = signInFlowFor(config);
  return (...args: [SignInInput] | [unknown, SignInInput]): Promise<SignInOutput> => {
    const input = args.length === 1 ? args[0] : args[1];
    return signIn({ ...input, options: { ...input.options, authFlowType } });
  };
}

export async function getIdToken({ forceRefresh }: { forceRefresh: boolean }): Promise<string | undefined> {
  const session = await fetchAuthSession({ forceRefresh });
  return session.tokens?.idToken?.toString();
}
