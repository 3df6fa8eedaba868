/**
 * Admin REST routes of privacy (core/privacy): the tenant's retention period, and data requests about one
 * customer — what we hold, a subject-access export (a JSON download), erasure. The tenant always comes from the
 * verified token; the customer is named in the path (`phone:+34…`, `email:…`, or a channel identity such as
 * `whatsapp:+34…` / `web:<visitorId>`, URL-encoded). Look-ups, exports and erasures are recorded in the audit log
 * under a hash of the customer key, never the key.
 */
import { z } from 'zod';
import { privacyStore, store, subjectAccessDeps } from '../adapters/container';
import { CachedCatalogue } from '../core/nlu/catalogue';
import { businessCountryOf, type CountryCode } from '../core/phone';
import { badRequest, unauthorized } from '../core/errors';
import { customerRefOf, parseCustomerName } from '../core/privacy/customer';
import { getPrivacySettings, putPrivacySettings } from '../core/privacy/settings';
import { customerSummary, eraseCustomer, exportCustomer } from '../core/privacy/subject-access';
import { restApi, type RestRequest, type RestResult, type StaffCaller } from './lib/rest';

function callerOf(request: RestRequest): StaffCaller {
  if (!request.caller) throw unauthorized('sign in to use this route');
  return request.caller;
}

const customerPath = z.object({ customerKey: z.string().min(1, 'must name a customer').max(600, 'is too long') });
const eraseBody = z.strictObject({ confirm: z.string().max(600) }, { error: 'send { "confirm": "<the customer key>" } to erase' });

let catalogues: CachedCatalogue | undefined;

/** The country a `phone:` number without its country code is read in: the business's, as its bookings were (core/phone.ts). */
async function countryOf(tenantId: string, value: string): Promise<CountryCode | undefined> {
  if (!/^phone:/i.test(value.trim())) return undefined;
  catalogues ??= new CachedCatalogue(store());
  const catalogue = await catalogues.catalogue(tenantId);
  return catalogue ? businessCountryOf(catalogue.business) : undefined;
}

/** The path's customer, decoded once more if a client encoded it twice over (API Gateway decodes once). */
async function customerOf(request: RestRequest, tenantId: string) {
  const { customerKey: raw } = customerPath.parse(request.path);
  let value = raw;
  if (!value.includes(':') && /%[0-9A-Fa-f]{2}/.test(value)) {
    try {
      value = decodeURIComponent(value);
    } catch {
      throw badRequest('is not a valid URL-encoded customer key', 'customerKey');
    }
  }
  return { value, name: parseCustomerName(value, 'customerKey', await countryOf(tenantId, value)) };
}

function privacyDeps() {
  return { settings: privacyStore(), events: subjectAccessDeps().events };
}

export const handler = restApi('privacyApi', {
  getPrivacySettings: async (request) => ({ body: await getPrivacySettings(privacyDeps(), callerOf(request).tenantId) }),
  putPrivacySettings: async (request) => {
    const caller = callerOf(request);
    const before = await getPrivacySettings(privacyDeps(), caller.tenantId);
    const { settings } = await putPrivacySettings(privacyDeps(), caller.tenantId, caller.sub, request.body);
    const result: RestResult = {
      body: settings,
      audit: { action: 'privacy.retention', target: 'privacy-settings', before, after: settings },
    };
    return result;
  },
  getCustomer: async (request) => {
    const caller = callerOf(request);
    const { summary, audit } = await customerSummary(subjectAccessDeps(), caller.tenantId, (await customerOf(request, caller.tenantId)).name);
    // A GET that is recorded: whoever looks a customer up sees their identities.
    const result: RestResult = { body: summary, audit };
    return result;
  },
  exportCustomer: async (request) => {
    const caller = callerOf(request);
    const { customerKey, document, audit } = await exportCustomer(subjectAccessDeps(), caller.tenantId, (await customerOf(request, caller.tenantId)).name);
    const result: RestResult = {
      body: document,
      headers: { 'content-disposition': `attachment; filename="customer-${customerRefOf(customerKey).slice(0, 12)}.json"` },
      // A GET that is recorded: whoever downloads a customer's data is in the audit log.
      audit,
    };
    return result;
  },
  eraseCustomer: async (request) => {
    const caller = callerOf(request);
    const { value, name } = await customerOf(request, caller.tenantId);
    const body = eraseBody.parse(request.body ?? null);
    if (body.confirm !== value) throw badRequest(`must repeat the customer exactly as in the path (${value.length} characters) to confirm the erasure`, 'confirm');
    const erased = await eraseCustomer(subjectAccessDeps(), caller.tenantId, name, caller.sub);
    const result: RestResult = {
      body: { customerRef: erased.customerRef, erased: erased.erased, counts: erased.counts },
      audit: erased.audit,
    };
    return result;
  },
});
