import { createContext, useContext } from 'react';
import type { ApiClient } from '../api/client';
import type { Me } from '../api/types';
import type { StaffRole } from '../lib/roles';

export interface Session {
  readonly api: ApiClient;
  readonly me: Me;
  readonly role: StaffRole;
  readonly isAdmin: boolean;
  /** The WebSocket API for the live inbox, when configured. */
  readonly wsUrl?: string;
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionContext');
  return session;
}
