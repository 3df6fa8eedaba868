/**
 * The team through the local cloud: the real gateway, staff authorizer and team handler, against the
 * local Cognito (cognito-local, reached by the production adapter with an endpoint override) and the
 * outbox in DynamoDB Local, where invitations land locally.
 *
 * An invited person signs in with the temporary password from the outbox, answers Cognito's
 * NEW_PASSWORD_REQUIRED challenge and gets a token with the business's tenant and the invited role.
 */
import { randomBytes } from 'node:crypto';
import {
  AdminGetUserCommand,
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { z } from 'zod';
import { CognitoStaffAccounts, cognitoClient } from '../../lambdas/adapters/auth/cognito-accounts';
import { inviteStaff, type TeamDeps } from '../../lambdas/core/team';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { api, ensureStaff, signIn } from '../support/staff';

let cloud: LocalCloud;
let cognito: CognitoIdentityProviderClient;
const B = 'team-b';
const B_ADMIN = { email: 'owner@team-b.example', password: 'Team-B-Owner-2026!' };
const AGENT_A = { email: 'agent@harbour-dental.example', password: 'Harbour-Agent-2026!' };
const tokens = { adminA: '', agentA: '', adminB: '' };
const run = randomBytes(4).toString('hex');

const member = z.object({
  userId: z.string(),
  email: z.string(),
  role: z.enum(['admin', 'agent']),
  enabled: z.boolean(),
  status: z.enum(['invited', 'active']),
  createdAt: z.string().optional(),
});
const teamList = z.object({ items: z.array(member) });
const memberResult = z.object({ member });
const errorResult = z.object({ error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }), reason: z.string().optional() });
const outbox = z.object({ items: z.array(z.object({ to: z.array(z.string()), kind: z.string(), subject: z.string(), text: z.string() })) });
const claims = z.object({ 'custom:tenantId': z.string(), 'cognito:groups': z.array(z.string()).default([]), email: z.string() });

