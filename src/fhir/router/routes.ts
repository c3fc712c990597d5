import { batchOrTransaction } from '../interactions/bundle.js';
import { capabilities } from '../interactions/capabilities.js';
import { create } from '../interactions/create.js';
import { conditionalDelete, deleteResource } from '../interactions/delete.js';
import { historyHandler } from '../interactions/history.js';
import { patch } from '../interactions/patch.js';
import { read } from '../interactions/read.js';
import { compartmentSearch, search } from '../interactions/search.js';
import { everything } from '../operations/everything.js';
import { patientSummary, patientSummaryByIdentifier } from '../operations/summary.js';
import { patientTimeline } from '../operations/timeline.js';
import { bundleIngest, ccdaImport } from '../operations/document-ingest.js';
import { HEALTH_CARDS_ISSUE, healthCardsIssue } from '../operations/health-cards.js';
import { healthLinkCreate, healthLinkList, healthLinkRevoke } from '../operations/health-links.js';
import { conditionalUpdate, update } from '../interactions/update.js';
import { validate } from '../interactions/validate.js';
import { vread } from '../interactions/vread.js';
import { mpiDecisions, mpiLink, mpiLinks, mpiUnlink } from '../operations/mpi-links.js';
import { mpiReviewDecide, mpiReviewList } from '../operations/mpi-review.js';
import { patientMatch } from '../operations/patient-match.js';
import { patientMerge, patientUnmerge } from '../operations/patient-merge.js';
import type { Route } from './types.js';
import { BULK_EXPORT, exportCancel, exportGroup, exportPatients, exportStatus, exportSystem } from '../operations/bulk-export.js';
import type { OperationAccess } from '../access.js';
import { auditTrailReader, bulkExporter, dataQualityReview, mpiStewardship } from '../../access/route-policies.js';
import { pdfOnlyReport } from '../operations/pdf-only.js';
import { appendOnly, readAuditEvent, recordAuditEvent, searchAuditTrail } from '../operations/audit-events.js';
import { accessLog } from '../operations/access-log.js';
import { breakTheGlass } from '../operations/break-the-glass.js';
import { BACKPORT_EVENTS, subscriptionEventsOperation } from '../operations/subscription-events.js';
import { BACKPORT_STATUS, subscriptionStatusOperation } from '../operations/subscription-status.js';
import { BACKPORT_WS_TOKEN, subscriptionWsTokenOperation } from '../operations/subscription-ws-token.js';
import { appointmentBook, appointmentFind, appointmentHold } from '../operations/appointment-booking.js';
import { appointmentCancel, appointmentNoShow, appointmentReschedule } from '../operations/appointment-changes.js';

/** The IPS IG's operation (hl7.fhir.uv.ips 2.0.0). */
const IPS_SUMMARY = 'http://hl7.org/fhir/uv/ips/OperationDefinition/summary';
/** IHE ITI Scheduling's operations (the successor of the Argonaut Scheduling IG). */
const SCHEDULING = (name: string): string => `https://profiles.ihe.net/ITI/Scheduling/OperationDefinition/appointment-${name}`;
const MPI_STEWARDSHIP: OperationAccess = { kind: 'policy', check: mpiStewardship };
const BULK_EXPORTER: OperationAccess = { kind: 'policy', check: bulkExporter };
const AUDIT_SEARCH: OperationAccess = { kind: 'policy', check: auditTrailReader('s') };
const AUDIT_READ: OperationAccess = { kind: 'policy', check: auditTrailReader('r') };
const AUDIT_EVENT = ['AuditEvent'];

/**
 * AuditEvent is the audit trail (IHE RESTful ATNA, docs/security.md): searched and read by privacy officers
 * and authorised systems, appended to by others (ITI-20), never changed. Listed before the generic routes.
 */
const AUDIT_ROUTES: readonly Route[] = [
  { method: 'GET', pattern: [':type'], onlyTypes: AUDIT_EVENT, interaction: 'search-type', access: AUDIT_SEARCH, handler: searchAuditTrail },
  { method: 'POST', pattern: [':type', '_search'], onlyTypes: AUDIT_EVENT, interaction: 'search-type', access: AUDIT_SEARCH, handler: searchAuditTrail },
  { method: 'POST', pattern: [':type'], onlyTypes: AUDIT_EVENT, interaction: 'create', handler: recordAuditEvent },
  { method: 'GET', pattern: [':type', ':id', ':compartmentType'], onlyTypes: ['Patient'], onlyCompartmentTypes: AUDIT_EVENT, interaction: 'search-type', access: AUDIT_SEARCH, handler: searchAuditTrail },
  { method: 'GET', pattern: [':type', ':id'], onlyTypes: AUDIT_EVENT, interaction: 'read', access: AUDIT_READ, handler: readAuditEvent },
  ...([['PUT', [':type', ':id'], 'update'], ['PATCH', [':type', ':id'], 'patch'], ['DELETE', [':type', ':id'], 'delete'], ['PUT', [':type'], 'update'],
    ['DELETE', [':type'], 'delete'], ['GET', [':type', '_history'], 'history-type'], ['GET', [':type', ':id', '_history'], 'history-instance'],
    ['GET', [':type', ':id', '_history', ':vid'], 'vread']] as const).map(([method, pattern, interaction]) => ({
    method, pattern, onlyTypes: AUDIT_EVENT, interaction, access: AUDIT_READ, handler: appendOnly,
  })),
];

