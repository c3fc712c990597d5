import { createContext, useContext } from 'react';
import type Client from 'fhirclient/lib/Client';

/** The signed-in session every page reads: the SMART client and the patient whose record is shown. */
export interface Session {
  readonly client: Client;
  readonly patientId: string;
  signOut(): void;
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in portal');
  return session;
}
