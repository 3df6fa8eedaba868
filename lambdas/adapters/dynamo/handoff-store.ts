/**
 * DynamoDB adapter for the handoff ports: the handoff record and its task
 * token (in the conversation's partition), the transitions, the inbox, the
 * staff directory, follow-up tasks, handoff settings and the local e-mail
 * outbox. A change of mode is one transaction with the record, the transition
 * and the inbox entry, conditioned on what the use case read.
 */
import { conditionalWrite, markerExists, putMarker, queryPartition } from './query';
import { DeleteCommand, GetCommand, PutCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import {
  emailKinds,
  handoffSettingsSchema,
  handoffStatuses,
  openStatuses,
  StaffMemberRemovedError,
  type EmailSender,
  type FollowUpStore,
  type FollowUpTask,
  type HandoffChange,
  type HandoffRecord,
  type HandoffSettings,
  type HandoffSettingsStore,
  type HandoffStatus,
  type HandoffStore,
  type HandoffTransition,
  type InboxEntry,
  type OutboxReader,
  type OutgoingEmail,
  type StaffAccessChange,
  type StaffConnection,
  type StaffDirectory,
  type StaffEmailRef,
  type StaffMemberRecord,
  type StoredEmail,
  type TaskTokenKind,
} from '../../core/handoff-ports';
import { randomId } from '../../core/ids';
import type { Clock } from '../../core/ports';
import { MAX_TOKEN_LIFETIME_SECONDS } from '../../core/team';
import { keys } from './keys';

/** A staff connection's presence ends with its token's `exp`, and after this at most (API Gateway keeps a connection 2 h). */
const STAFF_CONNECTION_TTL_SECONDS = 3 * 60 * 60;
/** A member who has not connected for this long gets no more staff e-mail (each connect starts it again). */
export const STAFF_MEMBER_TTL_SECONDS = 90 * 24 * 60 * 60;
/** Now in seconds since the epoch, real time: what tokens' `iat` are compared with (the business clock may be moved). */
const realEpochSeconds = (): number => Math.floor(Date.now() / 1000);
/** A removed (disabled) member cannot be recorded again for this long: Cognito's longest ID-token lifetime. */
const REMOVED_MEMBER_TTL_SECONDS = 24 * 60 * 60;
const OUTBOX_TTL_SECONDS = 30 * 24 * 60 * 60;
/** How long a sent staff e-mail is remembered: a step's retries come within minutes, a handoff's workflow ends within days. */
const STAFF_EMAIL_MARKER_TTL_SECONDS = 30 * 24 * 60 * 60;

const mode = z.enum(['bot', 'waiting_for_human', 'human', 'closed']);
const status = z.enum(handoffStatuses);
const staffRef = z.object({ sub: z.string(), email: z.string() });
const groups = z.array(z.enum(['admin', 'agent']));

const recordItem = z.object({
  tenantId: z.string(),
  conversationId: z.string(),
  status,
  reason: z.string(),
  requestedAt: z.string(),
  lang: z.string(),
  slaSeconds: z.number().int(),
  executionId: z.string().optional(),
  assignee: staffRef.optional(),
  acceptedAt: z.string().optional(),
  escalatedAt: z.string().optional(),
  endedAt: z.string().optional(),
  contact: z.string().optional(),
  followUpId: z.string().optional(),
  csat: z.object({ askedAt: z.string(), score: z.number().int().optional(), answeredAt: z.string().optional() }).optional(),
  rev: z.number().int(),
});

const transitionItem = z.object({
  conversationId: z.string(),
  fromMode: mode,
  toMode: mode,
  fromStatus: status.optional(),
  toStatus: status,
  reason: z.string(),
  at: z.string(),
  by: z.string().optional(),
});

const inboxItem = z.object({
  conversationId: z.string(),
  status,
  mode,
  reason: z.string(),
  requestedAt: z.string(),
  updatedAt: z.string(),
  lang: z.string(),
  assignee: staffRef.optional(),
  contact: z.string().optional(),
});

const tokenItem = z.object({ kind: z.enum(['accept', 'outcome']), taskToken: z.string() });
const staffConnectionItem = z.object({ connectionId: z.string(), sub: z.string(), email: z.string(), groups, expiresAt: z.number() });
const staffMemberItem = z.object({ sub: z.string(), email: z.string(), groups, lastSeenAt: z.string(), expiresAt: z.number().optional() });
/** What `removeStaffMember` leaves under the member's key until tokens issued before it have expired. */
const removedMemberItem = z.object({ removedAt: z.string(), expiresAt: z.number() });
/** The member's latest disable and role change (seconds since the epoch, real time), kept as long as a token lives. */
const staffAccessItem = z.object({ disabledAt: z.number().optional(), roleChangedAt: z.number().optional(), roleGroups: groups.optional() });
const followUpItem = z.object({
  id: z.string(),
  conversationId: z.string(),
  status: z.enum(['open', 'done']),
  reason: z.string(),
  lang: z.string(),
  createdAt: z.string(),
  contact: z.string().optional(),
  doneAt: z.string().optional(),
  doneBy: z.string().optional(),
});
const emailItem = z.object({
  id: z.string(),
  createdAt: z.string(),
  tenantId: z.string(),
  to: z.array(z.string()),
  subject: z.string(),
  text: z.string(),
  kind: z.enum(emailKinds),
  conversationId: z.string().optional(),
  bookingId: z.string().optional(),
});


/** Only the record's own fields (no keys), so what is written is exactly what is read back. */
function recordFields(r: HandoffRecord): HandoffRecord {
  return recordItem.parse(r);
}

export class DynamoHandoffStore implements HandoffStore, StaffDirectory, FollowUpStore, HandoffSettingsStore, EmailSender, OutboxReader {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  private epochSeconds(offset: number): number {
    return Math.floor(this.clock.now().getTime() / 1000) + offset;
  }

  private query(pk: string, prefix?: string, options: { newestFirst?: boolean; limit?: number } = {}): Promise<Record<string, unknown>[]> {
    return queryPartition(this.db, this.tableName, pk, { ...options, ...(prefix ? { prefix } : {}), consistent: true });
  }

  // ---- handoff -------------------------------------------------------------------------------

  async getHandoff(tenantId: string, conversationId: string): Promise<HandoffRecord | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.handoff(tenantId, conversationId), ConsistentRead: true }));
    return out.Item ? recordItem.parse(out.Item) : undefined;
  }

  private recordPut(previous: HandoffRecord | undefined, next: HandoffRecord) {
    return {
      Put: {
        TableName: this.tableName,
        Item: { ...keys.handoff(next.tenantId, next.conversationId), ...recordFields(next) },
        ...(previous
          ? { ConditionExpression: 'rev = :rev', ExpressionAttributeValues: { ':rev': previous.rev } }
          : { ConditionExpression: 'attribute_not_exists(pk)' }),
      },
    };
  }

  async applyChange(change: HandoffChange): Promise<boolean> {
    const { next } = change;
    const { tenantId, conversationId } = next;
    const at = this.clock.now().toISOString();
    const transition: HandoffTransition = {
      conversationId,
      fromMode: change.fromMode,
      toMode: change.toMode,
      ...(change.previous && change.previous.status !== next.status ? { fromStatus: change.previous.status } : {}),
      toStatus: next.status,
      reason: change.reason,
      at,
      ...(change.by ? { by: change.by } : {}),
    };
    const modeValues = Object.fromEntries(change.fromModes.map((m, i) => [`:m${i}`, m]));
    // No message since the decision read the counter (appendMessage allocates its seq with `ADD seqCounter`).
    const seqCondition = change.lastSeq === undefined ? '' : change.lastSeq === 0 ? ' AND attribute_not_exists(seqCounter)' : ' AND seqCounter = :seq';
    const active = next.status === 'accepted' || openStatuses.includes(next.status);
    const inbox: InboxEntry = {
      conversationId,
      status: next.status,
      mode: change.toMode,
      reason: next.reason,
      requestedAt: next.requestedAt,
      updatedAt: at,
      lang: next.lang,
      ...(next.assignee ? { assignee: next.assignee } : {}),
      ...(next.contact ? { contact: next.contact } : {}),
    };
    return conditionalWrite(this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: this.tableName,
              Key: keys.conversation(tenantId, conversationId),
              UpdateExpression: 'SET #mode = :to',
              ConditionExpression: `attribute_exists(pk) AND #mode IN (${Object.keys(modeValues).join(', ')})${seqCondition}`,
              ExpressionAttributeNames: { '#mode': 'mode' },
              ExpressionAttributeValues: { ':to': change.toMode, ...modeValues, ...(change.lastSeq ? { ':seq': change.lastSeq } : {}) },
            },
          },
          this.recordPut(change.previous, next),
          { Put: { TableName: this.tableName, Item: { ...keys.handoffTransition(tenantId, conversationId, at, randomId()), ...transition } } },
          active
            ? { Put: { TableName: this.tableName, Item: { ...keys.inboxEntry(tenantId, conversationId), ...inbox } } }
            : { Delete: { TableName: this.tableName, Key: keys.inboxEntry(tenantId, conversationId) } },
        ],
      }),
    ));
  }

  async saveHandoff(previous: HandoffRecord, next: HandoffRecord): Promise<boolean> {
    const active = next.status === 'accepted' || openStatuses.includes(next.status);
    return conditionalWrite(this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          this.recordPut(previous, next),
          // The inbox shows the contact a customer left; keep the entry in step when it is there.
          ...(active
            ? [
                {
                  Update: {
                    TableName: this.tableName,
                    Key: keys.inboxEntry(next.tenantId, next.conversationId),
                    UpdateExpression: next.contact ? 'SET updatedAt = :at, contact = :contact' : 'SET updatedAt = :at',
                    ConditionExpression: 'attribute_exists(pk)',
                    ExpressionAttributeValues: { ':at': this.clock.now().toISOString(), ...(next.contact ? { ':contact': next.contact } : {}) },
                  },
                },
              ]
            : []),
        ],
      }),
    ));
  }

  async putTaskToken(tenantId: string, conversationId: string, kind: TaskTokenKind, token: string, statuses: readonly HandoffStatus[]): Promise<boolean> {
    const values = Object.fromEntries(statuses.map((s, i) => [`:s${i}`, s]));
    return conditionalWrite(this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            ConditionCheck: {
              TableName: this.tableName,
              Key: keys.handoff(tenantId, conversationId),
              ConditionExpression: `#status IN (${Object.keys(values).join(', ')})`,
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: values,
            },
          },
          { Put: { TableName: this.tableName, Item: { ...keys.handoffToken(tenantId, conversationId), kind, taskToken: token, setAt: this.clock.now().toISOString() } } },
        ],
      }),
    ));
  }

  async getTaskToken(tenantId: string, conversationId: string): Promise<{ kind: TaskTokenKind; token: string } | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.handoffToken(tenantId, conversationId), ConsistentRead: true }));
    const item = tokenItem.safeParse(out.Item);
    return item.success ? { kind: item.data.kind, token: item.data.taskToken } : undefined;
  }

  async listTransitions(tenantId: string, conversationId: string): Promise<HandoffTransition[]> {
    const items = await this.query(keys.conversationPartition(tenantId, conversationId), keys.handoffTransitionPrefix);
    return items.map((item) => transitionItem.parse(item));
  }

  async listInbox(tenantId: string): Promise<InboxEntry[]> {
    return (await this.query(keys.inboxPartition(tenantId))).map((item) => inboxItem.parse(item));
  }

  // ---- staff e-mail sent by a handoff step (one marker per e-mail and handoff) --------------------

  async staffEmailSent(ref: StaffEmailRef): Promise<boolean> {
    return markerExists(this.db, this.tableName, keys.handoffStaffEmail(ref.tenantId, ref.conversationId, ref.kind, ref.handoff));
  }

  async recordStaffEmail(ref: StaffEmailRef): Promise<boolean> {
    return putMarker(this.db, this.tableName, {
      ...keys.handoffStaffEmail(ref.tenantId, ref.conversationId, ref.kind, ref.handoff),
      kind: ref.kind,
      handoff: ref.handoff,
      sentAt: this.clock.now().toISOString(),
      expiresAt: this.epochSeconds(STAFF_EMAIL_MARKER_TTL_SECONDS),
    });
  }

  // ---- staff ---------------------------------------------------------------------------------

  async putStaffConnection(tenantId: string, connection: StaffConnection & { readonly expiresAt?: number }): Promise<void> {
    const now = this.clock.now().toISOString();
    const { connectionId, sub, email } = connection;
    // Not cut at the token's expiry (ID tokens last an hour; the inbox pings every 5 minutes): an agent would count as
    // offline, and customers be offered a callback, between the expiry and the refused frame that makes the inbox
    // reconnect. A frame after the expiry is refused and ends this record (core/handoff.ts assertStaffConnectionLive).
    const expiresAt = this.epochSeconds(STAFF_CONNECTION_TTL_SECONDS);
    const written = await conditionalWrite(this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.tableName,
              Item: { ...keys.staffConnection(tenantId, connectionId), connectionId, sub, email, groups: [...connection.groups], expiresAt },
            },
          },
          {
            Put: {
              TableName: this.tableName,
              Item: { ...keys.staffMember(tenantId, sub), sub, email, groups: [...connection.groups], lastSeenAt: now, expiresAt: this.epochSeconds(STAFF_MEMBER_TTL_SECONDS) },
              // A removed member stays removed until every token issued before the removal has expired.
              ConditionExpression: 'attribute_not_exists(removedAt) OR expiresAt <= :now',
              ExpressionAttributeValues: { ':now': this.epochSeconds(0) },
            },
          },
        ],
      }),
    ));
    if (!written) throw new StaffMemberRemovedError('this staff member was removed; sign in again');
  }

  async removeStaffConnection(tenantId: string, connectionId: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: keys.staffConnection(tenantId, connectionId) }));
  }

  async getStaffConnection(tenantId: string, connectionId: string): Promise<StaffConnection | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.staffConnection(tenantId, connectionId), ConsistentRead: true }));
    const item = staffConnectionItem.safeParse(out.Item);
    if (!item.success || item.data.expiresAt <= this.epochSeconds(0)) return undefined;
    const { expiresAt: _expires, ...connection } = item.data;
    return connection;
  }

  async listStaffConnections(tenantId: string): Promise<StaffConnection[]> {
    const now = this.epochSeconds(0);
    return (await this.query(keys.staffPartition(tenantId), keys.staffConnectionPrefix))
      .map((item) => staffConnectionItem.parse(item))
      .filter((c) => c.expiresAt > now) // TTL deletion is lazy
      .map(({ expiresAt: _expires, ...c }) => c);
  }

  async listStaffMembers(tenantId: string): Promise<StaffMemberRecord[]> {
    const now = this.epochSeconds(0);
    return (await this.query(keys.staffPartition(tenantId), keys.staffMemberPrefix))
      .filter((item) => !removedMemberItem.safeParse(item).success)
      .map((item) => staffMemberItem.parse(item))
      // TTL deletion is lazy; a record from before member expiry existed counts from its last connect.
      .filter((m) => (m.expiresAt ?? Math.floor(Date.parse(m.lastSeenAt) / 1000) + STAFF_MEMBER_TTL_SECONDS) > now)
      .map(({ expiresAt: _expires, ...m }) => m);
  }

  async removeStaffMember(tenantId: string, sub: string): Promise<void> {
    const now = realEpochSeconds();
    await this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.tableName,
              Item: { ...keys.staffMember(tenantId, sub), sub, removedAt: this.clock.now().toISOString(), expiresAt: this.epochSeconds(REMOVED_MEMBER_TTL_SECONDS) },
            },
          },
          {
            // The REST API refuses the member too, for as long (core/team.ts groupsNow).
            Update: {
              TableName: this.tableName,
              Key: keys.staffAccess(tenantId, sub),
              UpdateExpression: 'SET disabledAt = :now, expiresAt = :expires',
              ExpressionAttributeValues: { ':now': now, ':expires': now + MAX_TOKEN_LIFETIME_SECONDS },
            },
          },
        ],
      }),
    );
  }

  async getStaffAccessChange(tenantId: string, sub: string): Promise<StaffAccessChange | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.staffAccess(tenantId, sub), ConsistentRead: true }));
    if (!out.Item) return undefined;
    const item = staffAccessItem.parse(out.Item);
    return {
      ...(item.disabledAt !== undefined ? { disabledAt: item.disabledAt } : {}),
      ...(item.roleChangedAt !== undefined && item.roleGroups ? { role: { changedAt: item.roleChangedAt, groups: item.roleGroups } } : {}),
    };
  }

  async setStaffMemberGroups(tenantId: string, sub: string, memberGroups: readonly ('admin' | 'agent')[]): Promise<void> {
    // First the tokens: one issued until now keeps only these groups (a demoted admin is no admin from now on).
    const now = realEpochSeconds();
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.staffAccess(tenantId, sub),
        UpdateExpression: 'SET roleChangedAt = :now, roleGroups = :groups, expiresAt = :expires',
        ExpressionAttributeValues: { ':now': now, ':groups': [...memberGroups], ':expires': now + MAX_TOKEN_LIFETIME_SECONDS },
      }),
    );
    // Nothing to change for a member who never connected (or was removed): their next connect records the token's groups.
    await conditionalWrite(this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.staffMember(tenantId, sub),
        UpdateExpression: 'SET #groups = :groups',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(removedAt)',
        ExpressionAttributeNames: { '#groups': 'groups' },
        ExpressionAttributeValues: { ':groups': [...memberGroups] },
      }),
    ));
  }

  // ---- follow-ups ----------------------------------------------------------------------------

  async putFollowUp(tenantId: string, task: FollowUpTask): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...keys.followUp(tenantId, task.id), ...followUpItem.parse(task) } }));
  }

  async getFollowUp(tenantId: string, id: string): Promise<FollowUpTask | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.followUp(tenantId, id), ConsistentRead: true }));
    return out.Item ? followUpItem.parse(out.Item) : undefined;
  }

  async listFollowUps(tenantId: string, limit?: number): Promise<FollowUpTask[]> {
    // Ids are random, so the newest are found by reading the tenant's tasks and sorting them.
    const newestFirst = (await this.query(keys.followUpPartition(tenantId))).map((item) => followUpItem.parse(item)).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    return limit === undefined ? newestFirst : newestFirst.slice(0, limit);
  }

  // ---- settings ------------------------------------------------------------------------------

  async getHandoffSettings(tenantId: string): Promise<HandoffSettings | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.handoffSettings(tenantId), ConsistentRead: true }));
    const parsed = z.object({ settings: handoffSettingsSchema }).safeParse(out.Item);
    return parsed.success ? parsed.data.settings : undefined;
  }

  async putHandoffSettings(tenantId: string, settings: HandoffSettings): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...keys.handoffSettings(tenantId), settings: handoffSettingsSchema.parse(settings) } }));
  }

  // ---- the local outbox (EmailSender without a provider) --------------------------------------

  async send(email: OutgoingEmail): Promise<void> {
    const createdAt = this.clock.now().toISOString();
    const id = randomId();
    const stored: StoredEmail = { ...email, id, createdAt };
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.outboxEmail(email.tenantId, createdAt, id), ...emailItem.parse(stored), expiresAt: this.epochSeconds(OUTBOX_TTL_SECONDS) },
      }),
    );
  }

  async listOutbox(tenantId: string, limit: number): Promise<StoredEmail[]> {
    return (await this.query(keys.outboxPartition(tenantId), undefined, { newestFirst: true, limit })).map((item) => emailItem.parse(item));
  }
}
