/**
 * HubSpot, the first native CRM sync: a tenant that stored a `hubspot` integration (a private app's access
 * token with `crm.objects.contacts.write` and `.read`) gets its customers upserted as HubSpot contacts on
 * customer.created and booking.created (core/webhooks/service.ts).
 *
 * With an e-mail: one `POST /crm/v3/objects/contacts/batch/upsert` with `idProperty: email` (HubSpot's unique
 * contact key). With only a phone (phone is not a unique property in HubSpot): search by `phone`, then update the
 * contact found or create one. 429 and 5xx are retried by the caller (DeliveryError, Retry-After honoured), any
 * other 4xx is a permanent failure recorded in the dead-letter view (target `hubspot`). The token is sent only as
 * a bearer header and never logged; the base URL is configurable (HUBSPOT_API_BASE) so tests use a local server.
 */
import { DeliveryError } from '../../core/channels/outbound';
import type { CrmContact } from '../../core/webhooks/events';
import type { CrmSync, HttpAnswer } from '../../core/webhooks/service';
import { retryAfterMs } from '../channels/http';
import { postRaw } from './http';
import { z } from 'zod';

export const HUBSPOT_API_BASE = 'https://api.hubapi.com';
const TIMEOUT_MS = 10_000;

const searchAnswer = z.object({ results: z.array(z.object({ id: z.string() })).default([]) });

/** HubSpot contact properties of a contact (only what we know). */
export function hubspotProperties(contact: CrmContact): Record<string, string> {
  return {
    ...(contact.email ? { email: contact.email } : {}),
    ...(contact.phone ? { phone: contact.phone } : {}),
    ...(contact.firstName ? { firstname: contact.firstName } : {}),
    ...(contact.lastName ? { lastname: contact.lastName } : {}),
  };
}

export class HubSpotContacts implements CrmSync {
  readonly target = 'hubspot' as const;

  constructor(
    private readonly token: (tenantId: string) => Promise<string | undefined>,
    private readonly baseUrl: string = HUBSPOT_API_BASE,
  ) {}

  private async call(tenantId: string, method: 'POST' | 'PATCH', path: string, body: unknown): Promise<HttpAnswer & { readonly json: unknown }> {
    const token = await this.token(tenantId);
    if (!token) throw new DeliveryError(true, 'not_connected', 'HubSpot is not connected');
    const answer = await postRaw(`${this.baseUrl.replace(/\/$/, '')}${path}`, JSON.stringify(body), { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' }, { timeoutMs: TIMEOUT_MS, method });
    if (answer.status >= 200 && answer.status <= 299) {
      let json: unknown;
      try {
        json = answer.text ? JSON.parse(answer.text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: answer.status, ms: answer.ms, json };
    }
    const retryable = answer.status === 429 || answer.status >= 500;
    // HubSpot's error `category` (VALIDATION_ERROR, INVALID_AUTHENTICATION…) names the problem without data.
    const category = z.object({ category: z.string().regex(/^[A-Z_]{1,64}$/) }).safeParse(safeJson(answer.text)).data?.category;
    throw new DeliveryError(!retryable, `http_${answer.status}`, `HubSpot answered HTTP ${answer.status}${category ? ` (${category})` : ''}`, retryable ? retryAfterMs(answer.retryAfter ?? null) : undefined);
  }

  async upsertContact(tenantId: string, contact: CrmContact): Promise<HttpAnswer> {
    const properties = hubspotProperties(contact);
    if (contact.email) {
      return this.call(tenantId, 'POST', '/crm/v3/objects/contacts/batch/upsert', { inputs: [{ id: contact.email, idProperty: 'email', properties }] });
    }
    if (!contact.phone) throw new DeliveryError(true, 'no_contact', 'the customer has neither an e-mail nor a phone');
    const search = await this.call(tenantId, 'POST', '/crm/v3/objects/contacts/search', {
      filterGroups: [{ filters: [{ propertyName: 'phone', operator: 'EQ', value: contact.phone }] }],
      properties: ['phone'],
      limit: 1,
    });
    const found = searchAnswer.safeParse(search.json).data?.results[0];
    const written = found
      ? await this.call(tenantId, 'PATCH', `/crm/v3/objects/contacts/${encodeURIComponent(found.id)}`, { properties })
      : await this.call(tenantId, 'POST', '/crm/v3/objects/contacts', { properties });
    return { status: written.status, ms: search.ms + written.ms };
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
