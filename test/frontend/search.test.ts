import { filterFaqs, normalizeForSearch } from '../../frontend/src/lib/search';
import { MAX_KNOWLEDGE_FILE_BYTES, parseKnowledgeFile } from '../../frontend/src/lib/knowledge-file';

const faqs = [
  { id: 'parking', question: 'Is there parking?', answer: 'Yes, a public car park is 200 m away.', category: 'Visit', alternatives: ['Where do I leave the vehicle?'] },
  { id: 'cafe', question: '¿Tenéis café?', answer: 'Sí, café y té gratis.', category: 'Servicios' },
  { id: 'cancel', question: 'How do I cancel?', answer: 'Reply to your confirmation or call us 24 h ahead.', category: 'Bookings' },
];

describe('FAQ search', () => {
  it('ignores case and accents', () => {
    expect(normalizeForSearch('Café ÀÉÎ')).toBe('cafe aei');
    expect(filterFaqs(faqs, 'CAFE').map((f) => f.id)).toEqual(['cafe']);
  });

  it('needs every word, in question, answer or category', () => {
    expect(filterFaqs(faqs, 'car park').map((f) => f.id)).toEqual(['parking']);
    expect(filterFaqs(faqs, 'bookings call').map((f) => f.id)).toEqual(['cancel']);
    expect(filterFaqs(faqs, 'parking cancel')).toEqual([]);
  });

  it('finds an FAQ by its alternative wordings too', () => {
    expect(filterFaqs(faqs, 'vehicle').map((f) => f.id)).toEqual(['parking']);
  });

  it('returns everything for an empty query', () => {
    expect(filterFaqs(faqs, '   ')).toHaveLength(3);
  });
});

describe('knowledge file', () => {
  it('parses a JSON object, tolerating a byte-order mark', () => {
    expect(parseKnowledgeFile('\uFEFF{"faqs":[]}', 12)).toEqual({ ok: true, value: { faqs: [] } });
  });

  it('explains invalid JSON, non-objects and oversized files', () => {
    const bad = parseKnowledgeFile('{"faqs": [', 10);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.message).toMatch(/^The file is not valid JSON \(/);
    expect(parseKnowledgeFile('[1,2]', 5)).toEqual({ ok: false, message: expect.stringContaining('one JSON object') });
    expect(parseKnowledgeFile('{}', MAX_KNOWLEDGE_FILE_BYTES + 1)).toEqual({ ok: false, message: expect.stringContaining('the limit is 5 MB') });
  });
});
