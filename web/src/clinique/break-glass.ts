import { useSyncExternalStore } from 'react';

/**
 * Break-the-glass grants this professional obtained in this session, by patient (memory only): the
 * banner shows them while they last. The server holds the real grant and its audit; this is its echo.
 */
export interface Grant {
  readonly patientId: string;
  readonly expires: string;
  readonly reason: string;
}

const grants = new Map<string, Grant>();
const listeners = new Set<() => void>();
let version = 0;

export function rememberGrant(grant: Grant): void {
  grants.set(grant.patientId, grant);
  version += 1;
  for (const l of listeners) l();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  // A grant ends by itself: re-render each minute so the banner goes away.
  const timer = setInterval(() => listener(), 30_000);
  return () => { listeners.delete(listener); clearInterval(timer); };
}

export function activeGrant(patientId: string, now = Date.now()): Grant | undefined {
  const grant = grants.get(patientId);
  return grant && Date.parse(grant.expires) > now ? grant : undefined;
}

export function useGrant(patientId: string): Grant | undefined {
  useSyncExternalStore(subscribe, () => version);
  return activeGrant(patientId);
}
