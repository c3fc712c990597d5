import type { Resource } from '@medplum/fhirtypes';
import type { Carnet } from '../app/app.js';
import { createClient, createUser } from '../auth/accounts.js';
import { DEMO_CLIENT_SECRET } from '../config/config.js';
import { executeWrites } from '../fhir/write/engine.js';
import { findClient, findUserByName } from '../storage/auth-store.js';
import { withRetries } from '../storage/database.js';
import { firstPatientId } from '../storage/resource-store.js';
import { otpauthUri, totp } from '../auth/totp.js';
import { CARNET_LICENCE_CMQ, CARNET_LICENCE_OIIQ, CARNET_LICENCE_OPQ, CVX, LOINC, OBS_CATEGORY, ORGANIZATION_TYPE, PRACTITIONER_ROLE, UCUM, V3_ROLE_CODE } from '../fhir/code-systems.js';

/**
 * Demo accounts (demo mode only, never with CARNET_DEMO=off): one per role, a demo system client and a
 * demo SMART app, with the organisations, practitioners and the proxy's RelatedPerson they need. The
 * patient account is linked to the first Patient of the demo data, whatever its id.
 */
export const DEMO_ORGANIZATION = 'Organization/demo-clinic';
export const DEMO_PHARMACY = 'Organization/demo-pharmacy';
/** The second factor of the demo professionals and administrators (add it to any authenticator app). */
export const DEMO_TOTP_SECRET = 'CARNETDEMOTOTPSECRETKEY234567ABC';
export const DEMO_APP = { id: 'demo-app', redirectUri: 'http://localhost:8080/demo/callback' };

export interface DemoAccount {
  readonly username: string;
  readonly password: string;
  readonly role: string;
  readonly who: string;
  readonly totp: boolean;
}

export const DEMO_PASSWORD = (role: string) => `demo-${role}-carnet`;
/** Each demo login's password: by role, and the parent's her own (she is a patient too). */
const passwordOf = (a: { username: string; role: string }) => DEMO_PASSWORD(a.username === 'parent' ? 'parent' : a.role);

function directory(patientId: string): Resource[] {
  const licence = (system: string, value: string) => [{ system, value }];
  return [
    { resourceType: 'Organization', id: 'demo-clinic', active: true, name: 'Clinique démo Saint-Laurent', type: [{ coding: [{ system: ORGANIZATION_TYPE, code: 'prov' }] }] },
    { resourceType: 'Organization', id: 'demo-pharmacy', active: true, name: 'Pharmacie démo du Plateau', type: [{ coding: [{ system: ORGANIZATION_TYPE, code: 'prov' }] }] },
    { resourceType: 'Practitioner', id: 'demo-physician', active: true, name: [{ family: 'Tremblay', given: ['Marie'], prefix: ['Dre'] }], identifier: licence(CARNET_LICENCE_CMQ, 'CMQ-10001') },
    { resourceType: 'Practitioner', id: 'demo-nurse', active: true, name: [{ family: 'Roy', given: ['Julie'] }], identifier: licence(CARNET_LICENCE_OIIQ, 'OIIQ-20002') },
    { resourceType: 'Practitioner', id: 'demo-pharmacist', active: true, name: [{ family: 'Gagnon', given: ['Marc'] }], identifier: licence(CARNET_LICENCE_OPQ, 'OPQ-30003') },
    { resourceType: 'PractitionerRole', id: 'demo-physician-role', active: true, practitioner: { reference: 'Practitioner/demo-physician' }, organization: { reference: DEMO_ORGANIZATION }, code: [{ coding: [{ system: PRACTITIONER_ROLE, code: 'doctor' }] }] },
    { resourceType: 'PractitionerRole', id: 'demo-nurse-role', active: true, practitioner: { reference: 'Practitioner/demo-nurse' }, organization: { reference: DEMO_ORGANIZATION }, code: [{ coding: [{ system: PRACTITIONER_ROLE, code: 'nurse' }] }] },
    { resourceType: 'PractitionerRole', id: 'demo-pharmacist-role', active: true, practitioner: { reference: 'Practitioner/demo-pharmacist' }, organization: { reference: DEMO_PHARMACY }, code: [{ coding: [{ system: PRACTITIONER_ROLE, code: 'pharmacist' }] }] },
    // The demo physician and nurse care for the demo patient: the workspace's "Mes patients" lists them.
    { resourceType: 'CareTeam', id: 'demo-care-team', status: 'active', name: 'Équipe de soins — Clinique démo Saint-Laurent', subject: { reference: `Patient/${patientId}` },
      participant: [{ member: { reference: 'Practitioner/demo-physician' } }, { member: { reference: 'Practitioner/demo-nurse' } }], managingOrganization: [{ reference: DEMO_ORGANIZATION }] },
    { resourceType: 'RelatedPerson', id: 'demo-proxy', active: true, patient: { reference: `Patient/${patientId}` }, name: [{ family: 'Proxy', given: ['Claude'] }], relationship: [{ coding: [{ system: V3_ROLE_CODE, code: 'GUARD', display: 'guardian' }] }] },
  ] as Resource[];
}

