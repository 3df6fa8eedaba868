/**
 * StaffAccounts on the Cognito user pool (`@aws-sdk/client-cognito-identity-provider`); the same code
 * runs against cognito-local with an endpoint override (AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER).
 *
 * Listing a tenant's team: Cognito's ListUsers cannot filter on custom attributes, so the team is the
 * members of the two staff groups (`ListUsersInGroup`, paginated) whose `custom:tenantId` is the
 * tenant's. Cognito stays the one source of truth (no copy in the table to drift from it); the cost is
 * reading every staff account of the environment per listing, which for one environment of a few small
 * businesses is a few pages (see docs/decisions.md).
 *
 * Ids: with e-mail sign-in, Cognito's user name is a generated id equal to the `sub`, and every Admin*
 * call also accepts the `sub` (and the e-mail alias), so the `sub` is the team member's id.
 */
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  AdminRemoveUserFromGroupCommand,
  CognitoIdentityProviderClient,
  ListUsersInGroupCommand,
  type AttributeType,
  type UserType,
} from '@aws-sdk/client-cognito-identity-provider';
import { AccountExistsError, groupsOfRole, roleOfGroups, teamRoles, type NewStaffAccount, type StaffAccount, type StaffAccounts, type TeamRole } from '../../core/team';

const TENANT_ATTRIBUTE = 'custom:tenantId';

