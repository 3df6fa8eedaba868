/**
 * DynamoDB adapter for the booking port (core/booking/ports.ts) over the single table.
 *
 * Items (key shapes in keys.ts):
 * - the booking (`T#t#BOOKING#<id>` / `META`, on GSI1 `T#t#BOOKINGS` by `<start>#<id>` for the calendar);
 * - a full copy of the booking in the customer's partition (`T#t#CUSTOMER#<customerKey>` / `BOOKING#<start>#<id>`),
 *   written in the same transaction as every change of the booking: a customer's bookings are one Query, no BatchGet;
 * - one lock per CELL_MINUTES cell (`T#t#CELLS#<staffId>#<UTC day>` / `<start>`) with `bookingId`, `state`
 *   (`held` | `confirmed`) and, for holds, `expiresAt` (epoch seconds, the table's TTL attribute) = `holdExpiresAt`;
 * - the workflow's payment task token beside the booking; the booking settings beside the profile;
 * - beside the booking, one marker per e-mail a workflow step sent (`EMAIL#<to>#<notice>`, TTL 30 days), so a
 *   retried step sends it once.
 *
 * A cell may be written when it has no lock, when its lock is an expired hold (TTL deletion is lazy, so the condition
 * checks `expiresAt` itself), or when this booking already owns it. Releasing a booking's cells (cancelled / failed /
 * expired, or a reschedule) reads them first (consistently) and deletes, in the same transaction as the status
 * change, only those this booking still owns, each conditioned on `bookingId = mine`: a cell taken over by someone
 * else after this hold expired never blocks the release, and nothing is ever half-written. If a cell changes owner
 * between that read and the write, the transaction is cancelled and retried with a fresh read.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import {
  activeStatuses,
  bookingSettingsSchema,
  bookingStatuses,
  storedBookingSettingsSchema,
  type Booking,
  type BookingEmailRef,
  type BookingSettings,
  type BookingStatus,
  type BookingStore,
  type HoldResult,
  type RescheduledTo,
  type SlotCell,
} from '../../core/booking/ports';
import type { Clock } from '../../core/ports';
import { keys } from './keys';
import { markerExists, putMarker, queryPartition } from './query';
import { mapConcurrently } from '../concurrency';

/** A booking's cells plus its own two items must fit one TransactWriteItems call (100 items), with room to spare. */
export const MAX_BOOKING_CELLS = 90;
const MAX_TRANSACT_ITEMS = 100;
/** A transaction that conflicts with a concurrent one is retried this many times (with jitter) before giving up. */
const CONFLICT_RETRIES = 5;
/** A release whose cells changed owner between read and write is retried this many times. */
const RELEASE_RETRIES = 3;
/** Parallel queries of busyCells. */
const QUERY_CONCURRENCY = 8;
const DAY_MS = 24 * 60 * 60 * 1000;
/** How long a sent e-mail is remembered: a step's retries come within minutes (core/booking/workflow.ts). */
const EMAIL_MARKER_TTL_SECONDS = 30 * 24 * 60 * 60;

const instant = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, 'must be a UTC ISO instant');
const cellSchema = z.object({ staffId: z.string().min(1), start: instant });

