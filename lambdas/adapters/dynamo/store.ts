/**
 * DynamoDB adapter for the tenant, knowledge, conversation, connection and
 * stats ports, over the single table. Multi-item changes use transactions so
 * nothing is ever half-written.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { conditionalWrite, isConditionFailure, queryPartition } from './query';
import {
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactGetCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { conversationContextSchema, type ConversationContext } from '../../core/answer/context';
import type { EmbeddedPassage } from '../../core/answer/passages';
import { randomId } from '../../core/ids';
import { assertStorable, storedKnowledgeBaseSchema, type KnowledgeBase } from '../../core/knowledge-base';
import { badRequest, conflict, ConversationStartRaced, DomainError, preconditionFailed } from '../../core/errors';
import type {
  AppendedMessage,
  Clock,
  ConnectionStore,
  ConversationRecord,
  ConversationStore,
  DailyStatsStore,
  KnowledgeItemStore,
  KnowledgeSourceChange,
  KnowledgeStore,
  RateLimiter,
  NewMessage,
  PassageCounts,
  ReplaceKnowledgeBaseOptions,
  StartConversationOptions,
  TenantProfile,
  TenantStore,
  TurnAttempt,
  TurnTicket,
} from '../../core/ports';
import type { MessageView, ReceiptBy } from '../../core/protocol';
import type { WidgetSettings } from '../../core/widget-settings';
import { retentionCutoff } from '../../core/privacy/retention';
import { expiryOf, headExpiryOf, type RetentionLookup } from '../../core/privacy/settings';
import { keys } from './keys';
import { mapConcurrently } from '../concurrency';

/** Connections and their subscriptions expire on their own if $disconnect never arrives (API Gateway's 2-hour cap). */
const CONNECTION_TTL_SECONDS = 3 * 60 * 60;
const STATS_EVENT_TTL_SECONDS = 7 * 24 * 60 * 60;

const messageItem = z.object({
  seq: z.number(),
  conversationId: z.string(),
  role: z.enum(['customer', 'bot', 'agent', 'system']),
  text: z.string(),
  createdAt: z.string(),
  clientId: z.string().optional(),
  sources: z.array(z.object({ id: z.string(), title: z.string(), kind: z.enum(['faq', 'document']) })).optional(),
  quickReplies: z.array(z.object({ label: z.string(), text: z.string() })).optional(),
  attachments: z.array(z.object({ url: z.string(), contentType: z.string() })).optional(),
});

const conversationItem = z.object({
  tenantId: z.string(),
  conversationId: z.string(),
  visitorId: z.string(),
  channel: z.enum(['web', 'whatsapp', 'sms', 'messenger']),
  mode: z.enum(['bot', 'waiting_for_human', 'human', 'closed']),
  lang: z.string(),
  createdAt: z.string(),
  lastMessageAt: z.string(),
  lastMessagePreview: z.string(),
  messageCount: z.number(),
  // The answering policy's state; an unreadable one is dropped rather than failing the conversation.
  context: conversationContextSchema.optional().catch(undefined),
  // Read receipts (core/receipts.ts), raised only by markRead's conditional update.
  customerReadSeq: z.number().int().optional(),
  staffReadSeq: z.number().int().optional(),
  // The message seq allocator (appendMessage), exposed as lastSeq.
  seqCounter: z.number().int().optional(),
}).transform(({ seqCounter, ...rest }) => ({ ...rest, ...(seqCounter !== undefined ? { lastSeq: seqCounter } : {}) }));

/**
 * The answering turn's line on the conversation item (ConversationStore.takeTurn): a string set of "<seq>:<expiresAt>"
 * tickets, one per message waiting for (or holding) the turn, so each leaves with a DELETE of its own.
 */
const turnLineItem = z.object({ turnLine: z.set(z.string()).optional() });

function turnLineEntry(ticket: Pick<TurnTicket, 'seq' | 'expiresAt'>): string {
  return `${ticket.seq}:${ticket.expiresAt}`;
}

function turnLineTickets(item: unknown): { readonly entry: string; readonly seq: number; readonly expiresAt: number }[] {
  return [...(turnLineItem.parse(item ?? {}).turnLine ?? [])].map((entry) => {
    const [seq = 0, expiresAt = 0] = entry.split(':').map((n) => Number(n) || 0);
    return { entry, seq, expiresAt };
  });
}

const profileItem = z.object({
  tenantId: z.string(),
  name: z.string(),
  slug: z.string(),
  timezone: z.string(),
  languages: z.array(z.string()),
  widgetKey: z.string(),
  allowedOrigins: z.array(z.string()),
  theme: z.object({
    colour: z.string(),
    position: z.enum(['right', 'left']),
    greeting: z.record(z.string(), z.string()),
    logoUrl: z.string().optional(),
  }),
  kbVersion: z.number(),
  limits: z
    .object({
      perConnection: z.object({ ratePerSecond: z.number().positive(), burst: z.number().int().positive() }),
      perTenant: z.object({ ratePerSecond: z.number().positive(), burst: z.number().int().positive() }),
      perAddress: z.object({ ratePerSecond: z.number().positive(), burst: z.number().int().positive() }).optional(),
    })
    .optional(),
});

const passageItem = z.object({
  id: z.string(),
  kind: z.enum(['faq', 'document']),
  title: z.string(),
  text: z.string(),
  sourceId: z.string(),
  phrasings: z.array(z.string()).optional(),
  /** A document passage's format when it is not Markdown (absent on passages stored before documents had one). */
  format: z.enum(['text', 'pdf']).optional(),
});

/**
 * A passage's embedding is stored beside it, compactly: `vec` is a binary
 * attribute of float32 little-endian values (2 KB for 512 dimensions), `vecModel`
 * the model id. The embedded index loads them without re-embedding.
 */
const passageVectorItem = z.object({ vec: z.instanceof(Uint8Array), vecModel: z.string() });
const passageKindItem = passageItem.pick({ kind: true, sourceId: true });
const vecModelOf = (item: Record<string, unknown>): string | undefined => passageVectorItem.shape.vecModel.safeParse(item['vecModel']).data;

function passageAttributes(p: EmbeddedPassage): Record<string, unknown> {
  const attributes: Record<string, unknown> = { id: p.id, kind: p.kind, title: p.title, text: p.text, sourceId: p.sourceId };
  if (p.phrasings?.length) attributes['phrasings'] = [...p.phrasings];
  if (p.format) attributes['format'] = p.format;
  if (p.embedding) {
    const bytes = new Uint8Array(p.embedding.vector.length * 4);
    const view = new DataView(bytes.buffer);
    p.embedding.vector.forEach((v, i) => view.setFloat32(i * 4, v, true));
    attributes['vec'] = bytes;
    attributes['vecModel'] = p.embedding.model;
  }
  return attributes;
}

