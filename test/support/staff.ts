/**
 * Staff for tests against the local cloud: users in the local Cognito pool
 * (any tenant), their ID tokens, an expired copy of a token (re-signed with
 * cognito-local's public development key, so only the expiry is wrong), a
 * staff WebSocket, and a small REST helper.
 */
import { createPrivateKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { z } from 'zod';
import { ensureStaffPool, type StaffUserSpec } from '../../local-cloud/cognito-local';
import type { LocalCloud } from '../../local-cloud/index';
import { connect, type TestSocket } from './ws-client';

/** The pool name local-cloud/index.ts creates. */
const POOL_NAME = 'concierge-local';

export async function ensureStaff(cloud: LocalCloud, users: readonly StaffUserSpec[]): Promise<void> {
  await ensureStaffPool(cloud.urls.cognito, { poolName: POOL_NAME, users });
}

export async function signIn(cloud: LocalCloud, email: string, password: string): Promise<string> {
  const res = await fetch(cloud.urls.cognito, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth' },
    body: JSON.stringify({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: cloud.env['USER_POOL_CLIENT_ID'], AuthParameters: { USERNAME: email, PASSWORD: password } }),
  });
  const body = z.object({ AuthenticationResult: z.object({ IdToken: z.string() }) }).safeParse(await res.json());
  if (!body.success) throw new Error(`sign-in of ${email} failed`);
  return body.data.AuthenticationResult.IdToken;
}

const jwkFile = z.object({ jwk: z.record(z.string(), z.string()) });

/** The same token, expired an hour ago, correctly signed: only the expiry check can refuse it. */
export function expiredCopyOf(token: string): string {
  const [header, payload] = token.split('.');
  if (!header || !payload) throw new Error('not a JWT');
  const claims = z.record(z.string(), z.unknown()).parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
  const now = Math.floor(Date.now() / 1000);
  const expired = Buffer.from(JSON.stringify({ ...claims, iat: now - 7200, auth_time: now - 7200, exp: now - 3600 })).toString('base64url');
  const keyFile = join(dirname(require.resolve('cognito-local/package.json')), 'lib', 'keys', 'cognitoLocal.private.json');
  const { jwk } = jwkFile.parse(JSON.parse(readFileSync(keyFile, 'utf8')));
  const key = createPrivateKey({ key: jwk, format: 'jwk' });
  const signature = sign('sha256', Buffer.from(`${header}.${expired}`), key).toString('base64url');
  return `${header}.${expired}.${signature}`;
}

export function staffSocket(cloud: LocalCloud, token: string): Promise<TestSocket> {
  return connect(`${cloud.urls.ws}?key=${encodeURIComponent(`staff.${token}`)}`, new URL(cloud.urls.admin).origin);
}

export interface ApiResult {
  readonly status: number;
  readonly body: unknown;
  readonly text: string;
}

export async function api(cloud: LocalCloud, method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResult> {
  const res = await fetch(`${cloud.urls.rest}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, text };
}

const testAnswerSchema = z.object({
  answer: z.object({
    text: z.string(),
    answered: z.boolean(),
    sources: z.array(z.object({ id: z.string(), kind: z.string() })),
  }),
});
export type TestAnswer = z.infer<typeof testAnswerSchema>['answer'];

/** `POST /v1/admin/knowledge/test` (English): the answer the concierge would give; fails unless it answers 200. */
export async function testQuestion(cloud: LocalCloud, token: string, question: string): Promise<TestAnswer> {
  const reply = await api(cloud, 'POST', '/v1/admin/knowledge/test', token, { question, lang: 'en' });
  if (reply.status !== 200) throw new Error(`POST /v1/admin/knowledge/test answered ${reply.status}: ${reply.text}`);
  return testAnswerSchema.parse(reply.body).answer;
}

/** Polls `probe` until it returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
