/**
 * A staff member's access ends when it should: the team use cases (core/team.ts) with an in-memory account
 * store, the staff directory (adapters/dynamo/handoff-store.ts) on DynamoDB Local (a table of the test's own), and
 * the staff WebSocket plumbing (handlers/lib/staff-websocket.ts) invoked as API Gateway does.
 *
 * - disabling a member removes them from staff e-mail and from the live inbox (their connection's frames are
 *   refused), and a token issued before cannot bring them back; a role change rewrites their groups;
 * - a member who has not connected for 90 days gets no more staff e-mail;
 * - the WebSocket authorizer passes the token's `exp`; staff frames after it are refused with an error frame,
 *   and the presence record ends with it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { APIGatewayProxyWebsocketEventV2, Context } from 'aws-lambda';
import { DynamoHandoffStore, STAFF_MEMBER_TTL_SECONDS } from '../../lambdas/adapters/dynamo/handoff-store';
import { DynamoStore } from '../../lambdas/adapters/dynamo/store';
import type { StaffClaims } from '../../lambdas/adapters/auth/jwt-verifier';
import { StaffMemberRemovedError } from '../../lambdas/core/handoff-ports';
import type { ServerFrame } from '../../lambdas/core/protocol';
import { changeRole, disableStaff, type StaffAccount, type StaffAccounts, type TeamChangeDeps, type TeamRole } from '../../lambdas/core/team';
import { authorizeStaffConnection, staffCallerOf, staffWsApi } from '../../lambdas/handlers/lib/staff-websocket';
import { sharedTable, type SharedTable } from '../support/shared-table';
import { lambdaContext } from '../support/api-gateway-event';

let table: SharedTable;
let store: DynamoStore;
let staff: DynamoHandoffStore;
let nowMs = Date.parse('2026-06-01T09:00:00.000Z');
const clock = { now: () => new Date(nowMs) };

beforeAll(async () => {
  table = await sharedTable('staff-access');
  store = new DynamoStore(table.db, table.table, clock);
  staff = new DynamoHandoffStore(table.db, table.table, clock);
});

afterAll(async () => {
  table?.db.destroy();
  await table?.drop();
});

/** The Cognito pool, in memory. */
function accounts(list: StaffAccount[]): StaffAccounts {
  const find = (userId: string) => list.find((a) => a.userId === userId);
  const update = (userId: string, patch: Partial<StaffAccount>) => {
    const i = list.findIndex((a) => a.userId === userId);
    const current = list[i];
    if (current) list[i] = { ...current, ...patch };
  };
  return {
    list: async (tenantId) => list.filter((a) => a.tenantId === tenantId),
    get: async (userId) => find(userId),
    exists: async (email) => list.some((a) => a.email === email),
    invite: async () => {
      throw new Error('not used');
    },
    setRole: async (userId, role: TeamRole) => update(userId, { role }),
    disable: async (userId) => update(userId, { enabled: false }),
    remove: async () => {
      throw new Error('not used');
    },
  };
}

let tenantCounter = 0;
/** A tenant with an owner (admin) and an agent, both connected to the live inbox once. */
async function team() {
  const tenantId = `access-${++tenantCounter}-${randomBytes(2).toString('hex')}`;
  const owner: StaffAccount = { tenantId, userId: randomUUID(), email: `owner@${tenantId}.example`, role: 'admin', enabled: true, status: 'active' };
  const member: StaffAccount = { tenantId, userId: randomUUID(), email: `agent@${tenantId}.example`, role: 'agent', enabled: true, status: 'active' };
  const deps: TeamChangeDeps = { accounts: accounts([owner, member]), invitations: { kind: 'provider' }, staff, connections: store };
  const connection = `c${randomBytes(6).toString('hex')}`;
  await store.putConnection(tenantId, connection, `staff-${member.userId}`);
  await staff.putStaffConnection(tenantId, { connectionId: connection, sub: member.userId, email: member.email, groups: ['agent'] });
  await staff.putStaffConnection(tenantId, { connectionId: `c${randomBytes(6).toString('hex')}`, sub: owner.userId, email: owner.email, groups: ['admin', 'agent'] });
  const actor = { tenantId, sub: owner.userId, email: owner.email };
  return { tenantId, owner, member, deps, connection, actor };
}

