/**
 * The business texting a customer first: a notice (a booking's payment link, confirmation, reminder…) to a
 * customer reached by phone only — a booking staff made for someone who gave no e-mail address.
 *
 * The notice goes where an SMS from that number would go: the number's open SMS conversation, or a new one
 * (recorded under the customer of that phone, as an inbound SMS's is), and out through the channel sender like
 * every concierge reply on SMS (`message.send` → handlers/channel-sender.ts → Twilio, or the channel outbox
 * without credentials), with its delivery records, retries, status callbacks and its own opt-out check at send
 * time. So staff see in the inbox what the customer was sent, and the customer's answer ("can I move it?") lands
 * in the same conversation, where the concierge knows their verified number and so their bookings
 * (docs/decisions.md 82). A number that opted out (STOP) gets nothing — not even a conversation.
 *
 * The conversation is the business's: no `conversation.started` is published (analytics count it once the
 * customer writes, as any later event of a conversation counts it: docs/metrics.md).
 */
import { customerKeyOf } from '../booking/service';
import { deliverToCustomer, type ChatDeps } from '../conversation';
import type { ConversationRecord, ConversationStore } from '../ports';
import type { QuickReply } from '../protocol';
import { conversationOfIdentity, identityOf, startChannelConversation, type IdentityStore } from './identity';
import { isOptedOut, type OptOutStore } from './policy';

/** What a notice needs: the conversations, the WebSocket push and the bus (deliverToCustomer), opt-outs and identities. */
export interface SmsNoticeDeps extends Pick<ChatDeps, 'connections' | 'pusher' | 'events'> {
  readonly conversations: Pick<ConversationStore, 'getVisitorConversation' | 'getConversation' | 'startConversation' | 'appendMessage' | 'updateConversationContext'>;
  readonly optOuts: OptOutStore;
  readonly identities: IdentityStore;
}

export interface SmsNotice {
  readonly tenantId: string;
  /** As the customer or staff typed it (`+353 87 555 0101`, `00353…`); normalised as booking customer keys are. */
  readonly phone: string | undefined;
  /** The language of a conversation started for it. */
  readonly lang: string;
  /** One per notice (a booking and its kind): a retry stores and sends it once. */
  readonly clientId: string;
  readonly text: string;
  /** `reminder` or `booking` (core/channels/policy.ts SendKind). */
  readonly kind: 'booking' | 'reminder';
  readonly quickReplies?: readonly QuickReply[];
}

export type SmsNoticeOutcome =
  /** Stored in the number's SMS conversation and handed to the channel sender. */
  | { readonly outcome: 'sent'; readonly conversationId: string }
  /** Stored already (a retry): handed to the channel sender again, which sends it once. */
  | { readonly outcome: 'duplicate'; readonly conversationId: string }
  /** The number opted out of the business's SMS. */
  | { readonly outcome: 'opted_out' }
  /** No phone, or not one a text can go to (not international: `600 111 222` that was not a number of the business's country). */
  | { readonly outcome: 'no_number' };

const E164 = /^\+[1-9]\d{6,14}$/;

/** The number a text goes to: the phone as E.164 (`+353875550101`), or undefined when it is not one. */
export function smsNumberOf(phone: string | undefined): string | undefined {
  // Only a number typed as international (+ or 00): "612 345 678" or "(555) 123-4567" with a + put in front would be
  // another country's number, and the payment link would go to a stranger.
  if (phone === undefined || !/^(?:\+|00)/.test(phone.trim().replace(/[\s().-]/g, ''))) return undefined;
  const key = customerKeyOf({ phone });
  const number = key?.startsWith('phone:') ? key.slice('phone:'.length) : undefined;
  return number !== undefined && E164.test(number) ? number : undefined;
}

/** The number's open SMS conversation, or a new one that knows the number and is recorded under its customer. */
async function smsConversation(deps: SmsNoticeDeps, tenantId: string, phone: string, lang: string): Promise<ConversationRecord> {
  const identity = identityOf('sms', phone);
  // As an inbound SMS's new conversation (core/channels/inbound.ts conversationFor), without `conversation.started`.
  const { conversation } = await conversationOfIdentity(
    deps,
    tenantId,
    identity,
    async (current) => current.mode !== 'closed',
    (replacing) => startChannelConversation(deps, tenantId, 'sms', identity, lang, { replacing }),
  );
  return conversation;
}

/** Texts the customer (see the module comment). */
export async function sendSmsNotice(deps: SmsNoticeDeps, notice: SmsNotice): Promise<SmsNoticeOutcome> {
  const phone = smsNumberOf(notice.phone);
  if (!phone) return { outcome: 'no_number' };
  if (await isOptedOut(deps.optOuts, notice.tenantId, phone)) return { outcome: 'opted_out' };
  const conversation = await smsConversation(deps, notice.tenantId, phone, notice.lang);
  const stored = await deps.conversations.appendMessage(notice.tenantId, conversation.conversationId, {
    role: 'bot',
    text: notice.text,
    clientId: notice.clientId,
    ...(notice.quickReplies ? { quickReplies: notice.quickReplies } : {}),
  });
  // Stored already (a retry): handed to the channel sender again, which sends each message once (its delivery
  // records) — so a text whose hand-over failed the first time still goes out, and one that went out does not again.
  await deliverToCustomer(deps, conversation, stored.message, notice.kind);
  return { outcome: stored.duplicate ? 'duplicate' : 'sent', conversationId: conversation.conversationId };
}
