/**
 * Staff REST routes of the team: everyone on the team lists it; admins invite
 * people, change their role and disable accounts. The tenant always comes from
 * the verified token (an account of another tenant is a 404); roles come from
 * the route's `auth` in the declaration. The rules live in core/team.ts; this
 * module parses, calls one use case and shapes the reply.
 */
import { z } from 'zod';
import { loadConfig } from '../adapters/config';
import { handoffStore, store, teamDeps } from '../adapters/container';
import { unauthorized } from '../core/errors';
import { LastAdminError, changeRole, disableStaff, inviteSchema, listTeam, inviteStaff, teamRoles, type TeamActor, type TeamChangeDeps } from '../core/team';
import { errorBody, restApi, type RestRequest, type RestResult } from './lib/rest';

// Fail the cold start, not the first request, when the pool is not configured.
loadConfig(['USER_POOL_ID']);

function actorOf(request: RestRequest): TeamActor {
  if (!request.caller) throw unauthorized('sign in to use this route');
  return request.caller;
}

/** Cognito `sub`s are UUIDs. */
const userPath = z.object({
  userId: z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'must be a user id (a UUID)'),
});
const roleBody = z.strictObject({ role: z.enum(teamRoles, { error: 'must be admin or agent' }) });

/** A role change or a disable also updates the staff directory (staff e-mail, the live inbox) in the table. */
async function changeDeps(): Promise<TeamChangeDeps> {
  return { ...(await teamDeps()), staff: handoffStore(), connections: store() };
}

/** The last-admin rule answers 400 with `reason: last_admin` beside the usual error. */
async function guardLastAdmin(run: () => Promise<RestResult>): Promise<RestResult> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof LastAdminError) return { status: 400, body: { ...errorBody('bad_request', error.message), reason: error.reason } };
    throw error;
  }
}

export const handler = restApi('teamApi', {
  listTeam: async (request) => {
    const actor = actorOf(request);
    return { body: { items: await listTeam(await teamDeps(), actor.tenantId) } };
  },
  inviteStaff: async (request) => {
    const actor = actorOf(request);
    const input = inviteSchema.parse(request.body ?? {});
    return { status: 201, body: { member: await inviteStaff(await teamDeps(), actor, input) } };
  },
  changeStaffRole: async (request) => {
    const actor = actorOf(request);
    const { userId } = userPath.parse(request.path);
    const { role } = roleBody.parse(request.body ?? {});
    const deps = await changeDeps();
    const previous = await deps.accounts.get(userId);
    const before = previous?.tenantId === actor.tenantId ? { role: previous.role } : undefined;
    return guardLastAdmin(async () => ({ body: { member: await changeRole(deps, actor, userId, role) }, audit: { before, after: { role } } }));
  },
  disableStaff: async (request) => {
    const actor = actorOf(request);
    const { userId } = userPath.parse(request.path);
    const deps = await changeDeps();
    return guardLastAdmin(async () => ({ body: { member: await disableStaff(deps, actor, userId) } }));
  },
});
