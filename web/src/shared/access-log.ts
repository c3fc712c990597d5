import type { AuditEvent, AuditEventAgent } from '@medplum/fhirtypes';

/**
 * The access log as a person reads it (pure): for each access, who (name, role, organisation, the app
 * used), when, what was looked at (resource types and how many), why (the purpose), whether it was a
 * break-the-glass access and its reason, and whether it was refused.
 */
export interface Access {
  readonly id: string;
  readonly when: string;
  readonly who: string;
  readonly whoRef?: string;
  readonly role?: string;
  readonly organization?: string;
  readonly app?: string;
  readonly action?: string;
  /** Resource types and counts, most first ("Observation" × 12). */
  readonly what: readonly { type: string; count: number }[];
  readonly purpose?: string;
  readonly breakGlass?: string;
  readonly refused: boolean;
  /** The policy decision's reason, as the server recorded it (entity.detail "decision"). */
  readonly reason?: string;
  /** The patient records concerned (Patient/…). */
  readonly patients: readonly string[];
}

const ROLE_SYSTEM = 'urn:carnet:role';
const PARTICIPATION_PROV = 'PROV';
const CLIENT_SYSTEM = 'urn:carnet:client';

function codeOf(agent: AuditEventAgent | undefined, system?: string): string | undefined {
  return agent?.type?.coding?.find((c) => !system || c.system === system)?.code;
}

export function accessOf(event: AuditEvent): Access {
  const agents = event.agent ?? [];
  const requestor = agents.find((a) => a.requestor) ?? agents[0];
  const org = agents.find((a) => codeOf(a) === PARTICIPATION_PROV);
  const app = agents.find((a) => a.who?.identifier?.system === CLIENT_SYSTEM);
  const counts = new Map<string, number>();
  for (const entity of event.entity ?? []) {
    if (entity.role?.code !== '4') continue;
    const type = entity.what?.reference?.split('/')[0];
    if (type) counts.set(type, (counts.get(type) ?? 0) + 1);
  }
  const details = (event.entity ?? []).flatMap((e) => e.detail ?? []);
  const breakGlass = details.find((d) => d.type === 'break-the-glass-reason')?.valueString;
  const reason = details.find((d) => d.type === 'decision')?.valueString;
  const patients = [...new Set((event.entity ?? []).filter((e) => e.role?.code === '1' || e.what?.reference?.startsWith('Patient/')).map((e) => e.what?.reference).filter((r): r is string => Boolean(r?.startsWith('Patient/'))))];
  const role = requestor?.role?.flatMap((r) => r.coding ?? []).find((c) => c.system === ROLE_SYSTEM)?.code;
  const purpose = event.purposeOfEvent?.flatMap((p) => p.coding ?? [])[0]?.code;
  return {
    id: event.id ?? '', when: event.recorded ?? '',
    who: requestor?.who?.display ?? requestor?.name ?? requestor?.who?.reference ?? requestor?.who?.identifier?.value ?? '—',
    ...(requestor?.who?.reference ? { whoRef: requestor.who.reference } : {}),
    ...(role ? { role } : {}),
    ...(org?.who?.display ?? org?.who?.reference ? { organization: org?.who?.display ?? org?.who?.reference } : {}),
    ...(app?.who?.identifier?.value ? { app: app.who.identifier.value } : {}),
    ...(event.subtype?.[0]?.code ? { action: event.subtype[0].code } : {}),
    what: [...counts].map(([type, count]) => ({ type, count })).sort((a, b) => b.count - a.count || a.type.localeCompare(b.type)),
    ...(purpose ? { purpose } : {}),
    ...(breakGlass || purpose === 'ETREAT' ? { breakGlass: breakGlass ?? '' } : {}),
    refused: event.outcome !== undefined && event.outcome !== '0',
    ...(reason ? { reason } : {}),
    patients,
  };
}

/** Whether an access is the signed-in person's own (their portal's reads): the log can set those aside. */
export function isOwn(access: Access, selfRefs: readonly string[]): boolean {
  return Boolean(access.whoRef && selfRefs.includes(access.whoRef));
}

export function organizationsOf(accesses: readonly Access[]): string[] {
  return [...new Set(accesses.map((a) => a.organization).filter((o): o is string => Boolean(o)))].sort();
}
