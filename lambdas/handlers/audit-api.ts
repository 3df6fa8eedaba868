/**
 * Admin REST route of the audit log: entries newest first, filtered by actor (sub or e-mail), action (a name or
 * its beginning) and time, paged with a cursor. Read only: no route updates or deletes an entry, and the
 * function's grant is table:read. The tenant comes from the token only.
 */
import { auditLog } from '../adapters/container';
import { auditQueryOf } from '../core/audit';
import { unauthorized } from '../core/errors';
import { restApi, type RestRequest } from './lib/rest';

function tenantOf(request: RestRequest): string {
  if (!request.caller) throw unauthorized('sign in to use this route');
  return request.caller.tenantId;
}

export const handler = restApi('auditApi', {
  listAuditEntries: async (request) => {
    const tenantId = tenantOf(request);
    const page = await auditLog().list(tenantId, auditQueryOf(request.query));
    // The tenant is the caller's own; every other field is what the Audit log page shows.
    const items = page.items.map(({ tenantId: _t, ...entry }) => entry);
    return { body: { items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) } };
  },
});
