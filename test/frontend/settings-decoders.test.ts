/**
 * The admin UI decodes every answer with decoders that keep only the fields they name (frontend/src/lib/decode.ts),
 * and several pages write back, whole, what they read: a PUT replaces the object, so a field of the server's schema
 * that the decoder (or the body the page builds) lacks is erased by every save, and an enum value it refuses makes
 * the page fail to load. As test/frontend/knowledge-decoder.test.ts does for the knowledge base, each test here
 * builds a value with EVERY field of the server's zod schema (checked by that schema; its keys compared to the
 * schema's `.shape`, so a field the server gains fails the test until the UI keeps it too) and checks that the UI
 * returns it unchanged.
 *
 * - booking settings: Services & hours reads GET /v1/admin/booking-settings and PUTs the edited object back;
 * - handoff settings: Handoff settings reads GET /v1/admin/handoff-settings and PUTs `{ slaSeconds, cannedReplies }`;
 * - privacy settings: Customers PUTs `{ retentionDays }`;
 * - widget settings: Widget reads GET /v1/admin/widget and PUTs every setting (`inputOf(draftOf(...))`);
 * - FAQs and documents: an item PUT replaces the item with the fields the editor sends;
 * - integrations: a PUT replaces the provider's credentials with the fields of the page's form.
 */
import { createApiClient, type FetchLike } from '../../frontend/src/api/client';
import { bookingExceptionDecoder, bookingSettingsDecoder, bookingsApi } from '../../frontend/src/api/bookings';
import { faqDecoder, handoffSettingsDecoder, kbDocumentDecoder } from '../../frontend/src/api/types';
import { privacySettingsDecoder } from '../../frontend/src/pages/customers/privacy-api';
import { bodyFrom, providerSpecs } from '../../frontend/src/pages/integrations/providers';
import { knowledgeItemsApi, type FaqInput } from '../../frontend/src/pages/knowledge/knowledge-api';
import { widgetApi, widgetSettingsDecoder } from '../../frontend/src/pages/widget/widget-api';
import { draftOf, inputOf } from '../../frontend/src/pages/widget/widget-draft';
import { bookingExceptionSchema, bookingSettingsSchema, type BookingSettings } from '../../lambdas/core/booking/ports';
import { cannedReplySchema, handoffSettingsSchema, type HandoffSettings } from '../../lambdas/core/handoff-ports';
import { integrationSchemas } from '../../lambdas/core/integrations';
import { documentSchema, faqSchema } from '../../lambdas/core/knowledge-base';
import { documentBodySchema, faqBodySchema } from '../../lambdas/core/knowledge-items';
import type { TenantProfile } from '../../lambdas/core/ports';
import { privacySettingsSchema, type PrivacySettings } from '../../lambdas/core/privacy/settings';
import { putWidgetSettings, widgetSettingsBodySchema, widgetSettingsView, type WidgetSettingsStore } from '../../lambdas/core/widget-settings';

const keys = (value: object | undefined): string[] => Object.keys(value ?? {}).sort();
const shapeKeys = (schema: { shape: Record<string, unknown> }): string[] => Object.keys(schema.shape).sort();
/** As the value travels: JSON, so `undefined` fields are absent as on the wire. */
const wire = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** An admin API client over a fake server: GET answers `stored`; PUT keeps the body it got and answers `answer(body)`. */
function fakeServer(stored: unknown, answer: (body: unknown) => unknown = (body) => body) {
  const sent: unknown[] = [];
  const fetchFn: FetchLike = async (_url, init) => {
    const method = init?.method ?? 'GET';
    let reply: unknown = stored;
    if (method !== 'GET') {
      const body: unknown = JSON.parse(String(init?.body));
      sent.push(body);
      reply = answer(body);
    }
    return new Response(JSON.stringify(reply), { status: 200, headers: { 'Content-Type': 'application/json' } });
  };
  return { api: createApiClient({ apiUrl: 'https://api.example.com/prod', fetch: fetchFn, getIdToken: async () => 't' }), sent };
}