/**
 * A demo family for the portal's switch between people: a parent with a record of her own who acts for her
 * two children, one under the control age and one past it (whose record narrows for her: access/minors.ts).
 * Ages are relative to the day the demo is seeded.
 */
export const DEMO_FAMILY = { parent: 'demo-parent', child: 'demo-child', teen: 'demo-teen' } as const;

function family(now: Date): Resource[] {
  const born = (years: number, days: number) => new Date(Date.UTC(now.getUTCFullYear() - years, now.getUTCMonth(), now.getUTCDate()) - days * 86_400_000).toISOString().slice(0, 10);
  const patient = (id: string, given: string, gender: string, birthDate: string) => ({
    resourceType: 'Patient', id, active: true, name: [{ use: 'official', family: 'Demers', given: [given] }], gender, birthDate,
    address: [{ use: 'home', line: ['1200 rue Rachel Est'], city: 'Montréal', state: 'QC', postalCode: 'H2J 2J7', country: 'CA' }],
    managingOrganization: { reference: DEMO_ORGANIZATION },
  });
  const mother = (id: string, child: string) => ({
    resourceType: 'RelatedPerson', id, active: true, patient: { reference: `Patient/${child}` }, name: [{ use: 'official', family: 'Demers', given: ['Sophie'] }],
    relationship: [{ coding: [{ system: V3_ROLE_CODE, code: 'MTH', display: 'mother' }], text: 'Mère' }],
  });
  const day = (offset: number) => new Date(now.getTime() - offset * 86_400_000).toISOString();
  const lab = (id: string, subject: string, code: string, display: string, value: number, unit: string, low: number, high: number, offset: number) => ({
    resourceType: 'Observation', id, status: 'final', subject: { reference: `Patient/${subject}` },
    category: [{ coding: [{ system: OBS_CATEGORY, code: 'laboratory' }] }], code: { coding: [{ system: LOINC, code, display }], text: display },
    effectiveDateTime: day(offset), performer: [{ reference: DEMO_ORGANIZATION, display: 'Clinique démo Saint-Laurent' }],
    valueQuantity: { value, unit, system: UCUM, code: unit }, referenceRange: [{ low: { value: low, unit, system: UCUM, code: unit }, high: { value: high, unit, system: UCUM, code: unit } }],
  });
  return [
    patient(DEMO_FAMILY.parent, 'Sophie', 'female', born(41, 120)),
    patient(DEMO_FAMILY.child, 'Léa', 'female', born(9, 30)),
    patient(DEMO_FAMILY.teen, 'Noah', 'male', born(15, 60)),
    mother('demo-parent-of-child', DEMO_FAMILY.child),
    mother('demo-parent-of-teen', DEMO_FAMILY.teen),
    lab('demo-parent-hb', DEMO_FAMILY.parent, '718-7', 'Hémoglobine', 128, 'g/L', 120, 160, 20),
    lab('demo-child-hb', DEMO_FAMILY.child, '718-7', 'Hémoglobine', 118, 'g/L', 115, 155, 40),
    lab('demo-teen-ferritin', DEMO_FAMILY.teen, '2276-4', 'Ferritine', 18, 'ug/L', 20, 200, 10),
    { resourceType: 'Immunization', id: 'demo-child-mmr', status: 'completed', patient: { reference: `Patient/${DEMO_FAMILY.child}` },
      vaccineCode: { coding: [{ system: CVX, code: '03', display: 'RRO (rougeole, rubéole, oreillons)' }], text: 'RRO (rougeole, rubéole, oreillons)' },
      occurrenceDateTime: day(400), lotNumber: 'RRO-2025-17', performer: [{ actor: { reference: DEMO_ORGANIZATION, display: 'Clinique démo Saint-Laurent' } }] },
  ] as Resource[];
}

const ACCOUNTS = (patientId: string) => [
  { username: 'patient', role: 'patient', displayName: 'Patient démo', fhirUser: `Patient/${patientId}` },
  { username: 'proxy', role: 'proxy', displayName: 'Claude Proxy', fhirUser: 'RelatedPerson/demo-proxy' },
  { username: 'parent', role: 'patient', displayName: 'Sophie Demers', fhirUser: `Patient/${DEMO_FAMILY.parent}`, proxyFor: ['RelatedPerson/demo-parent-of-child', 'RelatedPerson/demo-parent-of-teen'] },
  { username: 'medecin', role: 'physician', displayName: 'Dre Marie Tremblay', fhirUser: 'Practitioner/demo-physician', practitionerRole: 'PractitionerRole/demo-physician-role' },
  { username: 'infirmiere', role: 'nurse', displayName: 'Julie Roy', fhirUser: 'Practitioner/demo-nurse', practitionerRole: 'PractitionerRole/demo-nurse-role' },
  { username: 'pharmacien', role: 'pharmacist', displayName: 'Marc Gagnon', fhirUser: 'Practitioner/demo-pharmacist', practitionerRole: 'PractitionerRole/demo-pharmacist-role' },
  { username: 'chercheur', role: 'researcher', displayName: 'Chercheuse démo' },
  { username: 'admin', role: 'admin', displayName: 'Administration démo' },
  { username: 'confidentialite', role: 'privacy-officer', displayName: 'Responsable de la confidentialité' },
];

