import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { CompactSign, compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';

/**
 * SMART Health Cards (pure but for the signature): the verifiable credential of a person's immunizations
 * or results, minimised as the SHC specification asks (no ids, meta, narratives, displays; references as
 * `resource:N`), DEFLATE-compressed, signed ES256 as a compact JWS, and its numeric QR form. The same
 * verifier checks Carnet's cards and anyone else's (test/fixtures: the specification's examples).
 */
export const SHC = {
  healthCard: 'https://smarthealth.cards#health-card',
  immunization: 'https://smarthealth.cards#immunization',
  laboratory: 'https://smarthealth.cards#laboratory',
} as const;

type Json = Record<string, unknown>;

/** Strips what a card must not carry: ids, meta, narratives, Coding.display, CodeableConcept.text. */
function minimise(value: unknown, parentKey?: string): unknown {
  if (Array.isArray(value)) return value.map((v) => minimise(v, parentKey));
  if (!value || typeof value !== 'object') return value;
  const out: Json = {};
  const isCoding = typeof (value as Json).system === 'string' && typeof (value as Json).code === 'string';
  for (const [k, v] of Object.entries(value as Json)) {
    if (parentKey === undefined && (k === 'id' || k === 'meta' || k === 'text')) continue;
    if (isCoding && k === 'display') continue;
    if (k === 'text' && Array.isArray((value as Json).coding)) continue;
    out[k] = minimise(v, k);
  }
  return out;
}

/** The card's FHIR Bundle: the Patient (name and birth date only) and the resources, referring to it as resource:0. */
export function cardBundle(patient: Resource, resources: readonly Resource[]): Bundle {
  const p = patient as unknown as Json;
  const subject = { resourceType: 'Patient', ...(p.name ? { name: p.name } : {}), ...(p.birthDate ? { birthDate: p.birthDate } : {}) };
  const entries = resources.map((r, i) => {
    const copy = minimise(r) as Json;
    // The card is about one person: whichever source record the resource named, it is resource:0.
    for (const key of ['patient', 'subject']) if (key in copy) copy[key] = { reference: 'resource:0' };
    delete copy.performer; // a performer is a reference outside the card
    return { fullUrl: `resource:${i + 1}`, resource: copy as unknown as Resource };
  });
  return { resourceType: 'Bundle', type: 'collection', entry: [{ fullUrl: 'resource:0', resource: minimise(subject) as unknown as Resource }, ...entries] };
}

export interface CardPayload {
  readonly iss: string;
  readonly nbf: number;
  readonly vc: { readonly type: readonly string[]; readonly credentialSubject: { readonly fhirVersion: string; readonly fhirBundle: Bundle } };
}

export function cardPayload(issuer: string, now: Date, types: readonly string[], bundle: Bundle): CardPayload {
  return { iss: issuer, nbf: Math.floor(now.getTime() / 1000), vc: { type: [SHC.healthCard, ...types], credentialSubject: { fhirVersion: '4.0.1', fhirBundle: bundle } } };
}

export interface IssuerKey {
  readonly kid: string;
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

/** The compact JWS of a card: header {alg ES256, zip DEF, kid}, the payload minified and raw-DEFLATEd. */
export async function signCard(payload: CardPayload, key: IssuerKey): Promise<string> {
  const body = deflateRawSync(Buffer.from(JSON.stringify(payload), 'utf8'));
  const privateKey = await importJWK(key.privateJwk, 'ES256');
  return new CompactSign(body).setProtectedHeader({ alg: 'ES256', zip: 'DEF', kid: key.kid }).sign(privateKey);
}

/** Verifies a card's JWS against an issuer's JWKS and returns its payload (throws when it does not verify). */
export async function verifyCard(jws: string, jwks: { keys: readonly JWK[] }): Promise<CardPayload> {
  const { kid, alg, zip } = decodeProtectedHeader(jws);
  if (alg !== 'ES256' || zip !== 'DEF') throw new Error(`a health card is signed ES256 with zip DEF (got ${String(alg)}, ${String(zip)})`);
  const jwk = jwks.keys.find((k) => k.kid === kid);
  if (!jwk) throw new Error(`the issuer publishes no key ${String(kid)}`);
  const { payload } = await compactVerify(jws, await importJWK(jwk, 'ES256'));
  return JSON.parse(inflateRawSync(Buffer.from(payload)).toString('utf8')) as CardPayload;
}

/** The numeric QR content of a JWS that fits one QR code (`shc:/` and two digits per character). */
export function numericQr(jws: string): string {
  return `shc:/${[...jws].map((c) => String(c.charCodeAt(0) - 45).padStart(2, '0')).join('')}`;
}

export function jwsOfNumericQr(qr: string): string {
  const digits = qr.replace(/^shc:\/(\d+\/\d+\/)?/, '');
  return (digits.match(/\d\d/g) ?? []).map((d) => String.fromCharCode(Number(d) + 45)).join('');
}