function passageOf(item: Record<string, unknown>): EmbeddedPassage {
  const { phrasings, format, ...fields } = passageItem.parse(item);
  const passage = { ...fields, ...(phrasings?.length ? { phrasings } : {}), ...(format ? { format } : {}) };
  const stored = passageVectorItem.safeParse(item);
  if (!stored.success || stored.data.vec.byteLength % 4 !== 0) return passage;
  const { vec, vecModel } = stored.data;
  const view = new DataView(vec.buffer, vec.byteOffset, vec.byteLength);
  const vector = new Float32Array(vec.byteLength / 4);
  for (let i = 0; i < vector.length; i++) vector[i] = view.getFloat32(i * 4, true);
  return { ...passage, embedding: { model: vecModel, vector } };
}

/** Chunks written by an admin edit carry their generation; chunks of whole imports have none. */
const GENERATION = 'generation';
const generationOf = (item: Record<string, unknown>): string | undefined => z.object({ [GENERATION]: z.string() }).safeParse(item).data?.[GENERATION];
const documentHeadItem = z.object({ documentId: z.string(), generation: z.string() });
const itemKey = z.object({ pk: z.string(), sk: z.string() });
/** DynamoDB's TransactWriteItems limit. */
const MAX_TRANSACT_ITEMS = 100;

function toMessageView(item: z.input<typeof messageItem> | MessageItemInput): MessageView {
  return {
    id: `${item.conversationId}:${item.seq}`,
    seq: item.seq,
    conversationId: item.conversationId,
    role: item.role,
    text: item.text,
    createdAt: item.createdAt,
    ...(item.clientId ? { clientId: item.clientId } : {}),
    ...(item.sources ? { sources: item.sources } : {}),
    ...(item.quickReplies ? { quickReplies: item.quickReplies } : {}),
    ...(item.attachments ? { attachments: item.attachments } : {}),
  };
}

interface MessageItemInput {
  readonly seq: number;
  readonly conversationId: string;
  readonly role: MessageView['role'];
  readonly text: string;
  readonly createdAt: string;
  readonly clientId?: string;
  readonly sources?: MessageView['sources'];
  readonly quickReplies?: MessageView['quickReplies'];
  readonly attachments?: MessageView['attachments'];
}

function preview(text: string): string {
  return text.length > 140 ? `${text.slice(0, 139)}…` : text;
}


