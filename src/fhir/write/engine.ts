import type { Bundle, Resource } from '@medplum/fhirtypes';
import type { Principal } from '../../access/principal.js';
import type { Queryable } from '../../storage/database.js';
import {
  existing, lockCriteria, lockCurrent, writeVersions, type CurrentRow, type NewVersion,
} from '../../storage/resource-store.js';
import { patientCompartmentOf } from '../compartment.js';
import type { FhirContext } from '../context.js';
import { fhirDefinitions } from '../definitions.js';
import { errors, FhirError } from '../outcomes.js';
import { collectReferences, parseLocalReference, rewriteReferences, rewritesOutsideReferences } from '../references.js';
import { findByCriteria } from '../search/criteria.js';
import type { Visibility } from '../../storage/sql/visibility.js';
import type { SearchPlan } from '../search/model.js';
import { extractIndex } from '../search/extract/index.js';
import type { SerializedIndex } from '../../storage/search-index.js';
import { assertValid } from '../validation.js';
import { opResourceType, type WriteOp, type WriteResult } from './operations.js';
import { applyJsonPatch, patchedNumbers } from './patch.js';
import { parseJsonNumbers, stringifyJson, writtenNumbers, type WrittenNumbers } from '../written-numbers.js';
import { assertValidId, checkIfMatch, sameContent, stamp } from './versioning.js';
import { categoriesOf } from '../../consent/categories.js';
import { labelSensitive } from '../../consent/labels.js';
import { flagPdfOnly } from '../../documents/pdf-only.js';
import { checkDocumentBundle, DocumentProblem } from '../../documents/ingest/document.js';
import { consentKind, consentRulesOf } from '../../consent/rules.js';

export interface WriteOptions {
  /** Transaction semantics: references between entries resolved, referential integrity checked. */
  readonly transaction: boolean;
  /** Where op i stands in the request Bundle, so errors name the right entry. */
  readonly entryIndexes?: readonly number[];
  /** The organisation (`Organization/id`) of the user or system writing: recorded on every version. */
  readonly author?: string;
  /** Access control: sees every planned write before anything is stored, and throws to refuse one. */
  readonly guard?: WriteGuard;
  /**
   * Access control: conditional create, update and delete criteria match only what the requester may
   * see, as a search would — a hidden resource answers exactly as an absent one (no existence oracle).
   */
  readonly criteriaVisibility?: Visibility;
  /** Access control: refuses criteria the requester may not search by, as search refuses them (Consent.data). */
  readonly criteriaCheck?: (plan: SearchPlan) => void;
  /**
   * Access control, before anything is checked or planned (so no precondition, validation or version
   * answer can tell): whether the requester may know that each target exists. A `hidden` target is
   * written as if absent — a delete deletes nothing (204), a patch finds nothing (404), an If-Match has no
   * current version — and a target whose id the requester may not give (update-as-create) is refused here
   * with the very answer a hidden one gets.
   */
  readonly existence?: ExistenceGuard;
  /** Who writes (absent for Carnet's own writes): the after-write hooks are told (a Subscription keeps its owner). */
  readonly principal?: Principal;
  /** Adds a reason to the requester's audit record: the after-write hooks are given it (WrittenBy.note). */
  readonly note?: (reason: string) => void;
  /** Request bodies already found valid off the event loop (validation/off-loop.ts): not validated again. */
  readonly validated?: WeakSet<object>;
  /**
   * Their index rows of the parameters a write leaves alone, computed and serialized off the event loop
   * (extract/index.ts, `stable`): only the `volatile` rest is extracted here, over the stored version.
   */
  readonly preIndexed?: WeakMap<object, SerializedIndex>;
}

/** What access control needs to know about a version about to be written. */
export interface VersionFacts {
  readonly patientId: string | null;
  readonly authorOrg: string | null;
  readonly sensitivity: readonly string[];
  /** A Consent Carnet enforces (patient-privacy or research). */
  readonly privacyConsent: boolean;
}

/**
 * One write as planned, for the guard: `read` when a conditional create matched an existing resource
 * (whose content the response returns); `current` is the stored row before, `next` the new version's facts.
 */
export interface PlannedWrite {
  readonly index: number;
  readonly action: 'create' | 'update' | 'delete' | 'read';
  readonly resourceType: string;
  readonly id: string;
  readonly current: CurrentRow | undefined;
  readonly next: VersionFacts | undefined;
}

export type WriteGuard = (tx: Queryable, writes: readonly PlannedWrite[]) => Promise<void>;

