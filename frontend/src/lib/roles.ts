import type { StaffGroup } from '../api/types';

export type StaffRole = StaffGroup;

/** A member of both groups is an admin. */
export function roleOf(groups: readonly StaffGroup[]): StaffRole | undefined {
  if (groups.includes('admin')) return 'admin';
  if (groups.includes('agent')) return 'agent';
  return undefined;
}

export const roleNames: Readonly<Record<StaffRole, string>> = { admin: 'Admin', agent: 'Agent' };
