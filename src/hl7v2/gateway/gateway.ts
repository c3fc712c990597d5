import type { Binary, Provenance, Reference } from '@medplum/fhirtypes';
import type { FhirContext } from '../../fhir/context.js';
import { FhirError } from '../../fhir/outcomes.js';
import { rewriteReferences } from '../../fhir/references.js';
import { executeWrites } from '../../fhir/write/engine.js';
import type { WriteOp, WriteResult } from '../../fhir/write/operations.js';
import { withRetries, type Queryable } from '../../storage/database.js';
import type { Hl7Config } from '../config.js';
import { localRefs, type MappingContext } from '../mapping/context.js';
import { resolveProfile, type SenderProfile } from '../mapping/profile.js';
import { MAPPINGS, mappingFor } from '../mapping/registry.js';
import { patientKeys, type MappedMessage, type PlannedResource } from '../mapping/types.js';
import { buildAck, type AckCode } from '../message/ack.js';
import { readEnvelope, type ParsedMessage } from '../message/envelope.js';
import { formatLocation, Hl7Problem, problem, type Hl7Location } from '../message/problems.js';
import { findByIdentifiers, findMessage, lockKeys, readMessage, recordAccepted, recordDeadLetter, type StoredError } from '../store/message-store.js';
import { ConceptMapCache } from './concept-maps.js';
import { identifierCriteria } from './criteria.js';
import { identifierResolver, mpiResolver, type PatientResolver } from './patients.js';
import { KeyedSequencer } from './sequencer.js';
import { hl7MessageRecord } from '../../audit/hl7-audit.js';
import { CDA_CONTENT_TYPE, convertCcda } from '../../documents/ccda/convert.js';
import { DocumentProblem, planDocument } from '../../documents/ingest/document.js';
import { HL7V2_SENDER_SYSTEM, PROVENANCE_PARTICIPANT_TYPE, V2_0003 } from '../../fhir/code-systems.js';

/**
 * The HL7 v2 gateway: bytes in, ACK out. A message is mapped (pure), then its resources, the kept original
 * (a Binary), its Provenance and its log row (the idempotency record) commit in ONE transaction; only then
 * is AA answered. What cannot be mapped or stored is kept as a dead letter (committed before the AE is
 * answered) and can be replayed. Transport-free: the MLLP listener and the HTTP route both call `receive`.
 */

export type DeliveryOutcome = 'accepted' | 'duplicate' | 'dead-letter' | 'rejected' | 'unavailable';

export interface Delivery {
  readonly ack: string;
  readonly code: AckCode;
  readonly outcome: DeliveryOutcome;
  /** The message log row (accepted or dead letter). */
  readonly messageId?: string;
  readonly problems: readonly Hl7Problem[];
}

export const HL7_CONTENT_TYPE = 'x-application/hl7-v2+er7';

type Mapped = { readonly ok: true; readonly value: MappedMessage; readonly warnings: readonly Hl7Problem[] } | { readonly ok: false; readonly problems: readonly Hl7Problem[] };

/** A problem raised while storing, with what the transaction should do about it. */
class DeadLetter extends Error {
  constructor(readonly problems: readonly Hl7Problem[]) {
    super('dead letter');
  }
}

class Rejected extends Error {
  constructor(readonly problem: Hl7Problem) {
    super('rejected');
  }
}

function fhirErrorProblem(error: FhirError, sources: readonly Hl7Location[]): Hl7Problem {
  const entry = /^Bundle\.entry\[(\d+)\]/.exec(error.message);
  const at = entry ? sources[Number(entry[1])] : undefined;
  const reason = error.message.replace(/^Bundle\.entry\[\d+\]:\s*/, '');
  const code = error.category === 'precondition-failed' ? '205' : error.category === 'invalid' || error.category === 'unprocessable' ? '102' : '207';
  return new Hl7Problem(code, `the resource mapped from here was refused: ${reason}`, at);
}

function toStoredErrors(problems: readonly Hl7Problem[]): StoredError[] {
  return problems.map((p) => ({ code: p.code, location: formatLocation(p.at), reason: p.reason }));
}