/**
 * A write's target as found, before planning: what the write does there (`put` writes content at the id,
 * so a hidden target cannot be written as if absent), and `clientId` when the client chose the id.
 */
export interface WriteTarget {
  readonly resourceType: string;
  readonly id: string;
  readonly current: CurrentRow | undefined;
  readonly action: 'put' | 'patch' | 'delete';
  readonly clientId: boolean;
}

export type ExistenceGuard = (tx: Queryable, target: WriteTarget) => Promise<'seen' | 'hidden'>;

/** A write whose target is known: the id it acts on and what it will do there. */
interface Resolved {
  readonly op: WriteOp;
  readonly index: number;
  readonly resourceType: string;
  id: string;
  /** Set when a conditional operation found nothing to do or an existing match (no write). */
  noWrite?: WriteResult;
  /** A create whose id is new (no current row to lock). */
  readonly isNew: boolean;
  /** The id was chosen by the client for a resource that may be new (an update, a conditional update's body id). */
  readonly clientId?: boolean;
  resource?: Resource;
}

/** A stored document Bundle keeps the document rules (documents/ingest/document.ts): a 400 naming the element otherwise. */
function assertDocument(bundle: Resource): void {
  try {
    checkDocumentBundle(bundle);
  } catch (error) {
    if (error instanceof DocumentProblem) throw errors.invalid(`A Bundle of type document: ${error.message}`, [...error.expression]);
    throw error;
  }
}

function failAt(error: unknown, index: number, many: boolean): never {
  if (error instanceof FhirError && many) throw error.atEntry(index);
  throw error;
}

/**
 * Executes writes inside an open database transaction: resolves conditional targets and references,
 * checks preconditions and validity, then stores every new version in bulk. Throws a FhirError (and the
 * caller rolls back) when any write is unacceptable, so nothing is ever partly written.
 */
export async function executeWrites(tx: Queryable, ctx: FhirContext, ops: readonly WriteOp[], options: WriteOptions): Promise<WriteResult[]> {
  const many = ops.length > 1 || options.transaction;
  const resolved: Resolved[] = [];
  for (const [position, op] of ops.entries()) {
    const index = options.entryIndexes?.[position] ?? position;
    try {
      resolved.push(await resolveTarget(tx, ctx, op, index, options));
    } catch (error) {
      failAt(error, index, many);
    }
  }

  const targets = new Set<string>();
  for (const r of resolved) {
    if (r.noWrite) continue;
    const key = `${r.resourceType}/${r.id}`;
    if (targets.has(key)) failAt(errors.invalid(`${key} is the target of more than one entry`), r.index, many);
    targets.add(key);
  }

  const mapping = await referenceMapping(tx, ctx, resolved, options);
  const current = await lockCurrent(tx, resolved.filter((r) => !r.isNew && !r.noWrite).map((r) => ({ resourceType: r.resourceType, id: r.id })));
  if (options.existence) await concealHidden(tx, resolved, current, options.existence, many);

  const now = ctx.clock().toISOString();
  const versions: NewVersion[] = [];
  const results: WriteResult[] = [];
  const planned: PlannedWrite[] = [];
  for (const r of resolved) {
    try {
      if (r.noWrite) {
        results.push(r.noWrite);
        if (r.noWrite.outcome === 'matched-existing') planned.push({ index: r.index, action: 'read', resourceType: r.resourceType, id: r.id, current: undefined, next: undefined });
        continue;
      }
      const row = current.get(`${r.resourceType}/${r.id}`);
      const plan = planVersion(r, row, mapping, now, ctx, versions, options);
      results.push(plan.result);
      const action = r.op.kind === 'delete' || r.op.kind === 'conditional-delete' ? 'delete' : row && !row.deleted ? 'update' : 'create';
      planned.push({ index: r.index, action, resourceType: r.resourceType, id: r.id, current: row, next: plan.facts });
    } catch (error) {
      failAt(error, r.index, many);
    }
  }
  if (options.guard) {
    for (const p of planned) {
      try {
        await options.guard(tx, [p]);
      } catch (error) {
        failAt(error, p.index, many);
      }
    }
  }
  if (options.transaction) {
    const entryOf = new Map(resolved.map((r) => [`${r.resourceType}/${r.id}`, r.index]));
    await checkReferentialIntegrity(tx, ctx, versions, entryOf);
  }
  await writeVersions(tx, versions);
  for (const hook of ctx.afterWrite ?? []) await hook(tx, ctx, versions, { ...(options.principal ? { principal: options.principal } : {}), ...(options.note ? { note: options.note } : {}) });
  return results;
}

