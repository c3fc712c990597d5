import { createContext, useContext } from 'react';
import type Client from 'fhirclient/lib/Client';
import type { Section } from './roles.js';

/** The signed-in professional: the SMART client, their role's sections, and how to sign out. */
export interface ClinicSession {
  readonly client: Client;
  readonly role: string;
  readonly name: string;
  /** The professional's Practitioner (SMART fhirUser), for "my patients". */
  readonly fhirUser?: string;
  readonly sections: readonly Section[];
  signOut(): void;
}

export const SessionContext = createContext<ClinicSession | undefined>(undefined);

export function useSession(): ClinicSession {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in workspace');
  return session;
}

/** An authenticated request outside the FHIR base (the administration and HL7 v2 routes), as JSON. */
export async function api<T>(client: Client, path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const send = async () => fetch(path, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${client.state.tokenResponse?.access_token ?? ''}`, accept: 'application/json, application/fhir+json', ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  let response = await send();
  if (response.status === 401 && client.state.tokenResponse?.refresh_token) {
    // The access token expired while reading: fhirclient refreshes it (the refresh token rotates).
    await client.refresh();
    response = await send();
  }
  const text = await response.text();
  const body = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) throw Object.assign(new Error(messageOf(body) ?? response.statusText), { statusCode: response.status, body });
  return body as T;
}

function messageOf(body: unknown): string | undefined {
  const b = body as { issue?: { diagnostics?: string }[]; error_description?: string } | undefined;
  return b?.issue?.[0]?.diagnostics ?? b?.error_description;
}
