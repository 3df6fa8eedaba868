/** WebSocket actions from the widget: hello/resume, sendMessage, newConversation, ping, customerTyping, feedback, markRead. */
import { analyticsStore, chatDeps, handoffDeps, store } from '../adapters/container';
import { giveFeedback } from '../core/analytics/service';
import { customerTyping } from '../core/handoff';
import { customerRead } from '../core/receipts';
import { hello, newConversation, sendMessage } from '../core/conversation';
import { limitsOf, takeMessageTokens } from '../core/rate-limit';
import { wsApi } from './lib/websocket';

export const handler = wsApi(() => chatDeps().pusher, {
  hello: (caller, frame) => hello(chatDeps(), caller, frame),
  sendMessage: async (caller, frame) => {
    const profile = await store().getProfile(caller.tenantId);
    await takeMessageTokens(store(), limitsOf(profile), caller);
    await sendMessage(chatDeps(), caller, frame);
  },
  // A new conversation is written as a message is, and a frame can ask for one after another: the same buckets,
  // so a script cannot fill the table and the inbox with empty conversations.
  newConversation: async (caller, frame) => {
    const profile = await store().getProfile(caller.tenantId);
    await takeMessageTokens(store(), limitsOf(profile), caller);
    await newConversation(chatDeps(), caller, frame);
  },
  ping: async (caller) => {
    await chatDeps().pusher.push(caller.connectionId, { type: 'pong' });
  },
  // Relayed to the staff watching the conversation, only while a person owns it or is awaited.
  customerTyping: (caller, frame) => customerTyping(handoffDeps(), caller, frame.on),
  // The customer's thumbs on an answer (docs/metrics.md, confirmed resolutions): published once per change.
  feedback: async (caller, frame) => {
    const chat = chatDeps();
    await giveFeedback({ analytics: analyticsStore(), conversations: chat.conversations, connections: chat.connections, events: chat.events, clock: chat.clock }, caller, frame);
  },
  // Read receipt: an advance is pushed to the staff watching the conversation; a repeat is silent.
  markRead: async (caller, frame) => {
    await customerRead(chatDeps(), caller, frame);
  },
});
