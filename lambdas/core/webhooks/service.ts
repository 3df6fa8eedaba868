/**
 * Outbound webhooks and CRM sync, the use cases: a tenant's subscriptions (URL + chosen events + a signing secret
 * generated here and shown once), the dispatcher of bus events, the deliveries it records, test pings and
 * redeliveries from the dead-letter view.
 *
 * Once per (event id, target): a delivery record is claimed with a conditional write before anything is sent, so a
 * bus event delivered twice (EventBridge retries, replays) POSTs once, and so does an occurrence published twice
 * under one idempotency key (a retried workflow step; core/ports.ts `occurrenceIdOf`). Each target gets bounded
 * tries within the invocation (exponential backoff with full jitter, `withRetries` shared with the channel
 * senders); what still fails is recorded `failed` — the dead-letter view — and not thrown: one receiver's outage
 * must not make EventBridge re-run the others. Only our own failures (table, keys) throw, for the rule's retries and DLQ.
 * A crashed claim (`sending`) is taken over after STALE_CLAIM_MS.
 */
import { randomBytes, createHash } from 'node:crypto';
import { z } from 'zod';
import { defaultRetryPolicy, DeliveryError, withRetries, type RetryPolicy } from '../channels/outbound';
import { conflict, notFound } from '../errors';
import { occurrenceIdOf, type Clock } from '../ports';
import { crmContactOf, publicEventOf, publicTypeOf, webhookEventTypes, type CrmContact, type PayloadDeps, type SourceEvent, type WebhookEvent, type WebhookEventType } from './events';
import { EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, newSigningSecret, signConciergePayload } from './signature';
import { checkWebhookUrl, type UrlPolicy } from './url-policy';

/** At most this many subscriptions per tenant. */
export const MAX_SUBSCRIPTIONS = 10;
/** A `sending` claim older than this was left by a crash: another invocation may take it over. */
export const STALE_CLAIM_MS = 5 * 60 * 1000;
/** A receiver gets this long to answer one POST. */
export const SEND_TIMEOUT_MS = 10_000;

export interface WebhookSubscription {
  readonly tenantId: string;
  readonly webhookId: string;
  readonly url: string;
  readonly events: readonly WebhookEventType[];
  readonly description?: string;
  readonly createdAt: string;
  /** Cognito sub of the admin who created it. */
  readonly createdBy: string;
  /** The secret's last four characters, to recognise it by. */
  readonly secretLast4: string;
}

export type DeliveryTarget = 'webhook' | 'hubspot';
export const deliveryStatuses = ['sending', 'delivered', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof deliveryStatuses)[number];

export interface WebhookDelivery {
  readonly tenantId: string;
  readonly deliveryId: string;
  readonly eventId: string;
  readonly eventType: WebhookEvent['type'];
  readonly target: DeliveryTarget;
  /** The subscription (target `webhook`). */
  readonly webhookId?: string;
  readonly url?: string;
  readonly status: WebhookDeliveryStatus;
  /** POSTs made so far, over every try and redelivery. */
  readonly attempts: number;
  /** The receiver's last HTTP status. */
  readonly statusCode?: number;
  /** Why the last try failed (`timeout`, `network`, `forbidden_address`, `http_500`…) without personal data. */
  readonly error?: string;
  readonly responseMs?: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** The event, kept while it is not delivered (a redelivery sends it again); dropped once delivered. */
  readonly payload?: WebhookEvent;
}

