/**
 * The audit log: every staff action that changes something (and a few reads that matter, such as a customer
 * data export), appended with who, what, when and a small before/after summary. Append-only: the port has no
 * update or delete, the API has no such route, and IAM denies UpdateItem / DeleteItem on audit items.
 *
 * What an entry may hold is decided here, once: summaries are redacted (secret-looking fields and customer
 * contact fields never keep their values) and capped in size, so erasing a customer never needs to touch the
 * audit log, and a leaked log leaks no credential.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { badRequest } from './errors';
import { dateOrInstantSchema } from './dates';

/** Who did it: a signed-in staff member, or the system itself (a workflow, a scheduled job). */
export type AuditActor =
  | { readonly sub: string; readonly email: string; readonly role: 'admin' | 'agent' }
  | { readonly system: string };

/** A redacted, size-capped JSON value. */
export type AuditValue = null | boolean | number | string | readonly AuditValue[] | { readonly [key: string]: AuditValue };

export interface AuditSummary {
  readonly before?: AuditValue;
  readonly after?: AuditValue;
}

/** One appended entry of the audit log. */
export interface AuditEntry {
  readonly auditId: string;
  readonly tenantId: string;
  /** ISO instant, `Date.prototype.toISOString` form. */
  readonly at: string;
  readonly actor: AuditActor;
  /** The REST operation id (`putFaq`), or a named action (`login`, `customer.erase`). */
  readonly action: string;
  /** What it was done to: `faq:opening-hours`, `conversation:c_123`, `handoff-settings`, `customer sha256:ab12…`. */
  readonly target: string;
  readonly outcome: 'ok';
  readonly summary: AuditSummary;
  /** API Gateway's request id. */
  readonly requestId?: string;
  /** The Lambda request id, as in error replies and logs. */
  readonly correlationId?: string;
  readonly sourceIp?: string;
  readonly userAgent?: string;
}

/**
 * What a REST handler may return (`RestResult.audit`) to describe its change better than the plumbing can:
 * another action name or target, and the before/after of what changed. `false` records nothing (a POST that
 * changes nothing, e.g. asking the concierge a test question).
 */
export interface AuditNote {
  readonly action?: string;
  readonly target?: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

/** Filters of the audit log, newest first. */
export interface AuditQuery {
  /** A staff member's sub or e-mail, or a system actor's name. */
  readonly actor?: string;
  /** Only actions beginning with this (`put`, `customer.`). */
  readonly actionPrefix?: string;
  /** Inclusive ISO instants. */
  readonly from?: string;
  readonly to?: string;
  readonly limit: number;
  readonly cursor?: string;
}

export interface AuditPage {
  readonly items: readonly AuditEntry[];
  readonly nextCursor?: string;
}

/** The audit log's port: append and read, nothing else. */
export interface AuditLog {
  /** Appends one entry; `duplicate` when an entry with the same time and id already exists (it is left as it was). */
  append(entry: AuditEntry): Promise<'appended' | 'duplicate'>;
  list(tenantId: string, query: AuditQuery): Promise<AuditPage>;
}

// ---- redaction and size caps -------------------------------------------------------------------------

/** The cap of each of `before` and `after`, in characters of JSON. */
export const MAX_SUMMARY_CHARS = 2048;
const MAX_STRING = 300;
const MAX_ARRAY = 25;
const MAX_KEYS = 40;
const MAX_DEPTH = 5;
export const REDACTED = '[redacted]';

/** Field names whose values never enter the audit log: credentials, and customers' contact details and words. */
const SECRET_FIELD = /secret|token|password|passwd|api[-_]?key|apikey|private|credential|authorization|signature|cookie|session|^auth|pin$|cvc|iban|card/i;
const CUSTOMER_FIELD = /phone|e-?mail|^customer|contact|^text$|^message|^body$|^name$|^notes?$|address|^ip$/i;

/** Whether a field name's value must be replaced by `[redacted]`. */
export function isRedactedField(name: string): boolean {
  return SECRET_FIELD.test(name) || CUSTOMER_FIELD.test(name);
}

/** Customer fields whose value may be a number and still a contact: a phone or an address typed as digits. */
const CONTACT_AS_NUMBER = /phone|contact|address|^ip$/i;

/**
 * Whether a field's value is kept although its name is a customer field's: a count ("messages": 12, "emails": 2,
 * "customerRecords": 1 in an erasure's summary) says how much, not who. A number that could be a phone (7 digits or
 * more) or under a contact-like name, and every secret-looking field, stay redacted.
 */
function isCount(name: string, value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < 1_000_000 && !SECRET_FIELD.test(name) && !CONTACT_AS_NUMBER.test(name);
}

function redactValue(value: unknown, depth: number): AuditValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string') return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
  if (depth >= MAX_DEPTH) return '…';
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ARRAY).map((v) => redactValue(v, depth + 1));
    return value.length > MAX_ARRAY ? [...items, `… ${value.length - MAX_ARRAY} more`] : items;
  }
  if (typeof value === 'object') {
    const out: Record<string, AuditValue> = {};
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    for (const [k, v] of entries.slice(0, MAX_KEYS)) out[k.slice(0, 64)] = isRedactedField(k) && !isCount(k, v) ? REDACTED : redactValue(v, depth + 1);
    if (entries.length > MAX_KEYS) out['…'] = `${entries.length - MAX_KEYS} more fields`;
    return out;
  }
  return null;
}

