/**
 * The admin UI reads the knowledge base through `knowledgeBaseDecoder`, which keeps only the fields it names, and the
 * Services & hours page writes what it read back (save-catalogue.ts). A field of the server's schema missing from
 * the decoder would be erased by every save of that page, so the decoder must keep every field the schema has.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { knowledgeBaseDecoder } from '../../frontend/src/api/types';
import { businessSchema, documentSchema, faqSchema, knowledgeBaseSchema, serviceSchema, staffSchema } from '../../lambdas/core/knowledge-base';

type Kb = { business: Record<string, unknown>; hours: unknown[]; services: Record<string, unknown>[]; staff: Record<string, unknown>[]; faqs: Record<string, unknown>[]; documents: Record<string, unknown>[] };

/** The demo knowledge base with every optional field filled in. */
function everyField(): Kb {
  const kb = JSON.parse(readFileSync(join(__dirname, '../../local-cloud/seed/demo-kb.json'), 'utf8')) as Kb;
  kb.business['country'] = 'IE';
  const faq = kb.faqs[0];
  if (faq) faq['alternatives'] = ['where do I leave the car'];
  const service = kb.services[0];
  // How many people one booking of the service may be for (decision 114).
  if (service) service['maxPartySize'] = 6;
  const document = kb.documents[0];
  // A document's format: dropped by the decoder, a Services page save would turn plain text back into Markdown.
  if (document) document['format'] = 'text';
  return kb;
}

describe('knowledgeBaseDecoder', () => {
  const kb = everyField();

  it('is given a knowledge base with every field of the schema', () => {
    expect(knowledgeBaseSchema.safeParse(kb).success).toBe(true);
    const parts: [string, { shape: Record<string, unknown> }, Record<string, unknown> | undefined][] = [
      ['business', businessSchema, kb.business],
      ['services', serviceSchema, kb.services[0]],
      ['staff', staffSchema, kb.staff[0]],
      ['faqs', faqSchema, kb.faqs[0]],
      ['documents', documentSchema, kb.documents[0]],
    ];
    for (const [part, schema, sample] of parts) expect([part, Object.keys(sample ?? {}).sort()]).toEqual([part, Object.keys(schema.shape).sort()]);
  });

  it('keeps every field, so the Services & hours page does not erase one when it saves', () => {
    expect(knowledgeBaseDecoder(kb)).toEqual(kb);
  });
});
