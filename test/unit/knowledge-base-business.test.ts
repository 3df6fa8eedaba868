/**
 * The knowledge base's business fields that other parts rely on: `country` (where local phone numbers are read,
 * core/phone.ts) and `languages` (those the concierge answers in; the widget starts with them), and a service's
 * `names` in those languages.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { knowledgeBaseSchema, serviceNameIn } from '../../lambdas/core/knowledge-base';

describe('the knowledge base business.country', () => {
  const demo = JSON.parse(readFileSync(join(__dirname, '../../local-cloud/seed/demo-kb.json'), 'utf8')) as { business: Record<string, unknown> };
  const withCountry = (country: unknown): unknown => ({ ...demo, business: { ...demo.business, country } });

  it('accepts a country with a numbering plan', () => {
    expect(knowledgeBaseSchema.safeParse(withCountry('IE')).success).toBe(true);
    expect(knowledgeBaseSchema.safeParse(demo).success).toBe(true);
  });

  it.each([
    ['ie', /two-letter ISO 3166 country code in capitals/],
    ['IRL', /two-letter ISO 3166 country code in capitals/],
    ['ZZ', /a country with a telephone numbering plan/],
  ])('refuses %s, naming the field', (country, message) => {
    const result = knowledgeBaseSchema.safeParse(withCountry(country));
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([expect.objectContaining({ path: ['business', 'country'], message: expect.stringMatching(message) })]);
  });
});

describe('the knowledge base business.languages', () => {
  const demo = JSON.parse(readFileSync(join(__dirname, '../../local-cloud/seed/demo-kb.json'), 'utf8')) as { business: Record<string, unknown> };
  const withLanguages = (languages: unknown): unknown => ({ ...demo, business: { ...demo.business, languages } });

  it('are languages the concierge answers in, each once', () => {
    expect(knowledgeBaseSchema.safeParse(withLanguages(['es', 'en'])).success).toBe(true);
    const french = knowledgeBaseSchema.safeParse(withLanguages(['en', 'fr']));
    expect(french.error?.issues).toEqual([expect.objectContaining({ path: ['business', 'languages', 1], message: 'must be one of the languages the concierge answers in: en, es' })]);
    const twice = knowledgeBaseSchema.safeParse(withLanguages(['en', 'en']));
    expect(twice.error?.issues).toEqual([expect.objectContaining({ path: ['business', 'languages'], message: 'must not repeat a language' })]);
  });
});

describe("a service's names in the reply languages", () => {
  const demo = JSON.parse(readFileSync(join(__dirname, '../../local-cloud/seed/demo-kb.json'), 'utf8')) as { services: Record<string, unknown>[] };
  const withNames = (names: unknown): unknown => ({ ...demo, services: [{ ...demo.services[0], names }, ...demo.services.slice(1)] });

  it('are optional, one per reply language, and used in that language', () => {
    expect(knowledgeBaseSchema.safeParse(withNames({ es: 'Revisión y limpieza', en: 'Check-up and clean' })).success).toBe(true);
    const french = knowledgeBaseSchema.safeParse(withNames({ fr: 'Contrôle et détartrage' }));
    expect(french.error?.issues).toEqual([expect.objectContaining({ path: ['services', 0, 'names'], code: 'unrecognized_keys' })]);
    const blank = knowledgeBaseSchema.safeParse(withNames({ es: '  ' }));
    expect(blank.error?.issues).toEqual([expect.objectContaining({ path: ['services', 0, 'names', 'es'] })]);
    const service = { name: 'Check-up & clean', names: { es: 'Revisión y limpieza' } };
    expect(serviceNameIn(service, 'es')).toBe('Revisión y limpieza');
    expect(serviceNameIn(service, 'en')).toBe('Check-up & clean');
    expect(serviceNameIn({ name: 'Check-up & clean' }, 'es')).toBe('Check-up & clean');
  });
});