function claimsOf(token: string): z.infer<typeof claims> {
  return claims.parse(JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')));
}

async function team(token: string) {
  const res = await api(cloud, 'GET', '/v1/admin/team', token);
  expect(res.status).toBe(200);
  return teamList.parse(res.body).items;
}

async function invite(token: string, email: string, role: 'admin' | 'agent') {
  return api(cloud, 'POST', '/v1/admin/team', token, { email, role });
}

/** The temporary password of the newest invitation to `email` in the tenant's outbox (read by its admin). */
async function temporaryPasswordFor(adminToken: string, email: string): Promise<string> {
  const res = await api(cloud, 'GET', '/v1/admin/outbox', adminToken);
  expect(res.status).toBe(200);
  const mail = outbox.parse(res.body).items.find((m) => m.kind === 'team.invite' && m.to.includes(email));
  if (!mail) throw new Error(`no invitation to ${email} in the outbox`);
  expect(mail.text).toContain(cloud.urls.admin);
  const password = /temporary password: (\S+)/.exec(mail.text)?.[1];
  if (!password) throw new Error('the invitation has no temporary password');
  return password;
}

/** First sign-in of an invited person: the temporary password, then Cognito's NEW_PASSWORD_REQUIRED challenge. */
async function firstSignIn(email: string, temporary: string, chosen: string): Promise<string> {
  const clientId = cloud.env['USER_POOL_CLIENT_ID'];
  const started = await cognito.send(new InitiateAuthCommand({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: clientId, AuthParameters: { USERNAME: email, PASSWORD: temporary } }));
  expect(started.ChallengeName).toBe('NEW_PASSWORD_REQUIRED');
  const done = await cognito.send(
    new RespondToAuthChallengeCommand({
      ClientId: clientId,
      ChallengeName: 'NEW_PASSWORD_REQUIRED',
      Session: started.Session,
      ChallengeResponses: { USERNAME: email, NEW_PASSWORD: chosen },
    }),
  );
  const token = done.AuthenticationResult?.IdToken;
  if (!token) throw new Error('no token after the new password');
  return token;
}

async function cognitoUser(username: string) {
  return cognito.send(new AdminGetUserCommand({ UserPoolId: cloud.env['USER_POOL_ID'], Username: username })).catch((error: unknown) => {
    if (error instanceof Error && error.name === 'UserNotFoundException') return undefined;
    throw error;
  });
}

beforeAll(async () => {
  cloud = await startLocalCloud({ quiet: true });
  cognito = new CognitoIdentityProviderClient({ endpoint: cloud.urls.cognito, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await ensureStaff(cloud, [{ email: B_ADMIN.email, password: B_ADMIN.password, tenantId: B, groups: ['admin', 'agent'] }]);
  tokens.adminA = await signIn(cloud, cloud.demo.staffEmail, cloud.demo.staffPassword);
  tokens.agentA = await signIn(cloud, AGENT_A.email, AGENT_A.password);
  tokens.adminB = await signIn(cloud, B_ADMIN.email, B_ADMIN.password);
}, 240_000);

afterAll(async () => {
  cognito?.destroy();
  await cloud?.stop();
});

describe('the team list', () => {
  it("shows every staff member of the caller's business, to admins and agents, and nobody else's", async () => {
    const asAdmin = await team(tokens.adminA);
    expect(asAdmin.map((m) => [m.email, m.role, m.enabled])).toEqual(
      expect.arrayContaining([
        [cloud.demo.staffEmail, 'admin', true],
        [AGENT_A.email, 'agent', true],
      ]),
    );
    expect(asAdmin.map((m) => m.email)).not.toContain(B_ADMIN.email);
    expect(asAdmin[0]?.role).toBe('admin');
    expect(await team(tokens.agentA)).toEqual(asAdmin);
    const asB = await team(tokens.adminB);
    expect(asB.map((m) => m.email)).toEqual([B_ADMIN.email]);
  });
});

describe('inviting', () => {
  const invited = { email: `New.Agent-${run}@Harbour-Dental.example`, password: 'Chosen-Password-2026!' };
  const lower = invited.email.toLowerCase();

  it('refuses agents (403) and creates nothing', async () => {
    const res = await invite(tokens.agentA, `sneaky-${run}@harbour-dental.example`, 'admin');
    expect(res.status).toBe(403);
    expect(await cognitoUser(`sneaky-${run}@harbour-dental.example`)).toBeUndefined();
  });

  it('names the invalid field', async () => {
    const badEmail = await invite(tokens.adminA, 'not-an-address', 'agent');
    expect(badEmail.status).toBe(400);
    expect(errorResult.parse(badEmail.body).error.field).toBe('email');
    const badRole = await api(cloud, 'POST', '/v1/admin/team', tokens.adminA, { email: `x-${run}@example.com`, role: 'owner' });
    expect(badRole.status).toBe(400);
    expect(errorResult.parse(badRole.body).error.field).toBe('role');
    const extra = await api(cloud, 'POST', '/v1/admin/team', tokens.adminA, { email: `x-${run}@example.com`, role: 'agent', tenantId: B });
    expect(extra.status).toBe(400);
  });

  it('invites an agent who signs in with the temporary password from the outbox, sets their own, and belongs to the business', async () => {
    const res = await invite(tokens.adminA, invited.email, 'agent');
    expect(res.status).toBe(201);
    const created = memberResult.parse(res.body).member;
    expect(created).toMatchObject({ email: lower, role: 'agent', enabled: true, status: 'invited' });
    expect(res.text).not.toMatch(/password/i);

    const temporary = await temporaryPasswordFor(tokens.adminA, lower);
    const token = await firstSignIn(lower, temporary, invited.password);
    const c = claimsOf(token);
    expect(c['custom:tenantId']).toBe(cloud.demo.tenantId);
    expect(c['cognito:groups']).toEqual(['agent']);

    // The API takes them as the business's agent: they see the team, they cannot invite.
    const me = await api(cloud, 'GET', '/v1/admin/me', token);
    expect(me.status).toBe(200);
    expect((await team(token)).find((m) => m.email === lower)).toMatchObject({ userId: created.userId, status: 'active' });
    expect((await invite(token, `other-${run}@example.com`, 'agent')).status).toBe(403);
    // And the chosen password is the one that works from now on.
    expect(claimsOf(await signIn(cloud, lower, invited.password)).email).toBe(lower);
  });

  it('answers 409 for an address already on the team or in another business, without saying which business', async () => {
    const again = await invite(tokens.adminA, lower, 'admin');
    expect(again.status).toBe(409);
    const elsewhere = await invite(tokens.adminB, AGENT_A.email, 'agent');
    expect(elsewhere.status).toBe(409);
    expect(elsewhere.text).not.toContain(cloud.demo.tenantId);
    expect(elsewhere.text).not.toMatch(/harbour/i);
    // The account stays where it was.
    expect((await team(tokens.adminA)).some((m) => m.email === AGENT_A.email)).toBe(true);
    expect((await team(tokens.adminB)).some((m) => m.email === AGENT_A.email)).toBe(false);
  });

  it('changes the role (promoted: the next token carries the admin group) and disables the account', async () => {
    const target = (await team(tokens.adminA)).find((m) => m.email === lower);
    if (!target) throw new Error('invited member missing');
    const promoted = await api(cloud, 'PUT', `/v1/admin/team/${target.userId}/role`, tokens.adminA, { role: 'admin' });
    expect(promoted.status).toBe(200);
    expect(memberResult.parse(promoted.body).member.role).toBe('admin');
    expect(claimsOf(await signIn(cloud, lower, invited.password))['cognito:groups'].sort()).toEqual(['admin', 'agent']);

    const demoted = await api(cloud, 'PUT', `/v1/admin/team/${target.userId}/role`, tokens.adminA, { role: 'agent' });
    expect(memberResult.parse(demoted.body).member.role).toBe('agent');
    expect(claimsOf(await signIn(cloud, lower, invited.password))['cognito:groups']).toEqual(['agent']);

    const disabled = await api(cloud, 'POST', `/v1/admin/team/${target.userId}/disable`, tokens.adminA);
    expect(disabled.status).toBe(200);
    expect(memberResult.parse(disabled.body).member.enabled).toBe(false);
    expect((await cognitoUser(target.userId))?.Enabled).toBe(false);
    expect((await team(tokens.adminA)).find((m) => m.userId === target.userId)?.enabled).toBe(false);
  });
});

describe('an invitation e-mail that cannot be sent', () => {
  it('leaves no account behind: the error reaches the admin, and the retry invites afresh (not "already on the team")', async () => {
    const email = `unlucky-${run}@harbour-dental.example`;
    const actor = { sub: 'admin-sub', email: cloud.demo.staffEmail, tenantId: cloud.demo.tenantId };
    const accounts = new CognitoStaffAccounts(cognitoClient(cloud.urls.cognito), cloud.env['USER_POOL_ID'] ?? '');
    const sent: string[] = [];
    const deps = (fail: boolean): TeamDeps => ({
      accounts,
      invitations: {
        kind: 'email',
        signInUrl: `${cloud.urls.admin}`,
        email: {
          send: async (mail) => {
            if (fail) throw new Error('MessageRejected: the e-mail service refused the message');
            sent.push(...mail.to);
          },
        },
      },
    });
    await expect(inviteStaff(deps(true), actor, { email, role: 'agent' })).rejects.toThrow(/MessageRejected/);
    expect(await cognitoUser(email)).toBeUndefined();
    expect(await accounts.exists(email)).toBe(false);

    const member = await inviteStaff(deps(false), actor, { email, role: 'agent' });
    expect(member).toMatchObject({ email, role: 'agent', status: 'invited' });
    expect(sent).toEqual([email]);
    expect(await cognitoUser(email)).toBeDefined();
  });
});

describe("another business's admin", () => {
  it("cannot change or disable this business's staff: 404, as for an id that does not exist", async () => {
    const agent = (await team(tokens.adminA)).find((m) => m.email === AGENT_A.email);
    if (!agent) throw new Error('demo agent missing');
    const role = await api(cloud, 'PUT', `/v1/admin/team/${agent.userId}/role`, tokens.adminB, { role: 'admin' });
    expect(role.status).toBe(404);
    const disable = await api(cloud, 'POST', `/v1/admin/team/${agent.userId}/disable`, tokens.adminB);
    expect(disable.status).toBe(404);
    expect(disable.text).not.toContain(AGENT_A.email);
    const missing = await api(cloud, 'POST', '/v1/admin/team/00000000-0000-4000-8000-000000000000/disable', tokens.adminB);
    expect(missing.status).toBe(404);
    expect((await cognitoUser(agent.userId))?.Enabled).toBe(true);
    expect((await team(tokens.adminA)).find((m) => m.userId === agent.userId)?.role).toBe('agent');
  });

  it('refuses a malformed user id with 400', async () => {
    const res = await api(cloud, 'POST', '/v1/admin/team/not-a-uuid/disable', tokens.adminB);
    expect(res.status).toBe(400);
    expect(errorResult.parse(res.body).error.field).toBe('userId');
  });
});

describe('the last admin', () => {
  it('cannot demote or disable themselves (400, reason last_admin) until there is another admin', async () => {
    const self = (await team(tokens.adminB)).find((m) => m.email === B_ADMIN.email);
    if (!self) throw new Error('B admin missing');
    const demote = await api(cloud, 'PUT', `/v1/admin/team/${self.userId}/role`, tokens.adminB, { role: 'agent' });
    expect(demote.status).toBe(400);
    expect(errorResult.parse(demote.body)).toMatchObject({ reason: 'last_admin', error: { code: 'bad_request' } });
    expect(errorResult.parse(demote.body).error.message).toMatch(/last admin/);
    const disable = await api(cloud, 'POST', `/v1/admin/team/${self.userId}/disable`, tokens.adminB);
    expect(disable.status).toBe(400);
    expect(errorResult.parse(disable.body).reason).toBe('last_admin');
    expect((await cognitoUser(self.userId))?.Enabled).toBe(true);
    expect((await team(tokens.adminB)).find((m) => m.userId === self.userId)?.role).toBe('admin');

    // A disabled admin does not count: the rule is about admins who can still sign in.
    const second = memberResult.parse((await invite(tokens.adminB, `second-${run}@team-b.example`, 'admin')).body).member;
    expect((await api(cloud, 'POST', `/v1/admin/team/${second.userId}/disable`, tokens.adminB)).status).toBe(200);
    expect((await api(cloud, 'PUT', `/v1/admin/team/${self.userId}/role`, tokens.adminB, { role: 'agent' })).status).toBe(400);

    const third = memberResult.parse((await invite(tokens.adminB, `third-${run}@team-b.example`, 'admin')).body).member;
    const now = await api(cloud, 'PUT', `/v1/admin/team/${self.userId}/role`, tokens.adminB, { role: 'agent' });
    expect(now.status).toBe(200);
    const after = await team(tokens.adminB);
    expect(after.filter((m) => m.role === 'admin' && m.enabled).map((m) => m.userId)).toEqual([third.userId]);
  });
});
