import { resourceStore } from './001-resource-store.js';
import { searchIndex } from './002-search-index.js';
import { hl7v2 } from './003-hl7v2.js';
import { mpi } from './004-mpi.js';
import { access } from './006-access.js';
import { eventsJobs } from './007-events-jobs.js';
import { subscriptions } from './011-subscriptions.js';
import { scheduling } from './012-scheduling.js';
import { research } from './013-research.js';
import { hl7v2Discard } from './015-hl7v2-discard.js';
import { scheduleSlots } from './017-schedule-slots.js';
import { timelineIndex } from './019-timeline-index.js';
import { subscriptionCriteriaKeys } from './020-subscription-criteria-keys.js';
import { researchRevocation } from './021-research-revocation.js';
import { healthLinks } from './022-health-links.js';
import { researchProjects } from './023-research-projects.js';
import { auditEvents } from './025-audit-events.js';
import { auditEventContentIndex } from './026-audit-event-content-index.js';
import type { Migration } from './migration.js';

export type { Migration } from './migration.js';

/**
 * Ordered, versioned schema migrations, one file each (`NNN-<area>.ts`). Each is applied once, in order,
 * inside a transaction; the same SQL runs on PostgreSQL 15+ and on PGlite.
 */
export const MIGRATIONS: readonly Migration[] = [resourceStore, searchIndex, hl7v2, mpi, access, eventsJobs, subscriptions, scheduling, research, hl7v2Discard, scheduleSlots, timelineIndex, subscriptionCriteriaKeys, researchRevocation, healthLinks, researchProjects, auditEvents, auditEventContentIndex];
