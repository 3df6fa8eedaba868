/**
 * The team: a tenant's staff accounts (admins and agents). Everyone on the
 * team may list it; admins invite people, change their role and disable them.
 *
 * Rules kept here, whatever the account store:
 * - the tenant is always the caller's; an account of another tenant is "not found" (404), never 403;
 * - e-mail addresses are one account each across every tenant of the environment: inviting an address
 *   that already has an account is a 409 that never says which tenant holds it;
 * - the last enabled admin of a tenant cannot be demoted or disabled (a tenant without an admin could
 *   never change its settings or team again): `LastAdminError`, a 400 with `reason: last_admin`.
 *
 * Roles map to the Cognito groups the API reads: `admin` is in both `admin` and `agent` (owners also
 * take handoffs, like the seeded owner), `agent` only in `agent`.
 *
 * The staff directory (core/handoff-ports.ts) follows: a disabled member's record is removed (no more staff
 * e-mail) with their live-inbox connections; a new role rewrites the record's groups (booking e-mail goes to admins).
 * Both are recorded as the member's latest access change, to which every token issued before it is held
 * (`groupsNow`, docs/decisions.md 104).
 */
import { randomBytes, randomInt } from 'node:crypto';
import { z } from 'zod';
import { DomainError, conflict, notFound } from './errors';
import type { EmailSender, StaffAccessChange, StaffDirectory } from './handoff-ports';
import type { ConnectionStore } from './ports';

export const teamRoles = ['admin', 'agent'] as const;
export type TeamRole = (typeof teamRoles)[number];

/** The Cognito groups of each role. */
export const groupsOfRole: Readonly<Record<TeamRole, readonly TeamRole[]>> = { admin: ['admin', 'agent'], agent: ['agent'] };

/** A member of the `admin` group is an admin; of `agent` only, an agent. */
export function roleOfGroups(groups: readonly string[]): TeamRole | undefined {
  if (groups.includes('admin')) return 'admin';
  if (groups.includes('agent')) return 'agent';
  return undefined;
}

/** How long a Cognito ID token can live at most (the pool may be set to up to a day): how long a change is held against tokens. */
export const MAX_TOKEN_LIFETIME_SECONDS = 24 * 60 * 60;

/**
 * What a verified staff token may do now: its groups, less what its member lost after it was issued. Cognito
 * cannot revoke an ID token (it stays valid for up to an hour), so a disabled member's token would keep every
 * right and a demoted admin's would keep the admin's, enough to invite a new account or promote themselves back.
 * - Disabled: nothing, whatever the token, for a day after the disable (as the live inbox refuses them, decision 19):
 *   Cognito gives a disabled account no token, but the local Cognito does (it checks no `Enabled`), and the admin UI
 *   asks for a fresh token on every 401.
 * - A new role: a token issued at or before the change keeps only the groups the new role has; one issued after it
 *   carries the groups Cognito gave it then. A token without `issuedAt` counts as issued before.
 * `now` and the times are seconds since the epoch, real time (what `iat` is).
 */
export function groupsNow(
  token: { readonly groups: readonly TeamRole[]; readonly issuedAt?: number },
  change: StaffAccessChange | undefined,
  now: number,
): TeamRole[] {
  if (change?.disabledAt !== undefined && now < change.disabledAt + MAX_TOKEN_LIFETIME_SECONDS) return [];
  const role = change?.role;
  if (role && (token.issuedAt === undefined || token.issuedAt <= role.changedAt)) return token.groups.filter((g) => role.groups.includes(g));
  return [...token.groups];
}

/** One staff account as the team page shows it. */
export interface TeamMember {
  /** The account's stable id (Cognito `sub`). */
  readonly userId: string;
  readonly email: string;
  readonly role: TeamRole;
  /** False once disabled: the account can no longer sign in. */
  readonly enabled: boolean;
  /** `invited` until the first sign-in replaced the temporary password. */
  readonly status: 'invited' | 'active';
  readonly createdAt?: string;
}

/** An account wherever it belongs: the core checks the tenant before acting on it. */
export interface StaffAccount extends TeamMember {
  readonly tenantId: string;
}

/** How the invitation reaches the invitee. */
export type InvitationDelivery =
  /** The account store sends its own invitation (Cognito's e-mail with a temporary password). */
  | { readonly kind: 'provider' }
  /** We choose the temporary password and send it with our EmailSender (the local outbox, or SES). */
  | { readonly kind: 'email'; readonly email: EmailSender; readonly signInUrl: string };