const messageLockKey = (sender: string, controlId: string) => `hl7v2:${sender}|${controlId}`;
const patientLockKeys = (keys: readonly string[]) => keys.map((k) => `hl7v2-patient:${k}`);

/** The keys the write engine's conditional operations lock (`Type?criteria`), so that FHIR API writes on the same identifiers wait for us. */
function criteriaLockKeys(mapped: MappedMessage): string[] {
  return mapped.resources.filter((r) => r.mode !== 'create' && r.identifier).map((r) => `${r.resource.resourceType}?${identifierCriteria(r.identifier ?? {})}`);
}

function identifierKey(r: PlannedResource): string {
  return `${r.resource.resourceType}|${r.identifier?.system ?? ''}|${r.identifier?.value ?? ''}`;
}

/**
 * Conditional update / conditional create by identifier, resolved for all resources of a message at once:
 * the criteria are already locked (the same advisory keys as the write engine's conditional operations), and
 * one query finds every existing match, instead of two round trips per resource.
 */
async function resolveByIdentifier(tx: Queryable, resources: readonly PlannedResource[], aliases: Map<string, string>): Promise<{ op?: WriteOp; resource: PlannedResource }[]> {
  const keyed = resources.filter((r) => r.mode !== 'create');
  const found = await findByIdentifiers(tx, keyed.map((r) => ({ resourceType: r.resource.resourceType, system: r.identifier?.system ?? '', value: r.identifier?.value ?? '' })));
  return resources.map((resource) => {
    const body = aliases.size > 0 ? rewriteReferences(resource.resource, aliases) : resource.resource;
    if (resource.mode === 'create') return { resource, op: { kind: 'create', resource: body, fullUrl: resource.ref } };
    const ids = found.get(identifierKey(resource)) ?? [];
    if (ids.length > 1) throw new Hl7Problem('205', `more than one ${body.resourceType} has the identifier ${resource.identifier?.value}`, resource.source);
    const id = ids[0];
    if (!id) return { resource, op: { kind: 'create', resource: body, fullUrl: resource.ref } };
    if (resource.mode === 'create-if-absent') {
      aliases.set(resource.ref, `${body.resourceType}/${id}`);
      return { resource };
    }
    return { resource, op: { kind: 'update', resourceType: body.resourceType, id, resource: { ...body, id }, fullUrl: resource.ref } };
  });
}

function versionedReference(result: WriteResult): string {
  return `${result.resourceType}/${result.id}/_history/${result.versionId}`;
}

export interface GatewayOptions {
  readonly config: Hl7Config;
  readonly resolver?: PatientResolver;
}

export class Hl7Gateway {
  private readonly sequencer = new KeyedSequencer();
  private readonly conceptMaps = new ConceptMapCache();
  private readonly profiles = new Map<string, SenderProfile>();
  private readonly resolver: PatientResolver;

  constructor(private readonly ctx: FhirContext, private readonly options: GatewayOptions) {
    this.resolver = options.resolver ?? (ctx.mpi ? mpiResolver : identifierResolver);
  }

  get config(): Hl7Config {
    return this.options.config;
  }

  /** Receives one message (the content of one MLLP frame or one HTTP body) and answers its ACK. */
  async receive(bytes: Buffer): Promise<Delivery> {
    const envelope = readEnvelope(bytes, { processingIds: this.config.processingIds });
    if (!envelope.ok) return this.answer('AR', 'rejected', [envelope.problem], envelope.header);
    const parsed = envelope.parsed;
    const { messageType, event } = parsed.envelope;
    const mapping = mappingFor(messageType, event);
    let mapped: Mapped;
    if (!mapping) {
      const unsupported = MAPPINGS.some((m) => m.messageType === messageType)
        ? new Hl7Problem('201', `${messageType}^${event} is not accepted`, { segment: 'MSH', sequence: 1, field: 9, component: 2 }, 'AR')
        : new Hl7Problem('200', `message type ${messageType} is not accepted`, { segment: 'MSH', sequence: 1, field: 9, component: 1 }, 'AR');
      mapped = { ok: false, problems: [unsupported] };
    } else {
      const mctx: MappingContext = {
        sender: parsed.envelope.sender,
        profile: this.profileOf(parsed),
        codeMaps: await this.conceptMaps.forSender(this.ctx.db, parsed.envelope.sender.key),
        warnings: [],
        newRef: localRefs(),
      };
      try {
        mapped = { ok: true, value: mapping.map(parsed, mctx), warnings: mctx.warnings };
      } catch (error) {
        if (!(error instanceof Hl7Problem)) throw error;
        mapped = { ok: false, problems: [error] };
      }
    }
    const keys = mapped.ok ? patientKeys(mapped.value) : [];
    return this.sequencer.run(keys, () => this.store(parsed, bytes, mapped, keys));
  }

