import fc from 'fast-check';
import { amplifyConfigFor, apiEndpoint, loadConfig, parseConfig, signInFlowFor } from '../../frontend/src/lib/config';
import { resolveApiUrl, safeHttpUrl } from '../../frontend/src/lib/url';

const local = {
  apiUrl: 'http://127.0.0.1:3000',
  region: 'us-east-1',
  userPoolId: 'local_4Xy9ZpQa',
  userPoolClientId: 'abcdef0123456789',
  userPoolEndpoint: 'http://127.0.0.1:9229',
};
const aws = {
  apiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/',
  region: 'eu-west-1',
  userPoolId: 'eu-west-1_AbC123xyz',
  userPoolClientId: '5mhbq2example7clientid0',
};

function jsonResponse(body: string, status = 200): Response {
  return new Response(body, { status, headers: { 'Content-Type': 'application/json' } });
}

describe('parseConfig', () => {
  it('accepts a local config with a user pool endpoint', () => {
    expect(parseConfig(local)).toEqual({ ok: true, config: local });
  });

  it('accepts an AWS config without an endpoint, and treats an empty or null endpoint as absent', () => {
    expect(parseConfig(aws)).toEqual({ ok: true, config: aws });
    expect(parseConfig({ ...aws, userPoolEndpoint: '' })).toEqual({ ok: true, config: aws });
    expect(parseConfig({ ...aws, userPoolEndpoint: null })).toEqual({ ok: true, config: aws });
  });

  it('accepts a same-origin API path and trims whitespace', () => {
    const result = parseConfig({ ...aws, apiUrl: ' /api ', region: ' eu-west-1 ' });
    expect(result).toEqual({ ok: true, config: { ...aws, apiUrl: '/api', region: 'eu-west-1' } });
  });

  it('drops unknown keys', () => {
    expect(parseConfig({ ...aws, secret: 'x' })).toEqual({ ok: true, config: aws });
  });

  it('lists every missing field at once', () => {
    const result = parseConfig({});
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      '"apiUrl" is missing or empty',
      '"region" is missing or empty',
      '"userPoolId" is missing or empty',
      '"userPoolClientId" is missing or empty',
    ]);
  });

  it('names malformed values', () => {
    const result = parseConfig({ apiUrl: 'ftp://x', region: 'EU WEST', userPoolId: 'nounderscore', userPoolClientId: 'bad id!', userPoolEndpoint: 'javascript:alert(1)' });
    expect(result).toEqual({
      ok: false,
      problems: [
        '"apiUrl" must be an http(s) URL or a path starting with "/"',
        '"region" must look like "eu-west-1"',
        '"userPoolId" must look like "eu-west-1_AbC123"',
        '"userPoolClientId" is not a valid app client id',
        '"userPoolEndpoint", when set, must be an http(s) URL',
      ],
    });
  });

  it('refuses non-objects and wrong types', () => {
    expect(parseConfig(null)).toEqual({ ok: false, problems: ['config.json must contain a JSON object'] });
    expect(parseConfig([local])).toEqual({ ok: false, problems: ['config.json must contain a JSON object'] });
    expect(parseConfig({ ...local, region: 42 })).toEqual({ ok: false, problems: ['"region" is missing or empty'] });
  });

  it('never throws, whatever the JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = parseConfig(value);
        expect(typeof result.ok).toBe('boolean');
      }),
    );
  });
});

describe('loadConfig', () => {
  it('fetches ./config.json without cache and checks it', async () => {
    const fetchFn = jest.fn(async () => jsonResponse(JSON.stringify(local)));
    await expect(loadConfig(fetchFn)).resolves.toEqual({ ok: true, config: local });
    expect(fetchFn).toHaveBeenCalledWith('./config.json', expect.objectContaining({ cache: 'no-store' }));
  });

  it('reports a missing file, bad JSON and network failures', async () => {
    await expect(loadConfig(async () => jsonResponse('not found', 404))).resolves.toEqual({
      ok: false,
      problems: ['could not fetch ./config.json (HTTP 404)'],
    });
    await expect(loadConfig(async () => jsonResponse('<html>'))).resolves.toEqual({ ok: false, problems: ['./config.json is not valid JSON'] });
    await expect(
      loadConfig(async () => {
        throw new TypeError('Failed to fetch');
      }),
    ).resolves.toEqual({ ok: false, problems: ['could not fetch ./config.json (network error)'] });
  });
});

describe('sign-in flow and Amplify config', () => {
  it('uses USER_PASSWORD_AUTH against a local pool and SRP in AWS', () => {
    expect(signInFlowFor(local)).toBe('USER_PASSWORD_AUTH');
    expect(signInFlowFor(aws)).toBe('USER_SRP_AUTH');
  });

  it('passes the endpoint to Amplify only when set, with email login', () => {
    expect(amplifyConfigFor(local)).toEqual({
      Auth: {
        Cognito: {
          userPoolId: local.userPoolId,
          userPoolClientId: local.userPoolClientId,
          userPoolEndpoint: local.userPoolEndpoint,
          loginWith: { email: true },
        },
      },
    });
    const cognito = amplifyConfigFor(aws).Auth?.Cognito;
    expect(cognito).toEqual({ userPoolId: aws.userPoolId, userPoolClientId: aws.userPoolClientId, loginWith: { email: true } });
  });
});

describe('URLs', () => {
  it('joins the API URL and a path whatever the slashes', () => {
    expect(apiEndpoint('https://api.example.com/prod/', '/v1/admin/me')).toBe('https://api.example.com/prod/v1/admin/me');
    expect(apiEndpoint('https://api.example.com/prod', 'v1/admin/me')).toBe('https://api.example.com/prod/v1/admin/me');
  });

  it('resolves a same-origin API path against the page', () => {
    expect(resolveApiUrl('/api/', 'http://127.0.0.1:4000/admin/#/knowledge')).toBe('http://127.0.0.1:4000/api');
    expect(resolveApiUrl('https://api.example.com/prod', 'http://127.0.0.1:4000/admin/')).toBe('https://api.example.com/prod');
  });

  it('only links http(s) URLs', () => {
    expect(safeHttpUrl('https://example.com/a')).toBe('https://example.com/a');
    expect(safeHttpUrl('javascript:alert(1)')).toBeUndefined();
    expect(safeHttpUrl('data:text/html,hi')).toBeUndefined();
    expect(safeHttpUrl('example.com')).toBeUndefined();
  });
});
