/**
 * DynamoDB adapter of the privacy ports (core/privacy): the tenant's privacy settings (with a short cache for
 * the write path's retention lookup), finding and erasing everything about one customer, and the retention
 * sweeper's walk over the tenant's conversations by activity (GSI1 `T#t#CONVS`, never a table scan).
 *
 * Every read is inside the tenant's own partitions (every key begins with `T#<tenantId>`), so another tenant's
 * data can never be found, whatever the customer key. Shared partitions of the tenant (e-mail and channel
 * outboxes, failed deliveries, follow-ups, the inbox, checkouts) are read whole and only items naming the
 * customer's conversations, bookings, phone or e-mail are taken; they are small and expire by TTL.
 */
import { BatchWriteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, DeleteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { customerKeyOf } from '../../core/booking/service';
import { conversationIdentity, verifiedPhoneOf } from '../../core/channels/identity';
import { optOutAddress } from '../../core/channels/policy';
import { badRequest } from '../../core/errors';
import type { Clock } from '../../core/ports';
import { isTenantId } from '../../core/ids';
import { contactOf } from '../../core/privacy/customer';
import type { ConversationActivity, CustomerData, CustomerDataStore, CustomerStoreName, ErasureCounts, FoundItem, RetentionStore, RetentionTenants } from '../../core/privacy/ports';
import { expiryOf, headExpiryOf, privacySettingsSchema, type PrivacySettings, type PrivacySettingsStore, type RetentionLookup } from '../../core/privacy/settings';
import { keys } from './keys';
import { isConditionFailure, queryGsi1, queryPartition, readCursor, writeCursor } from './query';

/** How long the write path trusts a tenant's retention period in one container. */
const RETENTION_CACHE_MS = 60_000;
/** Attributes that are keys, not data: never exported. */
const KEY_ATTRIBUTES = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk']);

type FoundStores = Record<Exclude<CustomerStoreName, 'knowledgeGaps'>, FoundItem[]>;
type Item = Record<string, unknown>;

const settingsItem = z.object({ settings: privacySettingsSchema });
const itemKey = z.object({ pk: z.string(), sk: z.string() });
const activityItem = z.object({
  conversationId: z.string(),
  visitorId: z.string(),
  channel: z.enum(['web', 'whatsapp', 'sms', 'messenger']),
  createdAt: z.string(),
  lastMessageAt: z.string(),
});
const cursorSchema = z.object({ pk: z.string(), sk: z.string(), gsi1pk: z.string(), gsi1sk: z.string(), t: z.string() });
const bookingRef = z.object({ bookingId: z.string(), customerKey: z.string(), start: z.string() });

/**
 * What retention leaves of a booking's copy in its customer's partition: the booking id and nothing else, under
 * `BOOKINGREF#<start>#<bookingId>` (outside the copies' `BOOKING#` prefix, which the booking store reads as
 * bookings), so a data request still finds the booking and an erasure anonymises it.
 */
const BOOKING_REF_PREFIX = 'BOOKINGREF#';
const customerBookingRef = (tenantId: string, customerKey: string, start: string, bookingId: string): { pk: string; sk: string } => ({
  pk: keys.customerPartition(tenantId, customerKey),
  sk: `${BOOKING_REF_PREFIX}${keys.bookingStartSortKey(start, bookingId)}`,
});

/**
 * While an erasure of a person with several keys runs, an item under the key asked (`ERASING`) lists them all, so a
 * retry after a timeout reaches keys only the anonymised bookings joined (deleted when the erasure ends).
 */
const ERASING_SORT_KEY = 'ERASING';
const erasingMarker = (tenantId: string, customerKey: string): { pk: string; sk: string } => ({ pk: keys.customerPartition(tenantId, customerKey), sk: ERASING_SORT_KEY });

/** The stores of the items a customer is found by: an erasure deletes them last (see eraseCustomerData). */
const LINK_STORES: ReadonlySet<string> = new Set<CustomerStoreName>(['identities', 'customerRecords', 'visitors']);

const str = (item: Item, name: string): string | undefined => (typeof item[name] === 'string' ? item[name] : undefined);

function emptyStores(): FoundStores {
  return {
    identities: [],
    customerRecords: [],
    visitors: [],
    conversations: [],
    messages: [],
    handoffs: [],
    transitions: [],
    deliveries: [],
    conversationInternals: [],
    bookings: [],
    payments: [],
    emails: [],
    channelOutbox: [],
    channelFailures: [],
    webhookDeliveries: [],
    followUps: [],
    inbox: [],
    optOuts: [],
  };
}

function found(item: Item): FoundItem {
  const ref = itemKey.parse(item);
  const data: Item = {};
  for (const [k, v] of Object.entries(item)) if (!KEY_ATTRIBUTES.has(k)) data[k] = v;
  return { ref: { pk: ref.pk, sk: ref.sk }, data };
}

/** The store a conversation partition's item belongs to, by its sort key. */
function conversationStoreOf(sk: string): 'conversations' | 'messages' | 'handoffs' | 'transitions' | 'deliveries' | 'conversationInternals' {
  if (sk === 'META') return 'conversations';
  if (sk.startsWith(keys.messagePrefix)) return 'messages';
  if (sk === 'HANDOFF') return 'handoffs';
  if (sk.startsWith(keys.handoffTransitionPrefix)) return 'transitions';
  if (sk.startsWith(keys.channelDeliveryPrefix)) return 'deliveries';
  return 'conversationInternals';
}

/** A request naming a web or Messenger identity the store is asked about as it is: unlinked, a subject of its own. */
const IDENTITY_SUBJECT = /^(web|messenger):[A-Za-z0-9_-]{1,128}$/;

/**
 * How many customer keys one person may reach (their phones and e-mails, decision 99): a bound on the reads of a data
 * request should contacts chain on (a booking with a family's shared e-mail and several phones); more than any one
 * person has.
 */
const MAX_PERSON_KEYS = 12;

/** The customer keys a booking (or a conversation's known contact) names: its own key, its phone's and its e-mail's. */
function contactKeysOf(contact: unknown, key?: string): string[] {
  const c = contact !== null && typeof contact === 'object' ? (contact as Item) : {};
  const phone = typeof c['phone'] === 'string' ? customerKeyOf({ phone: c['phone'] }) : undefined;
  const email = typeof c['email'] === 'string' ? customerKeyOf({ email: c['email'] }) : undefined;
  return [...new Set([key, phone, email].filter((k): k is string => k !== undefined && k !== ''))];
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Whether a text (an e-mail's subject and body) quotes one of these addresses (whole, in any case) or phone numbers
 * (international form, whatever separators the text writes it with).
 */
function quotesContact(text: string, emails: readonly string[], phones: readonly string[]): boolean {
  const lower = text.toLowerCase();
  if (emails.some((e) => new RegExp(`(?<![a-z0-9._%+-])${escape(e)}(?![a-z0-9-]|\\.[a-z0-9])`).test(lower))) return true;
  const compact = text.replace(/[\s().-]/g, '');
  return phones.some((p) => new RegExp(`${escape(p)}(?!\\d)`).test(compact));
}

/** The visitor-record id of an identity: web visitors by their visitor id, channel identities as themselves. */
const visitorIdOf = (identity: string): string => (identity.startsWith('web:') ? identity.slice('web:'.length) : identity);

export class DynamoPrivacyStore implements PrivacySettingsStore, RetentionLookup, CustomerDataStore, RetentionStore, RetentionTenants {
  private readonly cache = new Map<string, { readonly days: number | null; readonly at: number }>();

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  // ---- settings --------------------------------------------------------------------------------

  async getPrivacySettings(tenantId: string): Promise<PrivacySettings | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.privacySettings(tenantId), ConsistentRead: true }));
    return out.Item ? settingsItem.parse(out.Item).settings : undefined;
  }

  async putPrivacySettings(tenantId: string, settings: PrivacySettings): Promise<void> {
    const parsed = privacySettingsSchema.parse(settings);
    // A period lists the tenant in the sparse index the daily schedule reads; null leaves it out (the same PutItem).
    const listed = parsed.retentionDays === null ? {} : { gsi1pk: keys.tenantsWithRetention, gsi1sk: keys.tenantWithRetentionSortKey(tenantId) };
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...keys.privacySettings(tenantId), ...listed, settings: parsed, updatedAt: this.clock.now().toISOString() } }));
    this.cache.set(tenantId, { days: parsed.retentionDays, at: Date.now() });
  }

  /** Cached for a minute per container: a change reaches other containers' writes within that (the sweeper re-stamps anyway). */
  async retentionDays(tenantId: string): Promise<number | null> {
    const hit = this.cache.get(tenantId);
    if (hit && Date.now() - hit.at < RETENTION_CACHE_MS) return hit.days;
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.privacySettings(tenantId) }));
    const days = settingsItem.safeParse(out.Item).data?.settings.retentionDays ?? null;
    this.cache.set(tenantId, { days, at: Date.now() });
    return days;
  }

  // ---- finding a customer ----------------------------------------------------------------------

  private query(pk: string, prefix?: string): Promise<Item[]> {
    return queryPartition(this.db, this.tableName, pk, { ...(prefix ? { prefix } : {}), consistent: true });
  }

  private async get(key: { pk: string; sk: string }): Promise<Item | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    return out.Item;
  }

  async customerOfIdentity(tenantId: string, identity: string): Promise<string | undefined> {
    const phone = verifiedPhoneOf(identity);
    if (phone) return customerKeyOf({ phone });
    return z.object({ customerKey: z.string() }).safeParse(await this.get(keys.channelIdentity(tenantId, identity))).data?.customerKey;
  }

  async findCustomerData(tenantId: string, subject: string): Promise<CustomerData> {
    if (IDENTITY_SUBJECT.test(subject)) {
      // Linked since the request was resolved: the customer it is linked to now.
      const linked = await this.customerOfIdentity(tenantId, subject);
      return linked ? this.findCustomerData(tenantId, linked) : this.findPersonData(tenantId, subject, []);
    }
    try {
      keys.customerPartition(tenantId, subject);
    } catch {
      throw badRequest('is not a customer key', 'customerKey');
    }
    return this.findPersonData(tenantId, subject, [subject]);
  }

  /**
   * The tenant's bookings as the contacts they name (their key, and the key of each of the phone and e-mail given):
   * one Query of the calendar index (GSI1 `T#t#BOOKINGS`), every booking the tenant has. What finds a booking keyed by
   * its phone from the e-mail given with it, also for bookings written before contact links existed (decision 99).
   */
  private async bookingContacts(tenantId: string): Promise<{ readonly bookingId: string; readonly keys: readonly string[] }[]> {
    const items = await queryGsi1(this.db, this.tableName, keys.bookingsByStart(tenantId), { attributes: ['bookingId', 'customerKey', 'customer'] });
    return items.flatMap((item) => {
      const bookingId = str(item, 'bookingId');
      return bookingId ? [{ bookingId, keys: contactKeysOf(item['customer'], str(item, 'customerKey')) }] : [];
    });
  }

  /**
   * The conversations of an identity by the activity index (GSI1 `T#t#CONVS`, filtered on the visitor id): every
   * conversation of the tenant is read, so only a request about an unlinked identity pays for it.
   */
  private async conversationsOfIdentity(tenantId: string, identity: string): Promise<string[]> {
    const items = await queryGsi1(this.db, this.tableName, keys.conversationsByActivity(tenantId), {
      attributes: ['conversationId', 'visitorId', 'channel'],
      filter: 'visitorId = :f0',
      filterValues: { ':f0': visitorIdOf(identity) },
    });
    return items.flatMap((item) => {
      const conversationId = str(item, 'conversationId');
      const channel = str(item, 'channel');
      const visitorId = str(item, 'visitorId');
      return conversationId && (channel === 'web' || channel === 'messenger') && visitorId && conversationIdentity({ channel, visitorId }) === identity ? [conversationId] : [];
    });
  }

  /**
   * Everything about one person: `subject` is what the request named, `asked` its customer keys (none for an unlinked
   * identity). The person's keys grow with the contacts given with theirs — on a booking (both contacts of every
   * booking naming one of their keys) or in a conversation of theirs (its known contact) — up to MAX_PERSON_KEYS, and
   * every key's partition, identities, conversations and bookings are theirs (decision 99).
   */
  private async findPersonData(tenantId: string, subject: string, asked: readonly string[]): Promise<CustomerData> {
    const stores = emptyStores();
    const personKeys: string[] = [];
    const queue: string[] = [];
    const reach = (key: string | undefined): void => {
      if (!key || personKeys.length >= MAX_PERSON_KEYS || personKeys.includes(key)) return;
      try {
        keys.customerPartition(tenantId, key);
      } catch {
        return; // a stored contact that makes no key names no partition
      }
      personKeys.push(key);
      queue.push(key);
    };
    asked.forEach(reach);

    const listed = new Set<string>();
    const conversationIds = new Set<string>();
    // A subject identity is its own, with every conversation it wrote from (not only its current one).
    const named = new Set<string>(asked.length === 0 ? [subject] : []);
    if (asked.length === 0) for (const id of await this.conversationsOfIdentity(tenantId, subject)) conversationIds.add(id);
    const identities = new Set<string>();
    const links = new Map<string, Item | undefined>();
    const readConversations = new Set<string>();
    let bookingIndex: Awaited<ReturnType<DynamoPrivacyStore['bookingContacts']>> | undefined;
    const bookingIds = new Set<string>();
    const copies = new Set<string>();
    const refs = new Set<string>();

    do {
      // 1. The partition of every key reached, and the bookings naming it with the other contact given on them.
      while (queue.length > 0) {
        const key = queue.shift() as string;
        const items = await this.query(keys.customerPartition(tenantId, key));
        stores.customerRecords.push(...items.map(found));
        for (const item of items) {
          const sk = String(item['sk']);
          if (sk.startsWith(keys.customerIdentityPrefix)) listed.add(str(item, 'identity') ?? '');
          if (sk.startsWith(keys.customerConversationPrefix)) conversationIds.add(str(item, 'conversationId') ?? '');
          if (sk.startsWith(keys.customerBookingPrefix)) {
            copies.add(str(item, 'bookingId') ?? '');
            contactKeysOf(item['customer'], key).forEach(reach);
          }
          if (sk.startsWith(BOOKING_REF_PREFIX)) refs.add(str(item, 'bookingId') ?? '');
          // An erasure cut short: the keys it was erasing.
          if (sk === ERASING_SORT_KEY && Array.isArray(item['customerKeys'])) item['customerKeys'].forEach((k) => reach(typeof k === 'string' ? k : undefined));
        }
        const { phone } = contactOf(key);
        if (phone) for (const channel of ['whatsapp', 'sms']) named.add(`${channel}:${phone}`);
        // The calendar index is read once, and only for a customer (an identity subject has no bookings).
        bookingIndex ??= await this.bookingContacts(tenantId);
        for (const booking of bookingIndex) {
          if (!booking.keys.includes(key)) continue;
          bookingIds.add(booking.bookingId);
          booking.keys.forEach(reach);
        }
      }
      listed.delete('');
      for (const id of listed) named.add(id);
      // 2. Identities: those a partition names, a phone's WhatsApp / SMS ones, the subject identity. An identity is
      // theirs while its link points at one of their keys (a relinked web or Messenger identity is someone else's
      // now); a WhatsApp / SMS identity is always the customer of its verified number.
      for (const identity of [...named].sort()) {
        if (identities.has(identity) || !/^(web|messenger|whatsapp|sms):./.test(identity)) continue;
        if (!links.has(identity)) links.set(identity, await this.get(keys.channelIdentity(tenantId, identity)));
        const link = links.get(identity);
        const linkedTo = link ? str(link, 'customerKey') : undefined;
        const verified = verifiedPhoneOf(identity);
        const mine = verified ? personKeys.includes(customerKeyOf({ phone: verified }) ?? '') : link ? linkedTo !== undefined && personKeys.includes(linkedTo) : true;
        if (!mine) continue;
        if (link) stores.identities.push(found(link));
        // Its current conversation (a web visitor's may predate the contact they gave).
        const visitor = await this.get(keys.visitor(tenantId, visitorIdOf(identity)));
        if (visitor) {
          stores.visitors.push(found(visitor));
          const current = str(visitor, 'conversationId');
          if (current) conversationIds.add(current);
        }
        // Named but holding nothing: looked at again in the next round.
        if (link || visitor || listed.has(identity) || identity === subject) identities.add(identity);
      }
      conversationIds.delete('');
      // 3. Conversations: their items, and the contact the customer gave in each (another key of theirs).
      for (const conversationId of [...conversationIds].sort()) {
        if (readConversations.has(conversationId)) continue;
        readConversations.add(conversationId);
        for (const item of await this.query(keys.conversationPartition(tenantId, conversationId))) {
          const store = conversationStoreOf(String(item['sk']));
          stores[store].push(found(item));
          if (store === 'conversations' && asked.length > 0) {
            const context = item['context'];
            contactKeysOf(context !== null && typeof context === 'object' ? (context as Item)['contact'] : undefined).forEach(reach);
          }
        }
      }
    } while (queue.length > 0);

    // Analytics' facts of each conversation (by its start): pseudonymous, but they name the conversation.
    for (const meta of stores.conversations) {
      const id = str(meta.data, 'conversationId');
      const createdAt = str(meta.data, 'createdAt');
      if (!id || !createdAt) continue;
      const facts = await this.get(keys.analyticsConversation(tenantId, createdAt, id)).catch(() => undefined);
      if (facts) stores.conversationInternals.push(found(facts));
    }
    // Every conversation named, also those whose head is gone: their knowledge-gap samples may remain.
    const conversations = [...conversationIds].sort();

    copies.delete('');
    refs.delete('');
    const bookingList: string[] = [];
    for (const bookingId of [...new Set([...copies, ...refs, ...bookingIds])].sort()) {
      const booking = await this.get(keys.booking(tenantId, bookingId));
      // A reference left by retention, or a match in the (eventually consistent) index, names the booking only
      // while it still names one of the person's keys.
      if (!copies.has(bookingId) && (!booking || !contactKeysOf(booking['customer'], str(booking, 'customerKey')).some((k) => personKeys.includes(k)))) continue;
      bookingList.push(bookingId);
      if (booking) stores.bookings.push(found(booking));
    }

    const phones = personKeys.flatMap((k) => contactOf(k).phone ?? []);
    const emails = personKeys.flatMap((k) => contactOf(k).email ?? []);
    const identityList = [...identities].sort();
    const convs = new Set(conversationIds);
    const bookings = new Set(bookingList);
    const addresses = new Set<string>([...identityList, ...identityList.map((i) => i.slice(i.indexOf(':') + 1)), ...phones]);
    const namesConversation = (item: Item): boolean => convs.has(str(item, 'conversationId') ?? '');
    const [payments, outbox, channelOutbox, channelFailures, followUps, inbox, webhook] = await Promise.all([
      this.query(keys.paymentPartition(tenantId)),
      this.query(keys.outboxPartition(tenantId)),
      this.query(keys.channelOutboxPartition(tenantId)),
      this.query(keys.channelFailurePartition(tenantId)),
      this.query(keys.followUpPartition(tenantId)),
      this.query(keys.inboxPartition(tenantId)),
      this.query(keys.webhookPartition(tenantId)),
    ]);
    // A webhook delivery keeps its payload (JSON text) until delivered: it names the customer by key, phone,
    // e-mail, conversation or booking id.
    const needles = [...personKeys, ...addresses, ...emails, ...conversationIds, ...bookingList].filter((n) => n.length > 3);
    stores.webhookDeliveries.push(
      ...webhook
        .filter((i) => String(i['sk']).startsWith('DELIVERY#'))
        .filter((i) => {
          const payload = str(i, 'payload') ?? '';
          return payload !== '' && needles.some((n) => payload.includes(n));
        })
        .map(found),
    );
    stores.payments.push(...payments.filter((i) => bookings.has(str(i, 'bookingId') ?? '')).map(found));
    // An e-mail is theirs when sent to one of their addresses, about their conversation or booking, or when its
    // subject or text quotes one of their e-mails or phones (a staff notice quoting the customer's contact).
    stores.emails.push(
      ...outbox
        .filter((i) => {
          const to = Array.isArray(i['to']) ? i['to'].filter((t): t is string => typeof t === 'string').map((t) => t.toLowerCase()) : [];
          return namesConversation(i) || bookings.has(str(i, 'bookingId') ?? '') || emails.some((e) => to.includes(e)) || quotesContact(`${str(i, 'subject') ?? ''}\n${str(i, 'text') ?? ''}`, emails, phones);
        })
        .map(found),
    );
    stores.channelOutbox.push(...channelOutbox.filter((i) => namesConversation(i) || addresses.has(str(i, 'to') ?? '')).map(found));
    stores.channelFailures.push(...channelFailures.filter(namesConversation).map(found));
    stores.followUps.push(
      ...followUps
        .filter((i) => {
          const contact = str(i, 'contact');
          const key = contact ? (customerKeyOf({ phone: contact }) ?? customerKeyOf({ email: contact })) : undefined;
          return namesConversation(i) || (key !== undefined && personKeys.includes(key));
        })
        .map(found),
    );
    stores.inbox.push(...inbox.filter(namesConversation).map(found));
    for (const phone of phones) {
      // The SMS opt-out and the WhatsApp one (core/channels/policy.ts optOutAddress).
      for (const address of [optOutAddress('sms', phone), optOutAddress('whatsapp', phone)]) {
        const optOut = await this.get(keys.smsOptOut(tenantId, address));
        if (optOut) stores.optOuts.push(found(optOut));
      }
    }
    return { customerKey: subject, customerKeys: personKeys, identities: identityList, conversationIds: conversations, bookingIds: bookingList, found: stores };
  }

  // ---- erasing a customer ----------------------------------------------------------------------

  async eraseCustomerData(tenantId: string, data: CustomerData, anonymous: { readonly customerKey: string; readonly name: string }): Promise<Omit<ErasureCounts, 'knowledgeGaps'>> {
    const counts = Object.fromEntries(Object.entries(data.found).map(([store, items]) => [store, items.length])) as Record<keyof CustomerData['found'], number>;
    // What finds the rest goes after it: conversation heads (the analytics facts are found by their start) after
    // the other items, and the customer's links, records and visitor records last, after the bookings are
    // anonymised. An erasure cut short (a timeout) is retried, and the retry must still find what is left.
    const deletions: { pk: string; sk: string }[] = [];
    const heads: { pk: string; sk: string }[] = [];
    const links: { pk: string; sk: string }[] = [];
    for (const [store, items] of Object.entries(data.found)) {
      if (store === 'bookings') continue;
      for (const item of items) {
        // Refunds are amounts against a booking (the business's books), and guard against refunding twice: kept.
        if (store === 'payments' && item.ref.sk.startsWith('REFUND#')) continue;
        (LINK_STORES.has(store) ? links : store === 'conversations' ? heads : deletions).push(item.ref);
      }
    }
    counts.payments = data.found.payments.filter((p) => !p.ref.sk.startsWith('REFUND#')).length;
    // The person's other keys may be reachable only through what this erasure anonymises (a booking naming the
    // e-mail asked for and keyed by the phone): a marker under the key asked names them until the end, so a retry by
    // the same key still reaches every partition left (decision 99).
    const marker = data.customerKeys.length > 1 && data.customerKeys[0] === data.customerKey ? erasingMarker(tenantId, data.customerKey) : undefined;
    if (marker) await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...marker, customerKeys: [...data.customerKeys] } }));
    await this.deleteKeys(deletions);
    await this.deleteKeys(heads);
    await this.anonymiseBookings(data, anonymous);
    await this.deleteKeys(links);
    if (marker) await this.deleteKeys([marker]);
    return counts;
  }

  private async anonymiseBookings(data: CustomerData, anonymous: { readonly customerKey: string; readonly name: string }): Promise<void> {
    const now = this.clock.now().toISOString();
    for (const booking of data.found.bookings) {
      try {
        await this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: booking.ref,
            // rev moves on, so a booking change read before the erasure cannot write the customer back.
            UpdateExpression: 'SET customer = :anon, customerKey = :key, erasedAt = :now REMOVE conversationId ADD rev :one',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':anon': { name: anonymous.name }, ':key': anonymous.customerKey, ':now': now, ':one': 1 },
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    }
  }

  private async deleteKeys(list: readonly { pk: string; sk: string }[]): Promise<void> {
    const unique = [...new Map(list.map((k) => [`${k.pk}\u0000${k.sk}`, k])).values()];
    for (let i = 0; i < unique.length; i += 25) {
      let pending: Item[] = unique.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key: { pk: Key.pk, sk: Key.sk } } }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 8) throw new Error('DynamoDB kept rejecting a batch delete');
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.random() * 50 * 2 ** attempt));
        const out = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }));
        pending = (out.UnprocessedItems?.[this.tableName] ?? []) as Item[];
      }
    }
  }

  // ---- retention -------------------------------------------------------------------------------

  async listTenantsWithRetention(limit: number, cursor?: string): Promise<{ tenantIds: string[]; cursor?: string }> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.tenantsWithRetention },
        ProjectionExpression: 'gsi1sk',
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: readCursor(tenantCursorSchema, cursor) } : {}),
      }),
    );
    const tenantIds = (out.Items ?? []).flatMap((item) => {
      const id = str(item, 'gsi1sk');
      return id !== undefined && isTenantId(id) ? [id] : [];
    });
    const last = out.LastEvaluatedKey;
    return last ? { tenantIds, cursor: writeCursor(tenantCursorSchema.parse(last)) } : { tenantIds };
  }

  async listConversationsByActivity(
    tenantId: string,
    range: { readonly before?: string; readonly from?: string },
    limit: number,
    cursor?: string,
  ): Promise<{ items: ConversationActivity[]; cursor?: string }> {
    const condition = range.before ? 'gsi1pk = :pk AND gsi1sk < :at' : range.from ? 'gsi1pk = :pk AND gsi1sk >= :at' : 'gsi1pk = :pk';
    const at = range.before ?? range.from;
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: condition,
        ExpressionAttributeValues: { ':pk': keys.conversationsByActivity(tenantId), ...(at ? { ':at': at } : {}) },
        ScanIndexForward: true,
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: decodeCursor(cursor, tenantId) } : {}),
      }),
    );
    const items = (out.Items ?? []).flatMap((item) => {
      const parsed = activityItem.safeParse(item);
      return parsed.success ? [parsed.data] : [];
    });
    const last = out.LastEvaluatedKey;
    return last ? { items, cursor: writeCursor({ ...cursorSchema.omit({ t: true }).parse(last), t: tenantId }) } : { items };
  }

  async deleteConversation(tenantId: string, conversation: ConversationActivity): Promise<void> {
    const { conversationId } = conversation;
    const items = await this.query(keys.conversationPartition(tenantId, conversationId));
    await this.deleteKeys([...items.map((i) => itemKey.parse(i)), keys.inboxEntry(tenantId, conversationId)]);
    // The visitor's record, only while it still points at this conversation.
    await this.db
      .send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.visitor(tenantId, conversation.visitorId),
          ConditionExpression: 'conversationId = :c',
          ExpressionAttributeValues: { ':c': conversationId },
        }),
      )
      .catch((error: unknown) => {
        if (!isConditionFailure(error)) throw error;
      });
    // Its refs in its customer's records: under the key the identity is linked to, and under every contact the
    // customer gave in it (core/channels/identity.ts linkConversation records it under each).
    const identity = conversationIdentity(conversation);
    const customerKey = await this.customerOfIdentity(tenantId, identity).catch(() => undefined);
    const meta = items.find((i) => i['sk'] === 'META');
    const context = meta?.['context'];
    const contactKeys = contactKeysOf(context !== null && typeof context === 'object' ? (context as Item)['contact'] : undefined, customerKey);
    for (const key of contactKeys) {
      try {
        await this.deleteKeys([keys.customerConversation(tenantId, key, conversation.createdAt, conversationId)]);
      } catch {
        // A malformed old ref key names nothing we could have written.
      }
    }
  }

  async stampConversation(tenantId: string, conversationId: string, retentionDays: number | null): Promise<number> {
    const items = await this.query(keys.conversationPartition(tenantId, conversationId));
    const meta = items.find((i) => i['sk'] === 'META');
    const lastActivity = meta ? str(meta, 'lastMessageAt') : undefined;
    let stamped = 0;
    for (const item of items) {
      const sk = String(item['sk']);
      // Live subscriptions keep their own (hours-long) expiry.
      if (sk.startsWith(keys.subscriptionPrefix)) continue;
      // A message expires from its own time; everything else with the conversation's last activity, the head (what
      // the sweeper finds the conversation by) a grace later, so TTL never deletes it before the sweeper has run.
      const base = sk.startsWith(keys.messagePrefix) ? str(item, 'createdAt') : lastActivity;
      const expiresAt = base ? (sk === 'META' ? headExpiryOf : expiryOf)(base, retentionDays) : undefined;
      if (expiresAt === undefined && item['expiresAt'] === undefined) continue;
      try {
        await this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: itemKey.parse(item),
            UpdateExpression: expiresAt === undefined ? 'REMOVE expiresAt' : 'SET expiresAt = :e',
            ConditionExpression: 'attribute_exists(pk)',
            ...(expiresAt === undefined ? {} : { ExpressionAttributeValues: { ':e': expiresAt } }),
          }),
        );
        stamped++;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    }
    return stamped;
  }

  async deleteItemsNaming(tenantId: string, conversationIds: readonly string[]): Promise<number> {
    const ids = new Set(conversationIds);
    const partitions = [keys.followUpPartition(tenantId), keys.outboxPartition(tenantId), keys.channelOutboxPartition(tenantId), keys.channelFailurePartition(tenantId)];
    const doomed = (await Promise.all(partitions.map((pk) => this.query(pk)))).flat().filter((i) => ids.has(str(i, 'conversationId') ?? ''));
    // Webhook deliveries still holding a payload that names one of these conversations.
    const deliveries = (await this.query(keys.webhookPartition(tenantId))).filter(
      (i) => String(i['sk']).startsWith('DELIVERY#') && [...ids].some((id) => (str(i, 'payload') ?? '').includes(id)),
    );
    doomed.push(...deliveries);
    await this.deleteKeys(doomed.map((i) => itemKey.parse(i)));
    return doomed.length;
  }

  async expireBookingCopies(tenantId: string, before: string): Promise<number> {
    let removed = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk < :before',
          FilterExpression: 'attribute_not_exists(customerCopyExpired)',
          ExpressionAttributeValues: { ':pk': keys.bookingsByStart(tenantId), ':before': before },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) {
        const ref = bookingRef.safeParse(item);
        if (!ref.success) continue;
        const { customerKey, start, bookingId } = ref.data;
        let copy: { pk: string; sk: string } | undefined;
        try {
          copy = keys.customerBooking(tenantId, customerKey, start, bookingId);
        } catch {
          // An unreadable key names no copy.
        }
        if (copy) {
          // The reference first: a sweep cut short between the two writes leaves both, never neither.
          await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...customerBookingRef(tenantId, customerKey, start, bookingId), bookingId } }));
          await this.deleteKeys([copy]);
        }
        await this.db
          .send(
            new UpdateCommand({
              TableName: this.tableName,
              Key: keys.booking(tenantId, ref.data.bookingId),
              UpdateExpression: 'SET customerCopyExpired = :t',
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeValues: { ':t': true },
            }),
          )
          .catch((error: unknown) => {
            if (!isConditionFailure(error)) throw error;
          });
        removed++;
      }
      start = out.LastEvaluatedKey;
    } while (start);
    return removed;
  }
}

/** The last key of a page of the tenants-with-retention index: the settings item's keys and its index keys. */
const tenantCursorSchema = z.object({ pk: z.string(), sk: z.string(), gsi1pk: z.literal(keys.tenantsWithRetention), gsi1sk: z.string() });

function decodeCursor(cursor: string, tenantId: string): Record<string, string> {
  const parsed = readCursor(cursorSchema, cursor);
  const start = keys.conversationActivityStart(tenantId, parsed.gsi1sk);
  if (parsed.t !== tenantId || !start || start.pk !== parsed.pk || start.sk !== parsed.sk || start.gsi1pk !== parsed.gsi1pk) {
    throw badRequest('cursor is not one this store returned', 'cursor');
  }
  return start;
}
