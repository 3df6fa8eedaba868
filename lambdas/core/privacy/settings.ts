/**
 * A tenant's privacy settings: how long conversations are kept. `retentionDays: null` keeps them; a number
 * (7..3650) makes every conversation item expire that many days after it was written (the table's TTL
 * attribute), and the retention sweeper deletes conversations whose last activity is older than that.
 */
import { z } from 'zod';
import type { EventPublisher } from '../ports';

export const MIN_RETENTION_DAYS = 7;
export const MAX_RETENTION_DAYS = 3650;

/** The settings as stored and as the API takes them; the schema is the type. */
export const privacySettingsSchema = z.strictObject({
  retentionDays: z
    .number()
    .int('must be a whole number of days')
    .min(MIN_RETENTION_DAYS, `must be at least ${MIN_RETENTION_DAYS} days`)
    .max(MAX_RETENTION_DAYS, `must be at most ${MAX_RETENTION_DAYS} days`)
    .nullable(),
});
export type PrivacySettings = z.infer<typeof privacySettingsSchema>;

/** Conversations are kept until the owner chooses a period. */
export const defaultPrivacySettings: PrivacySettings = { retentionDays: null };

/** Where the settings live. */
export interface PrivacySettingsStore {
  /** The stored settings, read consistently (no cache); undefined when never saved. */
  getPrivacySettings(tenantId: string): Promise<PrivacySettings | undefined>;
  putPrivacySettings(tenantId: string, settings: PrivacySettings): Promise<void>;
}

/** The retention period as the write path reads it (cheaply: adapters may cache it for a short while). */
export interface RetentionLookup {
  /** Days conversation items are kept, or null to keep them. */
  retentionDays(tenantId: string): Promise<number | null>;
}

export interface PrivacySettingsDeps {
  readonly settings: PrivacySettingsStore;
  readonly events: EventPublisher;
}

/** The tenant's settings, the defaults when never saved. */
export async function getPrivacySettings(deps: Pick<PrivacySettingsDeps, 'settings'>, tenantId: string): Promise<PrivacySettings> {
  return (await deps.settings.getPrivacySettings(tenantId)) ?? defaultPrivacySettings;
}

/**
 * Saves the settings; a changed period publishes `privacy.retention.changed`, whose target (the retention
 * sweeper) deletes what is now too old and re-stamps the rest.
 */
export async function putPrivacySettings(deps: PrivacySettingsDeps, tenantId: string, by: string, body: unknown): Promise<{ settings: PrivacySettings; changed: boolean }> {
  const settings = privacySettingsSchema.parse(body);
  const before = await getPrivacySettings(deps, tenantId);
  await deps.settings.putPrivacySettings(tenantId, settings);
  const changed = before.retentionDays !== settings.retentionDays;
  if (changed) await deps.events.publish([{ type: 'privacy.retention.changed', tenantId, detail: { retentionDays: settings.retentionDays, by } }]);
  return { settings, changed };
}

/** The expiry (epoch seconds, the table's TTL attribute) of an item written at `writtenAt`; undefined when kept. */
export function expiryOf(writtenAt: Date | string, retentionDays: number | null): number | undefined {
  if (retentionDays === null) return undefined;
  const ms = typeof writtenAt === 'string' ? Date.parse(writtenAt) : writtenAt.getTime();
  if (Number.isNaN(ms)) return undefined;
  return Math.floor(ms / 1000) + retentionDays * 24 * 60 * 60;
}

/**
 * Days a conversation's head (the item the activity index lists) outlives the period. TTL must never delete the head
 * before the retention sweeper (daily, docs/decisions.md 71) has found the conversation by it: the sweeper also
 * deletes what carries no expiry (handoff record, transitions, deliveries, follow-ups, the inbox entry, the
 * customer's ref). More than the sweep interval, with room for a failed run; readers hide a conversation by its last
 * activity (core/privacy/retention.ts `retentionCutoff`), not by this expiry.
 */
export const HEAD_GRACE_DAYS = 3;

/** The expiry of a conversation's head whose last activity was at `lastActivity` (see HEAD_GRACE_DAYS); undefined when kept. */
export function headExpiryOf(lastActivity: Date | string, retentionDays: number | null): number | undefined {
  return retentionDays === null ? undefined : expiryOf(lastActivity, retentionDays + HEAD_GRACE_DAYS);
}
