/**
 * SMART App Launch 2.0 scopes (and their v1 forms), parsed into data and checked (pure).
 *
 *   patient/Observation.rs   user/*.cruds   system/*.rs   patient/*.read   user/Observation.write   user/*.*
 *
 * v2 letters: c create, r read, u update, d delete, s search. v1 `read` = rs, `write` = cud, `*` = cruds.
 * A v2 scope with search parameters (`patient/Observation.rs?category=laboratory`) is not granted: Carnet
 * grants fewer scopes than asked rather than grant something it does not enforce exactly.
 */
export type ScopeContext = 'patient' | 'user' | 'system';
export type Permission = 'c' | 'r' | 'u' | 'd' | 's';

export interface ResourceScope {
  readonly context: ScopeContext;
  /** A resource type or `*`. */
  readonly type: string;
  readonly permissions: ReadonlySet<Permission>;
  /** The scope as written. */
  readonly text: string;
}

export interface ParsedScopes {
  readonly resources: readonly ResourceScope[];
  /** openid, fhirUser, profile, launch, launch/patient, offline_access, online_access. */
  readonly other: ReadonlySet<string>;
  /** Scopes Carnet does not grant (unknown, malformed, or with search-parameter constraints). */
  readonly refused: readonly string[];
}

const OTHER_SCOPES = new Set(['openid', 'fhirUser', 'profile', 'launch', 'launch/patient', 'offline_access', 'online_access']);
const RESOURCE_SCOPE = /^(patient|user|system)\/([A-Za-z]+|\*)\.([a-z*]+)$/;

function permissionsOf(raw: string): Permission[] | undefined {
  if (raw === 'read') return ['r', 's'];
  if (raw === 'write') return ['c', 'u', 'd'];
  if (raw === '*') return ['c', 'r', 'u', 'd', 's'];
  // v2: letters in the order c r u d s, each at most once.
  if (!/^c?r?u?d?s?$/.test(raw) || raw.length === 0) return undefined;
  return [...raw] as Permission[];
}

export function parseScopes(scope: string | undefined): ParsedScopes {
  const resources: ResourceScope[] = [];
  const other = new Set<string>();
  const refused: string[] = [];
  for (const text of (scope ?? '').split(/\s+/).filter(Boolean)) {
    if (OTHER_SCOPES.has(text)) {
      other.add(text);
      continue;
    }
    const match = RESOURCE_SCOPE.exec(text);
    const permissions = match ? permissionsOf(match[3] as string) : undefined;
    if (!match || !permissions) {
      refused.push(text);
      continue;
    }
    resources.push({ context: match[1] as ScopeContext, type: match[2] as string, permissions: new Set(permissions), text });
  }
  return { resources, other, refused };
}

export function formatScopes(scopes: ParsedScopes): string {
  return [...scopes.other, ...scopes.resources.map((s) => s.text)].join(' ');
}

/** Whether `granted` includes everything `scope` asks (used to intersect a request with a registration). */
function covers(granted: ResourceScope, wanted: ResourceScope): boolean {
  if (granted.context !== wanted.context) return false;
  if (granted.type !== '*' && granted.type !== wanted.type) return false;
  return [...wanted.permissions].every((p) => granted.permissions.has(p));
}

/**
 * The part of `requested` that `allowed` permits: resource scopes are kept when one allowed scope covers
 * them whole, and narrowed to what the allowed scopes share otherwise; other scopes when allowed lists them.
 */
export function intersectScopes(requested: ParsedScopes, allowed: ParsedScopes): ParsedScopes {
  const resources: ResourceScope[] = [];
  const refused = [...requested.refused];
  for (const wanted of requested.resources) {
    if (allowed.resources.some((g) => covers(g, wanted))) {
      resources.push(wanted);
      continue;
    }
    const common = new Set<Permission>();
    for (const g of allowed.resources) {
      if (g.context === wanted.context && (g.type === '*' || g.type === wanted.type)) {
        for (const p of wanted.permissions) if (g.permissions.has(p)) common.add(p);
      }
    }
    if (common.size === 0) {
      refused.push(wanted.text);
      continue;
    }
    const letters = (['c', 'r', 'u', 'd', 's'] as const).filter((p) => common.has(p)).join('');
    resources.push({ ...wanted, permissions: common, text: `${wanted.context}/${wanted.type}.${letters}` });
  }
  const other = new Set([...requested.other].filter((s) => allowed.other.has(s)));
  for (const s of requested.other) if (!other.has(s)) refused.push(s);
  return { resources, other, refused };
}

/** Keeps the resource scopes of the given contexts (e.g. no `system/` scopes for a person). */
export function onlyContexts(scopes: ParsedScopes, contexts: readonly ScopeContext[]): ParsedScopes {
  const kept = scopes.resources.filter((s) => contexts.includes(s.context));
  const dropped = scopes.resources.filter((s) => !contexts.includes(s.context)).map((s) => s.text);
  return { resources: kept, other: scopes.other, refused: [...scopes.refused, ...dropped] };
}

/**
 * How far a token reaches for one resource type and permission: `all` (user or system scope: everything
 * the role and consents allow), `patient` (patient scope: only the token's patient compartment), or none.
 */
export type Reach = 'all' | 'patient' | undefined;

export function reachOf(scopes: ParsedScopes, type: string, permission: Permission): Reach {
  let reach: Reach;
  for (const s of scopes.resources) {
    if ((s.type !== '*' && s.type !== type) || !s.permissions.has(permission)) continue;
    if (s.context !== 'patient') return 'all';
    reach = 'patient';
  }
  return reach;
}

/** The resource types a permission reaches, by reach (`*` when every type). For SQL visibility. */
export function typesReached(scopes: ParsedScopes, permission: Permission): { all: string[]; patient: string[] } {
  const all = new Set<string>();
  const patient = new Set<string>();
  for (const s of scopes.resources) {
    if (!s.permissions.has(permission)) continue;
    (s.context === 'patient' ? patient : all).add(s.type);
  }
  if (all.has('*')) return { all: ['*'], patient: [] };
  return { all: [...all], patient: patient.has('*') ? ['*'] : [...patient].filter((t) => !all.has(t)) };
}
