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

/**
 * Refuses resource scopes naming a type that does not exist (`system/UnknownResource.read`): a grant for a
 * type no request can reach would tell the client something is allowed that means nothing.
 */
export function withKnownTypes(scopes: ParsedScopes, resourceTypes: ReadonlySet<string>): ParsedScopes {
  const unknown = scopes.resources.filter((s) => s.type !== '*' && !resourceTypes.has(s.type));
  if (unknown.length === 0) return scopes;
  return { ...scopes, resources: scopes.resources.filter((s) => !unknown.includes(s)), refused: [...scopes.refused, ...unknown.map((s) => s.text)] };
}

export function formatScopes(scopes: ParsedScopes): string {
  return [...scopes.other, ...scopes.resources.map((s) => s.text)].join(' ');
}

const LETTERS = ['c', 'r', 'u', 'd', 's'] as const;

/**
 * The part of `requested` that `allowed` permits: each requested resource scope meets each allowed one of
 * its context (a wildcard type meets any type and yields the narrower one; permissions are intersected);
 * other scopes are kept when allowed lists them. A scope granted whole keeps the text it was asked with.
 */
export function intersectScopes(requested: ParsedScopes, allowed: ParsedScopes): ParsedScopes {
  const byKey = new Map<string, ResourceScope>();
  const refused = [...requested.refused];
  for (const wanted of requested.resources) {
    let any = false;
    for (const g of allowed.resources) {
      if (g.context !== wanted.context || (g.type !== '*' && wanted.type !== '*' && g.type !== wanted.type)) continue;
      const type = wanted.type === '*' ? g.type : wanted.type;
      const common = LETTERS.filter((p) => wanted.permissions.has(p) && g.permissions.has(p));
      if (common.length === 0) continue;
      any = true;
      const key = `${wanted.context}/${type}`;
      const merged = new Set<Permission>([...(byKey.get(key)?.permissions ?? []), ...common]);
      const whole = type === wanted.type && merged.size === wanted.permissions.size;
      byKey.set(key, { context: wanted.context, type, permissions: merged, text: whole ? wanted.text : `${key}.${LETTERS.filter((p) => merged.has(p)).join('')}` });
    }
    if (!any) refused.push(wanted.text);
  }
  const other = new Set([...requested.other].filter((s) => allowed.other.has(s)));
  for (const s of requested.other) if (!other.has(s)) refused.push(s);
  return { resources: [...byKey.values()], other, refused };
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
