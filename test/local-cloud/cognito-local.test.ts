/**
 * cognito-local as a child process, the staff pool (idempotent, reused across restarts), the
 * USER_PASSWORD_AUTH sign-in the admin UI uses, and the production verifier
 * (lambdas/adapters/auth/jwt-verifier.ts) accepting its ID tokens.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { createStaffTokenVerifier, parseStaffClaims, InvalidStaffClaimsError } from '../../lambdas/adapters/auth/jwt-verifier';
import {
  PortInUseError,
  ensureStaffPool,
  startCognitoLocal,
  type CognitoLocalHandle,
  type StaffPoolSpec,
} from '../../local-cloud/cognito-local';

const tempDirs: string[] = [];
const handles: CognitoLocalHandle[] = [];

afterAll(async () => {
  for (const h of handles.splice(0)) await h.stop();
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const spec: StaffPoolSpec = {
  poolName: 'concierge-test-staff',
  users: [
    { email: 'owner@demo.test', password: 'Owner-Passw0rd!', tenantId: 'tenant-demo', groups: ['admin', 'agent'] },
    { email: 'agent@demo.test', password: 'Agent-Passw0rd!', tenantId: 'tenant-demo', groups: ['agent'] },
  ],
};

const authResult = z.object({
  AuthenticationResult: z.object({ IdToken: z.string(), AccessToken: z.string(), RefreshToken: z.string().optional() }),
});

async function cognito(endpoint: string, operation: string, body: object): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': `AWSCognitoIdentityProviderService.${operation}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

async function signIn(endpoint: string, clientId: string, email: string, password: string) {
  const res = await cognito(endpoint, 'InitiateAuth', {
    AuthFlow: 'USER_PASSWORD_AUTH',
    ClientId: clientId,
    AuthParameters: { USERNAME: email, PASSWORD: password },
  });
  expect(res.status).toBe(200);
  return authResult.parse(res.json).AuthenticationResult;
}

const decodePayload = (jwt: string): Record<string, unknown> =>
  z.record(z.string(), z.unknown()).parse(JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')));

describe('cognito-local staff pool', () => {
  test('start, ensure the pool twice, sign in, verify the ID token, restart keeps the pool', async () => {
    const dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cognito-')), 'cognito');
    tempDirs.push(path.dirname(dataDir));

    const t0 = Date.now();
    const first = await startCognitoLocal({ port: 0, dataDir });
    handles.push(first);
    console.log(`cognito-local ready in ${Date.now() - t0} ms at ${first.endpoint}`);
    expect(first.endpoint).toBe(`http://127.0.0.1:${first.port}`);
    await expect(startCognitoLocal({ port: first.port, dataDir })).rejects.toBeInstanceOf(PortInUseError);

    const pool = await ensureStaffPool(first.endpoint, spec);
    const again = await ensureStaffPool(first.endpoint, spec);
    expect(again).toEqual(pool);
    expect(pool.userPoolId).toMatch(/^local_/);
    expect(pool.issuer).toBe(`${first.endpoint}/${pool.userPoolId}`);
    expect(pool.jwksUri).toBe(`${pool.issuer}/.well-known/jwks.json`);
    const pools = await cognito(first.endpoint, 'ListUserPools', { MaxResults: 60 });
    expect(JSON.stringify(pools.json).split(spec.poolName).length - 1).toBe(1);

    // Sign-in as the admin UI does it (USER_PASSWORD_AUTH), then the claims the API relies on.
    const owner = await signIn(first.endpoint, pool.userPoolClientId, 'owner@demo.test', 'Owner-Passw0rd!');
    const claims = decodePayload(owner.IdToken);
    expect(claims).toMatchObject({
      iss: pool.issuer,
      aud: pool.userPoolClientId,
      token_use: 'id',
      email: 'owner@demo.test',
      'custom:tenantId': 'tenant-demo',
      'cognito:groups': expect.arrayContaining(['admin', 'agent']),
    });

    const verifier = createStaffTokenVerifier({
      userPoolId: pool.userPoolId,
      clientId: pool.userPoolClientId,
      issuer: pool.issuer,
      jwksUri: pool.jwksUri,
    });
    const staff = await verifier.verify(owner.IdToken);
    expect(staff).toEqual({ sub: claims['sub'], email: 'owner@demo.test', tenantId: 'tenant-demo', groups: ['admin', 'agent'], authTime: claims['auth_time'], expiresAt: claims['exp'], issuedAt: claims['iat'] });

    const agent = await signIn(first.endpoint, pool.userPoolClientId, 'agent@demo.test', 'Agent-Passw0rd!');
    expect((await verifier.verify(agent.IdToken)).groups).toEqual(['agent']);

    // An access token, a token for another client, a tampered token and a wrong password are all refused.
    await expect(verifier.verify(owner.AccessToken)).rejects.toThrow();
    const otherClient = createStaffTokenVerifier({ userPoolId: pool.userPoolId, clientId: 'someone-else', issuer: pool.issuer });
    await expect(otherClient.verify(owner.IdToken)).rejects.toThrow();
    const [h, p, sig] = owner.IdToken.split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims, 'custom:tenantId': 'tenant-other' })).toString('base64url');
    await expect(verifier.verify(`${h}.${forged}.${sig}`)).rejects.toThrow();
    expect(p).toBeDefined();
    const wrong = await cognito(first.endpoint, 'InitiateAuth', {
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: pool.userPoolClientId,
      AuthParameters: { USERNAME: 'owner@demo.test', PASSWORD: 'nope' },
    });
    expect(wrong.status).toBe(400);

    // Refresh, as the admin UI's local refresher does.
    const refreshed = await cognito(first.endpoint, 'InitiateAuth', {
      AuthFlow: 'REFRESH_TOKEN_AUTH',
      ClientId: pool.userPoolClientId,
      AuthParameters: { REFRESH_TOKEN: owner.RefreshToken },
    });
    expect(refreshed.status).toBe(200);

    await first.stop();

    // Restart on another port with the same data: same pool, client and users; new issuer host.
    const t1 = Date.now();
    const second = await startCognitoLocal({ port: 0, dataDir });
    handles.push(second);
    console.log(`cognito-local restart ready in ${Date.now() - t1} ms`);
    const changed: StaffPoolSpec = {
      ...spec,
      users: [
        { ...spec.users[0]!, password: 'Changed-Passw0rd!', groups: ['agent'] },
        { ...spec.users[1]!, tenantId: 'tenant-two' },
      ],
    };
    const reused = await ensureStaffPool(second.endpoint, changed);
    expect(reused.userPoolId).toBe(pool.userPoolId);
    expect(reused.userPoolClientId).toBe(pool.userPoolClientId);
    expect(reused.issuer).toBe(`${second.endpoint}/${pool.userPoolId}`);
    const verifier2 = createStaffTokenVerifier({ userPoolId: reused.userPoolId, clientId: reused.userPoolClientId, issuer: reused.issuer });
    const ownerAgain = await signIn(second.endpoint, reused.userPoolClientId, 'owner@demo.test', 'Changed-Passw0rd!');
    expect((await verifier2.verify(ownerAgain.IdToken)).groups).toEqual(['agent']);
    const agentAgain = await signIn(second.endpoint, reused.userPoolClientId, 'agent@demo.test', 'Agent-Passw0rd!');
    expect((await verifier2.verify(agentAgain.IdToken)).tenantId).toBe('tenant-two');
    await second.stop();
  });
});

describe('createStaffTokenVerifier configuration', () => {
  test('refuses a plain-http issuer that is not loopback (cognito-local keys are public)', () => {
    expect(() =>
      createStaffTokenVerifier({ userPoolId: 'local_x', clientId: 'c', issuer: 'http://10.0.0.5:9229/local_x' }),
    ).toThrow(/loopback/);
  });

  test('jwksUri without issuer is a configuration error; neither means real Cognito', () => {
    expect(() => createStaffTokenVerifier({ userPoolId: 'us-east-1_abc', clientId: 'c', jwksUri: 'http://127.0.0.1/x' })).toThrow(
      /without issuer/,
    );
    expect(() => createStaffTokenVerifier({ userPoolId: 'us-east-1_abcdefghi', clientId: 'c' })).not.toThrow();
  });

  test('claims: tenant required, unknown groups dropped', () => {
    expect(parseStaffClaims({ sub: 's', email: 'a@b.c', 'custom:tenantId': 't', 'cognito:groups': ['agent', 'other'] })).toEqual({
      sub: 's',
      email: 'a@b.c',
      tenantId: 't',
      groups: ['agent'],
    });
    expect(parseStaffClaims({ sub: 's', email: 'a@b.c', 'custom:tenantId': 't' }).groups).toEqual([]);
    expect(() => parseStaffClaims({ sub: 's', email: 'a@b.c' })).toThrow(InvalidStaffClaimsError);
  });
});