export interface WebhookStore {
  /** Stores a subscription and its signing secret (encrypted). */
  putSubscription(subscription: WebhookSubscription, secret: string): Promise<void>;
  listSubscriptions(tenantId: string): Promise<WebhookSubscription[]>;
  getSubscription(tenantId: string, webhookId: string): Promise<WebhookSubscription | undefined>;
  deleteSubscription(tenantId: string, webhookId: string): Promise<boolean>;
  /** The subscription's decrypted signing secret. */
  signingSecret(tenantId: string, webhookId: string): Promise<string | undefined>;
  /**
   * Writes the record (status `sending`) when there is none, or when the existing one failed, or is a `sending`
   * claim last updated before `staleBefore`; false otherwise (delivered, or being sent right now).
   */
  claimDelivery(record: WebhookDelivery, staleBefore: string): Promise<WebhookDelivery | undefined>;
  /** Replaces the record with its outcome (delivered: without its payload). */
  finishDelivery(record: WebhookDelivery): Promise<void>;
  getDelivery(tenantId: string, deliveryId: string): Promise<WebhookDelivery | undefined>;
  /** Newest first. */
  listDeliveries(tenantId: string, status: WebhookDeliveryStatus, limit: number): Promise<WebhookDelivery[]>;
}

/** One POST's answer (2xx or not); network failures throw a DeliveryError. */
export interface HttpAnswer {
  readonly status: number;
  readonly ms: number;
}

/** Sends signed POSTs to subscribers: never follows redirects, refuses forbidden addresses at send time. */
export interface WebhookTransport {
  post(url: string, body: string, headers: Readonly<Record<string, string>>, options: { readonly timeoutMs: number }): Promise<HttpAnswer>;
}

/** A CRM a tenant connected (HubSpot): customer.created and booking.created upsert the contact. */
export interface CrmSync {
  readonly target: Exclude<DeliveryTarget, 'webhook'>;
  /** Creates or updates the contact; throws a DeliveryError (permanent for 4xx) when the CRM refuses. */
  upsertContact(tenantId: string, contact: CrmContact): Promise<HttpAnswer>;
}

export interface WebhookDeps {
  readonly webhooks: WebhookStore;
  readonly transport: WebhookTransport;
  readonly clock: Clock;
  readonly urlPolicy: UrlPolicy;
  /** The tenant's connected CRM, if any. */
  readonly crm?: (tenantId: string) => Promise<CrmSync | undefined>;
  readonly payloads: PayloadDeps;
  readonly retry?: Partial<RetryPolicy>;
}

const retryDefaults: RetryPolicy = {
  ...defaultRetryPolicy,
  attempts: 3,
  baseDelayMs: 500,
  maxDelayMs: 4000,
  // The dispatcher has 120 s; three calls of SEND_TIMEOUT_MS and their waits fit.
  budgetMs: 3 * SEND_TIMEOUT_MS + 10_000,
  callTimeoutMs: SEND_TIMEOUT_MS,
};

// ---- subscriptions -----------------------------------------------------------------------------------

export const newSubscriptionSchema = z.strictObject({
  url: z.string().trim().min(1, 'url is required').max(2048),
  events: z
    .array(z.enum(webhookEventTypes, { error: `must be one of ${webhookEventTypes.join(', ')}` }))
    .min(1, 'choose at least one event')
    .max(webhookEventTypes.length)
    .transform((events) => webhookEventTypes.filter((t) => events.includes(t))),
  description: z.string().trim().max(200).optional(),
});
export type NewSubscription = z.infer<typeof newSubscriptionSchema>;

/** `wh_` and 16 random characters. */
export const WEBHOOK_ID_PATTERN = /^wh_[A-Za-z0-9_-]{16}$/;
/** `dlv_` and 32 characters: a hash of (event id, target). */
export const DELIVERY_ID_PATTERN = /^dlv_[A-Za-z0-9_-]{32}$/;

/** The delivery id of an event for a target: the same bus event always maps to the same record. */
export function deliveryIdOf(eventId: string, targetKey: string): string {
  return `dlv_${createHash('sha256').update(`${eventId}\u0000${targetKey}`).digest('base64url').slice(0, 32)}`;
}