describe('booking settings (Services & hours: GET, edit, PUT the whole object)', () => {
  /** Every field, both kinds of exception: one staff member's changed hours, and the business closed all day. */
  const settings: BookingSettings = {
    slotStepMinutes: 15,
    minNoticeMinutes: 120,
    maxDaysAhead: 90,
    holdMinutes: 15,
    paymentTimeoutMinutes: 45,
    cancellationNoticeHours: 48,
    refundDepositOnCancel: false,
    reminderHoursBefore: 2,
    bufferMinutes: { extraction: 15, cleaning: 10 },
    exceptions: [
      { id: 'ana-summer', from: '2026-08-03', to: '2026-08-07', staffId: 'ana', open: '09:00', close: '13:00', reason: 'Summer hours' },
      { id: 'christmas', from: '2026-12-24', to: '2026-12-26', reason: 'Christmas' },
    ],
  };

  it('is given settings with every field of the schema', () => {
    expect(bookingSettingsSchema.parse(settings)).toEqual(settings);
    expect(keys(settings)).toEqual(shapeKeys(bookingSettingsSchema));
    expect(keys(settings.exceptions[0])).toEqual(shapeKeys(bookingExceptionSchema));
  });

  it('keeps every field, so saving the page does not erase one', async () => {
    expect(bookingSettingsDecoder(wire(settings))).toEqual(settings);
    for (const exception of settings.exceptions) expect(bookingExceptionDecoder(wire(exception))).toEqual(exception);
    // What the page does: read, then write back what it read (its edits only change the fields they name).
    const server = fakeServer(settings);
    const bookings = bookingsApi(server.api);
    const stored = await bookings.putSettings(await bookings.getSettings());
    expect(server.sent).toEqual([settings]);
    expect(stored).toEqual(settings);
  });
});

describe('handoff settings (Handoff settings page: GET, edit, PUT { slaSeconds, cannedReplies })', () => {
  const settings: HandoffSettings = {
    slaSeconds: 180,
    cannedReplies: [{ id: 'one-moment', title: 'One moment', text: 'One moment please, I am checking that for you.' }],
  };

  it('is given settings with every field of the schema', () => {
    expect(handoffSettingsSchema.parse(settings)).toEqual(settings);
    expect(keys(settings)).toEqual(shapeKeys(handoffSettingsSchema));
    expect(keys(settings.cannedReplies[0])).toEqual(shapeKeys(cannedReplySchema));
  });

  it('keeps every field (the page sends slaSeconds and each reply’s id, title and text back: a new field needs adding there too)', () => {
    expect(handoffSettingsDecoder(wire(settings))).toEqual(settings);
  });
});

describe('privacy settings (Customers page: PUT { retentionDays })', () => {
  const periods: PrivacySettings[] = [{ retentionDays: 365 }, { retentionDays: null }];

  it('are the one field the page sends', () => {
    for (const settings of periods) {
      expect(privacySettingsSchema.parse(settings)).toEqual(settings);
      expect(keys(settings)).toEqual(shapeKeys(privacySettingsSchema));
    }
  });

  it('keep every field, null (keep conversations) included', () => {
    for (const settings of periods) expect(privacySettingsDecoder(wire(settings))).toEqual(settings);
  });
});

describe('widget settings (Widget page: GET, edit, PUT every setting with the revision)', () => {
  /** A profile with every widget setting: both greetings, a logo; the environment names the widget's host. */
  const profile: TenantProfile = {
    tenantId: 'tenant-1',
    name: 'Harbour Dental',
    slug: 'harbour-dental',
    timezone: 'Europe/Dublin',
    languages: ['en', 'es'],
    widgetKey: 'wk_0123456789abcdef',
    allowedOrigins: ['https://www.harbour-dental.ie', 'http://localhost:5173'],
    theme: {
      colour: '#0f766e',
      position: 'left',
      greeting: { en: 'Hi! How can we help?', es: '¡Hola! ¿En qué podemos ayudarle?' },
      logoUrl: 'https://www.harbour-dental.ie/logo.png',
    },
    kbVersion: 7,
  };
  const loaderUrl = 'https://widget.example.com/loader.js';
  const view = wire(widgetSettingsView(profile, loaderUrl));

  it('is given settings with every field the server answers and takes', () => {
    expect(keys(view)).toEqual(['allowedOrigins', 'colour', 'greeting', 'languages', 'loaderUrl', 'logoUrl', 'position', 'revision', 'snippet', 'supportedLanguages', 'widgetKey']);
    expect(keys(view.greeting)).toEqual(shapeKeys(widgetSettingsBodySchema.shape.greeting));
    for (const key of shapeKeys(widgetSettingsBodySchema)) expect([key, key in view]).toEqual([key, true]);
  });

  it('keeps every field, and a save of the unedited page sends every setting and changes nothing', async () => {
    const decoded = widgetSettingsDecoder(view);
    expect(decoded).toEqual(view);

    const input = wire(inputOf(draftOf(decoded), decoded.revision));
    expect(keys(input)).toEqual(shapeKeys(widgetSettingsBodySchema));
    const body = widgetSettingsBodySchema.parse(input);
    for (const key of shapeKeys(widgetSettingsBodySchema)) expect([key, input[key as keyof typeof input]]).toEqual([key, view[key as keyof typeof view]]);

    let written: unknown;
    const store: WidgetSettingsStore = {
      getProfileConsistent: async () => profile,
      replaceWidgetSettings: async (_tenantId, _expected, next) => {
        written = next;
        return true;
      },
    };
    expect(wire(await putWidgetSettings(store, profile.tenantId, body, loaderUrl))).toEqual(view);
    expect(written).toEqual({ theme: profile.theme, languages: profile.languages, allowedOrigins: profile.allowedOrigins });

    // Through the client, as the page calls it.
    const server = fakeServer(view, () => view);
    const widget = widgetApi(server.api);
    const loaded = await widget.get();
    await expect(widget.put(inputOf(draftOf(loaded), loaded.revision))).resolves.toEqual(view);
    expect(server.sent).toEqual([input]);
  });
});