const membersOf = async (tenantId: string) => (await staff.listStaffMembers(tenantId)).map((m) => [m.email, m.groups]);

// ---- the staff WebSocket, as API Gateway invokes it ---------------------------------------------------------

const pushed = new Map<string, ServerFrame[]>();
const handled: string[] = [];
const wsHandler = staffWsApi(
  () => ({
    staff,
    connections: store,
    clock,
    pusher: {
      push: async (connectionId, frame) => {
        pushed.set(connectionId, [...(pushed.get(connectionId) ?? []), frame]);
        return true;
      },
    },
  }),
  {
    staffWatch: async (caller) => void handled.push(`watch:${caller.connectionId}`),
    staffTyping: async (caller) => void handled.push(`typing:${caller.connectionId}`),
    staffPing: async (caller) => void handled.push(`ping:${caller.connectionId}`),
  },
);

const context = (): Context => lambdaContext('staffWs');

function wsEvent(connectionId: string, authorizer: Record<string, string>): APIGatewayProxyWebsocketEventV2 {
  const event = {
    body: JSON.stringify({ action: 'staffPing' }),
    isBase64Encoded: false,
    requestContext: {
      routeKey: 'staffPing',
      eventType: 'MESSAGE',
      connectionId,
      messageId: randomBytes(8).toString('base64'),
      extendedRequestId: randomUUID(),
      requestTime: new Date(nowMs).toUTCString(),
      messageDirection: 'IN',
      stage: 'local',
      connectedAt: nowMs,
      requestTimeEpoch: nowMs,
      requestId: randomUUID(),
      domainName: '127.0.0.1',
      apiId: 'local',
      authorizer,
    },
  } satisfies Omit<APIGatewayProxyWebsocketEventV2, 'requestContext'> & { requestContext: APIGatewayProxyWebsocketEventV2['requestContext'] & { authorizer: object } };
  return event;
}

/** A staff frame on `connectionId`: whether the action ran, and the error frame sent instead, if any. */
async function ping(connectionId: string, authorizer: Record<string, string>): Promise<{ ran: boolean; error?: ServerFrame }> {
  const before = handled.length;
  await wsHandler(wsEvent(connectionId, authorizer), context());
  const error = (pushed.get(connectionId) ?? []).filter((f) => f.type === 'error').at(-1);
  pushed.delete(connectionId);
  return { ran: handled.length > before, ...(error ? { error } : {}) };
}

const staffContext = (tenantId: string, sub: string, extra: Record<string, string> = {}): Record<string, string> => ({
  principalId: sub,
  kind: 'staff',
  tenantId,
  sub,
  email: `${sub}@example.com`,
  groups: 'agent',
  ...extra,
});

// ---- the tests ----------------------------------------------------------------------------------------------