  /** Processes a dead letter again (after a mapping fix). Undefined when there is no such dead letter. */
  async replay(id: string): Promise<Delivery | undefined> {
    const row = await readMessage(this.ctx.db, id);
    if (!row || row.status !== 'dead-letter' || !row.raw) return undefined;
    return this.receive(row.raw);
  }

  /** The answer to a frame larger than the limit: AR, echoing what can be read of its MSH. */
  oversized(head: Buffer, size?: number): Delivery {
    const envelope = readEnvelope(head, { processingIds: this.config.processingIds });
    const header = envelope.ok ? envelope.parsed.message : envelope.header;
    const what = size === undefined ? 'the message is' : `the message is ${size} bytes,`;
    const tooLarge = new Hl7Problem('207', `${what} more than the ${this.config.maxMessageBytes} bytes accepted`, undefined, 'AR');
    return this.answer('AR', 'rejected', [tooLarge], header);
  }

  private profileOf(parsed: ParsedMessage): SenderProfile {
    const { sender } = parsed.envelope;
    let profile = this.profiles.get(sender.key);
    if (!profile) {
      profile = resolveProfile(this.config.senders, sender, this.config.timezone);
      this.profiles.set(sender.key, profile);
    }
    return profile;
  }

  private answer(code: AckCode, outcome: DeliveryOutcome, problems: readonly Hl7Problem[], original?: ParsedMessage['message'], messageId?: string): Delivery {
    const ack = buildAck({
      ...(original ? { original } : {}), code, problems, now: this.ctx.clock(),
      ackControlId: (messageId ?? this.ctx.newId()).replace(/-/g, '').slice(0, 20),
    });
    return { ack, code, outcome, problems, ...(messageId ? { messageId } : {}) };
  }

  private async store(parsed: ParsedMessage, raw: Buffer, mapped: Mapped, keys: readonly string[]): Promise<Delivery> {
    const { sender, controlId, typeCode } = parsed.envelope;
    const id = this.ctx.newId();
    const sources: Hl7Location[] = [];
    try {
      return await withRetries(this.ctx.db, async (tx) => {
        await lockKeys(tx, [messageLockKey(sender.key, controlId), ...patientLockKeys(keys), ...(mapped.ok ? criteriaLockKeys(mapped.value) : [])]);
        const existing = await findMessage(tx, sender.key, controlId);
        if (existing?.status === 'accepted') {
          if (existing.bodyHash !== parsed.bodyHash) {
            throw new Rejected(new Hl7Problem('205', `MSH-10 "${controlId}" was already used by this sender for a different message`, { segment: 'MSH', sequence: 1, field: 10 }));
          }
          return { ack: existing.ack, code: existing.ackCode as AckCode, outcome: 'duplicate' as const, messageId: existing.id, problems: [] };
        }
        if (!mapped.ok) throw new DeadLetter(mapped.problems);
        sources.length = 0;
        return this.write(tx, parsed, raw, mapped, existing?.id ?? id, sources);
      });
    } catch (error) {
      if (error instanceof Rejected) return this.answer('AE', 'rejected', [error.problem], parsed.message);
      let problems: readonly Hl7Problem[];
      if (error instanceof DeadLetter) problems = error.problems;
      else if (error instanceof Hl7Problem) problems = [error];
      else if (error instanceof FhirError && error.category !== 'internal') problems = [fhirErrorProblem(error, sources)];
      else {
        this.ctx.log.error({ err: error, sender: sender.key, controlId, type: typeCode }, 'HL7 v2 message could not be stored');
        return this.answer('AR', 'unavailable', [new Hl7Problem('207', 'the message could not be stored now; send it again later', undefined, 'AR')], parsed.message);
      }
      return this.deadLetter(parsed, raw, problems, id);
    }
  }