export class DynamoStore implements TenantStore, KnowledgeStore, KnowledgeItemStore, ConversationStore, ConnectionStore, DailyStatsStore, RateLimiter {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
    /**
     * Privacy retention (core/privacy): when given, conversation items are written with
     * `expiresAt` (the table's TTL attribute) = write time + the tenant's retention period (the head: last
     * activity + period + HEAD_GRACE_DAYS, so the sweeper always finds it first), and conversations inactive
     * for longer than the period and expired messages are hidden from reads (TTL deletes within days, not at once).
     */
    private readonly retention?: RetentionLookup,
  ) {}

  // ---- retention (core/privacy/retention.ts) --------------------------------------------------

  /**
   * `{ expiresAt }` for a conversation item written now (`head`: for the conversation's head, which outlives the
   * period by HEAD_GRACE_DAYS), or nothing when the tenant keeps conversations.
   */
  private async retentionStamp(tenantId: string, now: string): Promise<{ expiresAt?: number; head: { expiresAt?: number } }> {
    const days = this.retention ? await this.retention.retentionDays(tenantId) : null;
    const expiresAt = expiryOf(now, days);
    const headExpiresAt = headExpiryOf(now, days);
    return { ...(expiresAt === undefined ? {} : { expiresAt }), head: headExpiresAt === undefined ? {} : { expiresAt: headExpiresAt } };
  }

  /** The last activity before which a conversation is too old to show (the sweeper deletes it), or undefined when kept. */
  private async retentionHidesBefore(tenantId: string): Promise<string | undefined> {
    return retentionCutoff(this.clock.now(), this.retention ? await this.retention.retentionDays(tenantId) : null);
  }

  /** An item whose `expiresAt` has passed: TTL will delete it; reads treat it as gone already. */
  private expired(item: Record<string, unknown> | undefined): boolean {
    const expiresAt = item?.['expiresAt'];
    return typeof expiresAt === 'number' && expiresAt <= this.epochSeconds(0);
  }

  private epochSeconds(offset: number): number {
    return Math.floor(this.clock.now().getTime() / 1000) + offset;
  }

  // ---- tenants -------------------------------------------------------------

  async getProfile(tenantId: string): Promise<TenantProfile | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.tenantProfile(tenantId) }));
    return out.Item ? profileItem.parse(out.Item) : undefined;
  }

  async putProfile(profile: TenantProfile): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...keys.tenantProfile(profile.tenantId), ...profile } }));
  }

  async updateBusiness(tenantId: string, business: Pick<TenantProfile, 'name' | 'slug' | 'timezone' | 'languages'>): Promise<void> {
    await conditionalWrite(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.tenantProfile(tenantId),
          UpdateExpression: 'SET #name = :name, #slug = :slug, #timezone = :timezone, #languages = :languages',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#name': 'name', '#slug': 'slug', '#timezone': 'timezone', '#languages': 'languages' },
          ExpressionAttributeValues: { ':name': business.name, ':slug': business.slug, ':timezone': business.timezone, ':languages': [...business.languages] },
        }),
      ),
    );
  }

  // ---- widget settings (core/widget-settings.ts) ----------------------------

  /** The profile, strongly consistent: the widget settings are read, changed and written back under a condition. */
  async getProfileConsistent(tenantId: string): Promise<TenantProfile | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.tenantProfile(tenantId), ConsistentRead: true }));
    return out.Item ? profileItem.parse(out.Item) : undefined;
  }

  /** Sets theme, languages and allowed origins (nothing else) while they still equal `expected`; false when they changed. */
  async replaceWidgetSettings(tenantId: string, expected: WidgetSettings, next: WidgetSettings): Promise<boolean> {
    return conditionalWrite(this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.tenantProfile(tenantId),
        UpdateExpression: 'SET theme = :theme, languages = :languages, allowedOrigins = :origins',
        ConditionExpression: 'attribute_exists(pk) AND theme = :oldTheme AND languages = :oldLanguages AND allowedOrigins = :oldOrigins',
        ExpressionAttributeValues: {
          ':theme': next.theme,
          ':languages': next.languages,
          ':origins': next.allowedOrigins,
          ':oldTheme': expected.theme,
          ':oldLanguages': expected.languages,
          ':oldOrigins': expected.allowedOrigins,
        },
      }),
    ));
  }

  // ---- knowledge -----------------------------------------------------------
  //
  // A knowledge base lives in one partition (`T#<tenant>#KB#<n>`): the knowledge-base file as one item, its
  // passages, and (after admin edits) a head item per edited document naming the document's live chunk
  // generation. A whole import writes a new partition and switches to it; an admin edit changes one source in
  // the current partition. Either way `kbVersion` on the profile is bumped in the step that makes the change
  // visible, and `KBHEAD` names the partition (see keys.kbHead).

  /** The knowledge base's version and partition, read together and strongly consistent. */
  private async currentKb(tenantId: string): Promise<{ version: number; partition: number; hasHead: boolean }> {
    const out = await this.db.send(
      new TransactGetCommand({
        TransactItems: [
          { Get: { TableName: this.tableName, Key: keys.tenantProfile(tenantId), ProjectionExpression: 'kbVersion' } },
          { Get: { TableName: this.tableName, Key: keys.kbHead(tenantId) } },
        ],
      }),
    );
    const version = z.object({ kbVersion: z.number() }).safeParse(out.Responses?.[0]?.Item).data?.kbVersion ?? 0;
    const head = z.object({ partition: z.number() }).safeParse(out.Responses?.[1]?.Item).data;
    return { version, partition: head?.partition ?? version, hasHead: head !== undefined };
  }

  private queryAll(pk: string, skPrefix?: string, consistent = false, attributes?: readonly string[]): Promise<Record<string, unknown>[]> {
    return queryPartition(this.db, this.tableName, pk, { ...(skPrefix ? { prefix: skPrefix } : {}), consistent, ...(attributes ? { attributes } : {}) });
  }

  async getKnowledgeBase(tenantId: string): Promise<KnowledgeBase | undefined> {
    return (await this.readKnowledgeBase(tenantId))?.kb;
  }

  async readKnowledgeBase(tenantId: string): Promise<{ version: number; kb: KnowledgeBase } | undefined> {
    const { version, partition } = await this.currentKb(tenantId);
    if (version === 0) return undefined;
    // Consistent: an edit reads, changes and writes back this item under a condition on `version`.
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.kbItem(tenantId, partition, 'BUSINESS'), ConsistentRead: true }));
    const body = z.object({ kb: z.string() }).safeParse(out.Item);
    if (!body.success) return undefined;
    // The whole file is kept as one item beside its passages: it is what the admin UI edits and exports.
    return { version, kb: storedKnowledgeBaseSchema.parse(JSON.parse(body.data.kb)) };
  }

  async listPassages(tenantId: string): Promise<{ version: number; passages: EmbeddedPassage[] }> {
    const { version, items } = await this.livePassageItems(tenantId);
    return { version, passages: items.map(passageOf) };
  }

  /**
   * listPassages' passages counted, reading only what tells them apart: kind, source, generation and the vector's
   * model. At 10,000 Titan passages that is well under a megabyte returned instead of ~50 MB of texts and vectors
   * (DynamoDB still bills the items' whole size).
   */
  async countPassages(tenantId: string): Promise<PassageCounts> {
    const { version, items } = await this.livePassageItems(tenantId, ['kind', 'sourceId', GENERATION, 'vecModel']);
    const vectors: Record<string, number> = {};
    for (const item of items) {
      // `vecModel` is written with the vector and only with it.
      const model = vecModelOf(item);
      if (model !== undefined) vectors[model] = (vectors[model] ?? 0) + 1;
    }
    return { version, passages: items.length, vectors };
  }

  /** The current version's live passage items (all their attributes, or only `attributes`, which must name kind, sourceId and generation). */
  private async livePassageItems(tenantId: string, attributes?: readonly string[]): Promise<{ version: number; items: Record<string, unknown>[] }> {
    const { version, partition } = await this.currentKb(tenantId);
    if (version === 0) return { version, items: [] };
    const pk = keys.kbPartition(tenantId, partition);
    // Heads before passages, both consistent: a document switched meanwhile is then seen whole (its new chunks
    // are all written before its head moves) or, for a moment, not at all; never as a mix of generations.
    const heads = await this.queryAll(pk, keys.kbDocumentHeadPrefix, true);
    const items = await this.queryAll(pk, keys.kbPassagePrefix, true, attributes);
    const live = new Map(heads.map((item) => documentHeadItem.parse(item)).map((h) => [h.documentId, h.generation]));
    // A document chunk is live when it is of its document's live generation (none for whole imports).
    return {
      version,
      items: items.filter((item) => {
        const { kind, sourceId } = passageKindItem.parse(item);
        return kind !== 'document' || generationOf(item) === live.get(sourceId);
      }),
    };
  }

  async replaceKnowledgeBase(tenantId: string, kb: KnowledgeBase, passages: readonly EmbeddedPassage[], options: ReplaceKnowledgeBaseOptions = {}): Promise<number> {
    assertStorable(kb);
    const current = await this.currentKb(tenantId);
    const previous = current.version;
    const raced = (): DomainError =>
      options.expectedVersion !== undefined
        ? preconditionFailed('the knowledge base was changed since you read it (an FAQ, a document or another import): read it again')
        : conflict('the knowledge base changed during the import; try again');
    if (options.expectedVersion !== undefined && options.expectedVersion !== previous) throw raced();
    // Above both, so the new partition can never be the live one.
    const version = Math.max(current.version, current.partition) + 1;
    const writes: Record<string, unknown>[] = [
      { ...keys.kbItem(tenantId, version, 'BUSINESS'), kb: JSON.stringify(kb) },
      ...passages.map((p) => ({ ...keys.kbItem(tenantId, version, 'PASSAGE', p.id), ...passageAttributes(p) })),
    ];
    // Clear anything a failed earlier import may have left in this version's partition.
    await this.deletePartition(keys.kbPartition(tenantId, version));
    for (let i = 0; i < writes.length; i += 25) await this.batchWrite(writes.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })));
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: keys.tenantProfile(tenantId),
                UpdateExpression: 'SET kbVersion = :v',
                ConditionExpression: 'attribute_exists(pk) AND kbVersion = :prev',
                ExpressionAttributeValues: { ':v': version, ':prev': previous },
              },
            },
            { Put: { TableName: this.tableName, Item: { ...keys.kbHead(tenantId), partition: version } } },
          ],
        }),
      );
    } catch (error) {
      await this.deletePartition(keys.kbPartition(tenantId, version));
      if (isConditionFailure(error)) throw raced();
      throw error;
    }
    if (current.partition > 0) await this.deletePartition(keys.kbPartition(tenantId, current.partition));
    return version;
  }

  /**
   * Vectors made after a write stored passages without one (a large import runs out of its embedding budget; the
   * knowledge indexer or an embedded index then makes them), kept beside them so the next container loads them
   * instead of embedding them again. Only onto a passage of the current knowledge base with the same id, title,
   * alternative wordings and text and no vector of that model yet: an edit in between brought its own vector (or none), and a vector made
   * for text that is still there is right whatever else changed meanwhile. Several writers of the same vectors are
   * harmless.
   */
  async storePassageVectors(tenantId: string, passages: readonly EmbeddedPassage[]): Promise<number> {
    const withVectors = passages.filter((p) => p.embedding !== undefined);
    if (withVectors.length === 0) return 0;
    const current = await this.currentKb(tenantId);
    if (current.version === 0) return 0;
    const models = new Map(withVectors.map((p) => [p.id, p.embedding?.model]));
    // A document's chunks of an older generation may share an id with live ones: both get the vector if the text matches.
    const keysById = new Map<string, { pk: string; sk: string }[]>();
    for (const item of await this.queryAll(keys.kbPartition(tenantId, current.partition), keys.kbPassagePrefix)) {
      const id = passageItem.safeParse(item).data?.id;
      const key = itemKey.safeParse(item).data;
      if (id === undefined || !key || !models.has(id) || passageVectorItem.safeParse(item).data?.vecModel === models.get(id)) continue;
      keysById.set(id, [...(keysById.get(id) ?? []), { pk: key.pk, sk: key.sk }]);
    }
    const updates = withVectors.flatMap((p) => (keysById.get(p.id) ?? []).map((key) => ({ key, p })));
    const kept = await mapConcurrently(updates, 8, async ({ key, p }) => {
      const { vec, vecModel } = passageAttributes(p);
      return conditionalWrite(
        this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression: 'SET vec = :vec, vecModel = :model',
            // The vector is of the title, its alternative wordings and the text: all three still as they were.
            ConditionExpression: `attribute_exists(pk) AND #title = :title AND #text = :text AND ${p.phrasings?.length ? '#phrasings = :phrasings' : 'attribute_not_exists(#phrasings)'}`,
            ExpressionAttributeNames: { '#title': 'title', '#text': 'text', '#phrasings': 'phrasings' },
            ExpressionAttributeValues: {
              ':vec': vec,
              ':model': vecModel,
              ':title': p.title,
              ':text': p.text,
              ...(p.phrasings?.length ? { ':phrasings': [...p.phrasings] } : {}),
            },
          }),
        ),
      );
    });
    return kept.filter(Boolean).length;
  }

  async markIndexed(tenantId: string, version: number, scope: { readonly whole: boolean }): Promise<void> {
    const mark = (update: string, condition: string, values: Record<string, number>) =>
      conditionalWrite(
        this.db.send(
          new UpdateCommand({ TableName: this.tableName, Key: keys.kbIndexed(tenantId), UpdateExpression: update, ConditionExpression: condition, ExpressionAttributeValues: values }),
        ),
      );
    if (scope.whole) {
      // The import `version` descends from: the current one when `version` is of the current partition (an import
      // is the partition's first version, its edits the ones after), else an older one, which is not worth recording.
      const { partition } = await this.currentKb(tenantId);
      if (partition <= version) await mark('SET indexedImport = :p', 'attribute_not_exists(indexedImport) OR indexedImport < :p', { ':p': partition });
    }
    // The first record names the import written whole so far: none (0) when one source's run makes it. A record
    // without `indexedImport` is older than imports were recorded, and counts as whole: it keeps that meaning.
    if (await mark('SET indexedVersion = :v, indexedImport = if_not_exists(indexedImport, :none)', 'attribute_not_exists(indexedVersion)', { ':v': version, ':none': 0 })) return;
    // A run that indexed a newer version finished first: the record stays at that one.
    await mark('SET indexedVersion = :v', 'indexedVersion < :v', { ':v': version });
  }

  async indexedVersion(tenantId: string): Promise<number> {
    const [out, { partition }] = await Promise.all([
      this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.kbIndexed(tenantId), ConsistentRead: true })),
      this.currentKb(tenantId),
    ]);
    const mark = z.object({ indexedVersion: z.number(), indexedImport: z.number().optional() }).safeParse(out.Item).data;
    if (!mark) return 0;
    return mark.indexedImport === undefined || mark.indexedImport === partition ? mark.indexedVersion : 0;
  }

  /**
   * One FAQ or document changed in place, in the current partition, with `kbVersion` bumped:
   * - up to 100 items (the TransactWriteItems limit): the new passages, the removal of the old ones, the
   *   knowledge-base file and the version, in one transaction;
   * - a larger document: its chunks are written first under a new generation (invisible: the document's head
   *   still names the old one), then one transaction switches the head, the file and the version, then the
   *   old chunks are deleted (already invisible). A failed switch deletes the new chunks again.
   */
  async replaceSource(tenantId: string, expectedVersion: number, change: KnowledgeSourceChange): Promise<{ version: number } | 'stale'> {
    // The file is one item (core/knowledge-base.ts MAX_STORED_KB_BYTES).
    assertStorable(change.kb);
    const file = JSON.stringify(change.kb);
    const { version, partition, hasHead } = await this.currentKb(tenantId);
    if (version === 0 || version !== expectedVersion) return 'stale';
    const next = version + 1;
    const table = this.tableName;
    const commit: NonNullable<TransactWriteCommandInput['TransactItems']> = [
      { Put: { TableName: table, Item: { ...keys.kbItem(tenantId, partition, 'BUSINESS'), kb: file } } },
      {
        Update: {
          TableName: table,
          Key: keys.tenantProfile(tenantId),
          UpdateExpression: 'SET kbVersion = :next',
          ConditionExpression: 'attribute_exists(pk) AND kbVersion = :expected',
          ExpressionAttributeValues: { ':next': next, ':expected': expectedVersion },
        },
      },
      {
        ConditionCheck: {
          TableName: table,
          Key: keys.kbHead(tenantId),
          ...(hasHead
            ? { ConditionExpression: '#partition = :partition', ExpressionAttributeNames: { '#partition': 'partition' }, ExpressionAttributeValues: { ':partition': partition } }
            : { ConditionExpression: 'attribute_not_exists(pk)' }),
        },
      },
    ];

    if (change.kind === 'faq') {
      const key = keys.kbItem(tenantId, partition, 'PASSAGE', change.sourceId);
      const passage = change.passages[0];
      commit.push(passage ? { Put: { TableName: table, Item: { ...key, ...passageAttributes(passage) } } } : { Delete: { TableName: table, Key: key } });
      return (await this.transact(commit)) ? { version: next } : 'stale';
    }

    const documentId = change.sourceId;
    const generation = randomId();
    const headKey = keys.kbDocumentHead(tenantId, partition, documentId);
    const old = (await this.queryAll(keys.kbPartition(tenantId, partition), keys.kbChunkPrefix(documentId), true)).map((item) => itemKey.parse(item));
    const chunks = change.passages.map((p, i) => ({ ...keys.kbChunk(tenantId, partition, documentId, generation, i + 1), ...passageAttributes(p), [GENERATION]: generation }));
    // A deleted document keeps a head naming a generation no chunk has until its chunks are gone.
    commit.push({ Put: { TableName: table, Item: { ...headKey, documentId, generation } } });

    if (commit.length + chunks.length + old.length <= MAX_TRANSACT_ITEMS) {
      commit.push(...chunks.map((Item) => ({ Put: { TableName: table, Item } })), ...old.map((Key) => ({ Delete: { TableName: table, Key } })));
      if (!(await this.transact(commit))) return 'stale';
    } else {
      for (let i = 0; i < chunks.length; i += 25) await this.batchWrite(chunks.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })));
      let switched = false;
      try {
        switched = await this.transact(commit);
      } finally {
        if (!switched) await this.deleteKeys(chunks.map((c) => ({ pk: c.pk, sk: c.sk })));
      }
      if (!switched) return 'stale';
      await this.deleteKeys(old);
    }
    if (chunks.length === 0) {
      // Deleted: the head is no longer needed (unless a newer edit of the same document replaced it meanwhile).
      await this.db
        .send(
          new DeleteCommand({
            TableName: table,
            Key: headKey,
            ConditionExpression: 'generation = :g',
            ExpressionAttributeValues: { ':g': generation },
          }),
        )
        .catch((error: unknown) => {
          if (!isConditionFailure(error)) throw error;
        });
    }
    return { version: next };
  }

  /** Runs a transaction; false when a condition failed or it conflicted with another (nothing was written). */
  private async transact(items: NonNullable<TransactWriteCommandInput['TransactItems']>): Promise<boolean> {
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems: items }));
      return true;
    } catch (error) {
      const raced = (code: string | undefined): boolean => code === 'ConditionalCheckFailed' || code === 'TransactionConflict';
      if (error instanceof TransactionCanceledException && (error.CancellationReasons ?? [{ Code: 'ConditionalCheckFailed' }]).some((r) => raced(r.Code))) return false;
      throw error;
    }
  }

  private async deleteKeys(keyList: readonly { pk: string; sk: string }[]): Promise<void> {
    for (let i = 0; i < keyList.length; i += 25) {
      await this.batchWrite(keyList.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key: { pk: Key.pk, sk: Key.sk } } })));
    }
  }

  private async deletePartition(pk: string): Promise<void> {
    const items = await this.queryAll(pk);
    for (let i = 0; i < items.length; i += 25) {
      await this.batchWrite(items.slice(i, i + 25).map((item) => ({ DeleteRequest: { Key: { pk: item['pk'], sk: item['sk'] } } })));
    }
  }

  private async batchWrite(requests: Record<string, unknown>[]): Promise<void> {
    let pending = requests;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 8) throw new Error('DynamoDB kept rejecting a batch write');
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.random() * 50 * 2 ** attempt));
      const out = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }));
      pending = (out.UnprocessedItems?.[this.tableName] ?? []) as Record<string, unknown>[];
    }
  }

  // ---- conversations -------------------------------------------------------

  async getConversation(tenantId: string, conversationId: string): Promise<ConversationRecord | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.conversation(tenantId, conversationId), ConsistentRead: true }));
    if (!out.Item) return undefined;
    const conversation = conversationItem.parse(out.Item);
    // Retention: a conversation inactive for longer than the period is gone, even before the sweeper deletes it.
    const cutoff = await this.retentionHidesBefore(tenantId);
    return cutoff !== undefined && conversation.lastMessageAt < cutoff ? undefined : conversation;
  }

  async getVisitorConversation(tenantId: string, visitorId: string): Promise<string | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.visitor(tenantId, visitorId), ConsistentRead: true }));
    return z.object({ conversationId: z.string() }).safeParse(out.Item).data?.conversationId;
  }

  async startConversation(
    tenantId: string,
    visitorId: string,
    lang: string,
    channel: ConversationRecord['channel'] = 'web',
    options?: StartConversationOptions,
  ): Promise<ConversationRecord> {
    const now = this.clock.now().toISOString();
    const record: ConversationRecord = {
      tenantId,
      conversationId: randomId(),
      visitorId,
      channel,
      mode: 'bot',
      lang,
      createdAt: now,
      lastMessageAt: now,
      lastMessagePreview: '',
      messageCount: 0,
    };
    const { head, ...stamp } = await this.retentionStamp(tenantId, now);
    await this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.tableName,
              Item: {
                ...keys.conversation(tenantId, record.conversationId),
                ...record,
                gsi1pk: keys.conversationsByActivity(tenantId),
                gsi1sk: keys.activitySortKey(now, record.conversationId),
                ...head,
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Put: {
              TableName: this.tableName,
              Item: { ...keys.visitor(tenantId, visitorId), tenantId, visitorId, conversationId: record.conversationId, updatedAt: now, ...stamp },
              // Only over the pointer the caller read: a message that started another conversation meanwhile wins.
              ...(options === undefined
                ? {}
                : options.replacing === undefined
                  ? { ConditionExpression: 'attribute_not_exists(pk)' }
                  : { ConditionExpression: 'conversationId = :replacing', ExpressionAttributeValues: { ':replacing': options.replacing } }),
            },
          },
        ],
      }),
    ).catch((error: unknown) => {
      if (options !== undefined && error instanceof TransactionCanceledException && error.CancellationReasons?.[1]?.Code === 'ConditionalCheckFailed') {
        throw new ConversationStartRaced(tenantId, visitorId);
      }
      throw error;
    });
    return record;
  }

  async appendMessage(tenantId: string, conversationId: string, message: NewMessage): Promise<AppendedMessage> {
    if (message.clientId) {
      const existing = await this.replayOf(tenantId, conversationId, message.clientId, message.claimMs);
      if (existing) return existing;
    }
    // 1. allocate the next sequence number (a gap is harmless; a reused number is impossible).
    const allocated = await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.conversation(tenantId, conversationId),
        UpdateExpression: 'ADD seqCounter :one',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const seq = z.object({ seqCounter: z.number() }).parse(allocated.Attributes).seqCounter;
    const now = this.clock.now().toISOString();
    const item = {
      seq,
      conversationId,
      role: message.role,
      text: message.text,
      createdAt: now,
      ...(message.clientId ? { clientId: message.clientId } : {}),
      ...(message.sources && message.sources.length > 0 ? { sources: message.sources } : {}),
      ...(message.quickReplies && message.quickReplies.length > 0 ? { quickReplies: message.quickReplies } : {}),
      ...(message.attachments && message.attachments.length > 0 ? { attachments: message.attachments.map((a) => ({ url: a.url, contentType: a.contentType })) } : {}),
    };
    // Retention: the message and its guard expire from now; the conversation's head is re-stamped from now too
    // (plus the grace that lets the sweeper find it first), so a live conversation outlives its old messages
    // (null: kept, and any earlier stamp removed).
    const { head, ...stamp } = await this.retentionStamp(tenantId, now);
    // 2. the message, its client-id guard and the conversation summary, all or nothing.
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: { ...keys.message(tenantId, conversationId, seq), tenantId, ...item, ...stamp },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            ...(message.clientId
              ? [
                  {
                    Put: {
                      TableName: this.tableName,
                      Item: {
                        ...keys.clientMessage(tenantId, conversationId, message.clientId),
                        seq,
                        ...(message.claimMs !== undefined ? { claimUntil: this.clock.now().getTime() + message.claimMs } : {}),
                        ...stamp,
                      },
                      ConditionExpression: 'attribute_not_exists(pk)',
                    },
                  },
                ]
              : []),
            {
              Update: {
                TableName: this.tableName,
                Key: keys.conversation(tenantId, conversationId),
                UpdateExpression: `SET lastMessageAt = :now, lastMessagePreview = :preview, gsi1sk = :gsi1sk${head.expiresAt ? ', expiresAt = :exp' : ''} ADD messageCount :one${head.expiresAt ? '' : ' REMOVE expiresAt'}`,
                ConditionExpression: 'attribute_exists(pk)',
                ExpressionAttributeValues: {
                  ':now': now,
                  ':preview': preview(message.text),
                  ':gsi1sk': keys.activitySortKey(now, conversationId),
                  ':one': 1,
                  ...(head.expiresAt ? { ':exp': head.expiresAt } : {}),
                },
              },
            },
          ],
        }),
      );
    } catch (error) {
      if (message.clientId && isConditionFailure(error)) {
        const existing = await this.replayOf(tenantId, conversationId, message.clientId, message.claimMs);
        if (existing) return existing;
      }
      throw error;
    }
    return { message: toMessageView(item), duplicate: false };
  }

  async updateConversationContext(tenantId: string, conversationId: string, context: ConversationContext): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.conversation(tenantId, conversationId),
        UpdateExpression: 'SET #context = :context',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#context': 'context' },
        ExpressionAttributeValues: { ':context': conversationContextSchema.parse(context) },
      }),
    );
  }

  async joinTurnLine(tenantId: string, conversationId: string, ticket: TurnTicket): Promise<void> {
    // A conversation that is gone (erased, expired) has no turn to wait for: the write is skipped.
    await conditionalWrite(this.db.send(this.turnLineUpdate(tenantId, conversationId, 'ADD', [turnLineEntry(ticket)])));
  }

  async takeTurn(
    tenantId: string,
    conversationId: string,
    ticket: TurnTicket,
    options: { readonly leaseMs: number; readonly deferToEarlier: boolean },
  ): Promise<TurnAttempt> {
    const now = this.clock.now().getTime();
    const key = keys.conversation(tenantId, conversationId);
    let attributes: Record<string, unknown> | undefined;
    try {
      // Taking the turn puts the ticket in the line in the same write: uncontended, one write takes and one gives back.
      const out = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET turnOwner = :owner, turnUntil = :until ADD turnLine :entry',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(turnOwner) OR turnOwner = :owner OR turnUntil < :now)',
          ExpressionAttributeValues: { ':owner': ticket.owner, ':until': now + options.leaseMs, ':now': now, ':entry': new Set([turnLineEntry(ticket)]) },
          ReturnValues: 'ALL_NEW',
        }),
      );
      attributes = out.Attributes;
    } catch (error) {
      if (isConditionFailure(error)) return { inLine: false };
      throw error;
    }
    const conversation = conversationItem.parse(attributes);
    const line = turnLineTickets(attributes);
    const stale = line.filter((t) => t.expiresAt <= now).map((t) => t.entry);
    if (stale.length > 0) {
      // Tickets of invocations that died waiting never leave by themselves: the holder clears them (best effort:
      // a stale ticket is ignored anyway).
      await this.db.send(this.turnLineUpdate(tenantId, conversationId, 'DELETE', stale)).catch(() => undefined);
    }
    const earlier = options.deferToEarlier && line.some((t) => t.seq < ticket.seq && t.expiresAt > now);
    if (!earlier) return { taken: conversation };
    // An earlier message waits for the turn too: it goes first; this one gives the turn back and stays in line.
    try {
      await conditionalWrite(
        this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression: 'REMOVE turnOwner, turnUntil',
            ConditionExpression: 'turnOwner = :owner',
            ExpressionAttributeValues: { ':owner': ticket.owner },
          }),
        ),
      );
    } catch {
      // Still ours (the write failed): better to answer now, out of turn, than to sit on a turn nobody can take.
      return { taken: conversation };
    }
    return { inLine: true };
  }

  async releaseTurn(tenantId: string, conversationId: string, ticket: TurnTicket, held: boolean): Promise<void> {
    const entry = turnLineEntry(ticket);
    const given =
      held &&
      (await conditionalWrite(
        this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.conversation(tenantId, conversationId),
            UpdateExpression: 'REMOVE turnOwner, turnUntil DELETE turnLine :entry',
            ConditionExpression: 'turnOwner = :owner',
            ExpressionAttributeValues: { ':owner': ticket.owner, ':entry': new Set([entry]) },
          }),
        ),
      ));
    // Not (or no longer) ours to give back: our lease ran out and someone else holds it, or we never held it. Leave
    // the line (a conversation that is gone took its line with it).
    if (!given) await conditionalWrite(this.db.send(this.turnLineUpdate(tenantId, conversationId, 'DELETE', [entry])));
  }

  /** Adds tickets to, or deletes them from, the line of a conversation that exists. */
  private turnLineUpdate(tenantId: string, conversationId: string, action: 'ADD' | 'DELETE', entries: readonly string[]): UpdateCommand {
    return new UpdateCommand({
      TableName: this.tableName,
      Key: keys.conversation(tenantId, conversationId),
      UpdateExpression: `${action} turnLine :entries`,
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':entries': new Set(entries) },
    });
  }

  async markRead(tenantId: string, conversationId: string, by: ReceiptBy, seq: number): Promise<boolean> {
    return conditionalWrite(this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.conversation(tenantId, conversationId),
        UpdateExpression: 'SET #read = :seq',
        // Monotonic: only forward, never past the last allocated seq, never on a deleted conversation.
        ConditionExpression: 'attribute_exists(pk) AND seqCounter >= :seq AND (attribute_not_exists(#read) OR #read < :seq)',
        ExpressionAttributeNames: { '#read': by === 'customer' ? 'customerReadSeq' : 'staffReadSeq' },
        ExpressionAttributeValues: { ':seq': seq },
      }),
    ));
  }

  /**
   * The stored message a clientId names (a replay), or undefined. A claimed message (NewMessage.claimMs) that is not
   * handled and whose claim is free is taken over for `claimMs` when the caller tracks handling too: `resumed`.
   * Guards written before claims existed carry none: handled.
   */
  private async replayOf(tenantId: string, conversationId: string, clientId: string, claimMs: number | undefined): Promise<AppendedMessage | undefined> {
    const key = keys.clientMessage(tenantId, conversationId, clientId);
    const guard = await this.db.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    const parsed = z.object({ seq: z.number(), claimUntil: z.number().optional(), handledAt: z.string().optional() }).safeParse(guard.Item).data;
    if (parsed === undefined) return undefined;
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.message(tenantId, conversationId, parsed.seq), ConsistentRead: true }));
    if (!out.Item) return undefined;
    const message = toMessageView(messageItem.parse(out.Item));
    const now = this.clock.now().getTime();
    const free = claimMs !== undefined && parsed.claimUntil !== undefined && parsed.handledAt === undefined && parsed.claimUntil <= now;
    if (!free) return { message, duplicate: true };
    // Two replays at once: one takes the claim.
    const resumed = await conditionalWrite(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET claimUntil = :until',
          ConditionExpression: 'attribute_exists(claimUntil) AND attribute_not_exists(handledAt) AND claimUntil <= :now',
          ExpressionAttributeValues: { ':until': now + claimMs, ':now': now },
        }),
      ),
    );
    return { message, duplicate: true, ...(resumed ? { resumed } : {}) };
  }

  async settleMessage(tenantId: string, conversationId: string, clientId: string): Promise<void> {
    // Only a guard that exists (an erased conversation took its guards with it).
    await conditionalWrite(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.clientMessage(tenantId, conversationId, clientId),
          UpdateExpression: 'SET handledAt = :now REMOVE claimUntil',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':now': this.clock.now().toISOString() },
        }),
      ),
    );
  }

  async releaseMessage(tenantId: string, conversationId: string, clientId: string): Promise<void> {
    await conditionalWrite(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.clientMessage(tenantId, conversationId, clientId),
          UpdateExpression: 'SET claimUntil = :zero',
          ConditionExpression: 'attribute_exists(claimUntil) AND attribute_not_exists(handledAt)',
          ExpressionAttributeValues: { ':zero': 0 },
        }),
      ),
    );
  }

  async listMessages(tenantId: string, conversationId: string, afterSeq: number, limit = 500): Promise<MessageView[]> {
    const out: MessageView[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: {
            ':pk': keys.conversationPartition(tenantId, conversationId),
            ':from': keys.message(tenantId, conversationId, afterSeq + 1).sk,
            ':to': `${keys.messagePrefix}~`,
          },
          ConsistentRead: true,
          Limit: limit - out.length,
          ExclusiveStartKey: start,
        }),
      );
      // Retention: expired messages are hidden until TTL deletes them.
      out.push(...(page.Items ?? []).filter((item) => !this.expired(item)).map((item) => toMessageView(messageItem.parse(item))));
      start = page.LastEvaluatedKey;
    } while (start && out.length < limit);
    return out;
  }

  async listConversations(tenantId: string, limit: number, cursor?: string): Promise<{ items: ConversationRecord[]; nextCursor?: string }> {
    const startKey = cursor ? decodeCursor(cursor, tenantId) : undefined;
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.conversationsByActivity(tenantId) },
        ScanIndexForward: false,
        Limit: limit,
        ExclusiveStartKey: startKey,
      }),
    );
    // Retention: conversations inactive for longer than the period are hidden until the sweeper deletes them.
    const cutoff = await this.retentionHidesBefore(tenantId);
    const items = (out.Items ?? []).map((item) => conversationItem.parse(item)).filter((c) => cutoff === undefined || c.lastMessageAt >= cutoff);
    return out.LastEvaluatedKey ? { items, nextCursor: encodeCursor(out.LastEvaluatedKey, tenantId) } : { items };
  }

  // ---- connections ---------------------------------------------------------

  async putConnection(tenantId: string, connectionId: string, visitorId: string): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.connection(tenantId, connectionId), tenantId, connectionId, visitorId, expiresAt: this.epochSeconds(CONNECTION_TTL_SECONDS) },
      }),
    );
  }

  async getConnection(tenantId: string, connectionId: string): Promise<{ visitorId: string; conversationId?: string } | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.connection(tenantId, connectionId), ConsistentRead: true }));
    const parsed = z.object({ visitorId: z.string(), conversationId: z.string().optional() }).safeParse(out.Item);
    return parsed.success ? parsed.data : undefined;
  }

  async subscribe(tenantId: string, connectionId: string, conversationId: string): Promise<void> {
    const current = await this.getConnection(tenantId, connectionId);
    if (!current) throw new Error('subscribe: unknown connection');
    const expiresAt = this.epochSeconds(CONNECTION_TTL_SECONDS);
    await this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: this.tableName,
              Key: keys.connection(tenantId, connectionId),
              UpdateExpression: 'SET conversationId = :c',
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeValues: { ':c': conversationId },
            },
          },
          { Put: { TableName: this.tableName, Item: { ...keys.subscription(tenantId, conversationId, connectionId), connectionId, expiresAt } } },
          ...(current.conversationId && current.conversationId !== conversationId
            ? [{ Delete: { TableName: this.tableName, Key: keys.subscription(tenantId, current.conversationId, connectionId) } }]
            : []),
        ],
      }),
    );
  }

  async listSubscribers(tenantId: string, conversationId: string): Promise<string[]> {
    const items = await this.queryAll(keys.conversationPartition(tenantId, conversationId), keys.subscriptionPrefix);
    const now = this.epochSeconds(0);
    return items
      .map((item) => z.object({ connectionId: z.string(), expiresAt: z.number() }).parse(item))
      .filter((s) => s.expiresAt > now) // TTL deletion is lazy; expired rows are ignored
      .map((s) => s.connectionId);
  }

  async removeConnection(tenantId: string, connectionId: string): Promise<void> {
    const current = await this.getConnection(tenantId, connectionId);
    await this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          { Delete: { TableName: this.tableName, Key: keys.connection(tenantId, connectionId) } },
          ...(current?.conversationId ? [{ Delete: { TableName: this.tableName, Key: keys.subscription(tenantId, current.conversationId, connectionId) } }] : []),
        ],
      }),
    );
  }

  // ---- rate limits -----------------------------------------------------------

  /**
   * GCRA, the token bucket as one timestamp: the theoretical arrival time (tat).
   * A request is allowed when max(tat, now) + interval ≤ now + burst·interval,
   * and is recorded with one conditional write — no read, no lost update.
   */
  async take(tenantId: string, bucket: string, policy: { ratePerSecond: number; burst: number }): Promise<boolean> {
    const interval = 1000 / policy.ratePerSecond;
    const key = keys.rateBucket(tenantId, bucket);
    const attempt = (update: string, condition: string, values: Record<string, number>): Promise<boolean> =>
      conditionalWrite(this.db.send(new UpdateCommand({ TableName: this.tableName, Key: key, UpdateExpression: update, ConditionExpression: condition, ExpressionAttributeValues: values })));
    for (let i = 0; i < 5; i++) {
      // The clock is read afresh each round: under load a request can wait long enough for others, with later
      // clocks, to move tat past a stale `now` + burst — that is not a full bucket.
      const now = this.clock.now().getTime();
      const expiresAt = Math.ceil((now + policy.burst * interval) / 1000) + 60;
      // The bucket is idle (tat in the past): restart from now.
      if (await attempt('SET tat = :next, expiresAt = :exp', 'attribute_not_exists(tat) OR tat < :now', { ':next': now + interval, ':now': now, ':exp': expiresAt })) return true;
      // The bucket is in use: allowed while the backlog stays within the burst.
      if (
        await attempt('SET tat = tat + :interval, expiresAt = :exp', 'tat >= :now AND tat <= :limit', {
          ':interval': interval,
          ':now': now,
          ':limit': now + (policy.burst - 1) * interval,
          ':exp': expiresAt,
        })
      )
        return true;
      // Neither held: either the bucket is full (refuse) or another request moved tat between our writes (try again).
      const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
      const tat = z.object({ tat: z.number() }).safeParse(out.Item).data?.tat;
      if (tat !== undefined && tat > this.clock.now().getTime() + (policy.burst - 1) * interval) return false;
    }
    return false;
  }

  // ---- daily stats -----------------------------------------------------------

  async increment(tenantId: string, day: string, eventId: string, counters: Readonly<Record<string, number>>): Promise<boolean> {
    const names = Object.keys(counters).filter((k) => /^[a-zA-Z][a-zA-Z0-9_]{0,63}$/.test(k));
    if (names.length === 0) return false;
    // False for a replayed event: already counted.
    return conditionalWrite(this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.tableName,
              Item: { ...keys.statsEvent(tenantId, eventId), expiresAt: this.epochSeconds(STATS_EVENT_TTL_SECONDS) },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Update: {
              TableName: this.tableName,
              Key: keys.dailyStats(tenantId, day),
              UpdateExpression: `ADD ${names.map((_, i) => `#c${i} :v${i}`).join(', ')}`,
              ExpressionAttributeNames: Object.fromEntries(names.map((n, i) => [`#c${i}`, n])),
              ExpressionAttributeValues: Object.fromEntries(names.map((n, i) => [`:v${i}`, counters[n] ?? 0])),
            },
          },
        ],
      }),
    ));
  }

  async getDay(tenantId: string, day: string): Promise<Record<string, number>> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.dailyStats(tenantId, day), ConsistentRead: true }));
    const counters: Record<string, number> = {};
    for (const [k, v] of Object.entries(out.Item ?? {})) if (typeof v === 'number') counters[k] = v;
    return counters;
  }
}

const cursorSchema = z.object({ pk: z.string(), sk: z.string(), gsi1pk: z.string(), gsi1sk: z.string() });

function encodeCursor(key: Record<string, unknown>, tenantId: string): string {
  return Buffer.from(JSON.stringify({ ...cursorSchema.parse(key), t: tenantId })).toString('base64url');
}

function decodeCursor(cursor: string, tenantId: string): Record<string, string> {
  let parsed: z.infer<typeof cursorSchema> & { t: string };
  try {
    parsed = cursorSchema.extend({ t: z.string() }).parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw badRequest('cursor is not one this API returned', 'cursor');
  }
  // Every key is rebuilt from the tenant and the sort key: a cursor naming another partition, or keys DynamoDB
  // would refuse as a starting point (empty, another index partition), is the caller's mistake, never a 500.
  const start = keys.conversationActivityStart(tenantId, parsed.gsi1sk);
  if (parsed.t !== tenantId || !start || start.pk !== parsed.pk || start.sk !== parsed.sk || start.gsi1pk !== parsed.gsi1pk) {
    throw badRequest('cursor is not one this API returned', 'cursor');
  }
  return start;
}
