/**
 * Who counts as staff on the REST API, through the local gateway and the real authorizer (local Cognito tokens),
 * and what the REST plumbing does with an authorizer answer API Gateway cached: someone in no staff group is
 * refused (as on the WebSocket), a cached answer is not served past its token's expiry, and a token issued before
 * its member was disabled or demoted (valid for up to an hour more) is held to what the member may do now.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { apiGatewayEvent, lambdaContext } from '../support/api-gateway-event';
import { api, ensureStaff, signIn } from '../support/staff';

let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startLocalCloud({ quiet: true });
  await ensureStaff(cloud, [
    { email: 'former@harbour-dental.example', password: 'Former-Staff-2026!', tenantId: cloud.demo.tenantId, groups: [] },
    { email: 'second-admin@harbour-dental.example', password: 'Second-Admin-2026!', tenantId: cloud.demo.tenantId, groups: ['admin', 'agent'] },
    { email: 'demoted-admin@harbour-dental.example', password: 'Demoted-Admin-2026!', tenantId: cloud.demo.tenantId, groups: ['admin', 'agent'] },
  ]);
}, 240_000);

afterAll(async () => {
  await cloud?.stop();
});


/** GET /v1/admin/me as API Gateway calls the handler with a (possibly cached) authorizer answer. */
async function me(authorizer: Record<string, string>): Promise<number> {
  const { handler } = await import('../../lambdas/handlers/admin-api');
  const event = apiGatewayEvent('GET', '/v1/admin/me', { authorizer, resourcePath: '/v1/admin/me', httpMethod: 'GET', requestId: randomUUID() });
  return z.object({ statusCode: z.number() }).parse(await handler(event, lambdaContext('adminApi'))).statusCode;
}

describe('staff on the REST API', () => {
  it('refuses a signed-in user who is in no staff group (removed from both to revoke access)', async () => {
    const token = await signIn(cloud, 'former@harbour-dental.example', 'Former-Staff-2026!');
    expect((await api(cloud, 'GET', '/v1/admin/me', token)).status).toBe(401);
    expect((await api(cloud, 'GET', '/v1/admin/conversations', token)).status).toBe(401);
    const admin = await signIn(cloud, cloud.demo.staffEmail, cloud.demo.staffPassword);
    expect((await api(cloud, 'GET', '/v1/admin/me', admin)).status).toBe(200);
  });

  it("does not serve a cached authorizer answer past its token's expiry", async () => {
    const base = { sub: 'u-1', email: cloud.demo.staffEmail, tenantId: cloud.demo.tenantId, groups: 'admin' };
    const now = Math.floor(Date.now() / 1000);
    expect(await me({ ...base, exp: String(now + 600) })).toBe(200);
    expect(await me({ ...base, exp: String(now - 1) })).toBe(401);
    // A cached answer that names no staff group either.
    expect(await me({ ...base, groups: '', exp: String(now + 600) })).toBe(401);
  });
});

/** The `sub` of an ID token (the member's id in team routes). */
function subOf(token: string): string {
  return z.object({ sub: z.string() }).parse(JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'))).sub;
}

const teamList = z.object({ items: z.array(z.object({ userId: z.string(), email: z.string(), role: z.enum(['admin', 'agent']), enabled: z.boolean() })) });
const meBody = z.object({ groups: z.array(z.string()) });

describe("a member's token after they lost access (docs/decisions.md 104)", () => {
  it('is refused on every route once the member is disabled, so it cannot invite a way back in, nor can a new one', async () => {
    const owner = await signIn(cloud, cloud.demo.staffEmail, cloud.demo.staffPassword);
    const token = await signIn(cloud, 'second-admin@harbour-dental.example', 'Second-Admin-2026!');
    expect((await api(cloud, 'GET', '/v1/admin/me', token)).status).toBe(200);

    expect((await api(cloud, 'POST', `/v1/admin/team/${subOf(token)}/disable`, owner)).status).toBe(200);

    // The ID token is valid for up to an hour more; the account it names is disabled now.
    expect((await api(cloud, 'GET', '/v1/admin/me', token)).status).toBe(401);
    expect((await api(cloud, 'GET', '/v1/admin/conversations', token)).status).toBe(401);
    const backdoor = `backdoor-${randomUUID().slice(0, 8)}@harbour-dental.example`;
    expect((await api(cloud, 'POST', '/v1/admin/team', token, { email: backdoor, role: 'admin' })).status).toBe(401);
    const team = teamList.parse((await api(cloud, 'GET', '/v1/admin/team', owner)).body).items;
    expect(team.map((m) => m.email)).not.toContain(backdoor);
    expect(team.find((m) => m.userId === subOf(token))?.enabled).toBe(false);
    // The local Cognito still signs a disabled account in (Cognito would not): that token is refused all the same.
    const again = await signIn(cloud, 'second-admin@harbour-dental.example', 'Second-Admin-2026!');
    expect((await api(cloud, 'GET', '/v1/admin/me', again)).status).toBe(401);
    // Everyone else is unaffected.
    expect((await api(cloud, 'GET', '/v1/admin/me', owner)).status).toBe(200);
  });

  it('holds a demoted admin to the new role: no admin route, no promoting themselves back', async () => {
    const owner = await signIn(cloud, cloud.demo.staffEmail, cloud.demo.staffPassword);
    const token = await signIn(cloud, 'demoted-admin@harbour-dental.example', 'Demoted-Admin-2026!');
    const self = subOf(token);
    expect((await api(cloud, 'GET', '/v1/admin/audit', token)).status).toBe(200);

    expect((await api(cloud, 'PUT', `/v1/admin/team/${self}/role`, owner, { role: 'agent' })).status).toBe(200);

    expect((await api(cloud, 'PUT', `/v1/admin/team/${self}/role`, token, { role: 'admin' })).status).toBe(403);
    expect((await api(cloud, 'GET', '/v1/admin/audit', token)).status).toBe(403);
    const team = teamList.parse((await api(cloud, 'GET', '/v1/admin/team', owner)).body).items;
    expect(team.find((m) => m.userId === self)?.role).toBe('agent');
    // What an agent may do still works, and the API says what the token may do now.
    expect((await api(cloud, 'GET', '/v1/admin/conversations', token)).status).toBe(200);
    expect(meBody.parse((await api(cloud, 'GET', '/v1/admin/me', token)).body).groups).toEqual(['agent']);

    // Promoted again: the same token is an admin's again.
    expect((await api(cloud, 'PUT', `/v1/admin/team/${self}/role`, owner, { role: 'admin' })).status).toBe(200);
    expect((await api(cloud, 'GET', '/v1/admin/audit', token)).status).toBe(200);
  });
});
