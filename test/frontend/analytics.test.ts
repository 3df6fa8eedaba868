import fc from 'fast-check';
import { analyticsReportSchema, knowledgeGapListSchema } from '../../lambdas/core/analytics/contract';
import { emptyDay } from '../../lambdas/core/analytics/report';
import { knowledgeItemsApi } from '../../frontend/src/pages/knowledge/knowledge-api';
import { createApiClient, type FetchLike } from '../../frontend/src/api/client';
import { ApiError } from '../../frontend/src/lib/api-error';
import {
  FAQ_ID_RE,
  addDays,
  channelRows,
  channelsIn,
  csvFilename,
  daysInRange,
  faqIdFor,
  filenameFromDisposition,
  formatCsat,
  formatMoney,
  formatMs,
  formatRate,
  handoffReasonLabel,
  isDay,
  outcomeRows,
  presetRange,
  rangeProblem,
  reasonRows,
  todayIn,
  addFaqForGap,
  type AddFaqPorts,
} from '../../frontend/src/pages/analytics/analytics';
import { analyticsApi, analyticsReportDecoder } from '../../frontend/src/pages/analytics/analytics-api';

// Intl output uses narrow no-break spaces in some locales/ICU versions; compare with plain spaces.
const plain = (s: string): string => s.replace(/[\u00a0\u202f]/g, ' ');

describe('date ranges', () => {
  it('computes the presets, both ends inclusive, ending today', () => {
    expect(presetRange('last7', '2026-03-05')).toEqual({ from: '2026-02-27', to: '2026-03-05' });
    expect(presetRange('last30', '2026-03-05')).toEqual({ from: '2026-02-04', to: '2026-03-05' });
    expect(presetRange('thisMonth', '2026-03-05')).toEqual({ from: '2026-03-01', to: '2026-03-05' });
    expect(presetRange('thisMonth', '2026-03-01')).toEqual({ from: '2026-03-01', to: '2026-03-01' });
    expect(daysInRange(presetRange('last7', '2024-03-01'))).toBe(7);
    expect(daysInRange(presetRange('last30', '2024-03-31'))).toBe(30);
  });

  it('knows today in the business time zone', () => {
    const now = new Date('2026-03-05T23:30:00Z');
    expect(todayIn(now, 'UTC')).toBe('2026-03-05');
    expect(todayIn(now, 'Europe/Madrid')).toBe('2026-03-06');
    expect(todayIn(now, 'America/Los_Angeles')).toBe('2026-03-05');
    expect(isDay(todayIn(now, 'Not/AZone'))).toBe(true);
  });

  it('accepts only real days and ranges the API takes', () => {
    expect(isDay('2024-02-29')).toBe(true);
    expect(isDay('2023-02-29')).toBe(false);
    expect(isDay('2024-2-1')).toBe(false);
    expect(rangeProblem({ from: '2026-03-01', to: '2026-03-31' })).toBeUndefined();
    expect(rangeProblem({ from: '', to: '2026-03-31' })).toBe('Choose a start date.');
    expect(rangeProblem({ from: '2026-03-01', to: '' })).toBe('Choose an end date.');
    expect(rangeProblem({ from: '2026-04-01', to: '2026-03-31' })).toMatch(/must not be after/);
    expect(rangeProblem({ from: '2025-01-01', to: '2026-01-01' })).toBeUndefined(); // 366 days
    expect(rangeProblem({ from: '2025-01-01', to: '2026-01-02' })).toMatch(/at most 366/);
  });

  it('every preset is a range the server contract accepts', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }), fc.constantFrom('last7', 'last30', 'thisMonth'), (d, preset) => {
        const today = d.toISOString().slice(0, 10);
        const r = presetRange(preset, today);
        expect(rangeProblem(r)).toBeUndefined();
        expect(r.to).toBe(today);
        expect(addDays(r.from, daysInRange(r) - 1)).toBe(today);
      }),
    );
  });
});

