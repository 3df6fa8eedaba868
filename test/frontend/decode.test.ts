import { array, boolean, DecodeError, number, object, oneOf, optional, string } from '../../frontend/src/lib/decode';
import { conversationPageDecoder, knowledgeBaseDecoder } from '../../frontend/src/api/types';

describe('decoders', () => {
  const item = object({ id: string, n: number, ok: boolean, kind: oneOf('a', 'b'), tags: array(string), note: optional(string) });

  it('returns the checked value, dropping unknown keys and absent optionals', () => {
    expect(item({ id: 'x', n: 1, ok: true, kind: 'a', tags: ['t'], extra: 1 })).toEqual({ id: 'x', n: 1, ok: true, kind: 'a', tags: ['t'] });
    expect(item({ id: 'x', n: 1, ok: false, kind: 'b', tags: [], note: 'hi' })).toEqual({ id: 'x', n: 1, ok: false, kind: 'b', tags: [], note: 'hi' });
    expect(item({ id: 'x', n: 1, ok: false, kind: 'b', tags: [], note: null })).not.toHaveProperty('note');
  });

  it('names the path of the first problem', () => {
    expect(() => item({ id: 'x', n: 1, ok: true, kind: 'c', tags: [] })).toThrow(new DecodeError('kind', 'one of a, b'));
    expect(() => item({ id: 'x', n: 1, ok: true, kind: 'a', tags: ['t', 2] })).toThrow('tags[1]: expected a string');
    expect(() => item({ id: 'x', n: Number.NaN, ok: true, kind: 'a', tags: [] })).toThrow('n: expected a number');
    expect(() => item([])).toThrow('value: expected an object');
  });
});

describe('API decoders', () => {
  it('decode a conversation page and keep nextCursor optional', () => {
    const conversation = {
      conversationId: 'c1',
      channel: 'whatsapp',
      mode: 'waiting_for_human',
      createdAt: '2025-06-15T09:00:00Z',
      lastMessageAt: '2025-06-15T09:05:00Z',
      lastMessagePreview: 'Can I talk to someone?',
      messageCount: 4,
      customerLabel: '+34 ••• 123',
    };
    expect(conversationPageDecoder({ items: [conversation] })).toEqual({ items: [conversation] });
    expect(conversationPageDecoder({ items: [], nextCursor: 'abc' })).toEqual({ items: [], nextCursor: 'abc' });
    expect(() => conversationPageDecoder({ items: [{ ...conversation, channel: 'fax' }] })).toThrow('items[0].channel');
  });

  it('decode a knowledge-base file', () => {
    const kb = {
      business: {
        name: 'Luna Hair',
        slug: 'luna-hair',
        timezone: 'Europe/Madrid',
        phone: '+34 600 000 000',
        email: 'hola@luna.example',
        address: 'Calle Mayor 1, Madrid',
        website: 'https://luna.example',
        languages: ['es', 'en'],
      },
      hours: [{ day: 'mon', open: '09:00', close: '18:00' }],
      services: [{ id: 'cut', name: 'Cut', durationMinutes: 45, priceCents: 3000, currency: 'EUR', depositCents: 0, description: '' }],
      staff: [{ id: 'ana', name: 'Ana', role: 'Stylist', serviceIds: ['cut'] }],
      faqs: [{ id: 'parking', question: 'Is there parking?', answer: 'Yes, nearby.', category: 'visit' }],
      documents: [{ id: 'policy', title: 'Cancellation policy', text: 'Cancel 24 h ahead.' }],
    };
    expect(knowledgeBaseDecoder(kb)).toEqual(kb);
    expect(() => knowledgeBaseDecoder({ ...kb, hours: [{ day: 'funday', open: '09:00', close: '10:00' }] })).toThrow('hours[0].day');
  });
});
