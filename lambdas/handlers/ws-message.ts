/** WebSocket actions from the widget: hello/resume, sendMessage, newConversation, ping, customerTyping. */
import { chatDeps, handoffDeps, store } from '../adapters/container';
import { customerTyping } from '../core/handoff';
import { hello, newConversation, sendMessage } from '../core/conversation';
import { limitsOf, takeMessageTokens } from '../core/rate-limit';
import { wsApi } from './lib/websocket';

export const handler = wsApi(() => chatDeps().pusher, {
  hello: (caller, frame) => hello(chatDeps(), caller, frame),
  sendMessage: async (caller, frame) => {
    const profile = await store().getProfile(caller.tenantId);
    await takeMessageTokens(store(), limitsOf(profile), caller.tenantId, caller.connectionId);
    await sendMessage(chatDeps(), caller, frame);
  },
  newConversation: (caller, frame) => newConversation(chatDeps(), caller, frame),
  ping: async (caller) => {
    await chatDeps().pusher.push(caller.connectionId, { type: 'pong' });
  },
  // Relayed to the staff watching the conversation, only while a person owns it or is awaited.
  customerTyping: (caller, frame) => customerTyping(handoffDeps(), caller, frame.on),
});
