/**
 * Who counts as staff on the REST API, through the local gateway and the real authorizer (local Cognito tokens),
 * and what the REST plumbing does with an authorizer answer API Gateway cached: someone in no staff group is
 * refused (as on the WebSocket), and a cached answer is not served past its token's expiry.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { apiGatewayEvent, lambdaContext } from '../support/api-gateway-event';
import { api, ensureStaff, signIn } from '../support/staff';

let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startLocalCloud({ quiet: true });
  await ensureStaff(cloud, [{ email: 'former@harbour-dental.example', password: 'Former-Staff-2026!', tenantId: cloud.demo.tenantId, groups: [] }]);
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
