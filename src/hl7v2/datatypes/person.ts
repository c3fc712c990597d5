import type { Address, ContactPoint, HumanName, Identifier, Reference } from '@medplum/fhirtypes';
import type { MappingContext } from '../mapping/context.js';
import { URN_BASE } from '../mapping/context.js';
import { tableValue } from '../mapping/tables.js';
import type { Rep } from '../message/segments.js';
import { V2_0203 } from '../../fhir/code-systems.js';

/** CX, HD, XPN, XAD, XTN and XCN → FHIR Identifier, HumanName, Address, ContactPoint and Reference. Pure. */

const OID = /^[0-2](\.(0|[1-9][0-9]*))+$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * The identifier system of an assigning authority (HD: namespace^universal id^type). In order: the sender
 * profile's mapping (by namespace or universal id), `urn:oid:` for an ISO OID, the URI or UUID itself, then
 * a URN scoped to the sender (`urn:carnet:hl7v2:<sender>:aa:<namespace>`), so that two senders' local
 * namespaces never collide. With no authority at all: `urn:carnet:hl7v2:<sender>:id:<identifier type>`.
 */
export function identifierSystem(ctx: MappingContext, authority: Rep | undefined, typeCode: string): string {
  const namespace = authority?.c(1).trim() ?? '';
  const universal = authority?.c(2).trim() ?? '';
  const universalType = (authority?.c(3).trim() ?? '').toUpperCase();
  const configured = ctx.profile.assigningAuthorities[namespace] ?? ctx.profile.assigningAuthorities[universal];
  if (configured) return configured;
  if (universal && OID.test(universal) && (universalType === 'ISO' || universalType === '')) return `urn:oid:${universal}`;
  if (universal && UUID.test(universal)) return `urn:uuid:${universal.toLowerCase()}`;
  if (universal && universalType === 'URI' && /^[a-z][a-z0-9+.-]*:/i.test(universal)) return universal;
  const scope = `${URN_BASE}:${ctx.sender.key}`;
  if (namespace) return `${scope}:aa:${encodeURIComponent(namespace)}`;
  if (universal) return `${scope}:aa:${encodeURIComponent(universal)}`;
  return `${scope}:id:${encodeURIComponent(typeCode || 'unknown')}`;
}


/** CX → Identifier (value, system from CX.4, type from CX.5). Undefined when CX.1 is empty. */
export function identifierFromCx(ctx: MappingContext, rep: Rep): Identifier | undefined {
  const value = rep.c(1).trim();
  if (!value) return undefined;
  const type = rep.c(5).trim();
  const authority = rep.c(4) ? rep.sub(4) : undefined;
  return {
    ...(type ? { type: { coding: [{ system: V2_0203, code: type }] } } : {}),
    system: identifierSystem(ctx, authority, type),
    value,
  };
}

/** EI (entity identifier: id^namespace^universal id^type) → Identifier. */
export function identifierFromEi(ctx: MappingContext, rep: Rep, typeCode?: string): Identifier | undefined {
  const value = rep.c(1).trim();
  if (!value) return undefined;
  // An EI carries its authority in components 2-4, which is an HD shifted by one.
  const authority = { c: (n: number) => rep.c(n + 1) } as unknown as Rep;
  return {
    ...(typeCode ? { type: { coding: [{ system: V2_0203, code: typeCode }] } } : {}),
    system: identifierSystem(ctx, authority, typeCode ?? ''),
    value,
  };
}

const nonEmpty = (values: string[]) => values.map((v) => v.trim()).filter((v) => v.length > 0);

export function humanName(ctx: MappingContext, rep: Rep): HumanName | undefined {
  const family = rep.s(1, 1).trim();
  const given = nonEmpty([rep.c(2), rep.c(3)]);
  const prefix = nonEmpty([rep.c(5)]);
  const suffix = nonEmpty([rep.c(4), rep.c(6)]);
  if (!family && given.length === 0) return undefined;
  const use = tableValue(ctx, 'name-use', rep.c(7).trim()) as HumanName['use'] | undefined;
  return {
    ...(use ? { use } : {}),
    ...(family ? { family } : {}),
    ...(given.length ? { given } : {}),
    ...(prefix.length ? { prefix } : {}),
    ...(suffix.length ? { suffix } : {}),
  };
}

export function address(ctx: MappingContext, rep: Rep): Address | undefined {
  const line = nonEmpty([rep.s(1, 1), rep.c(2)]);
  const city = rep.c(3).trim();
  const state = rep.c(4).trim();
  const postalCode = rep.c(5).trim();
  const country = rep.c(6).trim();
  const district = rep.c(9).trim();
  if (!line.length && !city && !state && !postalCode && !country && !district) return undefined;
  const use = tableValue(ctx, 'address-use', rep.c(7).trim()) as Address['use'] | undefined;
  return {
    ...(use ? { use } : {}),
    ...(line.length ? { line } : {}),
    ...(city ? { city } : {}),
    ...(district ? { district } : {}),
    ...(state ? { state } : {}),
    ...(postalCode ? { postalCode } : {}),
    ...(country ? { country } : {}),
  };
}

export function contactPoint(ctx: MappingContext, rep: Rep): ContactPoint | undefined {
  const equipment = rep.c(3).trim();
  const email = rep.c(4).trim();
  const composed = [rep.c(5).trim() && `+${rep.c(5).trim()}`, rep.c(6).trim() && `(${rep.c(6).trim()})`, rep.c(7).trim()].filter(Boolean).join(' ');
  const extension = rep.c(8).trim();
  const value = email || rep.c(12).trim() || composed || rep.c(1).trim();
  if (!value) return undefined;
  const system = (email ? 'email' : tableValue(ctx, 'telecom-system', equipment) ?? 'phone') as ContactPoint['system'];
  const use = (equipment === 'CP' ? 'mobile' : tableValue(ctx, 'telecom-use', rep.c(2).trim())) as ContactPoint['use'] | undefined;
  return { system, value: extension && !email ? `${value} ext. ${extension}` : value, ...(use ? { use } : {}) };
}

/** XCN (a person: id^family^given^…) → a logical Reference with identifier and display. */
export function personReference(ctx: MappingContext, rep: Rep | undefined): Reference | undefined {
  if (!rep) return undefined;
  const id = rep.c(1).trim();
  const display = nonEmpty([rep.c(6), rep.c(3), rep.c(4), rep.s(2, 1), rep.c(5)]).join(' ');
  if (!id && !display) return undefined;
  const authority = rep.c(9) ? rep.sub(9) : undefined;
  return {
    ...(id ? { identifier: { system: identifierSystem(ctx, authority, rep.c(13).trim() || 'PRN'), value: id } } : {}),
    ...(display ? { display } : {}),
  };
}

/** XON / HD (an organisation or facility) → a Reference with display only. */
export function organizationReference(rep: Rep | undefined): Reference | undefined {
  const name = rep?.c(1).trim();
  return name ? { display: name } : undefined;
}