/**
 * The registry of everything the FHIR API implements. The router dispatches from it and the
 * CapabilityStatement is generated from it, so the two can never disagree.
 */
export const ROUTES: readonly Route[] = [
  { method: 'GET', pattern: ['metadata'], interaction: 'capabilities', handler: capabilities },
  { method: 'POST', pattern: [], interaction: 'transaction', handler: batchOrTransaction },
  // $validate at the system level: the resource (or Parameters holding it) says its own type.
  { method: 'POST', pattern: ['$validate'], interaction: 'operation', operation: 'validate',
    definition: 'http://hl7.org/fhir/OperationDefinition/Resource-validate', access: { kind: 'authenticated' }, handler: validate },
  { method: 'GET', pattern: ['_history'], interaction: 'history-system', handler: historyHandler },
  ...AUDIT_ROUTES,
  // Bulk Data Access 2.0 (docs/research.md): kick-off at three levels, then the status the kick-off names
  // (no operation name: it is not an operation of its own, and the CapabilityStatement does not list it).
  { method: 'GET', pattern: ['$export'], interaction: 'operation', operation: 'export', definition: BULK_EXPORT.system, access: BULK_EXPORTER, handler: exportSystem },
  { method: 'POST', pattern: ['$export'], interaction: 'operation', operation: 'export', definition: BULK_EXPORT.system, access: BULK_EXPORTER, handler: exportSystem },
  { method: 'GET', pattern: ['Patient', '$export'], interaction: 'operation', operation: 'export', definition: BULK_EXPORT.patient, access: BULK_EXPORTER, handler: exportPatients },
  { method: 'POST', pattern: ['Patient', '$export'], interaction: 'operation', operation: 'export', definition: BULK_EXPORT.patient, access: BULK_EXPORTER, handler: exportPatients },
  { method: 'GET', pattern: ['Group', ':id', '$export'], interaction: 'operation', operation: 'export', definition: BULK_EXPORT.group, access: BULK_EXPORTER, handler: exportGroup },
  { method: 'POST', pattern: ['Group', ':id', '$export'], interaction: 'operation', operation: 'export', definition: BULK_EXPORT.group, access: BULK_EXPORTER, handler: exportGroup },
  { method: 'GET', pattern: ['$export-poll-status', ':id'], interaction: 'operation', access: BULK_EXPORTER, handler: exportStatus },
  { method: 'DELETE', pattern: ['$export-poll-status', ':id'], interaction: 'operation', access: BULK_EXPORTER, handler: exportCancel },
  // Documents in (docs/documents.md#documents-in): filed into the record of the document's person.
  { method: 'POST', pattern: ['Bundle', '$ingest'], interaction: 'operation', operation: 'ingest', definition: 'urn:carnet:OperationDefinition/Bundle-ingest',
    access: { kind: 'action', action: 'create', type: 'DocumentReference' }, handler: bundleIngest },
  { method: 'GET', pattern: ['$pdf-only-report'], interaction: 'operation', operation: 'pdf-only-report', definition: 'urn:carnet:OperationDefinition/pdf-only-report',
    access: { kind: 'policy', check: dataQualityReview }, handler: pdfOnlyReport },
  { method: 'POST', pattern: ['$import-ccda'], interaction: 'operation', operation: 'import-ccda', definition: 'urn:carnet:OperationDefinition/import-ccda',
    access: { kind: 'action', action: 'create', type: 'DocumentReference' }, handler: ccdaImport },
  { method: 'GET', pattern: [':type'], interaction: 'search-type', handler: search },
  { method: 'POST', pattern: [':type', '_search'], interaction: 'search-type', handler: search },
  { method: 'POST', pattern: [':type'], interaction: 'create', handler: create },
  { method: 'PUT', pattern: [':type'], interaction: 'update', withQuery: true, handler: conditionalUpdate },
  { method: 'DELETE', pattern: [':type'], interaction: 'delete', withQuery: true, handler: conditionalDelete },
  { method: 'GET', pattern: [':type', '_history'], interaction: 'history-type', handler: historyHandler },
  { method: 'POST', pattern: [':type', '$validate'], interaction: 'operation', operation: 'validate', access: { kind: 'authenticated' }, handler: validate },
  // Master patient index (docs/mpi.md).
  { method: 'POST', pattern: ['Patient', '$match'], interaction: 'operation', operation: 'match', access: { kind: 'action', action: 'search', type: 'Patient' }, handler: patientMatch },
  { method: 'POST', pattern: ['Patient', '$merge'], interaction: 'operation', operation: 'merge', access: MPI_STEWARDSHIP, handler: patientMerge },
  { method: 'POST', pattern: ['Patient', '$unmerge'], interaction: 'operation', operation: 'unmerge', access: MPI_STEWARDSHIP, handler: patientUnmerge },
  { method: 'GET', pattern: ['Patient', ':id', '$mpi-links'], interaction: 'operation', operation: 'mpi-links', access: MPI_STEWARDSHIP, handler: mpiLinks },
  { method: 'POST', pattern: ['Patient', ':id', '$mpi-link'], interaction: 'operation', operation: 'mpi-link', access: MPI_STEWARDSHIP, handler: mpiLink },
  { method: 'POST', pattern: ['Patient', ':id', '$mpi-unlink'], interaction: 'operation', operation: 'mpi-unlink', access: MPI_STEWARDSHIP, handler: mpiUnlink },
  { method: 'GET', pattern: ['$mpi-review'], interaction: 'operation', operation: 'mpi-review', access: MPI_STEWARDSHIP, handler: mpiReviewList },
  { method: 'POST', pattern: ['$mpi-review'], interaction: 'operation', operation: 'mpi-review', access: MPI_STEWARDSHIP, handler: mpiReviewDecide },
  // The person's record as documents (docs/documents.md).
  { method: 'GET', pattern: ['Patient', '$summary'], interaction: 'operation', operation: 'summary',
    definition: IPS_SUMMARY, access: { kind: 'action', action: 'search', type: 'Patient' }, handler: patientSummaryByIdentifier },
  // Scheduling (docs/scheduling.md): the operations decide who may book what themselves.
  { method: 'GET', pattern: ['Appointment', '$find'], interaction: 'operation', operation: 'find', definition: SCHEDULING('find'), access: { kind: 'handler' }, handler: appointmentFind },
  { method: 'POST', pattern: ['Appointment', '$find'], interaction: 'operation', operation: 'find', definition: SCHEDULING('find'), access: { kind: 'handler' }, handler: appointmentFind },
  { method: 'POST', pattern: ['Appointment', '$hold'], interaction: 'operation', operation: 'hold', definition: SCHEDULING('hold'), access: { kind: 'handler' }, handler: appointmentHold },
  { method: 'POST', pattern: ['Appointment', '$book'], interaction: 'operation', operation: 'book', definition: SCHEDULING('book'), access: { kind: 'handler' }, handler: appointmentBook },
  { method: 'POST', pattern: ['Appointment', ':id', '$cancel'], interaction: 'operation', operation: 'cancel', definition: 'urn:carnet:OperationDefinition/Appointment-cancel', access: { kind: 'handler' }, handler: appointmentCancel },
  { method: 'POST', pattern: ['Appointment', ':id', '$reschedule'], interaction: 'operation', operation: 'reschedule', definition: 'urn:carnet:OperationDefinition/Appointment-reschedule', access: { kind: 'handler' }, handler: appointmentReschedule },
  { method: 'POST', pattern: ['Appointment', ':id', '$noshow'], interaction: 'operation', operation: 'noshow', definition: 'urn:carnet:OperationDefinition/Appointment-noshow', access: { kind: 'handler' }, handler: appointmentNoShow },
  { method: 'GET', pattern: ['$mpi-decisions'], interaction: 'operation', operation: 'mpi-decisions', access: MPI_STEWARDSHIP, handler: mpiDecisions },
  // The websocket channel's binding token, for several subscriptions at once (docs/subscriptions.md).
  ...(['GET', 'POST'] as const).map((method) => ({ method, pattern: ['Subscription', '$get-ws-binding-token'], interaction: 'operation' as const,
    operation: 'get-ws-binding-token', definition: BACKPORT_WS_TOKEN, access: { kind: 'action' as const, action: 'read' as const, type: 'Subscription' },
    handler: subscriptionWsTokenOperation })),
  { method: 'GET', pattern: [':type', ':id'], interaction: 'read', handler: read },
  { method: 'PUT', pattern: [':type', ':id'], interaction: 'update', handler: update },
  { method: 'PATCH', pattern: [':type', ':id'], interaction: 'patch', handler: patch },
  { method: 'DELETE', pattern: [':type', ':id'], interaction: 'delete', handler: deleteResource },
  { method: 'POST', pattern: [':type', ':id', '$validate'], interaction: 'operation', operation: 'validate', access: { kind: 'authenticated' }, handler: validate },
  { method: 'GET', pattern: [':type', ':id', '_history'], interaction: 'history-instance', handler: historyHandler },
  { method: 'GET', pattern: [':type', ':id', '$everything'], interaction: 'operation', operation: 'everything',
    definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything', onlyTypes: ['Patient'], access: { kind: 'action', action: 'search', type: 'Patient' }, handler: everything },
  { method: 'GET', pattern: [':type', ':id', '$summary'], interaction: 'operation', operation: 'summary',
    definition: IPS_SUMMARY, onlyTypes: ['Patient'], access: { kind: 'action', action: 'search', type: 'Patient' }, handler: patientSummary },
  { method: 'GET', pattern: [':type', ':id', '$timeline'], interaction: 'operation', operation: 'timeline',
    definition: 'urn:carnet:OperationDefinition/Patient-timeline', onlyTypes: ['Patient'], access: { kind: 'action', action: 'search', type: 'Patient' }, handler: patientTimeline },
  { method: 'POST', pattern: [':type', ':id', '$health-cards-issue'], interaction: 'operation', operation: 'health-cards-issue',
    definition: HEALTH_CARDS_ISSUE, onlyTypes: ['Patient'], access: { kind: 'action', action: 'search', type: 'Patient' }, handler: healthCardsIssue },
  { method: 'POST', pattern: [':type', ':id', '$health-link'], interaction: 'operation', operation: 'health-link',
    definition: 'urn:carnet:OperationDefinition/Patient-health-link', onlyTypes: ['Patient'], access: { kind: 'action', action: 'search', type: 'Patient' }, handler: healthLinkCreate },
  { method: 'GET', pattern: [':type', ':id', '$health-links'], interaction: 'operation', operation: 'health-links',
    definition: 'urn:carnet:OperationDefinition/Patient-health-links', onlyTypes: ['Patient'], access: { kind: 'action', action: 'search', type: 'Patient' }, handler: healthLinkList },
  { method: 'POST', pattern: [':type', ':id', '$health-link-revoke'], interaction: 'operation', operation: 'health-link-revoke',
    definition: 'urn:carnet:OperationDefinition/Patient-health-link-revoke', onlyTypes: ['Patient'], access: { kind: 'action', action: 'search', type: 'Patient' }, handler: healthLinkRevoke },
  { method: 'GET', pattern: [':type', ':id', '$access-log'], interaction: 'operation', operation: 'access-log',
    definition: 'urn:carnet:OperationDefinition/Patient-access-log', onlyTypes: ['Patient'], access: { kind: 'handler' }, handler: accessLog },
  { method: 'POST', pattern: [':type', ':id', '$break-the-glass'], interaction: 'operation', operation: 'break-the-glass',
    definition: 'urn:carnet:OperationDefinition/Patient-break-the-glass', onlyTypes: ['Patient'], access: { kind: 'handler' }, handler: breakTheGlass },
  // Subscriptions (docs/subscriptions.md): what a subscriber asks to detect and repair a gap.
  { method: 'GET', pattern: [':type', ':id', '$status'], interaction: 'operation', operation: 'status', definition: BACKPORT_STATUS,
    onlyTypes: ['Subscription'], access: { kind: 'action', action: 'read', type: 'Subscription' }, handler: subscriptionStatusOperation },
  { method: 'GET', pattern: [':type', ':id', '$events'], interaction: 'operation', operation: 'events', definition: BACKPORT_EVENTS,
    onlyTypes: ['Subscription'], access: { kind: 'action', action: 'read', type: 'Subscription' }, handler: subscriptionEventsOperation },
  ...(['GET', 'POST'] as const).map((method) => ({ method, pattern: [':type', ':id', '$get-ws-binding-token'], interaction: 'operation' as const,
    operation: 'get-ws-binding-token', definition: BACKPORT_WS_TOKEN, onlyTypes: ['Subscription'],
    access: { kind: 'action' as const, action: 'read' as const, type: 'Subscription' }, handler: subscriptionWsTokenOperation })),
  { method: 'GET', pattern: [':type', ':id', ':compartmentType'], interaction: 'search-type', handler: compartmentSearch },
  { method: 'GET', pattern: [':type', ':id', '_history', ':vid'], interaction: 'vread', handler: vread },
];
