import { fhirDefinitions } from '../../fhir/definitions.js';
import { patientCompartmentTypes } from '../export/params.js';
import { PROFILE_NAMES } from '../deid/profiles.js';

/**
 * Data-access projects (pure): what a request must say, which decisions a project may take, and what an
 * export by the project's client may be. A project is one purpose, one cohort (a Group), its resource types
 * and its de-identification profile, for a fixed duration from its approval.
 */
export type ProjectStatus = 'requested' | 'approved' | 'refused' | 'revoked';

export interface Project {
  readonly id: string;
  readonly title: string;
  readonly purpose: string;
  readonly requester: string;
  readonly requesterName: string;
  readonly groupId: string;
  readonly types: readonly string[];
  readonly profile: string;
  readonly durationDays: number;
  readonly status: ProjectStatus;
  readonly clientId?: string;
  readonly decidedBy?: string;
  readonly decidedAt?: string;
  readonly reason?: string;
  readonly expiresAt?: string;
  /** Revocation by a privacy officer (an approved project only): who, when, why. */
  readonly revokedBy?: string;
  readonly revokedAt?: string;
  readonly revokeReason?: string;
  readonly createdAt: string;
}

export interface ProjectRequest {
  readonly title: string;
  readonly purpose: string;
  readonly groupId: string;
  readonly types: readonly string[];
  readonly profile: string;
  readonly durationDays: number;
  readonly jwks: { keys: unknown[] };
}

export class ProjectError extends Error {}

const MAX_DAYS = 3 * 365;

function text(value: unknown, name: string, min: number, max: number): string {
  if (typeof value !== 'string' || value.trim().length < min || value.length > max) throw new ProjectError(`${name}: ${min} to ${max} characters`);
  return value.trim();
}

/** A researcher's request, checked whole (nothing is stored for a request that fails here). */
export function parseProjectRequest(body: unknown): ProjectRequest {
  if (typeof body !== 'object' || body === null) throw new ProjectError('a JSON object is expected');
  const b = body as Record<string, unknown>;
  const groupId = text(b.groupId, 'groupId', 1, 64);
  if (!/^[A-Za-z0-9\-.]{1,64}$/.test(groupId)) throw new ProjectError('groupId: the id of a Group');
  if (!Array.isArray(b.types) || b.types.length === 0) throw new ProjectError('types: the resource types the project needs (at least one)');
  const compartment = patientCompartmentTypes();
  for (const t of b.types) {
    if (typeof t !== 'string' || !fhirDefinitions().resourceTypes.has(t)) throw new ProjectError(`types: "${String(t)}" is not a resource type`);
    if (!compartment.has(t)) throw new ProjectError(`types: ${t} is not patient data (a project exports its cohort's records)`);
  }
  if (typeof b.profile !== 'string' || !PROFILE_NAMES.has(b.profile)) throw new ProjectError(`profile: one of ${[...PROFILE_NAMES].join(', ')}`);
  if (!Number.isInteger(b.durationDays) || (b.durationDays as number) < 1 || (b.durationDays as number) > MAX_DAYS) throw new ProjectError(`durationDays: 1 to ${MAX_DAYS}`);
  const jwks = b.jwks as { keys?: unknown } | undefined;
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray(jwks.keys) || jwks.keys.length === 0) throw new ProjectError('jwks: the public keys of the project\'s backend client ({"keys": [...]})');
  return {
    title: text(b.title, 'title', 3, 200), purpose: text(b.purpose, 'purpose', 10, 4000), groupId, types: [...new Set(b.types as string[])],
    profile: b.profile, durationDays: b.durationDays as number, jwks: { keys: jwks.keys },
  };
}

/** A decision: approve (a reason optional) or refuse (a reason required), only while requested. */
export function checkDecision(project: Project, decision: 'approve' | 'refuse', reason: unknown): string | undefined {
  if (reason !== undefined && (typeof reason !== 'string' || reason.length > 2000)) throw new ProjectError('reason: text of at most 2000 characters');
  if (decision === 'refuse' && (typeof reason !== 'string' || reason.trim().length < 5)) throw new ProjectError('a refusal says why: reason of at least 5 characters');
  if (project.status !== 'requested') throw new ProjectError(`project ${project.id} is already ${project.status}`);
  return typeof reason === 'string' ? reason.trim() : undefined;
}

/** A revocation: of an approved project only, with a reason (the privacy officer says why). */
export function checkRevocation(project: Project, reason: unknown): string {
  if (typeof reason !== 'string' || reason.trim().length < 5 || reason.length > 2000) throw new ProjectError('a revocation says why: reason of 5 to 2000 characters');
  if (project.status !== 'approved') throw new ProjectError(`project ${project.id} is ${project.status}: only an approved project is revoked`);
  return reason.trim();
}

/** The scopes of a project's client: reading its types, nothing else. */
export function projectScopes(project: Pick<Project, 'types'>): string {
  return project.types.map((t) => `system/${t}.rs`).join(' ');
}

export function expiresAt(approvedAt: Date, durationDays: number): Date {
  return new Date(approvedAt.getTime() + durationDays * 86_400_000);
}

/** Why the project allows no export now, or undefined when it does. */
export function exportRefusal(project: Project | undefined, now: Date): string | undefined {
  if (!project) return 'this client\'s research project does not exist';
  if (project.status === 'revoked') return `research project ${project.id} was revoked on ${project.revokedAt ?? '?'}`;
  if (project.status !== 'approved') return `research project ${project.id} is ${project.status}, not approved`;
  if (!project.expiresAt || Date.parse(project.expiresAt) <= now.getTime()) return `research project ${project.id} expired on ${project.expiresAt ?? 'its approval'}`;
  return undefined;
}

/**
 * An export asked by the project's client, bounded by the project: the project's cohort whatever the
 * level asked (a Group-level kick-off must name it), its types, its profile (another `_profile` is refused).
 */
export function boundedByProject(project: Project, asked: { level: string; groupId?: string; types?: readonly string[]; profile?: string }): { groupId: string; types: readonly string[]; profile: string } {
  if (asked.level === 'group' && asked.groupId !== project.groupId) throw new ProjectError(`research project ${project.id} exports its cohort, Group/${project.groupId}, only`);
  if (asked.profile !== undefined && asked.profile !== project.profile) throw new ProjectError(`research project ${project.id} is approved for the ${project.profile} profile only`);
  const outside = (asked.types ?? []).filter((t) => !project.types.includes(t));
  if (outside.length > 0) throw new ProjectError(`research project ${project.id} is not approved for ${outside.join(', ')}`);
  return { groupId: project.groupId, types: asked.types ?? project.types, profile: project.profile };
}
