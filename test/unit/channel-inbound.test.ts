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

  it('reads the "Get Started" button as a greeting (was "Get Started", answered "I\'m not sure about that"), other postbacks by their title', () => {
    const body = (postback: Record<string, unknown>): unknown => ({
      object: 'page',
      entry: [{ id: PAGE, time: 1, messaging: [{ sender: { id: PSID }, recipient: { id: PAGE }, timestamp: 1, postback }] }],
    });
    expect(inboundFromMeta('harbour-dental', body({ title: 'Get Started', payload: 'GET_STARTED' }), PAGE)[0]?.text).toBe('Hi');
    expect(inboundFromMeta('harbour-dental', body({ title: 'Opening hours', payload: 'HOURS' }), PAGE)[0]?.text).toBe('Opening hours');
  });

  it('reads each entry and item on its own: a malformed one is skipped and reported (path and reason, no text), the others kept', () => {
    const item = (mid: string, text: string, sender = PSID) => ({ sender: { id: sender }, recipient: { id: PAGE }, timestamp: 1, message: { mid, text } });
    const body = {
      object: 'page',
      entry: [
        { id: PAGE, messaging: [item('m_ok1', 'first'), item('m_bad', 'secret words', 'bad'), null, { sender: { id: PSID }, recipient: { id: PAGE }, postback: { payload: 'x' } }] },
        { id: 7, messaging: [item('m_in_bad_entry', 'gone')] },
        'not an entry',
        { id: PAGE, messaging: [item('m_ok2', 'second')] },
      ],
    };
    const skipped: { path: string; reason: string }[] = [];
    const messages = inboundFromMeta('harbour-dental', body, PAGE, (s) => skipped.push(s));
    expect(messages.map((m) => [m.providerMessageId, m.text])).toEqual([
      ['m_ok1', 'first'],
      ['m_ok2', 'second'],
    ]);
    expect(skipped.map((s) => s.path)).toEqual(['entry.0.messaging.1.sender.id', 'entry.0.messaging.2', 'entry.0.messaging.3.postback.title', 'entry.1.id', 'entry.2']);
    expect(skipped[0]?.reason).toBe('must be a page-scoped id');
    expect(JSON.stringify(skipped)).not.toMatch(/secret words|gone/);
  });

  it('still refuses a body that is not a Messenger delivery at all', () => {
    expect(() => inboundFromMeta('harbour-dental', { object: 'instagram', entry: [] })).toThrow(/must be .+page.+ \(Messenger\)/);
    expect(() => inboundFromMeta('harbour-dental', { object: 'page', entry: 'x' })).toThrow();
    expect(() => inboundFromMeta('harbour-dental', null)).toThrow();
  });
});
