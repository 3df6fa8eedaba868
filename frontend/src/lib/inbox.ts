/** Plain helpers of the live inbox (labels, what an agent may do, merging live messages). */
import type { HandoffStatus, InboxConversation, InboxMessage } from '../api/types';

export const statusLabels: Readonly<Record<HandoffStatus, string>> = {
  waiting: 'Waiting',
  escalated: 'Escalated',
  callback: 'Callback promised',
  accepted: 'With a person',
  returned: 'Returned to bot',
  closed: 'Closed',
};

export interface InboxActions {
  readonly accept: boolean;
  readonly takeOver: boolean;
  readonly reply: boolean;
  readonly returnToBot: boolean;
  readonly close: boolean;
}

/** What the signed-in staff member may do with the conversation as it stands (the API checks again). */
export function actionsFor(view: Pick<InboxConversation, 'conversation' | 'handoff'>, me: { sub?: string; email: string; isAdmin: boolean }): InboxActions {
  const mode = view.conversation.mode;
  const owner = view.handoff?.assignee;
  const mine = owner !== undefined && owner.email === me.email;
  const mayEnd = mode === 'waiting_for_human' || (mode === 'human' && (mine || me.isAdmin));
  return {
    accept: mode === 'waiting_for_human',
    takeOver: mode === 'bot',
    reply: mode === 'human' && mine,
    returnToBot: mayEnd,
    close: mode !== 'closed' && (mode === 'bot' || mayEnd),
  };
}

/** Adds a live message, keeping the list unique by id and ordered by seq. */
export function mergeMessage(messages: readonly InboxMessage[], incoming: InboxMessage): InboxMessage[] {
  if (messages.some((m) => m.id === incoming.id || m.seq === incoming.seq)) return [...messages];
  return [...messages, incoming].sort((a, b) => a.seq - b.seq);
}

/** Throttles "typing on" signals: at most one every `intervalMs`, and "off" only after an "on". */
export function typingThrottle(send: (on: boolean) => void, intervalMs = 3000, now: () => number = () => Date.now()): (on: boolean) => void {
  let lastOn = 0;
  let isOn = false;
  return (on) => {
    if (on) {
      if (isOn && now() - lastOn < intervalMs) return;
      isOn = true;
      lastOn = now();
      send(true);
    } else if (isOn) {
      isOn = false;
      send(false);
    }
  };
}