describe('disabling a member', () => {
  it('ends their staff e-mail and their live inbox; a token issued before cannot bring them back', async () => {
    const t = await team();
    expect(await membersOf(t.tenantId)).toEqual(expect.arrayContaining([[t.member.email, ['agent']]]));
    expect((await ping(t.connection, staffContext(t.tenantId, t.member.userId))).ran).toBe(true);

    await disableStaff(t.deps, t.actor, t.member.userId);
    expect(await membersOf(t.tenantId)).toEqual([[t.owner.email, ['admin', 'agent']]]);
    expect((await staff.listStaffConnections(t.tenantId)).map((c) => c.sub)).toEqual([t.owner.userId]);
    expect(await store.getConnection(t.tenantId, t.connection)).toBeUndefined();
    // The open socket cannot be closed from here: its frames are refused.
    const refused = await ping(t.connection, staffContext(t.tenantId, t.member.userId));
    expect(refused).toEqual({ ran: false, error: expect.objectContaining({ type: 'error', code: 'session_expired', message: expect.stringMatching(/reconnect with a fresh token/) }) });

    // Reconnecting with a token from before the disable (valid for up to an hour) is refused, and records nothing.
    const again = { connectionId: `c${randomBytes(6).toString('hex')}`, sub: t.member.userId, email: t.member.email, groups: ['agent'] as const };
    await expect(staff.putStaffConnection(t.tenantId, again)).rejects.toThrow(StaffMemberRemovedError);
    expect(await membersOf(t.tenantId)).toEqual([[t.owner.email, ['admin', 'agent']]]);
    expect((await staff.listStaffConnections(t.tenantId)).map((c) => c.sub)).toEqual([t.owner.userId]);

    // Disabling again (a retry) is harmless.
    await expect(disableStaff(t.deps, t.actor, t.member.userId)).resolves.toMatchObject({ enabled: false });
  });
});

describe('connecting to the live inbox with a token issued before the member lost access (docs/decisions.md 104)', () => {
  const ARN = 'arn:aws:execute-api:local:0:api/local/$connect';
  const connectWith = (claims: StaffClaims) => authorizeStaffConnection('staff.token', ARN, () => ({ verify: async () => claims }), () => staff);
  const issuedBefore = (): number => Math.floor(Date.now() / 1000) - 60;

  it("connects a demoted admin as an agent, so the staff directory no longer sends them admins' e-mail", async () => {
    const t = await team();
    await changeRole(t.deps, t.actor, t.member.userId, 'admin');
    await changeRole(t.deps, t.actor, t.member.userId, 'agent');
    // Their token from while they were an admin (valid up to an hour more).
    const claims: StaffClaims = { sub: t.member.userId, email: t.member.email, tenantId: t.tenantId, groups: ['admin', 'agent'], issuedAt: issuedBefore() };
    const result = await connectWith(claims);
    expect(result.context).toMatchObject({ kind: 'staff', groups: 'agent' });
    // What $connect then records (handlers/ws-connect.ts) is the role they have now.
    const requestContext = { connectionId: `c${randomBytes(6).toString('hex')}`, authorizer: { ...result.context } };
    const caller = staffCallerOf({ requestContext });
    if (!caller) throw new Error('no staff caller');
    await staff.putStaffConnection(t.tenantId, { connectionId: caller.connectionId, sub: caller.sub, email: caller.email, groups: caller.groups });
    expect(await membersOf(t.tenantId)).toEqual(expect.arrayContaining([[t.member.email, ['agent']]]));
    expect(await membersOf(t.tenantId)).not.toEqual(expect.arrayContaining([[t.member.email, ['admin', 'agent']]]));
  });

  it('refuses a disabled member at $connect (401), whatever the token', async () => {
    const t = await team();
    await disableStaff(t.deps, t.actor, t.member.userId);
    const claims: StaffClaims = { sub: t.member.userId, email: t.member.email, tenantId: t.tenantId, groups: ['agent'], issuedAt: issuedBefore() };
    await expect(connectWith(claims)).rejects.toThrow('Unauthorized');
    await expect(connectWith({ ...claims, issuedAt: Math.floor(Date.now() / 1000) + 5 })).rejects.toThrow('Unauthorized');
    // Their colleagues connect as before.
    const owner: StaffClaims = { sub: t.owner.userId, email: t.owner.email, tenantId: t.tenantId, groups: ['admin', 'agent'], issuedAt: issuedBefore() };
    expect((await connectWith(owner)).context).toMatchObject({ groups: 'admin,agent' });
  });
});