/** Drops the current rows the requester may not know exist: the writes plan them as absent. */
async function concealHidden(tx: Queryable, resolved: readonly Resolved[], current: Map<string, CurrentRow>, existence: ExistenceGuard, many: boolean): Promise<void> {
  for (const r of resolved) {
    if (r.noWrite || r.isNew) continue;
    const key = `${r.resourceType}/${r.id}`;
    try {
      const action = r.op.kind === 'patch' ? 'patch' : r.op.kind === 'delete' || r.op.kind === 'conditional-delete' ? 'delete' : 'put';
      const seen = await existence(tx, { resourceType: r.resourceType, id: r.id, current: current.get(key), action, clientId: r.clientId ?? false });
      if (seen === 'hidden') current.delete(key);
    } catch (error) {
      failAt(error, r.index, many);
    }
  }
}

/** What conditional criteria run under: the requester's visibility and refusals. */
type CriteriaAccess = Pick<WriteOptions, 'criteriaVisibility' | 'criteriaCheck'>;

async function findMatches(tx: Queryable, ctx: FhirContext, resourceType: string, criteria: string, access: CriteriaAccess): Promise<CurrentRow[]> {
  const rows = await findByCriteria(tx, resourceType, criteria, {
    baseUrl: ctx.fhirBaseUrl, now: ctx.clock(), limit: 2,
    ...(access.criteriaVisibility ? { visibility: access.criteriaVisibility } : {}), ...(access.criteriaCheck ? { check: access.criteriaCheck } : {}),
  });
  return rows.map((row) => ({ ...row, deleted: false }));
}

async function resolveTarget(tx: Queryable, ctx: FhirContext, op: WriteOp, index: number, access: CriteriaAccess): Promise<Resolved> {
  const resourceType = opResourceType(op);
  if (!fhirDefinitions().resourceTypes.has(resourceType)) throw errors.invalid(`Unknown resource type "${resourceType}"`);
  const base = { op, index, resourceType };
  switch (op.kind) {
    case 'create': {
      if (op.ifNoneExist) {
        // Double-checked: a committed match needs no lock (the usual case: the organisation or
        // practitioner every bundle of a source repeats). Only a creator takes the criteria's lock, until
        // its transaction ends, and looks again under it (read committed: it sees what a creator that held
        // the lock before it committed), so two parallel creates still make one resource. Holding the lock
        // on every match serialised every bundle that named the same organisation.
        for (const locked of [false, true]) {
          if (locked) await lockCriteria(tx, `${resourceType}?${op.ifNoneExist}`);
          const matches = await findMatches(tx, ctx, resourceType, op.ifNoneExist, access);
          if (matches.length > 1) throw errors.coded('multiple-matches', `If-None-Exist "${op.ifNoneExist}" matches more than one ${resourceType}`);
          const match = matches[0];
          if (match) {
            return { ...base, id: match.id, isNew: false, noWrite: existingResult(match, 'matched-existing', 200) };
          }
        }
      }
      return { ...base, id: ctx.newId(), isNew: true };
    }
    case 'conditional-update': {
      await lockCriteria(tx, `${resourceType}?${op.criteria}`);
      const matches = await findMatches(tx, ctx, resourceType, op.criteria, access);
      if (matches.length > 1) throw errors.coded('multiple-matches', `Conditional update "${op.criteria}" matches more than one ${resourceType}`);
      const match = matches[0];
      const bodyId = op.resource.id;
      if (match && bodyId && bodyId !== match.id) {
        throw errors.invalid(`The body's id "${bodyId}" differs from the matching ${resourceType}/${match.id}`);
      }
      if (bodyId) assertValidId(bodyId);
      return { ...base, id: match?.id ?? bodyId ?? ctx.newId(), isNew: false, clientId: !match && bodyId !== undefined };
    }
    case 'conditional-delete': {
      const matches = await findMatches(tx, ctx, resourceType, op.criteria, access);
      if (matches.length > 1) throw errors.coded('multiple-matches', `Conditional delete "${op.criteria}" matches more than one ${resourceType}`);
      const match = matches[0];
      if (!match) {
        return { ...base, id: '', isNew: false, noWrite: { outcome: 'already-absent', status: 204, resourceType, id: '' } };
      }
      return { ...base, id: match.id, isNew: false };
    }
    default:
      assertValidId(op.id);
      return { ...base, id: op.id, isNew: false, clientId: op.kind === 'update' && !op.serverId };
  }
}