describe('FAQs and documents (an item PUT replaces the item with what the editor sends)', () => {
  /** What the FAQ editor and "add as another wording" (analytics) send: every field of FaqInput. */
  const input: Required<FaqInput> = { question: 'Where do I park?', answer: 'In the square behind the clinic.', category: 'Visiting', alternatives: ['is there parking'] };
  const faq = { id: 'parking', ...input };
  const document = { id: 'aftercare', title: 'Aftercare', format: 'text' as const, text: 'Rest for a day after an extraction.' };
  const etag = `"${'a'.repeat(27)}"`;

  it('an FAQ editor sends every field of the body schema', () => {
    expect(faqBodySchema.parse(input)).toEqual(input);
    expect(keys(input)).toEqual(shapeKeys(faqBodySchema));
    expect(keys(faq)).toEqual(shapeKeys(faqSchema));
  });

  it('an FAQ opened for editing keeps every field', async () => {
    expect(faqDecoder(wire(faq))).toEqual(faq);
    const items = knowledgeItemsApi(fakeServer({ faq, etag }).api);
    await expect(items.getFaq('parking')).resolves.toEqual({ faq, etag });
  });

  it('a document is its title and text, which is what the editor sends (as text, Markdown or a PDF)', async () => {
    expect(keys(document)).toEqual(shapeKeys(documentSchema));
    expect(documentBodySchema.safeParse({ title: document.title, format: document.format, text: document.text }).success).toBe(true);
    expect(kbDocumentDecoder(wire(document))).toEqual(document);
    const items = knowledgeItemsApi(fakeServer({ document, etag }).api);
    await expect(items.getDocument('aftercare')).resolves.toEqual({ document, etag });
  });
});

describe('integrations (a PUT replaces the credentials with the fields of the page’s form)', () => {
  /** A valid value of every field of every provider's form. */
  const values: Readonly<Record<string, Readonly<Record<string, string>>>> = {
    stripe: { secretKey: 'sk_test_51Habc', webhookSecret: 'whsec_abc123' },
    twilio: {
      accountSid: `AC${'a1'.repeat(16)}`,
      authToken: 'b2'.repeat(16),
      smsFrom: '+353861234567',
      whatsappFrom: '+353861234568',
      reminder: `HX${'c3'.repeat(16)}`,
      csat: `HX${'d4'.repeat(16)}`,
      followUp: `HX${'e5'.repeat(16)}`,
      bookingUpdate: `HX${'f6'.repeat(16)}`,
    },
    meta: { pageId: '1234567890', pageAccessToken: 'EAAGm0PX4ZCpsBA', appSecret: '0a'.repeat(16), verifyToken: 'verify-me-123' },
    google: { calendarId: 'primary', accessToken: 'ya29.a0AfH6SM' },
    microsoft: { user: 'front-desk@harbour-dental.ie', accessToken: 'eyJ0eXAiOiJKV1Qi' },
    calendly: { token: 'eyJraWQiOiIxY2UxZTEzNjE3ZGNmNzY2YjNjZWJjY2Y4ZGM1YmFmYThhNjVlNjg0MDIzZjdjMzJiZTgzNDliMjM4MDEzNWI0IiwidHlwIjoiUEFUIn0', eventTypeUri: 'https://api.calendly.com/event_types/AAAA' },
    hubspot: { accessToken: 'pat-eu1-0123456789abcdef0123' },
  };

  it('has a form for every provider the server takes', () => {
    expect(providerSpecs.map((s) => s.provider).sort()).toEqual(Object.keys(integrationSchemas).sort());
  });

  it.each(providerSpecs.map((spec) => [spec.provider, spec] as const))('%s: the form has every field of the server’s schema', (provider, spec) => {
    const schema = integrationSchemas[provider];
    const body = bodyFrom(spec, values[provider] ?? {});
    expect(schema.parse(body)).toEqual(body);
    expect(keys(body)).toEqual(shapeKeys(schema));
    if (provider === 'twilio') expect(keys(body['templates'] as object)).toEqual(shapeKeys(integrationSchemas.twilio.shape.templates.unwrap()));
  });
});