describe('changing a role', () => {
  it("rewrites the member's groups: booking e-mail to admins follows the role", async () => {
    const t = await team();
    await changeRole(t.deps, t.actor, t.member.userId, 'admin');
    expect(await membersOf(t.tenantId)).toEqual(expect.arrayContaining([[t.member.email, ['admin', 'agent']]]));
    await changeRole(t.deps, t.actor, t.member.userId, 'agent');
    expect(await membersOf(t.tenantId)).toEqual(expect.arrayContaining([[t.member.email, ['agent']]]));
  });
});

describe('a member who stops connecting', () => {
  it('gets no more staff e-mail 90 days after the last connect; connecting again starts the 90 days again', async () => {
    const t = await team();
    nowMs += (STAFF_MEMBER_TTL_SECONDS - 60) * 1000;
    expect(await membersOf(t.tenantId)).toHaveLength(2);
    await staff.putStaffConnection(t.tenantId, { connectionId: `c${randomBytes(6).toString('hex')}`, sub: t.owner.userId, email: t.owner.email, groups: ['admin', 'agent'] });
    nowMs += 120 * 1000;
    expect(await membersOf(t.tenantId)).toEqual([[t.owner.email, ['admin', 'agent']]]);
  });
});

describe("the staff token's expiry on the WebSocket", () => {
  it('is passed by the authorizer to every later frame', async () => {
    const claims: StaffClaims = { sub: 'u-1', email: 'agent@example.com', tenantId: 'demo', groups: ['agent'], expiresAt: 1_900_000_000 };
    const result = await authorizeStaffConnection('staff.token', 'arn:aws:execute-api:local:0:api/local/$connect', () => ({ verify: async () => claims }), () => staff);
    expect(result.context).toMatchObject({ kind: 'staff', expiresAt: '1900000000' });
    const requestContext = { connectionId: 'c1', authorizer: { ...result.context } };
    const caller = staffCallerOf({ requestContext });
    expect(caller?.expiresAt).toBe(1_900_000_000);
  });

  it('refuses staff frames after it (reconnect with a fresh token) and forgets the connection', async () => {
    const t = await team();
    // The token's expiry is real time (the business clock, which tests move, does not decide it).
    const realEpoch = (): number => Math.floor(Date.now() / 1000);
    expect(await ping(t.connection, staffContext(t.tenantId, t.member.userId, { expiresAt: String(realEpoch() + 60) }))).toEqual({ ran: true });
    nowMs += 3600 * 1000; // the business clock moving on is no expiry
    expect(await ping(t.connection, staffContext(t.tenantId, t.member.userId, { expiresAt: String(realEpoch() + 60) }))).toEqual({ ran: true });
    const refused = await ping(t.connection, staffContext(t.tenantId, t.member.userId, { expiresAt: String(realEpoch() - 1) }));
    expect(refused).toEqual({ ran: false, error: expect.objectContaining({ type: 'error', code: 'session_expired', message: expect.stringMatching(/reconnect with a fresh token/) }) });
    expect((await staff.listStaffConnections(t.tenantId)).some((c) => c.connectionId === t.connection)).toBe(false);
    expect(await store.getConnection(t.tenantId, t.connection)).toBeUndefined();
  });

  it('keeps an expiring agent online until a frame is refused, then forgets the connection', async () => {
    const t = await team();
    const realEpoch = (): number => Math.floor(Date.now() / 1000);
    // The token runs out in a minute; the presence record does not end with it (the agent would count as offline
    // until the inbox reconnects), but the first frame after it is refused and ends it.
    await staff.putStaffConnection(t.tenantId, { connectionId: t.connection, sub: t.member.userId, email: t.member.email, groups: ['agent'], expiresAt: realEpoch() + 60 });
    expect((await staff.listStaffConnections(t.tenantId)).some((c) => c.connectionId === t.connection)).toBe(true);
    const refused = await ping(t.connection, staffContext(t.tenantId, t.member.userId, { expiresAt: String(realEpoch() - 1) }));
    expect(refused.error).toMatchObject({ code: 'session_expired' });
    expect((await staff.listStaffConnections(t.tenantId)).some((c) => c.connectionId === t.connection)).toBe(false);
  });
});