describe('formatting', () => {
  it('formats durations from milliseconds', () => {
    expect(formatMs(null)).toBe('—');
    expect(formatMs(850)).toBe('850 ms');
    expect(formatMs(4210)).toBe('4.2 s');
    expect(formatMs(42_000)).toBe('42 s');
    expect(formatMs(185_000)).toBe('3 min 5 s');
    expect(formatMs(120_000)).toBe('2 min');
    expect(formatMs(4_800_000)).toBe('1 h 20 min');
    expect(formatMs(3 * 86_400_000 + 2 * 3_600_000)).toBe('3 d 2 h');
  });

  it('formats rates, CSAT and money', () => {
    expect(formatRate(null)).toBe('—');
    expect(formatRate(0.5, 'en-US')).toBe('50%');
    expect(formatRate(0.045, 'en-US')).toBe('4.5%');
    expect(formatRate(1.2, 'en-US')).toBe('100%');
    expect(formatRate(0, 'en-US')).toBe('0%');
    expect(formatCsat(null)).toBe('—');
    expect(formatCsat(4.25, 'en-US')).toBe('4.3 / 5');
    expect(formatCsat(5, 'en-US')).toBe('5.0 / 5');
    expect(formatMoney(4500, 'EUR', 'en-IE')).toBe('€45.00');
    expect(plain(formatMoney(4550, 'EUR', 'es-ES'))).toBe('45,50 €');
    expect(formatMoney(1500, 'JPY', 'en-US')).toBe('¥1,500');
    expect(formatMoney(1234, 'ZZ', 'en-US')).toBe('12.34 ZZ');
  });

  it('makes handoff reasons readable', () => {
    expect(handoffReasonLabel('customer asked for a person')).toBe('Customer asked for a person');
    expect(handoffReasonLabel('low_confidence')).toBe('Low confidence');
    expect(handoffReasonLabel('  ')).toBe('Unknown');
  });
});

describe('CSV file names', () => {
  it('names the export after the business and the range', () => {
    expect(csvFilename({ from: '2026-03-01', to: '2026-03-31' }, 'harbour-dental')).toBe('concierge-analytics-harbour-dental-2026-03-01-to-2026-03-31.csv');
    expect(csvFilename({ from: '2026-03-01', to: '2026-03-31' })).toBe('concierge-analytics-2026-03-01-to-2026-03-31.csv');
    expect(csvFilename({ from: '2026-03-01', to: '2026-03-01' }, '../Évil slug/')).toBe('concierge-analytics-evil-slug-2026-03-01-to-2026-03-01.csv');
  });

  it('reads a safe file name from Content-Disposition', () => {
    expect(filenameFromDisposition('attachment; filename="analytics-2026-03.csv"')).toBe('analytics-2026-03.csv');
    expect(filenameFromDisposition('attachment; filename=report.csv')).toBe('report.csv');
    expect(filenameFromDisposition(`attachment; filename="x.csv"; filename*=UTF-8''an%C3%A1lisis.csv`)).toBeUndefined(); // non-ASCII: our own name instead
    expect(filenameFromDisposition(`attachment; filename*=UTF-8''report%202026.csv`)).toBe('report 2026.csv');
    expect(filenameFromDisposition('attachment; filename="../../etc/passwd"')).toBe('passwd');
    expect(filenameFromDisposition('attachment; filename=".bashrc"')).toBeUndefined();
    expect(filenameFromDisposition('attachment')).toBeUndefined();
    expect(filenameFromDisposition(null)).toBeUndefined();
  });
});

describe('faqIdFor', () => {
  it('slugs the question', () => {
    expect(faqIdFor('Do you take walk-ins?', 'g1')).toBe('do-you-take-walk-ins');
    expect(faqIdFor('¿Aceptan niños pequeños?', 'g1')).toBe('aceptan-ninos-pequenos');
  });

  it('never reuses an existing FAQ id', () => {
    expect(faqIdFor('Parking?', 'g1', ['parking'])).toBe('parking-2');
    expect(faqIdFor('Parking?', 'g1', ['parking', 'parking-2'])).toBe('parking-3');
  });

  it('falls back to the gap id for a question without letters', () => {
    expect(faqIdFor('???', 'Gap_01')).toBe('faq-gap-01');
    expect(faqIdFor('???', '!!!')).toBe('faq');
  });

  it('always gives an id the API accepts, and a new one', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 600 }), fc.string({ maxLength: 80 }), fc.array(fc.string({ maxLength: 70 }), { maxLength: 5 }), (q, gapId, existing) => {
        const id = faqIdFor(q, gapId, existing);
        expect(id).toMatch(FAQ_ID_RE);
        expect(existing).not.toContain(id);
      }),
    );
  });
});

const zeros = emptyDay();

