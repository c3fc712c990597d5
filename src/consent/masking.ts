import type { Principal } from '../access/principal.js';
import { roleClass } from '../access/roles.js';
import { V3_OBSERVATION_VALUE as OBSERVATION_VALUE } from '../fhir/code-systems.js';

/**
 * Consents as professionals see them (pure). A Consent's `provision.data` (at any depth) names the very
 * resources it hides or shares: shown as such to someone under the patient's consents it would reveal that
 * those ids exist, and what kind of thing the patient keeps from them. So for such a requester (a
 * professional, an organisation's system) every `data` entry is removed and the Consent is marked as
 * redacted for a security reason (`meta.security` REDACTED) and incomplete (`meta.tag` SUBSETTED: it must not
 * be sent back as an update). The rest stays: that a privacy Consent exists, its period and its categories,
 * so a professional knows the record is incomplete, can ask the patient, or break the glass. The patient,
 * their proxy, privacy officers and platform clients see Consents whole. Applied to every answer of the
 * router (read, vread, history, search with `_include`/`_revinclude`, `$everything`, batch entries) and to
 * Subscription notifications, so no path shows the list.
 */

export { OBSERVATION_VALUE };
const REDACTED = { system: OBSERVATION_VALUE, code: 'REDACTED', display: 'redacted' } as const;
const SUBSETTED = { system: OBSERVATION_VALUE, code: 'SUBSETTED', display: 'subsetted' } as const;

/** Whether Consents are masked for this requester: anyone under the patients' consents. */
export function masksConsents(principal: Principal | undefined): boolean {
  if (!principal) return false;
  const cls = roleClass(principal.role);
  return cls === 'professional' || (cls === 'system' && !principal.platform);
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The provision without any `data`, at any depth; `removed` tells whether there was some. */
function stripProvision(provision: Json, found: { removed: boolean }): Json {
  const { data, provision: nested, ...rest } = provision;
  if (data !== undefined) found.removed = true;
  const out: Json = { ...rest };
  if (Array.isArray(nested)) out.provision = nested.map((p) => (isObject(p) ? stripProvision(p, found) : p));
  else if (nested !== undefined) out.provision = nested;
  return out;
}

function withCoding(list: unknown, coding: { system: string; code: string; display: string }): unknown[] {
  const codings = Array.isArray(list) ? list : [];
  return codings.some((c) => isObject(c) && c.system === coding.system && c.code === coding.code) ? codings : [...codings, coding];
}

/** A Consent without the resources it names (unchanged, same object, when it names none). */
export function maskConsent(consent: Json): Json {
  if (!isObject(consent.provision)) return consent;
  const found = { removed: false };
  const provision = stripProvision(consent.provision, found);
  if (!found.removed) return consent;
  const meta = isObject(consent.meta) ? consent.meta : {};
  return { ...consent, meta: { ...meta, security: withCoding(meta.security, REDACTED), tag: withCoding(meta.tag, SUBSETTED) }, provision };
}

/**
 * Every Consent of an answer masked: the resource itself, a Bundle's entries (and the Bundles within them:
 * batch responses, search sets), a Parameters' resources, and contained resources. Returns the same
 * object when nothing changed.
 */
export function maskConsents(resource: Json): Json {
  let out = resource;
  if (resource.resourceType === 'Consent') out = maskConsent(resource);
  if (Array.isArray(out.contained)) out = replaceList(out, 'contained', (r) => (isObject(r) ? maskConsents(r) : r));
  if (out.resourceType === 'Bundle' && Array.isArray(out.entry)) {
    out = replaceList(out, 'entry', (entry) => {
      if (!isObject(entry)) return entry;
      let e = entry;
      if (isObject(e.resource)) e = replaceKey(e, 'resource', maskConsents(e.resource));
      if (isObject(e.response) && isObject(e.response.outcome)) e = replaceKey(e, 'response', replaceKey(e.response, 'outcome', maskConsents(e.response.outcome)));
      return e;
    });
  }
  if (out.resourceType === 'Parameters' && Array.isArray(out.parameter)) out = replaceList(out, 'parameter', maskParameter);
  return out;
}

function maskParameter(parameter: unknown): unknown {
  if (!isObject(parameter)) return parameter;
  let p = parameter;
  if (isObject(p.resource)) p = replaceKey(p, 'resource', maskConsents(p.resource));
  if (Array.isArray(p.part)) p = replaceList(p, 'part', maskParameter);
  return p;
}

function replaceKey(object: Json, key: string, value: unknown): Json {
  return object[key] === value ? object : { ...object, [key]: value };
}

function replaceList(object: Json, key: string, map: (item: unknown) => unknown): Json {
  const list = object[key] as unknown[];
  const mapped = list.map(map);
  return mapped.every((item, i) => item === list[i]) ? object : { ...object, [key]: mapped };
}

/**
 * The same on a serialised answer (search Bundles are built as JSON text): parsed only when it may hold a
 * Consent, so other answers cost one scan of the text.
 */
export function maskConsentsText(text: string): string {
  if (!text.includes('Consent')) return text;
  const parsed = JSON.parse(text) as unknown;
  if (!isObject(parsed)) return text;
  const masked = maskConsents(parsed);
  return masked === parsed ? text : JSON.stringify(masked);
}