const clients = new Map<string, CognitoIdentityProviderClient>();
/** One client per endpoint, created once per module load. */
export function cognitoClient(endpoint?: string): CognitoIdentityProviderClient {
  const key = endpoint ?? '';
  let client = clients.get(key);
  if (!client) {
    client = new CognitoIdentityProviderClient(endpoint ? { endpoint, maxAttempts: 3 } : { maxAttempts: 3 });
    clients.set(key, client);
  }
  return client;
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

function attribute(attributes: readonly AttributeType[] | undefined, name: string): string | undefined {
  return attributes?.find((a) => a.Name === name)?.Value;
}

interface UserFacts {
  readonly username: string;
  readonly attributes: readonly AttributeType[] | undefined;
  readonly enabled: boolean | undefined;
  readonly status: string | undefined;
  readonly created: Date | undefined;
}

/** An account with a tenant, an e-mail and a staff role; anything else is not a team member. */
function toAccount(user: UserFacts, groups: readonly string[]): StaffAccount | undefined {
  const tenantId = attribute(user.attributes, TENANT_ATTRIBUTE);
  const email = attribute(user.attributes, 'email');
  const userId = attribute(user.attributes, 'sub') ?? user.username;
  const role = roleOfGroups(groups);
  if (!tenantId || !email || !role) return undefined;
  return {
    userId,
    email,
    tenantId,
    role,
    enabled: user.enabled !== false,
    status: user.status === 'FORCE_CHANGE_PASSWORD' ? 'invited' : 'active',
    ...(user.created ? { createdAt: new Date(user.created).toISOString() } : {}),
  };
}

function factsOf(user: UserType): UserFacts | undefined {
  if (!user.Username) return undefined;
  return { username: user.Username, attributes: user.Attributes, enabled: user.Enabled, status: user.UserStatus, created: user.UserCreateDate };
}

/** The staff accounts of one user pool. */
export class CognitoStaffAccounts implements StaffAccounts {
  constructor(
    private readonly client: CognitoIdentityProviderClient,
    private readonly userPoolId: string,
  ) {}

  async list(tenantId: string): Promise<StaffAccount[]> {
    const users = new Map<string, { facts: UserFacts; groups: TeamRole[] }>();
    for (const group of teamRoles) {
      let nextToken: string | undefined;
      do {
        const page = await this.client.send(new ListUsersInGroupCommand({ UserPoolId: this.userPoolId, GroupName: group, Limit: 60, NextToken: nextToken }));
        for (const user of page.Users ?? []) {
          const facts = factsOf(user);
          if (!facts || attribute(facts.attributes, TENANT_ATTRIBUTE) !== tenantId) continue;
          const seen = users.get(facts.username);
          if (seen) seen.groups.push(group);
          else users.set(facts.username, { facts, groups: [group] });
        }
        nextToken = page.NextToken;
      } while (nextToken);
    }
    return [...users.values()].flatMap(({ facts, groups }) => toAccount(facts, groups) ?? []);
  }

  async get(userId: string): Promise<StaffAccount | undefined> {
    const facts = await this.facts(userId);
    if (!facts) return undefined;
    return toAccount(facts, await this.groupsOf(facts.username));
  }

  async exists(email: string): Promise<boolean> {
    return (await this.facts(email)) !== undefined;
  }

  async invite(account: NewStaffAccount): Promise<StaffAccount> {
    let created: UserType | undefined;
    try {
      created = (
        await this.client.send(
          new AdminCreateUserCommand({
            UserPoolId: this.userPoolId,
            Username: account.email,
            UserAttributes: [
              { Name: 'email', Value: account.email },
              { Name: 'email_verified', Value: 'true' },
              { Name: TENANT_ATTRIBUTE, Value: account.tenantId },
            ],
            DesiredDeliveryMediums: ['EMAIL'],
            // With our own temporary password we deliver the invitation; otherwise Cognito e-mails its own.
            ...(account.temporaryPassword !== undefined ? { TemporaryPassword: account.temporaryPassword, MessageAction: 'SUPPRESS' as const } : {}),
          }),
        )
      ).User;
    } catch (error) {
      if (errorName(error) === 'UsernameExistsException' || errorName(error) === 'AliasExistsException') {
        throw new AccountExistsError('the e-mail address already has an account');
      }
      throw error;
    }
    const facts = created ? factsOf(created) : undefined;
    if (!facts) throw new Error('AdminCreateUser answered without the user');
    try {
      for (const group of groupsOfRole[account.role]) {
        await this.client.send(new AdminAddUserToGroupCommand({ UserPoolId: this.userPoolId, Username: facts.username, GroupName: group }));
      }
    } catch (error) {
      // An account without its role would be a stranger with a password: remove it, then fail.
      await this.client.send(new AdminDeleteUserCommand({ UserPoolId: this.userPoolId, Username: facts.username })).catch(() => undefined);
      throw error;
    }
    const member = toAccount(facts, groupsOfRole[account.role]);
    if (!member) throw new Error('the created account lacks its e-mail or tenant');
    return member;
  }

  async setRole(userId: string, role: TeamRole): Promise<void> {
    const facts = await this.facts(userId);
    if (!facts) throw new Error('setRole: no such account');
    const have = new Set(await this.groupsOf(facts.username));
    const want = groupsOfRole[role];
    // Add before removing, so the account never has no role in between.
    for (const group of want.filter((g) => !have.has(g))) {
      await this.client.send(new AdminAddUserToGroupCommand({ UserPoolId: this.userPoolId, Username: facts.username, GroupName: group }));
    }
    for (const group of teamRoles.filter((g) => have.has(g) && !want.includes(g))) {
      await this.client.send(new AdminRemoveUserFromGroupCommand({ UserPoolId: this.userPoolId, Username: facts.username, GroupName: group }));
    }
  }

  async disable(userId: string): Promise<void> {
    await this.client.send(new AdminDisableUserCommand({ UserPoolId: this.userPoolId, Username: userId }));
  }

  async remove(userId: string): Promise<void> {
    const facts = await this.facts(userId);
    if (!facts) return; // gone already
    await this.client.send(new AdminDeleteUserCommand({ UserPoolId: this.userPoolId, Username: facts.username }));
  }

  /** The account by user name, `sub` or e-mail alias; undefined when there is none. */
  private async facts(username: string): Promise<UserFacts | undefined> {
    try {
      const user = await this.client.send(new AdminGetUserCommand({ UserPoolId: this.userPoolId, Username: username }));
      if (!user.Username) return undefined;
      return { username: user.Username, attributes: user.UserAttributes, enabled: user.Enabled, status: user.UserStatus, created: user.UserCreateDate };
    } catch (error) {
      if (errorName(error) === 'UserNotFoundException') return undefined;
      throw error;
    }
  }

  /** cognito-local matches AdminListGroupsForUser on the real user name only, so callers pass that. */
  private async groupsOf(username: string): Promise<string[]> {
    const groups: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.client.send(new AdminListGroupsForUserCommand({ UserPoolId: this.userPoolId, Username: username, Limit: 60, NextToken: nextToken }));
      for (const g of page.Groups ?? []) if (g.GroupName) groups.push(g.GroupName);
      nextToken = page.NextToken;
    } while (nextToken);
    return groups;
  }
}
