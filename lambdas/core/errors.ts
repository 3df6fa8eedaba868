/**
 * Named domain errors. Domain code throws these; one middleware per transport
 * (REST, WebSocket) maps them to a status code or an error frame. Anything else
 * becomes a generic 500 / `internal` with a correlation id, never a stack trace.
 */
import type { z } from 'zod';

export type DomainErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'precondition_failed'
  | 'payload_too_large'
  | 'rate_limited'
  | 'no_conversation';

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    /** The offending input field, as a dotted path, when one is to blame. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/**
 * A conversation was started on a visitor pointer that another request had just moved (two messages from a new
 * number in the same second, one webhook delivered twice at once): the caller reads the pointer again and joins
 * the conversation that won. Nothing was written.
 */
export class ConversationStartRaced extends DomainError {
  constructor(
    readonly tenantId: string,
    readonly visitorId: string,
  ) {
    super('conflict', 'another conversation was started for this visitor at the same moment');
    this.name = 'ConversationStartRaced';
  }
}

export const badRequest = (message: string, field?: string): DomainError => new DomainError('bad_request', message, field);
export const notFound = (message: string): DomainError => new DomainError('not_found', message);
export const forbidden = (message: string): DomainError => new DomainError('forbidden', message);
export const unauthorized = (message: string): DomainError => new DomainError('unauthorized', message);
export const conflict = (message: string): DomainError => new DomainError('conflict', message);
export const preconditionFailed = (message: string): DomainError => new DomainError('precondition_failed', message);

export const httpStatusOf: Record<DomainErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition_failed: 412,
  payload_too_large: 413,
  rate_limited: 429,
  no_conversation: 409,
};

/** A key as a refusal quotes it: a made-up key can be anything, of any length. */
const quoted = (key: string): string => JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}…` : key);

/**
 * What a refused input is told, for every transport alike: the field to blame (a dotted path; for a field the
 * input may not have, that field itself) and a message that begins with it. `whole` names the input where all of
 * it is wrong (a body that is not a JSON object), which has no field.
 */
export function describeIssue(issue: z.core.$ZodIssue | undefined, whole: string): { readonly field?: string; readonly message: string } {
  if (!issue) return { message: `${whole} is not valid` };
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const [first = '', ...others] = issue.keys;
    const field = [...path, first].join('.');
    const more = others.length > 0 ? ` (nor are ${others.slice(0, 5).map(quoted).join(', ')}${others.length > 5 ? ', …' : ''})` : '';
    return { field, message: `${field}: is not a field ${path.length > 0 ? `of ${path.join('.')}` : `of ${whole}`}${more}` };
  }
  if (path.length === 0) {
    return { message: issue.code === 'invalid_type' ? `${whole} must be ${issue.expected === 'object' ? 'a JSON object' : `JSON of type ${issue.expected}`}` : `${whole}: ${issue.message}` };
  }
  const field = path.join('.');
  return { field, message: `${field}: ${issue.message}` };
}

/** Half of a UTF-16 surrogate pair without its other half: not a character, and not representable in UTF-8. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether a string is text: no lone surrogate (what `String.prototype.isWellFormed` says). */
export const isWellFormedText = (text: string): boolean => !LONE_SURROGATE.test(text);

/**
 * The first string of a parsed JSON body or frame that is not text (a lone surrogate, which JSON can spell as
 * "\ud800"), told like {@link describeIssue} tells a schema's refusal: the field (a dotted path; for a bad field
 * name, the object that has it) and a message that begins with it. Undefined when every string is text. The edge
 * checks this once for every REST body and WebSocket frame, before any route's schema (docs/decisions.md 113).
 */
export function invalidTextIssue(value: unknown, whole: string): { readonly field?: string; readonly message: string } | undefined {
  // Depth first in document order, without recursion, each path kept as a link to its parent's: a body nested
  // thousands deep is gone through in linear time, never a stack overflow.
  type Path = { readonly key: string; readonly parent: Path } | undefined;
  const refusal = (at: Path, what: string) => {
    const keys: string[] = [];
    for (let p = at; p; p = p.parent) keys.push(p.key);
    keys.reverse();
    return keys.length === 0 ? { message: `${whole} ${what}` } : { field: keys.join('.'), message: `${keys.join('.')}: ${what}` };
  };
  const pending: [unknown, Path][] = [[value, undefined]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, path] = next;
    if (typeof item === 'string') {
      if (!isWellFormedText(item)) return refusal(path, 'contains an invalid character');
    } else if (typeof item === 'object' && item !== null) {
      const entries: [string, unknown][] = Array.isArray(item) ? item.map((v, i): [string, unknown] => [String(i), v]) : Object.entries(item);
      if (entries.some(([key]) => !isWellFormedText(key))) return refusal(path, 'has a field name with an invalid character');
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i] as [string, unknown];
        pending.push([child, { key, parent: path }]);
      }
    }
  }
  return undefined;
}