/** Creates a subscription; the secret is in the answer and nowhere else again. */
export async function createSubscription(
  deps: Pick<WebhookDeps, 'webhooks' | 'clock' | 'urlPolicy'>,
  tenantId: string,
  by: string,
  input: NewSubscription,
): Promise<{ subscription: WebhookSubscription; secret: string }> {
  const url = checkWebhookUrl(input.url, deps.urlPolicy);
  const existing = await deps.webhooks.listSubscriptions(tenantId);
  if (existing.length >= MAX_SUBSCRIPTIONS) throw conflict(`a business can have at most ${MAX_SUBSCRIPTIONS} webhook subscriptions`);
  const secret = newSigningSecret();
  const subscription: WebhookSubscription = {
    tenantId,
    webhookId: `wh_${randomBytes(12).toString('base64url')}`,
    url: url.toString(),
    events: input.events,
    ...(input.description ? { description: input.description } : {}),
    createdAt: deps.clock.now().toISOString(),
    createdBy: by,
    secretLast4: secret.slice(-4),
  };
  await deps.webhooks.putSubscription(subscription, secret);
  return { subscription, secret };
}

export async function deleteSubscription(deps: Pick<WebhookDeps, 'webhooks'>, tenantId: string, webhookId: string): Promise<void> {
  if (!WEBHOOK_ID_PATTERN.test(webhookId) || !(await deps.webhooks.deleteSubscription(tenantId, webhookId))) throw notFound('no such webhook subscription');
}

// ---- sending -----------------------------------------------------------------------------------------

/** The headers of one signed POST (signed now: every try carries a fresh timestamp). */
export function signedHeaders(event: WebhookEvent, body: string, secret: string, now: Date): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'Concierge-Webhooks/1.0',
    [SIGNATURE_HEADER]: signConciergePayload(body, secret, Math.floor(now.getTime() / 1000)),
    [EVENT_ID_HEADER]: event.id,
    [EVENT_TYPE_HEADER]: event.type,
  };
}

/** A receiver's non-2xx answer as a DeliveryError: 429 / 5xx are retried, anything else (3xx included: redirects are never followed) is not. */
function refusal(answer: HttpAnswer): DeliveryError {
  const retryable = answer.status === 429 || answer.status >= 500;
  return new DeliveryError(!retryable, `http_${answer.status}`, `the receiver answered HTTP ${answer.status}`);
}

const statusOfCode = (code: string): number | undefined => {
  const m = /^http_(\d{3})$/.exec(code);
  return m ? Number(m[1]) : undefined;
};

/** One POST to a subscriber, signed with its secret. */
async function postToSubscriber(deps: Pick<WebhookDeps, 'transport' | 'clock' | 'webhooks'>, subscription: WebhookSubscription, event: WebhookEvent): Promise<HttpAnswer> {
  const secret = await deps.webhooks.signingSecret(subscription.tenantId, subscription.webhookId);
  if (!secret) throw new DeliveryError(true, 'no_secret', 'the subscription has no signing secret');
  const body = JSON.stringify(event);
  const answer = await deps.transport.post(subscription.url, body, signedHeaders(event, body, secret, deps.clock.now()), { timeoutMs: SEND_TIMEOUT_MS });
  if (answer.status < 200 || answer.status > 299) throw refusal(answer);
  return answer;
}

type Send = () => Promise<HttpAnswer>;

/**
 * Claims the delivery, sends with bounded tries, records the outcome. `attempts` bounds the tries (the API's
 * test and redeliver make one). Undefined when the delivery was already made or is being made.
 */