  private async deadLetter(parsed: ParsedMessage, raw: Buffer, problems: readonly Hl7Problem[], id: string): Promise<Delivery> {
    const { sender, controlId, typeCode } = parsed.envelope;
    const code: AckCode = problems.some((p) => p.ack === 'AR') ? 'AR' : 'AE';
    const answer = this.answer(code, 'dead-letter', problems, parsed.message, id);
    try {
      const stored = await recordDeadLetter(this.ctx.db, {
        id, sender: sender.key, controlId, messageType: typeCode, bodyHash: parsed.bodyHash, ackCode: code, ack: answer.ack,
        at: this.ctx.clock().toISOString(), errors: toStoredErrors(problems), raw,
      });
      const existing = stored ?? (await findMessage(this.ctx.db, sender.key, controlId))?.id;
      this.ctx.log.warn({ sender: sender.key, controlId, type: typeCode, errors: problems.map((p) => `${p.code} ${formatLocation(p.at)}`) }, 'HL7 v2 message dead-lettered');
      return { ...answer, ...(existing ? { messageId: existing } : {}) };
    } catch (error) {
      this.ctx.log.error({ err: error, sender: sender.key, controlId }, 'HL7 v2 dead letter could not be stored');
      return this.answer('AR', 'unavailable', [new Hl7Problem('207', 'the message could not be stored now; send it again later', undefined, 'AR')], parsed.message);
    }
  }

