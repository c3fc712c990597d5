import { randomUUID } from 'node:crypto';
import { parseScopes } from '../access/scopes.js';
import { isRole, requiresSecondFactor, type Role } from '../access/roles.js';
import { parseLocalReference } from '../fhir/references.js';
import { findClient, insertClient, insertUser, type ClientRow, type NewUser } from '../storage/auth-store.js';
import type { Queryable } from '../storage/database.js';
import { readCurrent } from '../storage/resource-store.js';
import { hashSecret } from './passwords.js';
import type { SecretBox } from './secrets.js';
import { newTotpSecret, otpauthUri } from './totp.js';

/**
 * Creating accounts and client registrations (used by the admin API, the demo seed and the bootstrap
 * client), with the checks a registration needs: the linked FHIR resources exist and agree.
 */
export class AccountError extends Error {}

export interface UserInput {
  readonly username: string;
  readonly password: string;
  readonly displayName: string;
  readonly role: string;
  readonly fhirUser?: string;
  readonly practitionerRole?: string;
  readonly organization?: string;
  readonly proxyFor?: readonly string[];
  /** A TOTP secret to use (the demo seeds known ones); one is made when the role needs it. */
  readonly totpSecret?: string;
}

async function mustExist(db: Queryable, reference: string, types: readonly string[], what: string): Promise<{ resourceType: string; id: string; content: Record<string, unknown> }> {
  const ref = parseLocalReference(reference);
  if (!ref || !types.includes(ref.resourceType)) throw new AccountError(`${what} must refer to a ${types.join(' or ')}`);
  const row = await readCurrent(db, ref.resourceType, ref.id);
  if (!row?.content || row.deleted) throw new AccountError(`${what}: ${ref.resourceType}/${ref.id} does not exist`);
  return { ...ref, content: JSON.parse(row.content) as Record<string, unknown> };
}

export async function createUser(db: Queryable, box: SecretBox, input: UserInput, now: Date): Promise<{ id: string; totp?: { secret: string; uri: string } }> {
  if (!isRole(input.role) || input.role === 'system') throw new AccountError(`role must be one of patient, proxy, physician, nurse, pharmacist, researcher, admin, privacy-officer`);
  const role: Role = input.role;
  if (!/^[a-z0-9._@-]{3,64}$/i.test(input.username)) throw new AccountError('username: 3 to 64 letters, digits, ".", "_", "@" or "-"');
  if (input.password.length < 12) throw new AccountError('password: at least 12 characters');
  let organization = input.organization;
  let licence: string | undefined;
  if (role === 'patient' && !input.fhirUser) throw new AccountError('a patient account needs fhirUser: Patient/<id>');
  if (input.fhirUser) {
    const types = role === 'patient' ? ['Patient'] : role === 'proxy' ? ['RelatedPerson'] : ['Practitioner'];
    const found = await mustExist(db, input.fhirUser, types, 'fhirUser');
    if (found.resourceType === 'Practitioner') {
      const identifiers = (found.content.identifier as { system?: string; value?: string }[] | undefined) ?? [];
      licence = identifiers.find((i) => i.value)?.value;
    }
  }
  if (role === 'physician' || role === 'nurse' || role === 'pharmacist') {
    if (!input.fhirUser || !input.practitionerRole) throw new AccountError('a professional account needs fhirUser (Practitioner) and practitionerRole (PractitionerRole)');
    const pr = await mustExist(db, input.practitionerRole, ['PractitionerRole'], 'practitionerRole');
    const practitioner = (pr.content.practitioner as { reference?: string } | undefined)?.reference;
    const org = (pr.content.organization as { reference?: string } | undefined)?.reference;
    if (practitioner !== input.fhirUser) throw new AccountError('the PractitionerRole must name the account\'s Practitioner');
    if (!org) throw new AccountError('the PractitionerRole must name its Organization');
    organization = org;
  }
  if (organization) await mustExist(db, organization, ['Organization'], 'organization');
  const proxyFor = [...(input.proxyFor ?? [])];
  // A proxy acts for others; a patient may also act for others (a parent with a record of their own).
  if (role === 'proxy' && proxyFor.length === 0 && input.fhirUser) proxyFor.push(input.fhirUser);
  if (proxyFor.length > 0 && role !== 'proxy' && role !== 'patient') throw new AccountError('proxyFor is for patient and proxy accounts');
  for (const link of proxyFor) await mustExist(db, link, ['RelatedPerson'], 'proxyFor');
  const totpSecret = input.totpSecret ?? (requiresSecondFactor(role) ? newTotpSecret() : undefined);
  const user: NewUser = {
    id: randomUUID(), username: input.username, displayName: input.displayName, role, passwordHash: await hashSecret(input.password),
    ...(input.fhirUser ? { fhirUser: input.fhirUser } : {}), ...(organization ? { organization } : {}),
    ...(input.practitionerRole ? { practitionerRole: input.practitionerRole } : {}), ...(licence ? { licence } : {}),
    proxyFor, ...(totpSecret ? { totpSecret: box.encrypt(totpSecret) } : {}),
  };
  await insertUser(db, user, now);
  return { id: user.id, ...(totpSecret ? { totp: { secret: totpSecret, uri: otpauthUri(totpSecret, input.username) } } : {}) };
}

