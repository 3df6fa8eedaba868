/**
 * Data requests about one customer (GDPR articles 15 and 17): what we hold (counts), a subject-access export of
 * everything (a JSON document), and erasure across every store. Exactly that person of that tenant: the
 * adapters only read the tenant's partitions, and items shared by the tenant's customers (outboxes, follow-ups,
 * the inbox) are taken only when they name the person's conversations, bookings, phones or e-mails. A request by
 * any of a person's contacts reaches all of them (a phone and an e-mail given together: decision 99); an unlinked
 * web or Messenger identity is a subject of its own (decision 59).
 *
 * The knowledge search index holds knowledge-base passages only (never conversation text), so it holds nothing
 * of a customer; test/integration/privacy.test.ts searches it for a customer's phrase to prove it.
 */
import { notFound } from '../errors';
import type { Clock, EventPublisher } from '../ports';
import { auditTargetOf, customerRefOf, type CustomerName } from './customer';
import {
  customerStores,
  ERASED_CUSTOMER_NAME,
  type ConversationSamples,
  type CustomerData,
  type CustomerDataStore,
  type CustomerStoreName,
  type ErasureCounts,
  type FoundItem,
} from './ports';

export interface SubjectAccessDeps {
  readonly data: CustomerDataStore;
  readonly events: EventPublisher;
  readonly clock: Clock;
  /** Analytics' knowledge-gap samples, when analytics keeps them. */
  readonly samples?: ConversationSamples;
}

/** What an audit entry of a look-up, an export or an erasure says (never the key itself). */
export interface PrivacyAudit {
  readonly action: 'customer.view' | 'customer.export' | 'customer.erase';
  readonly target: string;
  readonly after: { readonly counts: ErasureCounts };
}

export const EXPORT_FORMAT = 'concierge.customer-export/1';

/**
 * The subject a request names: a customer key as is, a channel identity through its link. An unlinked web or
 * Messenger identity (a visitor who never gave a phone or an e-mail) is a subject of its own: its conversations are
 * found by it, and a request about it is answered like any other (404 only when nothing is held). Decision 59.
 */
export async function resolveCustomer(deps: Pick<SubjectAccessDeps, 'data'>, tenantId: string, name: CustomerName): Promise<string> {
  if (name.kind === 'customer') return name.customerKey;
  return (await deps.data.customerOfIdentity(tenantId, name.identity)) ?? name.identity;
}

function zeroCounts(): Record<CustomerStoreName, number> {
  return Object.fromEntries(customerStores.map((s) => [s, 0])) as Record<CustomerStoreName, number>;
}

function countsOf(data: CustomerData, gaps: number): ErasureCounts {
  const counts = zeroCounts();
  for (const store of customerStores) if (store !== 'knowledgeGaps') counts[store] = data.found[store].length;
  counts.knowledgeGaps = gaps;
  return counts;
}

const total = (counts: ErasureCounts): number => Object.values(counts).reduce((a, b) => a + b, 0);

async function samplesOf(deps: SubjectAccessDeps, tenantId: string, data: CustomerData): Promise<readonly Readonly<Record<string, unknown>>[]> {
  if (!deps.samples?.listConversationSamples || data.conversationIds.length === 0) return [];
  return deps.samples.listConversationSamples(tenantId, data.conversationIds);
}

/**
 * What we hold about the customer, as counts per store, and the audit note of the look-up (it shows the customer's
 * identities); 404 when nothing.
 */
export async function customerSummary(deps: SubjectAccessDeps, tenantId: string, name: CustomerName) {
  const customerKey = await resolveCustomer(deps, tenantId, name);
  const data = await deps.data.findCustomerData(tenantId, customerKey);
  const counts = countsOf(data, (await samplesOf(deps, tenantId, data)).length);
  if (total(counts) === 0) throw notFound('no data is held about this customer');
  const summary = {
    customerKey,
    customerRef: customerRefOf(customerKey),
    // Every key the data was found under (an e-mail request reaching the bookings keyed by the phone given with it).
    customerKeys: [...data.customerKeys],
    identities: [...data.identities],
    conversations: data.found.conversations.length,
    bookings: data.bookingIds.length,
    counts,
  };
  const audit: PrivacyAudit = { action: 'customer.view', target: auditTargetOf(customerKey), after: { counts } };
  return { summary, audit };
}

