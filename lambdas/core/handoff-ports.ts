/**
 * Ports of the human handoff and the staff inbox: the handoff record and its
 * transitions, the staff directory (who is online), task-token callbacks to
 * the workflow, e-mail, follow-up tasks and the per-tenant handoff settings.
 * Kept beside ports.ts so the conversation ports stay as they are; the core
 * imports no AWS SDK for any of them.
 */
import { z } from 'zod';
import type { ConversationMode } from './protocol';

export const handoffStatuses = ['waiting', 'escalated', 'callback', 'accepted', 'returned', 'closed'] as const;
/**
 * Where a handoff stands. `waiting` / `escalated` / `callback`: the conversation is `waiting_for_human`
 * (escalated: every agent was told; callback: nobody could join, the customer was asked for a contact);
 * `accepted`: a person owns it (`human`); `returned` (to the bot) and `closed` end it.
 */
export type HandoffStatus = (typeof handoffStatuses)[number];
export const openStatuses: readonly HandoffStatus[] = ['waiting', 'escalated', 'callback'];

export interface StaffRef {
  readonly sub: string;
  readonly email: string;
}

export interface CsatState {
  readonly askedAt: string;
  readonly score?: number;
  readonly answeredAt?: string;
}

export interface HandoffRecord {
  readonly tenantId: string;
  readonly conversationId: string;
  readonly status: HandoffStatus;
  /** Why the customer was handed over (free text from the trigger, e.g. "customer asked for a person"). */
  readonly reason: string;
  readonly requestedAt: string;
  /** Language of the customer, for every message the handoff sends them. */
  readonly lang: string;
  /** The SLA this handoff waits for an agent, in seconds. */
  readonly slaSeconds: number;
  /** The workflow execution that drives this handoff (absent until it claims it). */
  readonly executionId?: string;
  readonly assignee?: StaffRef;
  readonly acceptedAt?: string;
  readonly escalatedAt?: string;
  readonly endedAt?: string;
  /** Phone number or e-mail the customer left for a callback. */
  readonly contact?: string;
  readonly followUpId?: string;
  readonly csat?: CsatState;
  /** Optimistic-locking revision: every write checks the one it read. */
  readonly rev: number;
}

/** One recorded change of mode and/or handoff status, with its reason and time (feeds analytics). */
export interface HandoffTransition {
  readonly conversationId: string;
  readonly fromMode: ConversationMode;
  readonly toMode: ConversationMode;
  readonly fromStatus?: HandoffStatus;
  readonly toStatus: HandoffStatus;
  readonly reason: string;
  readonly at: string;
  /** The staff member who caused it, when one did. */
  readonly by?: string;
}

/** An active handoff as the inbox lists it. */
export interface InboxEntry {
  readonly conversationId: string;
  readonly status: HandoffStatus;
  readonly mode: ConversationMode;
  readonly reason: string;
  readonly requestedAt: string;
  readonly updatedAt: string;
  readonly lang: string;
  readonly assignee?: StaffRef;
  readonly contact?: string;
}

export type TaskTokenKind = 'accept' | 'outcome';

export interface HandoffChange {
  /** The record read before the change (its `rev` is checked); undefined when none existed. */
  readonly previous: HandoffRecord | undefined;
  readonly next: HandoffRecord;
  /** The conversation must be in one of these modes; it is set to `toMode`. */
  readonly fromModes: readonly ConversationMode[];
  readonly fromMode: ConversationMode;
  readonly toMode: ConversationMode;
  readonly reason: string;
  readonly by?: string;
  /**
   * The conversation's message counter (`ConversationRecord.lastSeq`, 0 for none) as the decision read it: when
   * given, nothing is written if a message was added since (a reply the decision did not see).
   */
  readonly lastSeq?: number;
}

export interface HandoffStore {
  getHandoff(tenantId: string, conversationId: string): Promise<HandoffRecord | undefined>;
  /**
   * Changes the conversation's mode and the handoff record, records the transition and updates the
   * inbox entry, all at once; false (nothing written) when the mode or the record changed meanwhile.
   */
  applyChange(change: HandoffChange): Promise<boolean>;
  /** Saves the record when it is still at `previous.rev` (no mode change, no transition). */
  saveHandoff(previous: HandoffRecord, next: HandoffRecord): Promise<boolean>;
  /** Stores the workflow's task token when the handoff's status is one of `statuses`; false otherwise. */
  putTaskToken(tenantId: string, conversationId: string, kind: TaskTokenKind, token: string, statuses: readonly HandoffStatus[]): Promise<boolean>;
  getTaskToken(tenantId: string, conversationId: string): Promise<{ kind: TaskTokenKind; token: string } | undefined>;
  listTransitions(tenantId: string, conversationId: string): Promise<HandoffTransition[]>;
  listInbox(tenantId: string): Promise<InboxEntry[]>;
  /** Whether the staff e-mail `ref` names was recorded as sent (`recordStaffEmail`). */
  staffEmailSent(ref: StaffEmailRef): Promise<boolean>;
  /**
   * Records that the staff e-mail `ref` names was accepted, for a retried step to find (kept 30 days): a conditional
   * write, false (nothing written) when it was recorded already.
   */
  recordStaffEmail(ref: StaffEmailRef): Promise<boolean>;
}

/** One staff e-mail of one handoff: what it is about, and which of the conversation's handoffs (a conversation may have many). */
export interface StaffEmailRef {
  readonly tenantId: string;
  readonly conversationId: string;
  readonly kind: Extract<EmailKind, `handoff.${string}`>;
  /** The handoff: an id it alone has (its follow-up task's, a hash of its execution's); no `#`. */
  readonly handoff: string;
}

