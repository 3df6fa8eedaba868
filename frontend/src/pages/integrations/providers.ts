/**
 * What the Channels & integrations page shows per provider: its name, what it is for, and the form's fields
 * (secret ones are password inputs, never pre-filled; the rest start as saved). Pure data and functions, tested without a browser.
 */
import type { IntegrationSummary, Provider } from './integrations-api';

export interface FieldSpec {
  readonly name: string;
  readonly label: string;
  /** A secret: a password input, never shown again. */
  readonly secret: boolean;
  readonly required: boolean;
  readonly hint?: string;
  /** Nested under this object in the body (Twilio's `templates`). */
  readonly group?: string;
  readonly type?: 'text' | 'url' | 'tel';
}

export interface ProviderSpec {
  readonly provider: Provider;
  readonly title: string;
  readonly purpose: string;
  readonly fields: readonly FieldSpec[];
}

const sid = (name: string, label: string): FieldSpec => ({ name, label, secret: false, required: false, group: 'templates', hint: 'Content SID (HX…)' });

export const providerSpecs: readonly ProviderSpec[] = [
  {
    provider: 'stripe',
    title: 'Stripe',
    purpose: 'Deposits through Stripe Checkout, and the webhook that confirms them.',
    fields: [
      { name: 'secretKey', label: 'Secret key', secret: true, required: true, hint: 'sk_test_…, sk_live_… or a restricted key rk_…' },
      { name: 'webhookSecret', label: 'Webhook signing secret', secret: true, required: true, hint: 'whsec_… of the endpoint /v1/webhooks/stripe/<your tenant>' },
    ],
  },
  {
    provider: 'twilio',
    title: 'Twilio (SMS and WhatsApp)',
    purpose: 'Customers write to you by SMS and WhatsApp; the concierge answers from your numbers.',
    fields: [
      { name: 'accountSid', label: 'Account SID', secret: false, required: true, hint: 'AC followed by 32 hex characters' },
      { name: 'authToken', label: 'Auth token', secret: true, required: true },
      { name: 'smsFrom', label: 'SMS sender number', secret: false, required: false, type: 'tel', hint: 'E.164, such as +353861234567' },
      { name: 'whatsappFrom', label: 'WhatsApp sender number', secret: false, required: false, type: 'tel', hint: 'E.164, without whatsapp:' },
      sid('reminder', 'WhatsApp template: reminder'),
      sid('csat', 'WhatsApp template: satisfaction question'),
      sid('followUp', 'WhatsApp template: follow-up'),
      sid('bookingUpdate', 'WhatsApp template: booking update'),
    ],
  },
  {
    provider: 'meta',
    title: 'Messenger (Meta)',
    purpose: 'Customers write to your Facebook Page on Messenger.',
    fields: [
      { name: 'pageId', label: 'Page id', secret: false, required: true, hint: 'The numeric id of your Facebook Page' },
      { name: 'pageAccessToken', label: 'Page access token', secret: true, required: true },
      { name: 'appSecret', label: 'App secret', secret: true, required: true, hint: '32 hex characters' },
      { name: 'verifyToken', label: 'Verify token', secret: true, required: true, hint: '8-128 characters you choose; Meta sends it back when you subscribe' },
    ],
  },
  {
    provider: 'google',
    title: 'Google Calendar',
    purpose: 'Confirmed bookings appear in your Google calendar.',
    fields: [
      { name: 'calendarId', label: 'Calendar id', secret: false, required: true, hint: 'An address, or primary' },
      { name: 'accessToken', label: 'OAuth access token', secret: true, required: true },
    ],
  },
  {
    provider: 'microsoft',
    title: 'Outlook (Microsoft 365)',
    purpose: 'Confirmed bookings appear in an Outlook calendar.',
    fields: [
      { name: 'user', label: 'Mailbox', secret: false, required: true, hint: 'User principal name or id' },
      { name: 'accessToken', label: 'Access token (Calendars.ReadWrite)', secret: true, required: true },
    ],
  },
  {
    provider: 'calendly',
    title: 'Calendly',
    purpose: 'Confirmed bookings become invitees of a Calendly event type.',
    fields: [
      { name: 'token', label: 'Personal access token', secret: true, required: true },
      { name: 'eventTypeUri', label: 'Event type URI', secret: false, required: true, type: 'url', hint: 'https://api.calendly.com/event_types/…' },
    ],
  },
  {
    provider: 'hubspot',
    title: 'HubSpot CRM',
    purpose: 'New customers and new bookings create or update the contact in HubSpot (by e-mail, else by phone).',
    fields: [
      {
        name: 'accessToken',
        label: 'Private app access token',
        secret: true,
        required: true,
        hint: 'pat-…, from a private app with the crm.objects.contacts.read and .write scopes',
      },
    ],
  },
];

/** "configured · test · …1234" for Stripe; the hints in order for the others (not each template's SID). */
export function statusLine(summary: IntegrationSummary | undefined): string {
  if (summary === undefined) return 'not configured';
  const h = summary.hints;
  const parts =
    summary.provider === 'stripe'
      ? [h['mode'], h['keyLast4'] !== undefined ? `…${h['keyLast4']}` : undefined]
      : Object.entries(h)
          .filter(([key]) => !key.includes('.'))
          .map(([, value]) => value);
  return ['configured', ...parts.filter((p): p is string => p !== undefined && p !== '')].join(' · ');
}

/**
 * The body for a provider from the form's values: trimmed, empty optional fields left out, grouped fields
 * nested. The server validates it and names the failing field.
 */
export function bodyFrom(spec: ProviderSpec, values: Readonly<Record<string, string>>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const groups: Record<string, Record<string, string>> = {};
  for (const field of spec.fields) {
    const value = (values[field.name] ?? '').trim();
    if (value === '' && !field.required) continue;
    if (field.group !== undefined) (groups[field.group] ??= {})[field.name] = value;
    else body[field.name] = value;
  }
  for (const [group, inner] of Object.entries(groups)) body[group] = inner;
  return body;
}

/**
 * The form's starting values when credentials are stored: every non-secret field as saved (sender numbers, template
 * SIDs, page id…), from the summary's hints, so replacing a token does not drop them. Secrets start empty.
 */
export function prefillFrom(spec: ProviderSpec, summary: IntegrationSummary | undefined): Record<string, string> {
  const values: Record<string, string> = {};
  if (summary === undefined) return values;
  for (const field of spec.fields) {
    if (field.secret) continue;
    const saved = summary.hints[field.group !== undefined ? `${field.group}.${field.name}` : field.name];
    if (saved !== undefined) values[field.name] = saved;
  }
  return values;
}

/**
 * Templates the summary names as set but without their SID (credentials saved before summaries gave it): the form
 * cannot start with them, so saving it without typing them again removes them.
 */
export function templatesToRetype(summary: IntegrationSummary | undefined): string[] {
  const named = summary?.hints['templates'];
  if (named === undefined || summary === undefined) return [];
  return named
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '' && summary.hints[`templates.${t}`] === undefined);
}
