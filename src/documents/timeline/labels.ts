import type { Resource } from '@medplum/fhirtypes';
import { conceptLabel, type Json } from '../ips/facts.js';
import { valueText } from '../ips/narrative.js';
import type { Bilingual, Lang } from '../language.js';
import type { TimelineCategory } from './events.js';

/**
 * The short label of a timeline event in French and English (pure), written from its resource: what
 * happened, in a line a person reads on a phone. Clinical terms come from the data as in the summary
 * (French takes a concept's text, English its coding's display); the words around them are Carnet's.
 */
const KIND: Readonly<Record<TimelineCategory, Bilingual>> = {
  encounter: { fr: 'Visite', en: 'Visit' },
  appointment: { fr: 'Rendez-vous', en: 'Appointment' },
  result: { fr: 'Résultat', en: 'Result' },
  'vital-signs': { fr: 'Signe vital', en: 'Vital sign' },
  device: { fr: 'Mesures d’appareil', en: 'Device readings' },
  prescription: { fr: 'Ordonnance', en: 'Prescription' },
  dispense: { fr: 'Médicament servi', en: 'Medication dispensed' },
  immunization: { fr: 'Vaccin', en: 'Vaccine' },
  procedure: { fr: 'Intervention', en: 'Procedure' },
  document: { fr: 'Document', en: 'Document' },
};

const STAY: Bilingual = { fr: 'Hospitalisation', en: 'Hospital stay' };
const EMERGENCY: Bilingual = { fr: 'Urgence', en: 'Emergency visit' };
const REPORT: Bilingual = { fr: 'Rapport', en: 'Report' };
const STATUS: Readonly<Record<string, Bilingual>> = {
  cancelled: { fr: 'annulé', en: 'cancelled' }, noshow: { fr: 'absence', en: 'no-show' }, 'not-done': { fr: 'non fait', en: 'not done' },
  stopped: { fr: 'arrêté', en: 'stopped' }, preliminary: { fr: 'préliminaire', en: 'preliminary' }, 'in-progress': { fr: 'en cours', en: 'in progress' },
};

const list = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);
const concept = (value: unknown, lang: Lang): string | undefined => (value ? conceptLabel(value, lang) : undefined);
const display = (ref: unknown): string | undefined => {
  const d = (ref as Json | undefined)?.display;
  return typeof d === 'string' ? d : undefined;
};

function what(r: Json, category: TimelineCategory, lang: Lang): string | undefined {
  switch (r.resourceType) {
    case 'Encounter': return concept(list(r.type)[0], lang) ?? concept(list(r.reasonCode)[0], lang) ?? display(r.serviceProvider);
    case 'Appointment': return concept(list(r.serviceType)[0], lang) ?? concept(r.appointmentType, lang) ?? (typeof r.description === 'string' ? r.description : undefined);
    case 'Observation': {
      const value = valueText(r, lang);
      const name = concept(r.code, lang);
      return name && value ? `${name}${lang === 'fr' ? ' : ' : ': '}${value}` : name;
    }
    case 'DiagnosticReport': return concept(r.code, lang);
    case 'MedicationRequest':
    case 'MedicationDispense': return concept(r.medicationCodeableConcept, lang) ?? display(r.medicationReference);
    case 'Immunization': return concept(r.vaccineCode, lang);
    case 'Procedure': return concept(r.code, lang);
    case 'DocumentReference': return (typeof r.description === 'string' ? r.description : undefined) ?? concept(r.type, lang);
    case 'Composition': return (typeof r.title === 'string' ? r.title : undefined) ?? concept(r.type, lang);
    default: return category;
  }
}

function kindOf(r: Json, category: TimelineCategory): Bilingual {
  if (r.resourceType === 'Encounter') {
    const cls = (r.class as Json | undefined)?.code;
    if (cls === 'IMP' || cls === 'ACUTE') return STAY;
    if (cls === 'EMER') return EMERGENCY;
  }
  if (r.resourceType === 'DiagnosticReport') return REPORT;
  return KIND[category];
}

/**
 * The label of an event: its kind and what it was ("Vaccin — Influenza…", "Glucose : 6,1 mmol/L"), its
 * status when that changes the meaning (a cancelled appointment), and for a day of device readings how
 * many there were and the latest one (`resource`, the newest member).
 */
export function eventLabel(resource: Resource, category: TimelineCategory, count: number): Bilingual {
  const r = resource as unknown as Json;
  const label = (lang: Lang): string => {
    const kind = kindOf(r, category)[lang];
    const body = what(r, category, lang);
    const status = typeof r.status === 'string' ? STATUS[r.status]?.[lang] : undefined;
    if (category === 'device') {
      const n = lang === 'fr' ? `${count} mesure${count > 1 ? 's' : ''}` : `${count} reading${count > 1 ? 's' : ''}`;
      return `${kind} — ${n}${body ? (lang === 'fr' ? `, dernière : ${body}` : `, latest: ${body}`) : ''}`;
    }
    const text = category === 'result' || category === 'vital-signs' ? body ?? kind : body ? `${kind} — ${body}` : kind;
    return status ? `${text} (${status})` : text;
  };
  return { fr: label('fr'), en: label('en') };
}
