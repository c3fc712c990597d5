import type { Coding, ConceptMap } from '@medplum/fhirtypes';
import type { Queryable } from '../../storage/database.js';
import { readCurrent } from '../../storage/resource-store.js';
import { typedTokenHolders } from '../../storage/lookup-store.js';
import type { CodeMaps } from '../mapping/context.js';
import { HL7V2_SENDER_SYSTEM } from '../../fhir/code-systems.js';
import { searchRegistry } from '../../fhir/search/registry.js';

/**
 * Per-sender translation of local codes (OBX-3 → LOINC) with FHIR ConceptMap resources stored in Carnet.
 * A ConceptMap applies to a sender when its `identifier` is urn:carnet:hl7v2:sender | <sender key> and it is
 * not retired; each group maps `source` (the local code system URI) to `target` (e.g. LOINC).
 * Maps are cached by version: one small index query per message tells whether any changed.
 */
export const SENDER_IDENTIFIER_SYSTEM = HL7V2_SENDER_SYSTEM;

const USABLE = new Set(['equivalent', 'equal']);

export function codeMapsOf(maps: readonly ConceptMap[]): CodeMaps {
  const table = new Map<string, Coding[]>();
  for (const map of maps) {
    if (map.status === 'retired') continue;
    for (const group of map.group ?? []) {
      for (const element of group.element ?? []) {
        if (!element.code) continue;
        const targets = (element.target ?? [])
          .filter((t) => t.code && USABLE.has(t.equivalence))
          .map((t): Coding => ({ ...(group.target ? { system: group.target } : {}), code: t.code as string, ...(t.display ? { display: t.display } : {}) }));
        if (targets.length === 0) continue;
        const key = `${group.source ?? '*'}|${element.code}`;
        table.set(key, [...(table.get(key) ?? []), ...targets]);
      }
    }
  }
  if (table.size === 0) return { translate: () => [] };
  return { translate: (system, code) => table.get(`${system}|${code}`) ?? table.get(`*|${code}`) ?? [] };
}

export class ConceptMapCache {
  private readonly bySender = new Map<string, { fingerprint: string; maps: CodeMaps }>();

  async forSender(db: Queryable, senderKey: string): Promise<CodeMaps> {
    const rows = await typedTokenHolders(db, 'ConceptMap', searchRegistry().param('ConceptMap', 'identifier')?.key as number, SENDER_IDENTIFIER_SYSTEM, senderKey);
    const fingerprint = rows.map((r) => `${r.id}@${r.versionId}`).join(',');
    const cached = this.bySender.get(senderKey);
    if (cached && cached.fingerprint === fingerprint) return cached.maps;
    const maps: ConceptMap[] = [];
    for (const row of rows) {
      const current = await readCurrent(db, 'ConceptMap', row.id);
      if (current?.content) maps.push(JSON.parse(current.content) as ConceptMap);
    }
    const codeMaps = codeMapsOf(maps);
    this.bySender.set(senderKey, { fingerprint, maps: codeMaps });
    return codeMaps;
  }
}
