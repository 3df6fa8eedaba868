/** WebSocket actions from the widget: hello/resume, sendMessage, newConversation, ping. */
import { chatDeps } from '../adapters/container';
import { hello, newConversation, sendMessage } from '../core/conversation';
import { wsApi } from './lib/websocket';

export const handler = wsApi(() => chatDeps().pusher, {
  hello: (caller, frame) => hello(chatDeps(), caller, frame),
  sendMessage: (caller, frame) => sendMessage(chatDeps(), caller, frame),
  newConversation: (caller, frame) => newConversation(chatDeps(), caller, frame),
  ping: async (caller) => {
    await chatDeps().pusher.push(caller.connectionId, { type: 'pong' });
  },
});