export interface ClientInput {
  readonly id?: string;
  readonly name: string;
  readonly kind: 'public' | 'confidential' | 'backend';
  readonly secret?: string;
  readonly jwks?: unknown;
  readonly jwksUri?: string;
  readonly redirectUris?: readonly string[];
  readonly scope: string;
  readonly organization?: string;
  /** Set only by a privacy officer's approval of a research project (never through client administration). */
  readonly project?: string;
  readonly platform?: boolean;
  readonly trusted?: boolean;
}

export async function createClient(db: Queryable, input: ClientInput, now: Date): Promise<ClientRow> {
  const id = input.id ?? randomUUID();
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw new AccountError('client id: letters, digits, ".", "_", "-"');
  if (await findClient(db, id)) throw new AccountError(`client ${id} already exists`);
  const scopes = parseScopes(input.scope);
  if (scopes.refused.length) throw new AccountError(`unsupported scopes: ${scopes.refused.join(' ')}`);
  if (input.kind === 'confidential' && (!input.secret || input.secret.length < 16)) throw new AccountError('a confidential client needs a secret of at least 16 characters');
  if (input.kind === 'backend' && !input.jwks && !input.jwksUri) throw new AccountError('a backend client registers its public keys: jwks or jwksUri');
  if (input.kind !== 'backend' && scopes.resources.some((s) => s.context === 'system') && input.kind === 'public') throw new AccountError('a public client cannot hold system/ scopes');
  for (const uri of input.redirectUris ?? []) if (!/^(https?:\/\/|[a-z][a-z0-9+.-]*:\/)/.test(uri)) throw new AccountError(`redirect URI "${uri}" is not absolute`);
  if (input.organization) await mustExist(db, input.organization, ['Organization'], 'organization');
  const client: Omit<ClientRow, 'disabled'> = {
    id, name: input.name, kind: input.kind, ...(input.secret ? { secretHash: await hashSecret(input.secret) } : {}),
    ...(input.jwks ? { jwks: JSON.stringify(input.jwks) } : {}), ...(input.jwksUri ? { jwksUri: input.jwksUri } : {}),
    redirectUris: [...(input.redirectUris ?? [])], scope: input.scope, ...(input.organization ? { organization: input.organization } : {}),
    ...(input.project ? { project: input.project } : {}), platform: Boolean(input.platform), trusted: Boolean(input.trusted),
  };
  await insertClient(db, client, now);
  return { ...client, disabled: false };
}

/** CARNET_BOOTSTRAP_CLIENT_*: a platform system client with system/*.cruds, registered once. */
export async function ensureBootstrapClient(db: Queryable, bootstrap: { id: string; secret: string } | undefined, now: Date): Promise<boolean> {
  if (!bootstrap || (await findClient(db, bootstrap.id))) return false;
  try {
    await createClient(db, { id: bootstrap.id, name: 'Bootstrap system client', kind: 'confidential', secret: bootstrap.secret, scope: 'system/*.cruds', platform: true }, now);
  } catch (error) {
    // Several processes starting together (CARNET_WORKERS, replicas) race to register it: one wins.
    if ((error as { code?: unknown }).code === '23505' || (error instanceof AccountError && (await findClient(db, bootstrap.id)))) return false;
    throw error;
  }
  return true;
}
