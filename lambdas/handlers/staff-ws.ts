/**
 * WebSocket actions from a staff inbox: watch a conversation live, typing indicator, keep-alive. Tenant from the
 * token; refused once the token has expired or the member was disabled (lib/staff-websocket.ts).
 */
import { handoffDeps } from '../adapters/container';
import { agentTyping, watchConversation } from '../core/handoff';
import { staffWsApi } from './lib/staff-websocket';

export const handler = staffWsApi(handoffDeps, {
  staffWatch: (caller, frame) => watchConversation(handoffDeps(), caller, frame.conversationId),
  staffTyping: (caller, frame) => agentTyping(handoffDeps(), caller, frame.conversationId, frame.on),
  staffPing: async (caller) => {
    await handoffDeps().pusher.push(caller.connectionId, { type: 'pong' });
  },
});
