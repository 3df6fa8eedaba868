/**
 * Which live frames belong to the open conversation. No React here: unit-tested in test/frontend/inbox.test.ts.
 *
 * The staff socket watches one conversation at a time, and frames of the one watched before can still arrive
 * after another is opened. Message and receipt frames name their conversation; a `state` frame's id does
 * (`state:<conversationId>:<mode>:<at>` after a change, `watch:<conversationId>:<mode>` when watching starts:
 * lambdas/core/handoff.ts); `typing` frames name it in `conversationId` (one without, from an older server, counts
 * only once the server has confirmed watching this conversation: its `watch:` frame, sent after the subscription moved).
 */
import type { StaffFrame } from '../../lib/staff-socket';

/** Whether a `state` frame's id names this conversation. */
export function isStateFrameFor(id: string, conversationId: string): boolean {
  return id.startsWith(`state:${conversationId}:`) || id.startsWith(`watch:${conversationId}:`);
}

/** Whether a `state` frame is the server's confirmation that this conversation is now watched. */
export function isWatchConfirmation(id: string, conversationId: string): boolean {
  return id.startsWith(`watch:${conversationId}:`);
}

/** Whether the open conversation's pane should apply the frame. */
export function frameIsFor(frame: StaffFrame, conversationId: string, watchConfirmed: boolean): boolean {
  switch (frame.type) {
    case 'message':
    case 'receipt':
    case 'inbox':
      return frame.conversationId === conversationId;
    case 'state':
      return isStateFrameFor(frame.id, conversationId);
    case 'typing':
      // Named by the server; a frame without a name (an older server) counts once watching is confirmed.
      return frame.conversationId !== undefined ? frame.conversationId === conversationId : watchConfirmed;
    default:
      return false;
  }
}