const report = analyticsReportSchema.parse({
  from: '2026-03-01',
  to: '2026-03-02',
  timezone: 'Europe/Madrid',
  currency: 'EUR',
  days: [
    { ...zeros, day: '2026-03-01', conversations: 3, conversationsByChannel: { web: 2, telegram: 1 }, resolvedConfirmed: 1, handoffs: 1 },
    { ...zeros, day: '2026-03-02', conversations: 1, conversationsByChannel: { whatsapp: 1, web: 0 }, resolvedAssumed: 1 },
  ],
  totals: { ...zeros, conversations: 4, handoffs: 1, handoffReasons: { 'customer asked for a person': 1, complaint: 3, none: 0 }, depositsCents: 2500 },
  rates: { resolutionRate: 0.5, handoffRate: 0.25, avgFirstResponseMs: 900, avgResponseMs: null, avgHumanAcceptMs: null, csatAverage: null },
  topQuestions: [{ sourceId: 'parking', title: 'Do you have parking?', count: 2 }],
});

describe('chart rows', () => {
  it('stacks conversations by channel, known channels first', () => {
    expect(channelsIn(report.days)).toEqual([
      { key: 'web', label: 'Web chat' },
      { key: 'whatsapp', label: 'WhatsApp' },
      { key: 'telegram', label: 'telegram' },
    ]);
    expect(channelRows(report.days, 'en-US')).toEqual([
      { day: '2026-03-01', label: 'Mar 1', web: 2, whatsapp: 0, telegram: 1 },
      { day: '2026-03-02', label: 'Mar 2', web: 0, whatsapp: 1, telegram: 0 },
    ]);
  });

  it('gives outcomes per day and reasons most frequent first', () => {
    expect(outcomeRows(report.days, 'en-US').map((r) => [r.label, r.confirmed, r.assumed, r.handoffs])).toEqual([
      ['Mar 1', 1, 0, 1],
      ['Mar 2', 0, 1, 0],
    ]);
    expect(reasonRows(report.totals.handoffReasons)).toEqual([
      { reason: 'complaint', label: 'Complaint', count: 3 },
      { reason: 'customer asked for a person', label: 'Customer asked for a person', count: 1 },
    ]);
  });
});

