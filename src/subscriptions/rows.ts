import { bool, int, iso, isoOrNull, json, jsonOrNull, text, textOrNull, textsOrNull, type Row } from '../storage/sql/rows.js';
import type { Owner } from './owner.js';
import type { Channel, SubscriptionStatus } from './spec.js';
import type { DeliveryState } from './status.js';

/**
 * The rows of the subscription tables (migration 11) as the stores read them: a subscription (its
 * criteria index, owner, channel, delivery state) and a numbered notification.
 */

/** What a subscription is (its criteria, owner and channel), shared by the stored row and a write. */
export interface SubscriptionDefinition extends DeliveryState {
  readonly id: string;
  readonly resourceType: string;
  readonly criteria: string;
  readonly topic: string | null;
  readonly patientKeys: readonly string[] | null;
  readonly owner: Owner | null;
  readonly channel: Channel;
}

export interface SubscriptionRow extends SubscriptionDefinition {
  readonly eventsSinceStart: number;
  readonly deliveredThrough: number;
  readonly inFlight: boolean;
  readonly round: number;
  readonly statusVersion: number;
  readonly endsAt: string | null;
}

export interface NotificationRow extends NewNotification {
  readonly number: number;
}

/** A match of a subscription: the event and the version it is about. */
export interface NewNotification {
  readonly eventSeq: number;
  readonly kind: string;
  readonly resourceType: string;
  readonly resourceId: string;
  readonly versionId: number;
  readonly patientId: string | null;
  readonly at: string;
}

export const COLUMNS = `id, resource_type, criteria, topic, patient_keys, status, owner, channel, events_since_start, delivered_through, in_flight, round, failures,
  last_error, status_version, ends_at`;

export const NOTIFICATION_COLUMNS = 'number, event_seq, kind, resource_type, resource_id, version_id, patient_id, at';

export function toRow(r: Row): SubscriptionRow {
  return {
    id: text(r, 'id'), resourceType: text(r, 'resource_type'), criteria: text(r, 'criteria'),
    topic: textOrNull(r, 'topic'), patientKeys: textsOrNull(r, 'patient_keys'), status: text(r, 'status') as SubscriptionStatus,
    owner: jsonOrNull<Owner>(r, 'owner'), channel: json<Channel>(r, 'channel'),
    eventsSinceStart: int(r, 'events_since_start'), deliveredThrough: int(r, 'delivered_through'), inFlight: bool(r, 'in_flight'),
    round: int(r, 'round'), failures: int(r, 'failures'), lastError: textOrNull(r, 'last_error'),
    statusVersion: int(r, 'status_version'), endsAt: isoOrNull(r, 'ends_at'),
  };
}

export function toNotification(r: Row): NotificationRow {
  return {
    number: int(r, 'number'), eventSeq: int(r, 'event_seq'), kind: text(r, 'kind'), resourceType: text(r, 'resource_type'),
    resourceId: text(r, 'resource_id'), versionId: int(r, 'version_id'), patientId: textOrNull(r, 'patient_id'), at: iso(r, 'at'),
  };
}