const plain = (items: readonly FoundItem[]): Readonly<Record<string, unknown>>[] => items.map((i) => i.data);
const byConversation = (items: readonly FoundItem[], conversationId: string) => plain(items.filter((i) => i.data['conversationId'] === conversationId));

/**
 * The subject-access export: every conversation (with its messages, handoff, transitions and deliveries),
 * bookings with their payments, e-mails and channel messages sent to them, follow-ups, opt-outs and
 * knowledge-gap samples. 404 when nothing is held.
 */
export async function exportCustomer(deps: SubjectAccessDeps, tenantId: string, name: CustomerName) {
  const customerKey = await resolveCustomer(deps, tenantId, name);
  const data = await deps.data.findCustomerData(tenantId, customerKey);
  const gaps = await samplesOf(deps, tenantId, data);
  const counts = countsOf(data, gaps.length);
  if (total(counts) === 0) throw notFound('no data is held about this customer');
  const { found } = data;
  const document = {
    format: EXPORT_FORMAT,
    exportedAt: deps.clock.now().toISOString(),
    tenantId,
    customerKey,
    customerKeys: [...data.customerKeys],
    identities: [...data.identities],
    conversations: found.conversations.map(({ data: meta }) => {
      const id = String(meta['conversationId']);
      return {
        ...meta,
        messages: byConversation(found.messages, id),
        handoff: byConversation(found.handoffs, id)[0] ?? null,
        transitions: byConversation(found.transitions, id),
        deliveries: byConversation(found.deliveries, id),
        inbox: byConversation(found.inbox, id)[0] ?? null,
      };
    }),
    bookings: plain(found.bookings),
    payments: plain(found.payments),
    emails: plain(found.emails),
    channelOutbox: plain(found.channelOutbox),
    channelFailures: plain(found.channelFailures),
    webhookDeliveries: plain(found.webhookDeliveries),
    followUps: plain(found.followUps),
    optOuts: plain(found.optOuts),
    knowledgeGaps: [...gaps],
    counts,
  };
  const audit: PrivacyAudit = { action: 'customer.export', target: auditTargetOf(customerKey), after: { counts } };
  return { customerKey, document, audit };
}

/**
 * Erases the customer: deletes everything the export finds, anonymises their bookings (time, service, staff,
 * price and status stay for the business's books) and publishes `customer.erased` with a hash of the key.
 * Idempotent: erasing again finds nothing and returns zero counts.
 */
export async function eraseCustomer(deps: SubjectAccessDeps, tenantId: string, name: CustomerName, by: string) {
  const customerKey = await resolveCustomer(deps, tenantId, name);
  const customerRef = customerRefOf(customerKey);
  const data = await deps.data.findCustomerData(tenantId, customerKey);
  const forgotten = data.conversationIds.length > 0 && deps.samples ? await deps.samples.forgetConversations(tenantId, data.conversationIds) : 0;
  const erased = await deps.data.eraseCustomerData(tenantId, data, {
    // A key that names no one and is never a real customer's (`.invalid` is reserved, RFC 2606).
    customerKey: `email:erased-${customerRef.slice(0, 16)}@erased.invalid`,
    name: ERASED_CUSTOMER_NAME,
  });
  const counts: ErasureCounts = { ...erased, knowledgeGaps: typeof forgotten === 'number' ? forgotten : 0 };
  if (total(counts) > 0) await deps.events.publish([{ type: 'customer.erased', tenantId, detail: { customerRef, counts, by } }]);
  const audit: PrivacyAudit = { action: 'customer.erase', target: auditTargetOf(customerKey), after: { counts } };
  return { customerRef, erased: total(counts) > 0, counts, audit };
}
