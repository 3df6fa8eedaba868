/** The Services & hours page's save (frontend/src/pages/services/save-catalogue.ts): onto the knowledge base as it is now. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApiClient, type FetchLike } from '../../frontend/src/api/client';
import type { KnowledgeBase } from '../../frontend/src/api/types';
import { CatalogueConflict, droppedExceptions, namesWith, saveCatalogue, withoutStaff } from '../../frontend/src/pages/services/save-catalogue';
import type { BookingSettings } from '../../frontend/src/api/bookings';

// The demo clinic's file, as GET /v1/admin/knowledge gives it.
const base = JSON.parse(readFileSync(join(__dirname, '../../local-cloud/seed/demo-kb.json'), 'utf8')) as KnowledgeBase;

function setup(responses: Response[]) {
  const calls: { method: string; url: string; headers: Record<string, string>; body?: unknown }[] = [];
  const fetchFn: FetchLike = async (url, init) => {
    calls.push({ method: init?.method ?? 'GET', url: url.replace('https://api.example.com', ''), headers: (init?.headers ?? {}) as Record<string, string>, ...(init?.body ? { body: JSON.parse(String(init.body)) } : {}) });
    const next = responses.shift();
    if (!next) throw new Error('no more responses');
    return next;
  };
  return { api: createApiClient({ apiUrl: 'https://api.example.com', fetch: fetchFn, getIdToken: async () => 't' }), calls };
}
const json = (body: unknown, status = 200, etag?: string): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...(etag ? { ETag: etag } : {}) } });
const imported = (): Response => json({ imported: { faqs: 2, documents: 0, chunks: 0, services: 1, staff: 1 } }, 200, '"kb-9"');
const refused = (): Response => json({ error: { code: 'precondition_failed', message: 'the knowledge base was changed since you read it' } }, 412);

describe("the Services & hours page's save", () => {
  const edited: KnowledgeBase = { ...base, services: base.services.map((s) => ({ ...s, priceCents: 6500 })) };
  const faqAddedMeanwhile: KnowledgeBase = { ...base, faqs: [...base.faqs, { id: 'coats', question: 'Coat hooks?', answer: 'By the door.', category: 'Visiting' }] };

  it("puts its services onto the knowledge base as it is now, naming that version: an FAQ saved since the page opened stays", async () => {
    const stored = { ...faqAddedMeanwhile, services: edited.services };
    const { api, calls } = setup([json(faqAddedMeanwhile, 200, '"kb-8"'), imported(), json(stored, 200, '"kb-9"')]);
    const saved = await saveCatalogue(api, base, edited);
    expect(calls.map((c) => [c.method, c.url, c.headers['If-Match']])).toEqual([
      ['GET', '/v1/admin/knowledge', undefined],
      ['PUT', '/v1/admin/knowledge', '"kb-8"'],
      ['GET', '/v1/admin/knowledge', undefined],
    ]);
    expect(calls[1]?.body).toEqual({ ...faqAddedMeanwhile, services: edited.services });
    expect(saved.faqs.map((f) => f.id)).toEqual([...base.faqs.map((f) => f.id), 'coats']);
  });

  it('reads again and retries when the knowledge base changed between its read and the import (412)', async () => {
    const { api, calls } = setup([json(base, 200, '"kb-8"'), refused(), json(faqAddedMeanwhile, 200, '"kb-9"'), imported(), json(faqAddedMeanwhile, 200, '"kb-10"')]);
    await saveCatalogue(api, base, edited);
    expect(calls.map((c) => c.headers['If-Match'])).toEqual([undefined, '"kb-8"', undefined, '"kb-9"', undefined]);
    expect(calls[3]?.body).toEqual({ ...faqAddedMeanwhile, services: edited.services });
  });

  it('refuses to overwrite services, staff or hours someone else changed since the page opened', async () => {
    const otherPrice: KnowledgeBase = { ...base, services: base.services.map((s) => ({ ...s, priceCents: 5500 })) };
    const { api, calls } = setup([json(otherPrice, 200, '"kb-8"')]);
    await expect(saveCatalogue(api, base, edited)).rejects.toBeInstanceOf(CatalogueConflict);
    expect(calls.map((c) => c.method)).toEqual(['GET']);
  });

  it('takes the knowledge base as the server stored it (names trimmed) as the baseline, so the next save is no false conflict', async () => {
    const typed: KnowledgeBase = { ...base, services: base.services.map((sv, i) => (i === 0 ? { ...sv, name: `${sv.name} ` } : sv)) };
    const trimmed: KnowledgeBase = { ...base, services: typed.services.map((sv) => ({ ...sv, name: sv.name.trim() })) };
    const first = setup([json(base, 200, '"kb-1"'), imported(), json(trimmed, 200, '"kb-2"')]);
    const baseline = await saveCatalogue(first.api, base, typed);
    const again: KnowledgeBase = { ...baseline, services: baseline.services.map((sv, i) => (i === 0 ? { ...sv, priceCents: sv.priceCents + 500 } : sv)) };
    const second = setup([json(trimmed, 200, '"kb-2"'), imported(), json(again, 200, '"kb-3"')]);
    await expect(saveCatalogue(second.api, baseline, again)).resolves.toEqual(again);
  });

  it('gives up after three refusals in a row, with the 412', async () => {
    const { api, calls } = setup([json(base, 200, '"kb-1"'), refused(), json(base, 200, '"kb-2"'), refused(), json(base, 200, '"kb-3"'), refused()]);
    await expect(saveCatalogue(api, base, edited)).rejects.toMatchObject({ status: 412 });
    expect(calls).toHaveLength(6);
  });
});

describe("a service's name in another of the business's languages", () => {
  it('is set, replaced and cleared; a service left with none has no names at all (the server refuses a blank one)', () => {
    expect(namesWith(undefined, 'es', 'Revisión y limpieza')).toEqual({ es: 'Revisión y limpieza' });
    expect(namesWith({ es: 'Revisión' }, 'es', 'Revisión y limpieza')).toEqual({ es: 'Revisión y limpieza' });
    expect(namesWith({ es: 'Revisión', en: 'Check-up' }, 'es', '  ')).toEqual({ en: 'Check-up' });
    expect(namesWith({ es: 'Revisión' }, 'es', '')).toBeUndefined();
    expect(JSON.parse(JSON.stringify({ id: 'checkup-clean', names: namesWith({ es: 'Revisión' }, 'es', '') }))).toEqual({ id: 'checkup-clean' });
  });
});

describe('removing a staff member', () => {
  const settings: BookingSettings = {
    slotStepMinutes: 30,
    minNoticeMinutes: 60,
    maxDaysAhead: 60,
    holdMinutes: 10,
    paymentTimeoutMinutes: 30,
    cancellationNoticeHours: 24,
    refundDepositOnCancel: true,
    reminderHoursBefore: 24,
    bufferMinutes: {},
    exceptions: [
      { id: 'marta-off', from: '2026-12-10', to: '2026-12-11', reason: 'Training', staffId: 'marta-ruiz' },
      { id: 'christmas', from: '2026-12-25', to: '2026-12-26', reason: 'Christmas' },
      { id: 'liam-off', from: '2026-12-14', to: '2026-12-14', reason: '', staffId: 'liam-obrien' },
    ],
  };

  it('removes their time off with them (the server refuses time off of unknown staff), and nobody else\'s', () => {
    expect(withoutStaff(settings, 'marta-ruiz').exceptions.map((e) => e.id)).toEqual(['christmas', 'liam-off']);
    expect(withoutStaff(settings, 'nobody')).toEqual(settings);
  });

  it('names the exceptions the server left out of what it stored', () => {
    const stored = withoutStaff(settings, 'liam-obrien');
    expect(droppedExceptions(settings, stored).map((e) => e.id)).toEqual(['liam-off']);
    expect(droppedExceptions(settings, settings)).toEqual([]);
  });
});
