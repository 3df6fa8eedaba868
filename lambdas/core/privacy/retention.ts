/**
 * Retention: conversations are kept `retentionDays` after their last activity. Every conversation item carries
 * `expiresAt` (the table's TTL attribute) from the moment a period is set, so DynamoDB deletes old messages on
 * its own (within days: reads hide conversations older than {@link retentionCutoff} and expired messages
 * meanwhile). The conversation's head, which the sweeper finds conversations by, expires HEAD_GRACE_DAYS later
 * (core/privacy/settings.ts), so TTL never takes it first; the sweeper makes it exact and complete:
 * - `full` (the period changed): deletes every conversation whose last activity is older than the period, with
 *   everything in its partition and what names it, and re-stamps the others (or un-stamps them: null keeps);
 * - `expired` (run often, cheaply): deletes only what has become too old since.
 * Once a day {@link scheduleRetentionSweeps} asks for an `expired` sweep of every tenant with a period
 * (`privacy.retention.due`, one event each), so a tenant whose customers stopped writing is swept too.
 * Bookings are business records and stay; their copies in customers' partitions follow the period, each leaving a
 * reference (the booking id only) so that a data request still finds the booking.
 */
import type { Clock, ConciergeEvent, EventPublisher } from '../ports';
import type { ConversationSamples, RetentionStore, RetentionTenants } from './ports';
import type { PrivacySettingsStore } from './settings';

export interface RetentionDeps {
  readonly settings: PrivacySettingsStore;
  readonly store: RetentionStore;
  readonly clock: Clock;
  readonly samples?: ConversationSamples;
}

export interface SweepResult {
  readonly retentionDays: number | null;
  readonly deleted: number;
  readonly stamped: number;
  readonly bookingCopies: number;
}

const PAGE = 100;
const DAY_MS = 24 * 60 * 60 * 1000;

/** The instant before which activity is too old, or undefined when conversations are kept. */
export function retentionCutoff(now: Date, retentionDays: number | null): string | undefined {
  return retentionDays === null ? undefined : new Date(now.getTime() - retentionDays * DAY_MS).toISOString();
}

/** One sweep of one tenant's conversations (see the module comment). */
export async function sweepRetention(deps: RetentionDeps, tenantId: string, mode: 'full' | 'expired'): Promise<SweepResult> {
  const retentionDays = (await deps.settings.getPrivacySettings(tenantId))?.retentionDays ?? null;
  const cutoff = retentionCutoff(deps.clock.now(), retentionDays);
  let deleted = 0;
  let stamped = 0;
  let bookingCopies = 0;
  if (cutoff) {
    let cursor: string | undefined;
    do {
      const page = await deps.store.listConversationsByActivity(tenantId, { before: cutoff }, PAGE, cursor);
      for (const conversation of page.items) await deps.store.deleteConversation(tenantId, conversation);
      const ids = page.items.map((c) => c.conversationId);
      if (ids.length > 0) {
        await deps.store.deleteItemsNaming(tenantId, ids);
        await deps.samples?.forgetConversations(tenantId, ids);
      }
      deleted += ids.length;
      cursor = page.cursor;
    } while (cursor);
    bookingCopies = await deps.store.expireBookingCopies(tenantId, cutoff);
  }
  if (mode === 'full') {
    let cursor: string | undefined;
    do {
      const page = await deps.store.listConversationsByActivity(tenantId, cutoff ? { from: cutoff } : {}, PAGE, cursor);
      for (const conversation of page.items) stamped += await deps.store.stampConversation(tenantId, conversation.conversationId, retentionDays);
      cursor = page.cursor;
    } while (cursor);
  }
  return { retentionDays, deleted, stamped, bookingCopies };
}

export interface RetentionScheduleDeps {
  readonly tenants: RetentionTenants;
  readonly events: EventPublisher;
}

/**
 * The daily schedule: one `privacy.retention.due` per tenant with a retention period, a page of tenants at a time,
 * so each tenant's sweep runs in an invocation of its own (thousands of tenants would not fit in one). Returns how
 * many tenants were asked to sweep.
 */
export async function scheduleRetentionSweeps(deps: RetentionScheduleDeps): Promise<{ readonly tenants: number }> {
  let tenants = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.tenants.listTenantsWithRetention(PAGE, cursor);
    if (page.tenantIds.length > 0) await deps.events.publish(page.tenantIds.map((tenantId): ConciergeEvent => ({ type: 'privacy.retention.due', tenantId, detail: {} })));
    tenants += page.tenantIds.length;
    cursor = page.cursor;
  } while (cursor);
  return { tenants };
}