export interface NewStaffAccount {
  readonly tenantId: string;
  readonly email: string;
  readonly role: TeamRole;
  /** Set when we deliver the invitation ourselves; the store then sends nothing. */
  readonly temporaryPassword?: string;
}

/** The staff accounts of the environment (one Cognito user pool for every tenant). */
export interface StaffAccounts {
  /** Every account of the tenant that has a staff role, enabled or not. */
  list(tenantId: string): Promise<StaffAccount[]>;
  /** An account by id, whatever its tenant; undefined when there is none. */
  get(userId: string): Promise<StaffAccount | undefined>;
  /** Whether any account (of any tenant) signs in with this address. */
  exists(email: string): Promise<boolean>;
  /** Creates the account with its tenant and role; throws `AccountExistsError` when the address is taken. */
  invite(account: NewStaffAccount): Promise<StaffAccount>;
  /** Puts the account in exactly the groups of `role`. */
  setRole(userId: string, role: TeamRole): Promise<void>;
  /** The account can no longer sign in (its groups and tenant stay). */
  disable(userId: string): Promise<void>;
  /** Deletes an account (an invitation that could not be delivered): nothing is left to call its address taken. */
  remove(userId: string): Promise<void>;
}

/** The address already has an account (in this tenant or another: the store does not say). */
export class AccountExistsError extends Error {
  override readonly name = 'AccountExistsError';
}

/** The change would leave the tenant without an enabled admin. */
export class LastAdminError extends DomainError {
  readonly reason = 'last_admin';
  constructor(message: string) {
    super('bad_request', message);
  }
}

export interface TeamDeps {
  readonly accounts: StaffAccounts;
  readonly invitations: InvitationDelivery;
}

/** Changing a role or disabling an account also changes who gets staff e-mail and who is in the live inbox. */
export interface TeamChangeDeps extends TeamDeps {
  readonly staff: Pick<StaffDirectory, 'listStaffConnections' | 'removeStaffConnection' | 'removeStaffMember' | 'setStaffMemberGroups'>;
  readonly connections: Pick<ConnectionStore, 'removeConnection'>;
}

/** Who is asking: from the verified token. */
export interface TeamActor {
  readonly sub: string;
  readonly email: string;
  readonly tenantId: string;
}

export const inviteSchema = z.strictObject({
  email: z
    .string()
    .trim()
    .max(254, 'must be at most 254 characters')
    .pipe(z.email('must be an e-mail address'))
    .transform((e) => e.toLowerCase()),
  role: z.enum(teamRoles, { error: 'must be admin or agent' }),
});
export type Invite = z.infer<typeof inviteSchema>;

const ALREADY_HERE = 'this person is already on your team';
const TAKEN = 'this e-mail address already has a staff account; use another address';

function view(a: StaffAccount): TeamMember {
  return { userId: a.userId, email: a.email, role: a.role, enabled: a.enabled, status: a.status, ...(a.createdAt !== undefined ? { createdAt: a.createdAt } : {}) };
}

const byRoleThenEmail = (a: TeamMember, b: TeamMember): number =>
  a.role === b.role ? a.email.localeCompare(b.email) : a.role === 'admin' ? -1 : 1;

/** The tenant's team: admins first, then agents, each by e-mail. */
export async function listTeam(deps: TeamDeps, tenantId: string): Promise<TeamMember[]> {
  return (await deps.accounts.list(tenantId)).filter((a) => a.tenantId === tenantId).map(view).sort(byRoleThenEmail);
}

/**
 * A temporary password meeting the pool's policy (12+ characters, upper and lower case, digits,
 * symbols): 16 random base64url characters plus one of each class, shuffled.
 */
export function temporaryPassword(): string {
  const chars = [...randomBytes(12).toString('base64url'), 'ABCDEFGHJKLMNPQRSTUVWXYZ'[randomInt(24)], 'abcdefghijkmnpqrstuvwxyz'[randomInt(24)], String(randomInt(10)), '!#%+=?@'[randomInt(7)]];
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j] ?? '', chars[i] ?? ''];
  }
  return chars.join('');
}

function invitationText(input: { email: string; role: TeamRole; password: string; signInUrl: string; invitedBy: string }): string {
  return [
    `${input.invitedBy} invited you to the team as ${input.role === 'admin' ? 'an admin' : 'an agent'}.`,
    '',
    `Sign in at ${input.signInUrl} with`,
    `  e-mail: ${input.email}`,
    `  temporary password: ${input.password}`,
    '',
    'You will be asked to choose your own password. The temporary password expires in 3 days.',
  ].join('\n');
}

