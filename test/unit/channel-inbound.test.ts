/**
 * Messenger webhook bodies read into inbound messages (core/channels/inbound.ts): a tapped quick reply arrives as
 * the option's full text (its payload), not as its button title, which Messenger cuts to 20 characters.
 */
import { buttonsOf } from '../../lambdas/core/channels/format';
import { inboundFromMeta } from '../../lambdas/core/channels/inbound';

const PAGE = '102030405060708';
const PSID = '24681357902468';

function messengerBody(message: Record<string, unknown>): unknown {
  return { object: 'page', entry: [{ id: PAGE, time: 1765375200000, messaging: [{ sender: { id: PSID }, recipient: { id: PAGE }, timestamp: 1765375200000, message }] }] };
}

describe('inboundFromMeta', () => {
  it('reads a tapped quick reply (a booking slot with a long label) as its full text, from the payload', () => {
    // The booking dialog's slot: label and text alike (core/booking/dialog.ts slotReplies).
    const slot = 'Thu, 10 Dec, 14:00 · Dr Siobhán Ní Bhriain';
    const [button] = buttonsOf([{ label: slot, text: slot }]);
    expect(button?.title).toBe('Thu, 10 Dec, 14:00…');
    const [inbound] = inboundFromMeta('harbour-dental', messengerBody({ mid: 'm_tap1', text: button?.title, quick_reply: { payload: button?.payload } }), PAGE);
    expect(inbound).toEqual({ tenantId: 'harbour-dental', channel: 'messenger', from: PSID, text: slot, media: [], providerMessageId: 'm_tap1' });
  });

  it('reads a typed message, or a quick reply with an empty payload, as its text', () => {
    const typed = inboundFromMeta('harbour-dental', messengerBody({ mid: 'm_typed', text: 'Do you have parking?' }));
    const empty = inboundFromMeta('harbour-dental', messengerBody({ mid: 'm_empty', text: 'Yes', quick_reply: { payload: ' ' } }));
    expect([...typed, ...empty].map((m) => m.text)).toEqual(['Do you have parking?', 'Yes']);
  });
});