async function deliver(
  deps: Pick<WebhookDeps, 'webhooks' | 'clock' | 'retry'>,
  claim: WebhookDelivery,
  send: Send,
  attempts?: number,
): Promise<WebhookDelivery | undefined> {
  const now = deps.clock.now();
  const claimed = await deps.webhooks.claimDelivery(claim, new Date(now.getTime() - STALE_CLAIM_MS).toISOString());
  if (!claimed) return undefined;
  const before = claimed.attempts;
  let tries = 0;
  const policy: RetryPolicy = { ...retryDefaults, ...deps.retry, ...(attempts ? { attempts } : {}) };
  let outcome: WebhookDelivery;
  try {
    const answer = await withRetries(async () => {
      tries += 1;
      return send();
    }, policy);
    const { payload: _sent, error: _none, ...rest } = claimed;
    outcome = { ...rest, status: 'delivered', attempts: before + tries, statusCode: answer.status, responseMs: answer.ms, updatedAt: deps.clock.now().toISOString() };
  } catch (error) {
    if (!(error instanceof DeliveryError)) {
      // Our own failure (table, keys): leave the claim to go stale and let the bus retry.
      throw error;
    }
    const statusCode = statusOfCode(error.code);
    const { statusCode: _old, responseMs: _oldMs, ...rest } = claimed;
    outcome = {
      ...rest,
      status: 'failed',
      attempts: before + tries,
      ...(statusCode !== undefined ? { statusCode } : {}),
      error: error.code,
      updatedAt: deps.clock.now().toISOString(),
    };
  }
  await deps.webhooks.finishDelivery(outcome);
  return outcome;
}

/**
 * `occurrence`: what the delivery record is claimed for — the event's id, or, for an occurrence a producer may
 * publish twice (a retried workflow step), its idempotency key (core/ports.ts `occurrenceIdOf`): the second copy
 * finds the first's record and is not sent. The payload keeps the bus event's own id.
 */
function claimFor(
  tenantId: string,
  event: WebhookEvent,
  target: DeliveryTarget,
  targetKey: string,
  now: Date,
  extra: Partial<WebhookDelivery> = {},
  occurrence: string = event.id,
): WebhookDelivery {
  const at = now.toISOString();
  return {
    tenantId,
    deliveryId: deliveryIdOf(occurrence, targetKey),
    eventId: event.id,
    eventType: event.type,
    target,
    status: 'sending',
    attempts: 0,
    createdAt: at,
    updatedAt: at,
    payload: event,
    ...extra,
  };
}

/** What one bus event became. */
export interface DispatchResult {
  readonly eventType?: WebhookEventType;
  readonly delivered: number;
  readonly failed: number;
  readonly duplicates: number;
}

/**
 * Delivers one bus event to every subscription of its tenant that chose its public type, and to the tenant's
 * CRM (customer.created, booking.created). Subscriptions and the CRM are served one after the other: each has
 * its own record, so a replay only re-sends what did not go out.
 */
export async function dispatchEvent(deps: WebhookDeps, source: SourceEvent): Promise<DispatchResult> {
  const type = publicTypeOf(source.type, source.detail);
  if (!type) return { delivered: 0, failed: 0, duplicates: 0 };
  // Nothing is read to build a payload nobody gets.
  const subscriptions = (await deps.webhooks.listSubscriptions(source.tenantId)).filter((s) => s.events.includes(type));
  const crm = type === 'customer.created' || type === 'booking.created' ? await deps.crm?.(source.tenantId) : undefined;
  if (subscriptions.length === 0 && !crm) return { eventType: type, delivered: 0, failed: 0, duplicates: 0 };
  const event = await publicEventOf(deps.payloads, source);
  if (!event) return { eventType: type, delivered: 0, failed: 0, duplicates: 0 };
  const occurrence = occurrenceIdOf(source);
  const sends: { claim: WebhookDelivery; send: Send }[] = subscriptions.map((subscription) => ({
    claim: claimFor(source.tenantId, event, 'webhook', subscription.webhookId, deps.clock.now(), { webhookId: subscription.webhookId, url: subscription.url }, occurrence),
    send: () => postToSubscriber(deps, subscription, event),
  }));
  const contact = crmContactOf(event);
  if (crm && contact) sends.push({ claim: claimFor(source.tenantId, event, crm.target, crm.target, deps.clock.now(), {}, occurrence), send: () => crm.upsertContact(source.tenantId, contact) });

  let delivered = 0;
  let failed = 0;
  let duplicates = 0;
  for (const { claim, send } of sends) {
    const outcome = await deliver(deps, claim, send);
    if (!outcome) duplicates += 1;
    else if (outcome.status === 'delivered') delivered += 1;
    else failed += 1;
  }
  return { eventType: type, delivered, failed, duplicates };
}