function existingResult(row: CurrentRow, outcome: 'matched-existing' | 'unchanged', status: 200): WriteResult {
  return {
    outcome, status, resourceType: row.resourceType, id: row.id, versionId: row.versionId, lastUpdated: row.lastUpdated,
    ...(row.content ? { content: row.content } : {}),
  };
}

/**
 * In a transaction, maps every entry's `urn:uuid:`/`urn:oid:` fullUrl to its assigned `Type/id`, and every
 * conditional reference (`Patient?identifier=…`) to the single resource it matches.
 */
async function referenceMapping(tx: Queryable, ctx: FhirContext, resolved: Resolved[], options: WriteOptions): Promise<Map<string, string>> {
  const mapping = new Map<string, string>();
  if (!options.transaction) return mapping;
  for (const r of resolved) {
    const fullUrl = 'fullUrl' in r.op ? r.op.fullUrl : undefined;
    if (!fullUrl || !r.id) continue;
    const target = `${r.resourceType}/${r.id}`;
    if (/^urn:(uuid|oid):/.test(fullUrl)) {
      mapping.set(fullUrl, target);
    } else if (r.op.kind === 'create') {
      // A created resource gets a new id: references to its RESTful fullUrl, absolute or relative, follow it.
      const restful = /([A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64})$/.exec(fullUrl);
      mapping.set(fullUrl, target);
      if (restful?.[1] && restful[1] !== target) mapping.set(restful[1], target);
    }
  }
  for (const r of resolved) {
    const body = 'resource' in r.op ? r.op.resource : undefined;
    if (!body) continue;
    for (const reference of collectReferences(body)) {
      if (mapping.has(reference)) continue;
      if (/^urn:(uuid|oid):/.test(reference)) {
        failAt(errors.invalid(`Reference "${reference}" matches no entry of the transaction`), r.index, true);
      }
      const conditional = /^([A-Z][A-Za-z]+)\?(.+)$/.exec(reference);
      if (conditional) {
        const [, type, criteria] = conditional as unknown as [string, string, string];
        const matches = await findMatches(tx, ctx, type, criteria, options).catch((error: unknown) => failAt(error, r.index, true));
        if (matches.length !== 1) {
          const n = matches.length === 0 ? 'no' : 'more than one';
          failAt(errors.preconditionFailed(`Conditional reference "${reference}" matches ${n} resource`), r.index, true);
        }
        mapping.set(reference, `${type}/${(matches[0] as CurrentRow).id}`);
      }
    }
  }
  return mapping;
}

