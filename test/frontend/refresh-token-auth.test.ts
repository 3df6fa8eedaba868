import { CognitoServiceError, decodeJwtPayload, refreshWithRefreshTokenAuth } from '../../frontend/src/auth/refresh-token-auth';

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (payload: unknown): string => `${b64url({ alg: 'RS256' })}.${b64url(payload)}.sig`;

describe('refreshWithRefreshTokenAuth', () => {
  it('calls InitiateAuth with REFRESH_TOKEN_AUTH and returns the new tokens', async () => {
    const fetchFn = jest.fn(async (_url: string, _init?: RequestInit) =>
      new Response(JSON.stringify({ AuthenticationResult: { IdToken: 'id.jwt', AccessToken: 'access.jwt' } }), { status: 200 }),
    );
    await expect(refreshWithRefreshTokenAuth({ endpoint: 'http://127.0.0.1:9229', clientId: 'client1', refreshToken: 'r1', fetch: fetchFn })).resolves.toEqual({
      idToken: 'id.jwt',
      accessToken: 'access.jwt',
    });
    const [url, init] = fetchFn.mock.calls[0] ?? [];
    expect(url).toBe('http://127.0.0.1:9229');
    expect(init?.method).toBe('POST');
    expect(init?.headers).toEqual({
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': 'AWSCognitoIdentityProviderService.InitiateAuth',
    });
    expect(JSON.parse(String(init?.body))).toEqual({ AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: 'client1', AuthParameters: { REFRESH_TOKEN: 'r1' } });
  });

  it('passes on a rotated refresh token', async () => {
    const fetchFn = async (): Promise<Response> =>
      new Response(JSON.stringify({ AuthenticationResult: { IdToken: 'i', AccessToken: 'a', RefreshToken: 'r2' } }));
    await expect(refreshWithRefreshTokenAuth({ endpoint: 'http://x', clientId: 'c', refreshToken: 'r1', fetch: fetchFn })).resolves.toMatchObject({ refreshToken: 'r2' });
  });

  it('names Cognito errors the way Amplify expects (NotAuthorizedException clears the session)', async () => {
    const fetchFn = async (): Promise<Response> =>
      new Response(JSON.stringify({ __type: 'com.amazonaws.cognito#NotAuthorizedException', message: 'Refresh Token has expired' }), { status: 400 });
    const err: unknown = await refreshWithRefreshTokenAuth({ endpoint: 'http://x', clientId: 'c', refreshToken: 'r', fetch: fetchFn }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CognitoServiceError);
    expect(err).toMatchObject({ name: 'NotAuthorizedException', message: 'Refresh Token has expired' });
  });

  it('reports a network failure and an answer without tokens', async () => {
    await expect(
      refreshWithRefreshTokenAuth({
        endpoint: 'http://x',
        clientId: 'c',
        refreshToken: 'r',
        fetch: async () => {
          throw new TypeError('Failed to fetch');
        },
      }),
    ).rejects.toMatchObject({ name: 'NetworkError' });
    await expect(
      refreshWithRefreshTokenAuth({ endpoint: 'http://x', clientId: 'c', refreshToken: 'r', fetch: async () => new Response('{}') }),
    ).rejects.toMatchObject({ name: 'InvalidResponseException' });
  });
});

describe('decodeJwtPayload', () => {
  it('reads a base64url payload, including non-ASCII text', () => {
    expect(decodeJwtPayload(jwt({ sub: 'u1', 'cognito:groups': ['admin'], name: 'Zoë' }))).toEqual({ sub: 'u1', 'cognito:groups': ['admin'], name: 'Zoë' });
  });

  it('refuses things that are not JWTs', () => {
    expect(() => decodeJwtPayload('nodots')).toThrow('Not a JWT.');
    expect(() => decodeJwtPayload(`x.${b64url([1])}.y`)).toThrow('not an object');
  });
});
