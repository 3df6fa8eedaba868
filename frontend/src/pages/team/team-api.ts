/**
 * The team part of the admin API (list, invite, change a role, disable): decoders (the decoders are the
 * types) and a small client built on `ApiClient.call`. Rules live on the server (lambdas/core/team.ts).
 */
import type { ApiClient, RequestOptions } from '../../api/client';
import { array, boolean, object, oneOf, optional, string, type Infer } from '../../lib/decode';

export const teamRoles = ['admin', 'agent'] as const;
export type TeamRole = (typeof teamRoles)[number];

export const teamMemberDecoder = object({
  userId: string,
  email: string,
  role: oneOf(...teamRoles),
  enabled: boolean,
  status: oneOf('invited', 'active'),
  createdAt: optional(string),
});
export type TeamMember = Infer<typeof teamMemberDecoder>;

const teamListDecoder = object({ items: array(teamMemberDecoder) });
const memberResultDecoder = object({ member: teamMemberDecoder });

export interface TeamApi {
  list(options?: RequestOptions): Promise<TeamMember[]>;
  invite(input: { email: string; role: TeamRole }, options?: RequestOptions): Promise<TeamMember>;
  changeRole(userId: string, role: TeamRole, options?: RequestOptions): Promise<TeamMember>;
  disable(userId: string, options?: RequestOptions): Promise<TeamMember>;
}

export function teamApi(api: ApiClient): TeamApi {
  const member = (userId: string, action: string) => `/v1/admin/team/${encodeURIComponent(userId)}/${action}`;
  return {
    list: async (o) => (await api.call('GET', '/v1/admin/team', teamListDecoder, undefined, o)).items,
    invite: async (input, o) => (await api.call('POST', '/v1/admin/team', memberResultDecoder, input, o)).member,
    changeRole: async (userId, role, o) => (await api.call('PUT', member(userId, 'role'), memberResultDecoder, { role }, o)).member,
    disable: async (userId, o) => (await api.call('POST', member(userId, 'disable'), memberResultDecoder, undefined, o)).member,
  };
}