function planVersion(
  r: Resolved, current: CurrentRow | undefined, mapping: Map<string, string>, now: string, ctx: FhirContext, out: NewVersion[], options: WriteOptions,
): { result: WriteResult; facts: VersionFacts | undefined } {
  const author = options.author;
  const { op, resourceType, id } = r;
  const label = `${resourceType}/${id}`;
  if (op.kind === 'delete' || op.kind === 'conditional-delete') {
    if (op.kind === 'delete') checkIfMatch(op.ifMatch, current, label);
    if (!current || current.deleted) return { result: { outcome: 'already-absent', status: 204, resourceType, id }, facts: undefined };
    const versionId = current.versionId + 1;
    out.push({
      resourceType, id, versionId, lastUpdated: now, deleted: true, method: 'DELETE', patientId: null, content: null, index: null,
      authorOrg: author ?? current.authorOrg ?? null, sensitivity: null, consentRules: resourceType === 'Consent' ? [] : null, previous: current,
    });
    return { result: { outcome: 'deleted', status: 204, resourceType, id, versionId, lastUpdated: now }, facts: undefined };
  }

  let body: Resource;
  // Decimals as written (1.50 stays 1.50), by path: the copies made below keep the paths, not the objects.
  let written: WrittenNumbers | undefined;
  if (op.kind === 'patch') {
    checkIfMatch(op.ifMatch, current, label);
    if (!current) throw errors.notFound(`${label} does not exist`);
    if (current.deleted || !current.content) throw errors.gone(`${label} was deleted`);
    const before = parseJsonNumbers(current.content) as Resource;
    body = applyJsonPatch(before, op.patch);
    written = patchedNumbers(writtenNumbers(before), op.patch);
  } else {
    if (op.kind !== 'create') checkIfMatch(op.ifMatch, current, label);
    body = op.resource;
    written = writtenNumbers(op.resource);
  }
  if (body.resourceType !== resourceType) {
    throw errors.invalid(`The body is a ${String(body.resourceType)}, not a ${resourceType}`);
  }
  // The stable rows computed off the loop hold while the write changes references only (extract/index.ts).
  let preIndexed = 'resource' in op ? options.preIndexed?.get(op.resource) : undefined;
  if (preIndexed && rewritesOutsideReferences(body, mapping)) preIndexed = undefined;
  if (mapping.size > 0) body = rewriteReferences(body, mapping);
  // Sensitive categories labelled, and a result that is only a PDF tagged as such (documents/pdf-only.ts).
  body = flagPdfOnly(labelSensitive({ ...body, id } as Resource));
  const sensitivity = categoriesOf(body);
  const patientId = patientCompartmentOf(body, ctx.fhirBaseUrl) ?? null;
  // A writer with no organisation (an import, an HL7 feed) keeps the organisation that wrote before it.
  const authorOrg = author ?? current?.authorOrg ?? null;
  const facts: VersionFacts = { patientId, authorOrg, sensitivity, privacyConsent: consentKind(body) !== undefined };
  // Content identical to the current version is a no-op (re-imports, re-sent messages): that version was
  // validated when it was written, so it is not validated again.
  if (current && !current.deleted && current.content && sameContent(current.content, body, written)) {
    return { result: existingResult(current, 'unchanged', 200), facts };
  }
  // A document's own rules first: their refusal names the element (the R4 invariants bdl-9/10/11 only say "Bundle").
  if (body.resourceType === 'Bundle' && (body as Bundle).type === 'document') assertDocument(body);
  if (!('resource' in op && options.validated?.has(op.resource))) assertValid(body);
  const consentRules = consentRulesOf(body, ctx.fhirBaseUrl) ?? null;
  const versionId = (current?.versionId ?? 0) + 1;
  const stored = stamp(body, id, versionId, now);
  const content = stringifyJson(stored, written);
  out.push({
    resourceType, id, versionId, lastUpdated: now, deleted: false,
    method: op.kind === 'create' ? 'POST' : op.kind === 'patch' ? 'PATCH' : 'PUT',
    patientId,
    content,
    index: extractIndex(stored, ctx.fhirBaseUrl, preIndexed ? 'volatile' : 'all'),
    ...(preIndexed ? { serializedIndex: preIndexed } : {}),
    authorOrg,
    sensitivity: sensitivity.length ? sensitivity : null,
    consentRules,
    ...(current ? { previous: current } : {}),
  });
  const created = versionId === 1 || Boolean(current?.deleted);
  return { result: { outcome: created ? 'created' : 'updated', status: created ? 201 : 200, resourceType, id, versionId, lastUpdated: now, content }, facts };
}

/** In a transaction, every local reference must point at a resource that exists once it commits. */
async function checkReferentialIntegrity(
  tx: Queryable, ctx: FhirContext, versions: readonly NewVersion[], entryOf: ReadonlyMap<string, number>,
): Promise<void> {
  const written = new Set(versions.filter((v) => !v.deleted).map((v) => `${v.resourceType}/${v.id}`));
  const deleted = new Set(versions.filter((v) => v.deleted).map((v) => `${v.resourceType}/${v.id}`));
  const wanted = new Map<string, { resourceType: string; id: string; from: string }>();
  for (const v of versions) {
    if (!v.content) continue;
    for (const reference of collectReferences(JSON.parse(v.content))) {
      const local = parseLocalReference(reference, ctx.fhirBaseUrl);
      if (!local) continue;
      const key = `${local.resourceType}/${local.id}`;
      if (deleted.has(key)) {
        throw errors.invalid(`${v.resourceType}/${v.id} refers to ${key}, which this transaction deletes`).atEntry(entryOf.get(`${v.resourceType}/${v.id}`) ?? 0);
      }
      if (!written.has(key) && !wanted.has(key)) wanted.set(key, { ...local, from: `${v.resourceType}/${v.id}` });
    }
  }
  const found = await existing(tx, [...wanted.values()]);
  const missing = [...wanted.entries()].filter(([key]) => !found.has(key));
  if (missing.length > 0) {
    const list = missing.slice(0, 10).map(([key, w]) => `Bundle.entry[${entryOf.get(w.from) ?? '?'}] (${w.from}) → ${key}`).join(', ');
    throw errors.invalid(`References to resources that do not exist: ${list}`);
  }
}
