/**
 * The output guard: every reply leaves as plain text (markup stripped, no
 * `javascript:` links, no control characters), and a reply that carries
 * something that must never leave the system — credentials, widget keys of any
 * tenant, talk of its own instructions — is withheld.
 */

const BLOCKS = /<(script|style|iframe|object|embed|template|noscript)\b[^>]*>[\s\S]*?<\/\1\s*>/gi;
const TAG = /<\/?[a-z!][^<>]*>/gi;
/** "<hello@clinic.ie>", "<https://clinic.ie/prices>": an address in angle brackets (Markdown autolinks), kept without them. */
const AUTOLINK = /<((?:https?:\/\/|mailto:)[^\s<>]+|[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+)>/gi;
const DANGEROUS_URL = /\b(?:javascript|vbscript|data)\s*:/gi;
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Plain text: markup removed (a script's body too), dangerous URL schemes neutralised, control characters dropped. */
export function plainText(text: string): string {
  return text
    .replace(BLOCKS, ' ')
    .replace(AUTOLINK, '$1')
    .replace(TAG, ' ')
    .replace(/<(?=[a-z!/])/gi, '‹')
    .replace(DANGEROUS_URL, (m) => m.replace(':', ' :'))
    .replace(/\bon[a-z]+\s*=/gi, (m) => m.replace('=', ' ='))
    .replace(CONTROL, '')
    .replace(/[ \t]{2,}/g, ' ')
    .trim();
}

const SECRETS: readonly RegExp[] = [
  /\bAKIA[0-9A-Z]{16}\b/, // AWS access key id
  /\bsk-(?:proj-)?[A-Za-z0-9_-]{16,}/, // OpenAI-style keys
  /\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}/, // Stripe keys
  /\bwk_[a-z0-9-]+_[A-Za-z0-9_-]{8,}/, // widget keys (of any tenant)
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\bTABLE_NAME|EVENT_BUS_NAME|AWS_SECRET_ACCESS_KEY|OPENAI_API_KEY\b/,
];
/** Words of a model talking about its own instructions: a leak, unless the business wrote them itself. */
const PROMPT_TALK = /\b(?:system prompt|my (?:system )?(?:instructions|prompt)|developer mode)\b/gi;

/**
 * True when the reply contains something that must never reach a customer. `owned`: the business's own passages
 * the reply quotes — "follow my instructions sheet" in a dentist's aftercare FAQ is theirs to say (credentials
 * never are).
 */
export function leaksSecrets(text: string, owned = ''): boolean {
  if (SECRETS.some((re) => re.test(text))) return true;
  const own = owned.toLowerCase();
  return [...text.matchAll(PROMPT_TALK)].some((m) => !own.includes(m[0].toLowerCase()));
}