/** The stored booking: exactly the fields of `Booking` (keys and index attributes are stripped when read). */
const bookingItem = z.object({
  tenantId: z.string(),
  bookingId: z.string().min(1),
  serviceId: z.string(),
  staffId: z.string(),
  start: instant,
  end: instant,
  customer: z.object({ name: z.string(), phone: z.string().optional(), email: z.string().optional() }),
  customerKey: z.string(),
  partySize: z.number().int().min(1).optional(),
  status: z.enum(bookingStatuses),
  statusReason: z.string().optional(),
  priceCents: z.number().int(),
  depositCents: z.number().int(),
  currency: z.string(),
  payment: z.object({
    status: z.enum(['none', 'pending', 'paid', 'refunded', 'failed']),
    provider: z.enum(['stripe', 'local']).optional(),
    checkoutId: z.string().optional(),
    checkoutUrl: z.string().optional(),
    paymentId: z.string().optional(),
    paidAt: z.string().optional(),
    refundedAt: z.string().optional(),
  }),
  cells: z.array(cellSchema),
  holdExpiresAt: instant.optional(),
  conversationId: z.string().optional(),
  channel: z.enum(['web', 'whatsapp', 'sms', 'messenger', 'staff']),
  lang: z.string(),
  source: z.enum(['concierge', 'staff']),
  by: z.string().optional(),
  executionId: z.string().optional(),
  calendarEventId: z.string().optional(),
  rescheduledFrom: z.string().optional(),
  rescheduledFromConfirmed: z.boolean().optional(),
  cancellation: z.object({ actor: z.enum(['customer', 'staff']), by: z.string().optional(), refunded: z.boolean(), wasConfirmed: z.boolean() }).optional(),
  rescheduledTo: z.object({ bookingId: z.string().min(1), actor: z.enum(['customer', 'staff']), by: z.string().optional() }).optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  rev: z.number().int().min(0),
}) satisfies z.ZodType<Booking>;

/** Every field of Booking is stored: a field added to the interface but not to the schema would be dropped silently. */
type Unstored = Exclude<keyof Booking, keyof z.infer<typeof bookingItem>>;
const everyFieldStored: [Unstored] extends [never] ? true : never = true;
void everyFieldStored;

const cellItem = z.object({ staffId: z.string(), start: z.string(), bookingId: z.string(), state: z.enum(['held', 'confirmed']), expiresAt: z.number().optional() });
const tokenItem = z.object({ taskToken: z.string() });
const settingsItem = z.object({ settings: storedBookingSettingsSchema });

type TransactItems = NonNullable<TransactWriteCommandInput['TransactItems']>;
type TransactItem = TransactItems[number];
/** `failed`: indexes of the items whose condition did not hold; `conflict`: still conflicting after the retries. */
type Outcome = { readonly ok: true } | { readonly ok: false; readonly failed: readonly number[]; readonly conflict: boolean };

const isActive = (status: BookingStatus): boolean => activeStatuses.includes(status);
const cellId = (c: SlotCell): string => `${c.staffId}|${c.start}`;
const epochSeconds = (iso: string): number => Math.ceil(Date.parse(iso) / 1000);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** The first and last instants a sort key can hold (`YYYY-MM-DDTHH:MM:SS.sssZ`, four-digit years). */
const MIN_KEY_MS = Date.parse('0000-01-01T00:00:00.000Z');
const MAX_KEY_MS = Date.parse('9999-12-31T23:59:59.999Z');

function sameCells(a: readonly SlotCell[], b: readonly SlotCell[]): boolean {
  return a.length === b.length && a.every((c, i) => cellId(c) === cellId(b[i] ?? { staffId: '', start: '' }));
}

/** Checks the invariants the transactions rely on; a broken one is a programming error, not a race. */
function validated(booking: Booking): Booking {
  const b = bookingItem.parse(booking);
  if (b.cells.length === 0) throw new Error(`booking ${b.bookingId} locks no cells`);
  if (b.cells.length > MAX_BOOKING_CELLS) {
    throw new Error(`booking ${b.bookingId} needs ${b.cells.length} cells; at most ${MAX_BOOKING_CELLS} fit one DynamoDB transaction (shorten the service or its buffer)`);
  }
  if (new Set(b.cells.map(cellId)).size !== b.cells.length) throw new Error(`booking ${b.bookingId} lists a cell twice`);
  if (isActive(b.status) && b.status !== 'confirmed' && !b.holdExpiresAt) throw new Error(`a ${b.status} booking needs holdExpiresAt`);
  return b;
}

