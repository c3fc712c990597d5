import type { ParsedMessage } from '../message/envelope.js';
import type { MappingContext } from './context.js';
import { ADT_EVENTS, mapAdt } from './definitions/adt.js';
import { mapMdm } from './definitions/documents.js';
import { mapVxu } from './definitions/immunization.js';
import { mapOru } from './definitions/oru.js';
import { mapRde, mapRds } from './definitions/pharmacy.js';
import { mapSiu } from './definitions/scheduling.js';
import type { MappedMessage } from './types.js';

/** The message types and events the gateway maps; anything else is answered AR (200/201). */
export interface MessageMapping {
  readonly messageType: string;
  readonly events: readonly string[];
  /** FHIR resources it produces (documentation and the CapabilityStatement of the gateway). */
  readonly produces: readonly string[];
  readonly map: (parsed: ParsedMessage, ctx: MappingContext) => MappedMessage;
}

export const MAPPINGS: readonly MessageMapping[] = [
  { messageType: 'ADT', events: Object.keys(ADT_EVENTS), produces: ['Patient', 'Encounter'], map: mapAdt },
  { messageType: 'ORU', events: ['R01'], produces: ['DiagnosticReport', 'Observation'], map: mapOru },
  { messageType: 'RDE', events: ['O11'], produces: ['MedicationRequest'], map: mapRde },
  { messageType: 'RDS', events: ['O13'], produces: ['MedicationDispense', 'MedicationRequest'], map: mapRds },
  { messageType: 'MDM', events: ['T02'], produces: ['DocumentReference', 'DiagnosticReport'], map: mapMdm },
  { messageType: 'SIU', events: ['S12', 'S13', 'S14', 'S15'], produces: ['Appointment'], map: mapSiu },
  { messageType: 'VXU', events: ['V04'], produces: ['Immunization'], map: mapVxu },
];

export function mappingFor(messageType: string, event: string): MessageMapping | undefined {
  return MAPPINGS.find((m) => m.messageType === messageType && m.events.includes(event));
}

export function supports(messageType: string, event: string): true | 'type' | 'event' {
  if (!MAPPINGS.some((m) => m.messageType === messageType)) return 'type';
  return mappingFor(messageType, event) ? true : 'event';
}