/**
 * A value fit for the audit log: secret-looking and customer-contact fields redacted, strings and lists
 * shortened, and at most {@link MAX_SUMMARY_CHARS} of JSON (past that, only the field names are kept).
 */
export function auditValue(value: unknown): AuditValue {
  const redacted = redactValue(value, 0);
  if (JSON.stringify(redacted).length <= MAX_SUMMARY_CHARS) return redacted;
  if (redacted !== null && typeof redacted === 'object' && !Array.isArray(redacted)) {
    const fields = Object.keys(redacted).slice(0, MAX_KEYS);
    return { truncated: true, fields };
  }
  return { truncated: true };
}

/** The summary of a request body when the handler gives none: its top-level field names, never a value. */
export function bodySummary(body: unknown): AuditValue | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const fields = Object.keys(body).sort().slice(0, MAX_KEYS).map((k) => k.slice(0, 64));
  return { fields };
}

/** Reduces an integration's request body to the provider and the names of the fields set: never a value. */
export function integrationSummary(provider: string, body: unknown): AuditValue {
  const fields = body !== null && typeof body === 'object' && !Array.isArray(body) ? Object.keys(body).sort().slice(0, MAX_KEYS) : [];
  return { provider: provider.slice(0, 64), fields };
}

/** The named fields of a record, for a before / after summary; undefined when there is no record. */
export function auditFields<T extends object, K extends keyof T>(value: T | undefined, fields: readonly K[]): Partial<Pick<T, K>> | undefined {
  if (value === undefined) return undefined;
  const out: Partial<Pick<T, K>> = {};
  for (const field of fields) if (value[field] !== undefined) out[field] = value[field];
  return out;
}

// ---- targets -------------------------------------------------------------------------------------------

const MAX_TARGET = 200;

/**
 * The target of a REST change from its route and path parameters: `{faqId}` = `opening-hours` gives
 * `faq:opening-hours`, `{provider}` = `stripe` gives `provider:stripe`; a route without parameters names its
 * last path segment (`/v1/admin/handoff-settings` → `handoff-settings`).
 */
export function targetOf(routePath: string, pathParameters: Readonly<Record<string, string>>): string {
  const names = [...routePath.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '');
  if (names.length === 0) {
    const segments = routePath.split('/').filter((s) => s.length > 0 && s !== 'v1' && s !== 'admin');
    return (segments.join('/') || routePath).slice(0, MAX_TARGET);
  }
  return names
    .map((name) => `${name.replace(/Id$/, '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}:${pathParameters[name] ?? ''}`)
    .join(' ')
    .slice(0, MAX_TARGET);
}

/** A customer named in an entry without naming them: `customer sha256:<first 16 hex of the hash of the key>`. */
export function customerTarget(customerKey: string): string {
  return `customer sha256:${createHash('sha256').update(customerKey).digest('hex').slice(0, 16)}`;
}

// ---- actors and entries --------------------------------------------------------------------------------