/** The demo directory (organisations, practitioners), written before the demo patients are imported. */
export async function seedDemoDirectory(carnet: Carnet): Promise<void> {
  const orgs = directory('placeholder').filter((r) => r.resourceType === 'Organization');
  await withRetries(carnet.db, (tx) => executeWrites(tx, carnet.ctx, orgs.map((resource) => ({ kind: 'update', resourceType: resource.resourceType, id: resource.id as string, resource })), { transaction: true }));
}

/** Seeds the demo accounts once (when none exists); returns them for the startup banner. */
export async function seedDemoAccounts(carnet: Carnet): Promise<DemoAccount[] | undefined> {
  const patientId = await firstPatientId(carnet.db);
  if (!patientId) return undefined;
  const accounts = ACCOUNTS(patientId);
  const now = carnet.ctx.clock();
  if (!(await findUserByName(carnet.db, 'patient'))) {
    const resources = [...directory(patientId), ...family(now)];
    await withRetries(carnet.db, (tx) => executeWrites(tx, carnet.ctx, resources.map((resource) => ({ kind: 'update', resourceType: resource.resourceType, id: resource.id as string, resource })), { transaction: true }));
    for (const account of accounts) {
      await createUser(carnet.db, carnet.auth.box, { ...account, password: passwordOf(account), totpSecret: DEMO_TOTP_SECRET }, now);
    }
  }
  if (!(await findClient(carnet.db, 'demo-system'))) {
    await createClient(carnet.db, { id: 'demo-system', name: 'Système démo (DME de la clinique)', kind: 'confidential', secret: DEMO_CLIENT_SECRET, scope: 'system/*.cruds', organization: DEMO_ORGANIZATION }, now);
    await createClient(carnet.db, {
      id: DEMO_APP.id, name: 'Application démo', kind: 'public', redirectUris: [DEMO_APP.redirectUri],
      scope: 'openid fhirUser profile offline_access launch/patient patient/*.cruds user/*.cruds',
    }, now);
  }
  return accounts.map((a) => ({ username: a.username, password: passwordOf(a), role: a.role, who: a.fhirUser ?? '', totp: WITH_TOTP.has(a.role) }));
}

const WITH_TOTP = new Set(['physician', 'nurse', 'pharmacist', 'admin', 'privacy-officer']);

/** What the landing page shows in demo mode: each demo login, its role and whether it needs the demo second factor. */
export function demoLogins(): { username: string; password: string; role: string; totp: boolean }[] {
  return ACCOUNTS('').map((a) => ({ username: a.username, password: passwordOf(a), role: a.role, totp: WITH_TOTP.has(a.role) }));
}

/**
 * The demo professionals' current second-factor code, which the workspace's sign-in page shows in demo
 * mode (the secret is printed at every start: it protects nothing; a real account's never leaves Carnet).
 */
export function demoTotpCode(now: Date): string {
  return totp(DEMO_TOTP_SECRET, now);
}

/** The startup banner of demo mode: accounts, the demo clients and how to get the second factor. */
export function demoBanner(accounts: readonly DemoAccount[], baseUrl: string): string {
  const lines = [
    '',
    'Carnet demo accounts (demo mode only; CARNET_DEMO=off seeds none):',
    ...accounts.map((a) => `  ${a.username.padEnd(16)} ${a.password.padEnd(30)} ${a.role.padEnd(16)} ${a.who}${a.totp ? '  (+ TOTP)' : ''}`),
    `  TOTP of the professionals and administrators: secret ${DEMO_TOTP_SECRET}`,
    `    (${otpauthUri(DEMO_TOTP_SECRET, 'demo')})`,
    `  System client: demo-system / ${DEMO_CLIENT_SECRET} (system/*.cruds, ${DEMO_ORGANIZATION})`,
    `    curl -u demo-system:${DEMO_CLIENT_SECRET} -d grant_type=client_credentials -d "scope=system/*.rs" ${baseUrl}/auth/token`,
    `  SMART app (public, PKCE): ${DEMO_APP.id}, redirect ${DEMO_APP.redirectUri}`,
    '',
  ];
  return lines.join('\n');
}