describe('analyticsApi', () => {
  interface Call {
    readonly url: string;
    readonly init: RequestInit | undefined;
  }
  function setup(responses: Response[]) {
    const calls: Call[] = [];
    const fetchFn: FetchLike = async (url, init) => {
      calls.push({ url, init });
      const next = responses.shift();
      if (next === undefined) throw new Error('no more responses');
      return next;
    };
    const api = createApiClient({ apiUrl: 'https://api.example.com/prod', fetch: fetchFn, getIdToken: async () => 'token-1' });
    return { analytics: analyticsApi(api, { apiUrl: 'https://api.example.com/prod', fetch: fetchFn }), knowledge: knowledgeItemsApi(api), calls };
  }
  const json = (body: unknown, status = 200): Response => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

  it('decodes exactly what the server contract produces', async () => {
    expect(analyticsReportDecoder(JSON.parse(JSON.stringify(report)))).toEqual(report);
    const { analytics, calls } = setup([json(report)]);
    await expect(analytics.report({ from: '2026-03-01', to: '2026-03-02' })).resolves.toEqual(report);
    expect(calls[0]?.url).toBe('https://api.example.com/prod/v1/admin/analytics?from=2026-03-01&to=2026-03-02');
  });

  it('asks for no range on first load, so the server picks the last 7 days in the business time zone', async () => {
    const { analytics, calls } = setup([json(report)]);
    await expect(analytics.report(undefined)).resolves.toEqual(report);
    expect(calls[0]?.url).toBe('https://api.example.com/prod/v1/admin/analytics');
  });

  it('refuses a report that breaks the contract, naming the field', async () => {
    const { analytics } = setup([json({ ...report, rates: { ...report.rates, handoffRate: 'high' } })]);
    await expect(analytics.report({ from: '2026-03-01', to: '2026-03-02' })).rejects.toThrow(/rates\.handoffRate/);
  });

  it('lists gaps, adds the FAQ (only if its id is free) and resolves the gap with it', async () => {
    const gaps = knowledgeGapListSchema.parse({
      items: [{ gapId: 'g1', question: 'Do you take walk-ins?', lang: 'en', count: 2, firstAskedAt: '2026-03-01T10:00:00Z', lastAskedAt: '2026-03-02T10:00:00Z', conversationIds: ['c1'] }],
    });
    const faq = { id: 'do-you-take-walk-ins', question: 'Do you take walk-ins?', answer: 'Yes.', category: 'Customer questions' };
    const etag = `"${'e'.repeat(27)}"`;
    const { analytics, knowledge, calls } = setup([json(gaps), json({ faq, created: true, kbVersion: 3, etag }, 201), json({ gap: { gapId: 'g1' } })]);
    await expect(analytics.gaps()).resolves.toEqual(gaps.items);
    await expect(knowledge.saveFaq(faq.id, { question: faq.question, answer: faq.answer, category: faq.category }, { create: true })).resolves.toEqual({ faq, created: true, kbVersion: 3, etag });
    await analytics.resolveGap('g/1', { faqId: faq.id });
    expect(calls.map((c) => `${c.init?.method} ${c.url.replace('https://api.example.com/prod', '')}`)).toEqual([
      'GET /v1/admin/analytics/gaps',
      'PUT /v1/admin/knowledge/faqs/do-you-take-walk-ins',
      'POST /v1/admin/analytics/gaps/g%2F1/resolve',
    ]);
    expect(JSON.parse(String(calls[1]?.init?.body))).toEqual({ question: faq.question, answer: faq.answer, category: faq.category });
    expect(calls[1]?.init?.headers).toEqual(expect.objectContaining({ 'If-None-Match': '*', Authorization: 'Bearer token-1' }));
    expect(JSON.parse(String(calls[2]?.init?.body))).toEqual({ faqId: faq.id });
  });

  it('downloads the CSV with the bearer token and the server-given file name', async () => {
    const csv = 'day,conversations\n2026-03-01,3\n';
    const { analytics, calls } = setup([
      new Response(csv, { status: 200, headers: { 'Content-Type': 'text/csv', 'Content-Disposition': 'attachment; filename="analytics-2026-03-01-2026-03-02.csv"' } }),
      new Response(csv, { status: 200, headers: { 'Content-Type': 'text/csv' } }),
      json({ error: { code: 'bad_request', message: 'must be a day as YYYY-MM-DD', field: 'from' } }, 400),
    ]);
    const first = await analytics.exportCsv({ from: '2026-03-01', to: '2026-03-02' });
    expect(first.filename).toBe('analytics-2026-03-01-2026-03-02.csv');
    expect(await first.blob.text()).toBe(csv);
    expect(calls[0]?.url).toBe('https://api.example.com/prod/v1/admin/analytics/export?from=2026-03-01&to=2026-03-02');
    expect(calls[0]?.init?.headers).toMatchObject({ Authorization: 'Bearer token-1' });
    const second = await analytics.exportCsv({ from: '2026-03-01', to: '2026-03-02' }, { businessSlug: 'luna' });
    expect(second.filename).toBe('concierge-analytics-luna-2026-03-01-to-2026-03-02.csv');
    const failure = analytics.exportCsv({ from: 'x', to: '2026-03-02' });
    await expect(failure).rejects.toBeInstanceOf(ApiError);
    await expect(failure).rejects.toMatchObject({ status: 400, field: 'from' });
  });
});

describe('adding an FAQ from an unanswered question', () => {
  const input = { question: 'Do you treat dogs?', answer: 'No, only people.', category: 'Customer questions' };
  function ports(failResolveOnce: boolean) {
    const faqs = ['parking'];
    const resolved: [string, string][] = [];
    let resolveFails = failResolveOnce;
    const p: AddFaqPorts = {
      takenIds: async () => [...faqs],
      createFaq: async (faqId) => {
        if (faqs.includes(faqId)) throw new Error('taken');
        faqs.push(faqId);
      },
      resolveGap: async (gapId, faqId) => {
        if (resolveFails) {
          resolveFails = false;
          throw new Error('network');
        }
        resolved.push([gapId, faqId]);
      },
      isEditConflict: (err) => err instanceof Error && err.message === 'taken',
    };
    return { p, faqs, resolved };
  }

  it('creates the FAQ once when marking the gap failed and the admin tries again', async () => {
    const { p, faqs, resolved } = ports(true);
    const created = new Map<string, string>();
    await expect(addFaqForGap(p, 'gap-1', input, created)).rejects.toThrow('network');
    const faqId = await addFaqForGap(p, 'gap-1', input, created);
    expect(faqs).toEqual(['parking', faqId]);
    expect(resolved).toEqual([['gap-1', faqId]]);
  });

  it('takes the next free id when the first is taken meanwhile', async () => {
    const { p, faqs } = ports(false);
    const first = faqIdFor(input.question, 'gap-2', ['parking']);
    faqs.push(first);
    const p2: AddFaqPorts = { ...p, takenIds: async () => ['parking'] };
    const faqId = await addFaqForGap(p2, 'gap-2', input, new Map());
    expect(faqId).not.toBe(first);
    expect(faqs).toEqual(['parking', first, faqId]);
  });
});