/** The staff member behind a request, as the audit log names them. */
export function staffActor(caller: { readonly sub: string; readonly email: string; readonly groups: readonly string[] }): AuditActor {
  return { sub: caller.sub, email: caller.email, role: caller.groups.includes('admin') ? 'admin' : 'agent' };
}

const ACTION = /^[A-Za-z][A-Za-z0-9._:-]{0,79}$/;

export interface NewEntry {
  readonly auditId: string;
  readonly tenantId: string;
  readonly at: Date;
  readonly actor: AuditActor;
  readonly action: string;
  readonly target: string;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly requestId?: string;
  readonly correlationId?: string;
  readonly sourceIp?: string;
  readonly userAgent?: string;
}

/** Builds an entry, redacting and capping everything that came from a request or a handler. */
export function auditEntry(input: NewEntry): AuditEntry {
  if (!ACTION.test(input.action)) throw new Error(`invalid audit action ${JSON.stringify(input.action)}`);
  const summary: { before?: AuditValue; after?: AuditValue } = {};
  if (input.before !== undefined) summary.before = auditValue(input.before);
  if (input.after !== undefined) summary.after = auditValue(input.after);
  return {
    auditId: input.auditId,
    tenantId: input.tenantId,
    at: input.at.toISOString(),
    actor: input.actor,
    action: input.action,
    target: (input.target || '-').slice(0, MAX_TARGET),
    outcome: 'ok',
    summary,
    ...(input.requestId ? { requestId: input.requestId.slice(0, 100) } : {}),
    ...(input.correlationId ? { correlationId: input.correlationId.slice(0, 100) } : {}),
    ...(input.sourceIp ? { sourceIp: input.sourceIp.slice(0, 64) } : {}),
    ...(input.userAgent ? { userAgent: input.userAgent.slice(0, 200) } : {}),
  };
}

/**
 * The one `login` entry of a sign-in: its time is the token's `auth_time` and its id is derived from the staff
 * member and that time, so every request of the same session names the same entry (the store keeps the first).
 */
export function loginEntry(input: {
  readonly tenantId: string;
  readonly sub: string;
  readonly email: string;
  readonly groups: readonly string[];
  /** Seconds since the epoch (`auth_time`). */
  readonly authTime: number;
  readonly sourceIp?: string;
  readonly userAgent?: string;
}): AuditEntry {
  const auditId = `login-${createHash('sha256').update(`${input.sub}\n${input.authTime}`).digest('base64url').slice(0, 20)}`;
  return auditEntry({
    auditId,
    tenantId: input.tenantId,
    at: new Date(input.authTime * 1000),
    actor: staffActor(input),
    action: 'login',
    target: `staff:${input.sub}`,
    ...(input.sourceIp ? { sourceIp: input.sourceIp } : {}),
    ...(input.userAgent ? { userAgent: input.userAgent } : {}),
  });
}

// ---- the admin API's query -----------------------------------------------------------------------------

/** A date or an instant that exists, in core/dates.ts's years: its bound is a four-digit year, within the store's sentinels. */
const instant = dateOrInstantSchema;

/** `GET /v1/admin/audit`'s query string. */
export const auditQuerySchema = z
  .object({
    actor: z.string().trim().min(1).max(254).optional(),
    action: z.string().trim().regex(/^[A-Za-z0-9._:-]{1,80}$/, 'must be an action name or its beginning').optional(),
    from: instant.optional(),
    to: instant.optional(),
    cursor: z.string().max(500).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(50),
  })
  .strict();

/** A query string's `from` / `to` as the instants the store compares: a day means all of it. */
export function auditQueryOf(raw: unknown): AuditQuery {
  const q = auditQuerySchema.parse(raw);
  const from = q.from ? boundary(q.from, 'start') : undefined;
  const to = q.to ? boundary(q.to, 'end') : undefined;
  if (from && to && from > to) throw badRequest('from: must not be after to', 'from');
  return {
    limit: q.limit,
    ...(q.actor ? { actor: q.actor } : {}),
    ...(q.action ? { actionPrefix: q.action } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(q.cursor ? { cursor: q.cursor } : {}),
  };
}

function boundary(value: string, side: 'start' | 'end'): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return `${value}T${side === 'start' ? '00:00:00.000' : '23:59:59.999'}Z`;
  return new Date(value).toISOString();
}