  /** The transaction body of an accepted message: resources, then Binary + Provenance, then the log row. */
  private async write(tx: Queryable, parsed: ParsedMessage, raw: Buffer, mapped: Extract<Mapped, { ok: true }>, id: string, sources: Hl7Location[]): Promise<Delivery> {
    const { value } = mapped;
    const warnings = [...mapped.warnings];
    const ops: WriteOp[] = [];
    const push = (op: WriteOp, at: Hl7Location) => {
      ops.push(op);
      sources.push(at);
    };
    const survivorLinks = new Map<string, NonNullable<PatientPlanResource['link']>>();
    for (const merge of value.merges) {
      const resolution = await this.resolver.merge(tx, this.ctx, merge);
      for (const op of resolution.ops) push(op, merge.source);
      survivorLinks.set(merge.survivorRef, [...(survivorLinks.get(merge.survivorRef) ?? []), ...resolution.survivorLinks]);
      warnings.push(...resolution.warnings);
    }
    const aliases = new Map<string, string>();
    for (const plan of value.patients) {
      const links = survivorLinks.get(plan.ref);
      const resource = links?.length ? { ...plan.resource, link: [...(plan.resource.link ?? []), ...links] } : plan.resource;
      const resolution = await this.resolver.resolve(tx, this.ctx, { ...plan, resource });
      for (const op of resolution.ops) push(op, plan.source);
      if (resolution.reference !== plan.ref) aliases.set(plan.ref, resolution.reference);
      warnings.push(...resolution.warnings);
    }
    for (const { op, resource } of await resolveByIdentifier(tx, value.resources, aliases)) if (op) push(op, resource.source);
    for (const document of value.documents ?? []) {
      const imported = this.importCda(document);
      for (const op of imported.ops) push(op, document.source);
      warnings.push(...imported.warnings);
    }
    const finalOps = aliases.size > 0 ? ops.map((op) => ('resource' in op ? { ...op, resource: rewriteReferences(op.resource, aliases) } : op)) : ops;
    const results = await executeWrites(tx, this.ctx, finalOps, { transaction: true });

    const byRef = new Map<string, string>(aliases);
    finalOps.forEach((op, i) => {
      const fullUrl = 'fullUrl' in op ? op.fullUrl : undefined;
      const result = results[i] as WriteResult;
      if (fullUrl) byRef.set(fullUrl, `${result.resourceType}/${result.id}`);
    });
    if (this.resolver.completeMerge) {
      for (const merge of value.merges) {
        const survivor = byRef.get(merge.survivorRef);
        if (!survivor) continue;
        const actor = `hl7v2:${parsed.envelope.sender.key}`;
        warnings.push(...(await this.resolver.completeMerge(tx, this.ctx, merge, survivor.replace(/^Patient\//, ''), actor)));
      }
    }
    const produced = results.filter((r) => r.outcome === 'created' || r.outcome === 'updated').map(versionedReference);
    const involved = [...new Set(results.filter((r) => r.id).map((r) => `${r.resourceType}/${r.id}`))];
    const firstPatient = value.patients[0] ? byRef.get(value.patients[0].ref) : undefined;
    const [binary, provenance] = this.provenanceOps(parsed, raw, produced.length ? produced : involved, firstPatient);
    const kept = await executeWrites(tx, this.ctx, [binary, provenance], { transaction: true });
    const binaryId = (kept[0] as WriteResult).id;

    const delivery = this.answer('AA', 'accepted', warnings, parsed.message, id);
    const { sender, controlId, typeCode } = parsed.envelope;
    await recordAccepted(tx, {
      id, sender: sender.key, controlId, messageType: typeCode, bodyHash: parsed.bodyHash, ackCode: 'AA', ack: delivery.ack,
      at: this.ctx.clock().toISOString(), binaryId, resources: involved,
    });
    // The audit trail commits with the message (issue #5): MLLP carries no token, the sender is the agent.
    await this.ctx.audit?.insert(tx, [hl7MessageRecord({ uid: this.ctx.newId(), sender: sender.key, controlId, messageType: typeCode, resources: involved, now: this.ctx.clock() })]);
    return delivery;
  }

  /**
   * A CDA carried in an ED value, converted and planned exactly as `$import-ccda` does (best effort: what the
   * converter cannot map is a warning); its resources, DocumentReference, Binary (the XML as sent) and Provenance
   * are written by id in the message's transaction. A document that cannot be read dead-letters the message.
   */
  private importCda(document: NonNullable<MappedMessage['documents']>[number]): { ops: WriteOp[]; warnings: Hl7Problem[] } {
    try {
      const conversion = convertCcda(document.xml);
      const plan = planDocument(conversion.bundle, {
        now: this.ctx.clock().toISOString(), original: { contentType: CDA_CONTENT_TYPE, bytes: document.bytes }, warnings: conversion.warnings, identity: conversion.documentType,
      });
      const ops: WriteOp[] = [...plan.resources, plan.binary].map((resource) => ({ kind: 'update', resourceType: resource.resourceType, id: resource.id, resource }));
      return { ops, warnings: plan.warnings.map((w) => problem.warning('102', `the CDA document: ${w}`, document.source)) };
    } catch (error) {
      if (error instanceof DocumentProblem) throw new Hl7Problem('102', `the CDA document cannot be imported: ${error.message}`, document.source);
      throw error;
    }
  }

  /** The original message as a Binary, and the Provenance linking it to what it produced. */
  private provenanceOps(parsed: ParsedMessage, raw: Buffer, targets: readonly string[], patient: string | undefined): [WriteOp, WriteOp] {
    const { sender, controlId, typeCode, event } = parsed.envelope;
    const binaryRef = 'urn:uuid:00000000-0000-4000-9000-000000000001';
    const binary: Binary = {
      resourceType: 'Binary', contentType: HL7_CONTENT_TYPE, data: raw.toString('base64'),
      ...(patient ? { securityContext: { reference: patient } } : {}),
    };
    const provenance: Provenance = {
      resourceType: 'Provenance',
      target: targets.map((reference): Reference => ({ reference })),
      recorded: this.ctx.clock().toISOString(),
      activity: { coding: [{ system: V2_0003, code: event }], text: typeCode },
      agent: [{
        type: { coding: [{ system: PROVENANCE_PARTICIPANT_TYPE, code: 'author' }] },
        who: {
          identifier: { system: HL7V2_SENDER_SYSTEM, value: sender.key },
          display: [sender.application, sender.facility].filter(Boolean).join(' / '),
        },
      }],
      entity: [{ role: 'source', what: { reference: binaryRef, display: `${typeCode} ${controlId}` } }],
    };
    return [
      { kind: 'create', resource: binary, fullUrl: binaryRef },
      { kind: 'create', resource: provenance },
    ];
  }
}

type PatientPlanResource = MappedMessage['patients'][number]['resource'];