/** Sends a `ping` to one subscription now (one try) and records it like any delivery. */
export async function sendTestPing(deps: WebhookDeps, tenantId: string, webhookId: string): Promise<WebhookDelivery> {
  const subscription = WEBHOOK_ID_PATTERN.test(webhookId) ? await deps.webhooks.getSubscription(tenantId, webhookId) : undefined;
  if (!subscription) throw notFound('no such webhook subscription');
  const now = deps.clock.now();
  const event: WebhookEvent = { id: `evt_ping_${randomBytes(12).toString('base64url')}`, type: 'ping', createdAt: now.toISOString(), tenantId, data: { webhookId } };
  const outcome = await deliver(deps, claimFor(tenantId, event, 'webhook', webhookId, now, { webhookId, url: subscription.url }), () => postToSubscriber(deps, subscription, event), 1);
  if (!outcome) throw conflict('the test is already being sent');
  return outcome;
}

/** Sends a failed delivery again now (one try), to its subscription or CRM as they are today. */
export async function redeliver(deps: WebhookDeps, tenantId: string, deliveryId: string): Promise<WebhookDelivery> {
  const delivery = DELIVERY_ID_PATTERN.test(deliveryId) ? await deps.webhooks.getDelivery(tenantId, deliveryId) : undefined;
  if (!delivery) throw notFound('no such delivery');
  if (delivery.status !== 'failed') throw conflict(delivery.status === 'delivered' ? 'this delivery was already delivered' : 'this delivery is being sent right now');
  const event = delivery.payload;
  if (!event) throw conflict('this delivery has nothing left to send');
  let send: Send;
  if (delivery.target === 'webhook') {
    const subscription = delivery.webhookId ? await deps.webhooks.getSubscription(tenantId, delivery.webhookId) : undefined;
    if (!subscription) throw conflict('the subscription of this delivery was deleted');
    send = () => postToSubscriber(deps, subscription, event);
  } else {
    const crm = await deps.crm?.(tenantId);
    const contact = crmContactOf(event);
    if (!crm || crm.target !== delivery.target || !contact) throw conflict(`${delivery.target} is not connected any more`);
    send = () => crm.upsertContact(tenantId, contact);
  }
  const outcome = await deliver(deps, { ...delivery, status: 'sending', updatedAt: deps.clock.now().toISOString() }, send, 1);
  if (!outcome) throw conflict('this delivery is being sent right now');
  return outcome;
}

/** The subscription as the API shows it (never its secret). */
export const subscriptionView = (s: WebhookSubscription) => ({
  webhookId: s.webhookId,
  url: s.url,
  events: s.events,
  ...(s.description ? { description: s.description } : {}),
  createdAt: s.createdAt,
  secretHint: `whsec_…${s.secretLast4}`,
});

/** A delivery as the dead-letter view shows it: the event's id and type, never its personal data. */
export const deliveryView = (d: WebhookDelivery) => ({
  deliveryId: d.deliveryId,
  eventId: d.eventId,
  eventType: d.eventType,
  target: d.target,
  ...(d.webhookId ? { webhookId: d.webhookId } : {}),
  ...(d.url ? { url: d.url } : {}),
  status: d.status,
  attempts: d.attempts,
  ...(d.statusCode !== undefined ? { statusCode: d.statusCode } : {}),
  ...(d.error ? { error: d.error } : {}),
  ...(d.responseMs !== undefined ? { responseMs: d.responseMs } : {}),
  createdAt: d.createdAt,
  updatedAt: d.updatedAt,
});

