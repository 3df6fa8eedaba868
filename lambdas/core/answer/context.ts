/**
 * The answering policy's per-conversation state, stored on the conversation
 * record. Kept apart from the policy (answer/concierge.ts) so the store and
 * every handler can read it without loading the NLU.
 */
import { z } from 'zod';

/** Per-conversation state the policy keeps between turns (stored on the conversation record; parsed when read back). */
export const conversationContextSchema = z.object({
  /** Questions in a row the concierge could not answer. */
  unansweredStreak: z.number().int().min(0).max(1000).optional(),
  /** The service the conversation is about, for follow-ups ("how much is it?"). */
  lastServiceId: z.string().max(64).optional(),
  /** The last answered question (as searched), for follow-ups without a service. */
  lastTopic: z.string().max(300).optional(),
  /** What the last bot reply offered, so a "yes" / "no" can be understood. */
  pendingOffer: z.literal('handoff').optional(),
  /** The language of the conversation so far (short replies such as "ok" keep it). */
  lang: z.enum(['en', 'es']).optional(),
});
export type ConversationContext = Readonly<z.infer<typeof conversationContextSchema>>;