export interface StaffConnection {
  readonly connectionId: string;
  readonly sub: string;
  readonly email: string;
  readonly groups: readonly ('admin' | 'agent')[];
}

export interface StaffMemberRecord {
  readonly sub: string;
  readonly email: string;
  readonly groups: readonly ('admin' | 'agent')[];
  readonly lastSeenAt: string;
}

/**
 * Who of the staff is connected to the live inbox, and the staff members who get staff e-mail (everyone who
 * connected recently: a member record expires some time after the last connect).
 */
export interface StaffDirectory {
  /**
   * Records a staff connection for a few hours (not cut at `expiresAt`, the token's `exp`: a frame after it is
   * refused, which ends the record and makes the inbox reconnect) and remembers the member. Throws `StaffMemberRemovedError` for a member removed (disabled) recently: a token
   * issued before that must not bring them back.
   */
  putStaffConnection(tenantId: string, connection: StaffConnection & { readonly expiresAt?: number }): Promise<void>;
  removeStaffConnection(tenantId: string, connectionId: string): Promise<void>;
  getStaffConnection(tenantId: string, connectionId: string): Promise<StaffConnection | undefined>;
  listStaffConnections(tenantId: string): Promise<StaffConnection[]>;
  listStaffMembers(tenantId: string): Promise<StaffMemberRecord[]>;
  /** The member gets no more staff e-mail, and cannot be recorded again by connecting with a token issued before now. */
  removeStaffMember(tenantId: string, sub: string): Promise<void>;
  /**
   * A new role: the member's record (when there is one) gets these groups, and tokens issued until now are held to
   * them (`getStaffAccessChange`).
   */
  setStaffMemberGroups(tenantId: string, sub: string, groups: readonly ('admin' | 'agent')[]): Promise<void>;
  /**
   * The member's latest loss or change of access (a disable, a new role) for as long as a token issued before it can
   * live; undefined when there was none in that time. The REST plumbing holds every token to it (core/team.ts
   * `groupsNow`).
   */
  getStaffAccessChange(tenantId: string, sub: string): Promise<StaffAccessChange | undefined>;
}

/**
 * What changed a staff member's access after tokens were issued to them. Times are seconds since the epoch, real
 * time, as a token's `iat` is (not the business clock, which tests and the eval move).
 */
export interface StaffAccessChange {
  /** When the account was disabled: the member is refused for as long as a token can live (a day). */
  readonly disabledAt?: number;
  /** When the role last changed, and its groups since: tokens issued until then keep only these. */
  readonly role?: { readonly changedAt: number; readonly groups: readonly ('admin' | 'agent')[] };
}

/** A disabled member tried to connect with a token issued before they were disabled. */
export class StaffMemberRemovedError extends Error {
  override readonly name = 'StaffMemberRemovedError';
}

/** Answers the workflow's `.waitForTaskToken` tasks. */
export interface TaskCallbacks {
  /** false when the token is no longer waiting (answered, timed out, execution over). */
  succeed(token: string, output: Readonly<Record<string, unknown>>): Promise<boolean>;
}

/** What an e-mail is about, for the outbox view (handoff notices, booking notices to staff and customers). */
export const emailKinds = [
  'handoff.waiting',
  'handoff.escalated',
  'handoff.callback',
  'booking.confirmed',
  'booking.reminder',
  'booking.failed',
  'booking.calendar_failed',
  'booking.late_payment',
  'booking.cancelled',
  // team (core/team.ts): an invitation with a temporary password, when we deliver invitations ourselves
  'team.invite',
] as const;
export type EmailKind = (typeof emailKinds)[number];

export interface OutgoingEmail {
  readonly tenantId: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  /** What the e-mail is about, for the outbox view. */
  readonly kind: EmailKind;
  readonly conversationId?: string;
  /** The booking it is about (booking kinds). */
  readonly bookingId?: string;
}

export interface StoredEmail extends OutgoingEmail {
  readonly id: string;
  readonly createdAt: string;
}

export interface EmailSender {
  send(email: OutgoingEmail): Promise<void>;
}

/** The local outbox: e-mails that were "sent" without a provider, shown in the admin UI. */
export interface OutboxReader {
  listOutbox(tenantId: string, limit: number): Promise<StoredEmail[]>;
}

export interface FollowUpTask {
  readonly id: string;
  readonly conversationId: string;
  readonly status: 'open' | 'done';
  readonly reason: string;
  readonly lang: string;
  readonly createdAt: string;
  readonly contact?: string;
  readonly doneAt?: string;
  readonly doneBy?: string;
}

export interface FollowUpStore {
  putFollowUp(tenantId: string, task: FollowUpTask): Promise<void>;
  getFollowUp(tenantId: string, id: string): Promise<FollowUpTask | undefined>;
  /** Newest first, at most `limit` of them (all without it). */
  listFollowUps(tenantId: string, limit?: number): Promise<FollowUpTask[]>;
}

export const cannedReplySchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be 1-40 characters of a-z 0-9 -'),
  title: z.string().trim().min(1).max(80),
  text: z.string().trim().min(1).max(1000),
});
export type CannedReply = z.infer<typeof cannedReplySchema>;

export const handoffSettingsSchema = z.strictObject({
  /** How long a handoff waits for an agent before it is escalated (and again before the fallback). */
  slaSeconds: z.number().int().min(1).max(86_400),
  cannedReplies: z.array(cannedReplySchema).max(50),
});
export type HandoffSettings = z.infer<typeof handoffSettingsSchema>;

/** Per-tenant handoff settings, kept in their own item next to the tenant profile. */
export interface HandoffSettingsStore {
  getHandoffSettings(tenantId: string): Promise<HandoffSettings | undefined>;
  putHandoffSettings(tenantId: string, settings: HandoffSettings): Promise<void>;
}