/** Invites a person to the caller's tenant (admins only: the route says so). */
export async function inviteStaff(deps: TeamDeps, actor: TeamActor, input: Invite): Promise<TeamMember> {
  const own = await deps.accounts.list(actor.tenantId);
  if (own.some((a) => a.tenantId === actor.tenantId && a.email.toLowerCase() === input.email)) throw conflict(ALREADY_HERE);
  if (await deps.accounts.exists(input.email)) throw conflict(TAKEN);
  const password = deps.invitations.kind === 'email' ? temporaryPassword() : undefined;
  let created: StaffAccount;
  try {
    created = await deps.accounts.invite({ tenantId: actor.tenantId, email: input.email, role: input.role, ...(password ? { temporaryPassword: password } : {}) });
  } catch (error) {
    if (error instanceof AccountExistsError) throw conflict(TAKEN);
    throw error;
  }
  if (deps.invitations.kind === 'email' && password) {
    try {
      await deps.invitations.email.send({
        tenantId: actor.tenantId,
        to: [input.email],
        subject: 'You are invited to Concierge',
        text: invitationText({ email: input.email, role: input.role, password, signInUrl: deps.invitations.signInUrl, invitedBy: actor.email }),
        kind: 'team.invite',
      });
    } catch (error) {
      // Nobody can use an account whose temporary password never went out, and it would make the admin's retry
      // "already on the team": it is deleted, so the retry invites afresh (best effort: the error is what matters).
      await deps.accounts.remove(created.userId).catch(() => undefined);
      throw error;
    }
  }
  return view(created);
}

async function memberOfTenant(deps: TeamDeps, tenantId: string, userId: string): Promise<StaffAccount> {
  const account = await deps.accounts.get(userId);
  // Another tenant's account is indistinguishable from one that does not exist.
  if (!account || account.tenantId !== tenantId) throw notFound('there is no such team member');
  return account;
}

async function assertNotLastAdmin(deps: TeamDeps, actor: TeamActor, target: StaffAccount, change: string): Promise<void> {
  if (target.role !== 'admin' || !target.enabled) return;
  const admins = (await deps.accounts.list(actor.tenantId)).filter((a) => a.tenantId === actor.tenantId && a.role === 'admin' && a.enabled);
  if (admins.every((a) => a.userId === target.userId)) {
    const who = target.userId === actor.sub ? 'you are' : `${target.email} is`;
    throw new LastAdminError(`${who} the last admin of this business: make someone else an admin first, then ${change}`);
  }
}

/**
 * Changes a member's role; demoting the last enabled admin is refused. The account is written before the access
 * record, on purpose: a record write that then fails leaves the tokens issued until now with the old role for at most
 * their lifetime (or until the admin's retry), while the other order would let a fresh sign-in get the old role back
 * with no end (a token issued after the record's change is taken at its word). The same holds for `disableStaff`.
 */
export async function changeRole(deps: TeamChangeDeps, actor: TeamActor, userId: string, role: TeamRole): Promise<TeamMember> {
  const target = await memberOfTenant(deps, actor.tenantId, userId);
  if (target.role !== role) {
    if (role === 'agent') await assertNotLastAdmin(deps, actor, target, 'change this role');
    await deps.accounts.setRole(userId, role);
  }
  // Also when the role was already set: a retry after a failure here completes the change.
  await deps.staff.setStaffMemberGroups(actor.tenantId, userId, groupsOfRole[role]);
  return view({ ...target, role });
}

/** Disables a member's account; disabling the last enabled admin is refused. */
export async function disableStaff(deps: TeamChangeDeps, actor: TeamActor, userId: string): Promise<TeamMember> {
  const target = await memberOfTenant(deps, actor.tenantId, userId);
  if (target.enabled) {
    await assertNotLastAdmin(deps, actor, target, 'disable this account');
    await deps.accounts.disable(userId);
  }
  // Also when already disabled: a retry after a failure here completes the removal.
  await deps.staff.removeStaffMember(actor.tenantId, userId);
  const live = (await deps.staff.listStaffConnections(actor.tenantId)).filter((c) => c.sub === userId);
  await Promise.all(
    live.map(async (c) => {
      // Their staff frames are refused from now on (handlers/lib/staff-websocket.ts), and nothing is pushed to them.
      await deps.staff.removeStaffConnection(actor.tenantId, c.connectionId);
      await deps.connections.removeConnection(actor.tenantId, c.connectionId);
    }),
  );
  return view({ ...target, enabled: false });
}