export class DynamoBookingStore implements BookingStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  // ---- items ---------------------------------------------------------------------------------

  private bookingPut(b: Booking, condition: { expression: string; names?: Record<string, string>; values?: Record<string, unknown> }): TransactItem {
    const names = { ...(condition.expression.includes('#status') ? { '#status': 'status' } : {}), ...condition.names };
    return {
      Put: {
        TableName: this.tableName,
        Item: { ...keys.booking(b.tenantId, b.bookingId), gsi1pk: keys.bookingsByStart(b.tenantId), gsi1sk: keys.bookingStartSortKey(b.start, b.bookingId), ...b },
        ConditionExpression: condition.expression,
        ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
        ...(condition.values ? { ExpressionAttributeValues: condition.values } : {}),
      },
    };
  }

  /** The booking's copy in its customer's partition. */
  private customerPut(b: Booking): TransactItem {
    return { Put: { TableName: this.tableName, Item: { ...keys.customerBooking(b.tenantId, b.customerKey, b.start, b.bookingId), ...b } } };
  }

  /**
   * Locks one cell for `b`: free when there is no lock, the lock is an expired hold, or it belongs to `b` or to one
   * of `alsoMine` (the booking a reschedule replaces).
   */
  private cellPut(b: Booking, cell: SlotCell, now: Date, alsoMine: readonly string[] = []): TransactItem {
    const owners = [b.bookingId, ...alsoMine];
    const ownerValues = Object.fromEntries(owners.map((id, i) => [`:b${i}`, id]));
    const held = b.status !== 'confirmed';
    return {
      Put: {
        TableName: this.tableName,
        Item: {
          ...keys.cell(b.tenantId, cell.staffId, cell.start),
          staffId: cell.staffId,
          start: cell.start,
          bookingId: b.bookingId,
          state: held ? 'held' : 'confirmed',
          ...(held && b.holdExpiresAt ? { expiresAt: epochSeconds(b.holdExpiresAt) } : {}),
        },
        ConditionExpression: `attribute_not_exists(pk) OR bookingId IN (${Object.keys(ownerValues).join(', ')}) OR (#state = :held AND expiresAt <= :now)`,
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ...ownerValues, ':held': 'held', ':now': Math.floor(now.getTime() / 1000) },
      },
    };
  }

  private cellDelete(tenantId: string, bookingId: string, cell: SlotCell): TransactItem {
    return {
      Delete: {
        TableName: this.tableName,
        Key: keys.cell(tenantId, cell.staffId, cell.start),
        ConditionExpression: 'bookingId = :mine',
        ExpressionAttributeValues: { ':mine': bookingId },
      },
    };
  }

  /** The cells among `cells` whose lock `bookingId` still owns (read consistently). */
  private async ownedCells(tenantId: string, bookingId: string, cells: readonly SlotCell[]): Promise<SlotCell[]> {
    if (cells.length === 0) return [];
    const owners = new Map<string, string>();
    let pending: Record<string, unknown>[] = cells.map((c) => ({ ...keys.cell(tenantId, c.staffId, c.start) }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 8) throw new Error('DynamoDB kept leaving cell reads unprocessed');
      if (attempt > 0) await sleep(Math.random() * 25 * 2 ** attempt);
      const out = await this.db.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } } }));
      for (const item of out.Responses?.[this.tableName] ?? []) {
        const cell = cellItem.safeParse(item);
        if (cell.success) owners.set(cellId(cell.data), cell.data.bookingId);
      }
      pending = out.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
    }
    return cells.filter((c) => owners.get(cellId(c)) === bookingId);
  }

  /** Runs a transaction; conflicts with concurrent transactions are retried with jitter. */
  private async transact(items: TransactItems): Promise<Outcome> {
    if (items.length > MAX_TRANSACT_ITEMS) throw new Error(`a booking change of ${items.length} items does not fit one DynamoDB transaction (${MAX_TRANSACT_ITEMS})`);
    for (let attempt = 0; ; attempt++) {
      try {
        await this.db.send(new TransactWriteCommand({ TransactItems: items }));
        return { ok: true };
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        const failed = reasons.flatMap((r, i) => (r.Code === 'ConditionalCheckFailed' ? [i] : []));
        if (failed.length > 0) return { ok: false, failed, conflict: false };
        const conflict = reasons.length === 0 || reasons.some((r) => r.Code === 'TransactionConflict');
        if (!conflict) throw error;
        if (attempt >= CONFLICT_RETRIES) return { ok: false, failed: [], conflict: true };
        await sleep(5 + Math.random() * 20 * 2 ** attempt);
      }
    }
  }

  // ---- BookingStore --------------------------------------------------------------------------

  async hold(booking: Booking): Promise<HoldResult> {
    const b = validated(booking);
    if (b.status !== 'held' && b.status !== 'awaiting_payment') throw new Error(`hold: a new booking is held or awaiting_payment, not ${b.status}`);
    const now = this.clock.now();
    // A new booking, or the same booking held again at the same revision (a retried call, or the workflow
    // re-asserting a hold that expired: the cells are locked again, with the new expiry, if still free).
    const again = {
      expression: 'attribute_not_exists(pk) OR (rev = :rev AND #status IN (:held, :awaiting) AND #start = :start AND customerKey = :ck)',
      names: { '#start': 'start' },
      values: { ':rev': b.rev, ':held': 'held', ':awaiting': 'awaiting_payment', ':start': b.start, ':ck': b.customerKey },
    };
    const out = await this.transact([this.bookingPut(b, again), this.customerPut(b), ...b.cells.map((c) => this.cellPut(b, c, now))]);
    if (out.ok) return { ok: true, booking: b };
    if (out.failed.includes(0)) {
      // Stored and moved on since (a later revision): holding it again is fine while it still holds its cells.
      const stored = await this.getBooking(b.tenantId, b.bookingId);
      const stillHeld = stored !== undefined && (stored.status === 'confirmed' || (isActive(stored.status) && Date.parse(stored.holdExpiresAt ?? '') > now.getTime()));
      if (stored && stillHeld && stored.start === b.start && stored.serviceId === b.serviceId && sameCells(stored.cells, b.cells) && stored.customerKey === b.customerKey) {
        return { ok: true, booking: stored };
      }
    }
    return { ok: false, reason: 'taken' };
  }

  async getBooking(tenantId: string, bookingId: string): Promise<Booking | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.booking(tenantId, bookingId), ConsistentRead: true }));
    return out.Item ? bookingItem.parse(out.Item) : undefined;
  }

  async updateBooking(previous: Booking, next: Booking): Promise<boolean> {
    const n = validated(next);
    if (n.tenantId !== previous.tenantId || n.bookingId !== previous.bookingId) throw new Error('updateBooking: next must be the same booking');
    if (n.rev !== previous.rev + 1) throw new Error(`updateBooking: next.rev must be ${previous.rev + 1}, not ${n.rev}`);
    const now = this.clock.now();
    const keepsCells = isActive(n.status);
    // Cells are rewritten only when what they say changes (state, hold expiry, which cells).
    const rewrite = keepsCells && (n.status !== previous.status || n.holdExpiresAt !== previous.holdExpiresAt || !sameCells(n.cells, previous.cells));
    const kept = new Set(keepsCells ? n.cells.map(cellId) : []);
    const released = isActive(previous.status) ? previous.cells.filter((c) => !kept.has(cellId(c))) : [];
    const indexMoved = previous.customerKey !== n.customerKey || previous.start !== n.start;

    for (let attempt = 0; attempt <= RELEASE_RETRIES; attempt++) {
      const owned = await this.ownedCells(n.tenantId, n.bookingId, released);
      const head: TransactItems = [
        this.bookingPut(n, { expression: 'rev = :rev AND #status = :status', values: { ':rev': previous.rev, ':status': previous.status } }),
        this.customerPut(n),
        ...(indexMoved ? [{ Delete: { TableName: this.tableName, Key: keys.customerBooking(previous.tenantId, previous.customerKey, previous.start, previous.bookingId) } }] : []),
        ...(rewrite ? n.cells.map((c) => this.cellPut(n, c, now)) : []),
      ];
      const out = await this.transact([...head, ...owned.map((c) => this.cellDelete(n.tenantId, n.bookingId, c))]);
      if (out.ok) return true;
      // A release delete failed: a cell changed owner since it was read. Read again.
      if (!out.conflict && out.failed.every((i) => i >= head.length)) continue;
      return false;
    }
    return false;
  }

  async replaceBooking(previous: Booking, next: Booking, mover: Omit<RescheduledTo, 'bookingId'>): Promise<HoldResult | { readonly ok: false; readonly reason: 'changed' }> {
    const n = validated(next);
    if (!isActive(n.status)) throw new Error(`replaceBooking: the new booking must be active, not ${n.status}`);
    if (n.tenantId !== previous.tenantId || n.bookingId === previous.bookingId) throw new Error('replaceBooking: next must be a new booking of the same tenant');
    const now = this.clock.now();
    const { holdExpiresAt: _released, ...rest } = previous;
    const cancelled = bookingItem.parse({
      ...rest,
      status: 'cancelled',
      statusReason: `Rescheduled (new booking ${n.bookingId})`,
      rescheduledTo: { bookingId: n.bookingId, actor: mover.actor, ...(mover.by !== undefined ? { by: mover.by } : {}) },
      updatedAt: now.toISOString(),
      rev: previous.rev + 1,
    });
    const reused = new Set(n.cells.map(cellId));
    const released = isActive(previous.status) ? previous.cells.filter((c) => !reused.has(cellId(c))) : [];

    for (let attempt = 0; attempt <= RELEASE_RETRIES; attempt++) {
      const owned = await this.ownedCells(previous.tenantId, previous.bookingId, released);
      const newItems: TransactItems = [
        this.bookingPut(n, { expression: 'attribute_not_exists(pk)' }),
        this.customerPut(n),
        ...n.cells.map((c) => this.cellPut(n, c, now, [previous.bookingId])),
      ];
      const previousAt = newItems.length;
      const items: TransactItems = [
        ...newItems,
        this.bookingPut(cancelled, { expression: 'rev = :rev AND #status = :status', values: { ':rev': previous.rev, ':status': previous.status } }),
        this.customerPut(cancelled),
        ...owned.map((c) => this.cellDelete(previous.tenantId, previous.bookingId, c)),
      ];
      const out = await this.transact(items);
      if (out.ok) return { ok: true, booking: n };
      if (out.conflict) return { ok: false, reason: 'taken' };
      if (out.failed.includes(0)) {
        const [stored, old] = await Promise.all([this.getBooking(n.tenantId, n.bookingId), this.getBooking(previous.tenantId, previous.bookingId)]);
        if (stored && stored.rescheduledFrom === previous.bookingId && old?.status === 'cancelled' && sameCells(stored.cells, n.cells)) return { ok: true, booking: stored };
        return { ok: false, reason: 'changed' };
      }
      if (out.failed.includes(previousAt)) return { ok: false, reason: 'changed' };
      if (out.failed.some((i) => i < previousAt)) return { ok: false, reason: 'taken' };
      // Only a release delete failed: a previous cell changed owner since it was read. Read again.
    }
    return { ok: false, reason: 'changed' };
  }

  async busyCells(tenantId: string, staffIds: readonly string[], from: string, to: string, now: Date): Promise<SlotCell[]> {
    const fromMs = Date.parse(from);
    const toMs = Date.parse(to);
    if (Number.isNaN(fromMs) || Number.isNaN(toMs)) throw new Error(`busyCells: invalid range ${from} .. ${to}`);
    if (toMs <= fromMs || staffIds.length === 0) return [];
    const lower = new Date(fromMs).toISOString();
    const upper = new Date(toMs).toISOString();
    const partitions: string[] = [];
    for (const staffId of new Set(staffIds)) {
      for (let day = Math.floor(fromMs / DAY_MS) * DAY_MS; day < toMs; day += DAY_MS) {
        partitions.push(keys.cellPartition(tenantId, staffId, new Date(day).toISOString().slice(0, 10)));
      }
    }
    const nowSeconds = now.getTime() / 1000;
    const busy: SlotCell[] = [];
    for (const items of await mapConcurrently(partitions, QUERY_CONCURRENCY, (pk) => this.queryRange(pk, lower, upper))) {
      for (const item of items) {
        const cell = cellItem.parse(item);
        if (cell.start >= upper) continue; // BETWEEN includes the upper bound; the range excludes it
        if (cell.state === 'held' && cell.expiresAt !== undefined && cell.expiresAt <= nowSeconds) continue; // expired hold (TTL deletion is lazy)
        busy.push({ staffId: cell.staffId, start: cell.start });
      }
    }
    return busy.sort((a, b) => a.staffId.localeCompare(b.staffId) || a.start.localeCompare(b.start));
  }

  /** Items of one partition with sort key in [lower, upper] (consistent), following pages. */
  private async queryRange(pk: string, lower: string, upper: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
          ExpressionAttributeValues: { ':pk': pk, ':lo': lower, ':hi': upper },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  async listBookings(tenantId: string, from: string, to: string): Promise<Booking[]> {
    const fromMs = Date.parse(from);
    const toMs = Date.parse(to);
    if (Number.isNaN(fromMs) || Number.isNaN(toMs)) throw new Error(`listBookings: invalid range ${from} .. ${to}`);
    // Sort keys are `<start>#<id>`: BETWEEN from AND to takes every start in [from, to) (a start equal to `to` sorts after it).
    // Bounds are clamped to the four-digit years keys hold (`+010000-…` sorts below `9999-…`): DynamoDB never gets them reversed.
    const lo = new Date(Math.max(fromMs, MIN_KEY_MS)).toISOString();
    const hi = new Date(Math.min(toMs, MAX_KEY_MS)).toISOString();
    if (hi <= lo) return [];
    const bookings: Booking[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk BETWEEN :lo AND :hi',
          ExpressionAttributeValues: { ':pk': keys.bookingsByStart(tenantId), ':lo': lo, ':hi': hi },
          ExclusiveStartKey: start,
        }),
      );
      bookings.push(...(out.Items ?? []).map((item) => bookingItem.parse(item)));
      start = out.LastEvaluatedKey;
    } while (start);
    return bookings;
  }

  async listCustomerBookings(tenantId: string, customerKey: string): Promise<Booking[]> {
    const items = await queryPartition(this.db, this.tableName, keys.customerPartition(tenantId, customerKey), { prefix: keys.customerBookingPrefix, consistent: true });
    return items.map((item) => bookingItem.parse(item));
  }

  async putPaymentToken(tenantId: string, bookingId: string, token: string): Promise<void> {
    await this.db.send(
      new PutCommand({ TableName: this.tableName, Item: { ...keys.bookingPaymentToken(tenantId, bookingId), taskToken: token, setAt: this.clock.now().toISOString() } }),
    );
  }

  async getPaymentToken(tenantId: string, bookingId: string): Promise<string | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.bookingPaymentToken(tenantId, bookingId), ConsistentRead: true }));
    return tokenItem.safeParse(out.Item).data?.taskToken;
  }

  /** A stored settings item that no longer parses is an error, not the defaults: silently dropping closures would open closed days. */
  async getBookingSettings(tenantId: string): Promise<BookingSettings | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.bookingSettings(tenantId), ConsistentRead: true }));
    return out.Item ? settingsItem.parse(out.Item).settings : undefined;
  }

  async putBookingSettings(tenantId: string, settings: BookingSettings): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...keys.bookingSettings(tenantId), settings: bookingSettingsSchema.parse(settings) } }));
  }

  async emailSent(ref: BookingEmailRef): Promise<boolean> {
    return markerExists(this.db, this.tableName, keys.bookingEmail(ref.tenantId, ref.bookingId, ref.notice, ref.to));
  }

  async recordEmail(ref: BookingEmailRef): Promise<boolean> {
    const now = this.clock.now();
    return putMarker(this.db, this.tableName, {
      ...keys.bookingEmail(ref.tenantId, ref.bookingId, ref.notice, ref.to),
      notice: ref.notice,
      to: ref.to,
      sentAt: now.toISOString(),
      expiresAt: Math.floor(now.getTime() / 1000) + EMAIL_MARKER_TTL_SECONDS,
    });
  }
}
