/**
 * Writes the parts of the API documents that are derived from zod schemas, so
 * they cannot drift from the code:
 *
 * - docs/openapi.yaml   components.schemas: KnowledgeBase and its parts, from
 *                       lambdas/core/knowledge-base.ts (JSON Schema 2020-12, as OpenAPI 3.1 uses);
 * - docs/asyncapi.yaml  components.schemas: the client frames, from
 *                       lambdas/core/protocol.ts (JSON Schema draft-07, as AsyncAPI 3.0 uses).
 *
 * Everything else in both documents is written by hand.
 * Run `npx tsx docs/generate.ts` after changing either schema module;
 * test/docs/docs.test.ts fails while the documents are stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import {
  businessSchema,
  documentSchema,
  faqSchema,
  hoursSchema,
  knowledgeBaseSchema,
  serviceSchema,
  staffSchema,
} from '../lambdas/core/knowledge-base';
import {
  MAX_MESSAGE_BYTES,
  helloFrame,
  newConversationFrame,
  pingFrame,
  sendMessageFrame,
  staffPingFrame,
  staffTypingFrame,
  staffWatchFrame,
  typingFrame,
  feedbackFrame,
  markReadFrame,
} from '../lambdas/core/protocol';

export type JsonSchema = z.core.JSONSchema.JSONSchema;
type SchemaMap = Record<string, JsonSchema>;

interface ComponentMeta {
  readonly id: string;
  readonly description: string;
}

export const openApiFile = join(__dirname, 'openapi.yaml');
export const asyncApiFile = join(__dirname, 'asyncapi.yaml');

/** Registers each schema under its component name and converts them together, so they reference each other with `$ref`. */
function componentsOf(
  entries: readonly (readonly [z.ZodType, ComponentMeta])[],
  target: 'draft-2020-12' | 'draft-7',
): SchemaMap {
  const registry = z.registry<ComponentMeta>();
  for (const [schema, meta] of entries) registry.add(schema, meta);
  const { schemas } = z.toJSONSchema(registry, { io: 'input', target, uri: (id) => `#/components/schemas/${id}` });
  const out: SchemaMap = {};
  for (const [name, schema] of Object.entries(schemas)) {
    // The documents themselves say which dialect applies, and component names are the ids.
    const { $schema: _dialect, $id: _id, ...rest } = schema;
    out[name] = rest;
  }
  return out;
}

/** Adds a description to `properties[name]` of a component; refinements (`.refine`) have no JSON Schema form, so they are described in words. */
function describeProperty(schemas: SchemaMap, component: string, property: string, description: string): void {
  const props = schemas[component]?.properties;
  const prop = props?.[property];
  if (props === undefined || prop === undefined || typeof prop === 'boolean') {
    throw new Error(`docs/generate.ts: ${component}.${property} not found; update the descriptions to match the schema`);
  }
  props[property] = { ...prop, description };
}

/** OpenAPI components for the knowledge-base file (request body of `PUT /v1/admin/knowledge`, response of `GET`). */
export function knowledgeBaseComponents(): SchemaMap {
  const schemas = componentsOf(
    [
      [
        knowledgeBaseSchema,
        {
          id: 'KnowledgeBase',
          description: [
            "A tenant's knowledge-base file: the business, its opening hours, services, staff, FAQs and documents.",
            'Checked beyond this schema (a 400 names the field): ids are unique within each list (services, staff, faqs, documents);',
            'every staff `serviceIds` entry names a service in the same file; `business.timezone` is a known IANA time zone;',
            'each opening period opens before it closes. Unknown properties are rejected. See docs/knowledge-base-format.md.',
          ].join(' '),
        },
      ],
      [businessSchema, { id: 'Business', description: 'Who the business is and how customers reach it.' }],
      [
        hoursSchema,
        {
          id: 'OpeningHours',
          description:
            'One opening period, in the business time zone. A day with no period is closed; a day may have several periods (for example closed for lunch). `open` must be before `close`: periods do not run past midnight.',
        },
      ],
      [serviceSchema, { id: 'Service', description: 'A bookable service.' }],
      [staffSchema, { id: 'StaffMember', description: 'A person who can be booked.' }],
      [faqSchema, { id: 'Faq', description: 'A question and its answer; the concierge cites it by `id`.' }],
      [
        documentSchema,
        {
          id: 'KbDocument',
          description:
            'A longer text (Markdown, plain text, or text read from a PDF, as `format` says), split into passages when imported; the concierge cites a passage as `<documentId>#<chunk>`.',
        },
      ],
    ],
    'draft-2020-12',
  );
  describeProperty(schemas, 'Business', 'timezone', 'IANA time zone, for example `Europe/Dublin`; opening hours and bookings are in this zone.');
  describeProperty(schemas, 'Business', 'languages', 'Languages the concierge answers in, each once: `en`, `es` (those it has replies and notices for). The widget offers them.');
  describeProperty(schemas, 'Business', 'slug', 'Short name of the business in URLs; 2-40 characters of a-z 0-9 -.');
  describeProperty(
    schemas,
    'Business',
    'country',
    'ISO 3166 country (`IE`) in which phone numbers written without a country code are read, for customers and staff alike. When absent, the country of `phone` written with its country code.',
  );
  describeProperty(schemas, 'Service', 'priceCents', 'Price in the smallest unit of `currency` (cents): 8000 is €80.00.');
  describeProperty(schemas, 'Service', 'depositCents', 'Deposit taken when booking, in cents; 0 means no deposit. At most the price: an import or save with a larger deposit is a 400 naming the field.');
  describeProperty(schemas, 'Service', 'currency', 'ISO 4217 code such as `EUR`.');
  describeProperty(
    schemas,
    'Service',
    'maxPartySize',
    'The largest party the concierge books online for this service (a restaurant table, a group class): a customer asking for more people is told the limit and offered a person. Absent: up to 50.',
  );
  describeProperty(schemas, 'StaffMember', 'serviceIds', 'Ids of the services this person performs; each must be a service in the same file.');
  describeProperty(schemas, 'Faq', 'category', 'Free text that groups related FAQs, for example `Parking`.');
  describeProperty(schemas, 'Faq', 'alternatives', 'Other ways customers ask the question, searched like it (at most 20), for example `Is there internet for patients?` for `Do you have Wi-Fi?`.');
  describeProperty(
    schemas,
    'KbDocument',
    'format',
    'How `text` is written. `markdown`: headings mark sections, and links, tables and rules are Markdown. `text`: plain text, split on blank lines; no line is a heading (`# of visits` is text). `pdf`: text read from a PDF file, plain text but for the `## ` headings the PDF reader writes. Absent: `markdown` (documents written before the field existed).',
  );
  describeProperty(schemas, 'KbDocument', 'text', 'In the document\'s `format`; Markdown headings help the importer split the text into passages.');
  return schemas;
}

/** AsyncAPI components for the frames a widget (and a staff inbox) sends. */
export function clientFrameComponents(): SchemaMap {
  const schemas = componentsOf(
    [
      [helloFrame, { id: 'HelloFrame', description: 'Start or resume the conversation on this connection.' }],
      [sendMessageFrame, { id: 'SendMessageFrame', description: 'A customer message; idempotent by `clientId`.' }],
      [newConversationFrame, { id: 'NewConversationFrame', description: 'Leave the current conversation and start a new one.' }],
      [pingFrame, { id: 'PingFrame', description: 'Keep-alive; the server answers `pong`.' }],
      [typingFrame, { id: 'CustomerTypingFrame', description: 'The customer is (or stopped) typing; relayed to staff watching while a person owns the conversation or is awaited.' }],
      [feedbackFrame, { id: 'FeedbackFrame', description: 'The customer\u2019s thumbs on an answer of the assistant (a bot message `seq` of this connection\u2019s conversation); the latest value per message counts.' }],
      [markReadFrame, { id: 'MarkReadFrame', description: 'Read receipt: the highest message `seq` of this connection\u2019s conversation the widget has shown the customer; an advance is sent to the staff watching as `receipt`.' }],
      [staffWatchFrame, { id: 'StaffWatchFrame', description: 'Staff connections only: watch one conversation live (replaces the previous one); answered with `state`.' }],
      [staffTypingFrame, { id: 'StaffTypingFrame', description: 'Staff connections only: the owner of the conversation is (or stopped) typing.' }],
      [staffPingFrame, { id: 'StaffPingFrame', description: 'Staff connections only: keep-alive; answered with `pong`.' }],
    ],
    'draft-7',
  );
  describeProperty(
    schemas,
    'SendMessageFrame',
    'text',
    `The message, trimmed and without control characters (tab and line breaks kept); at most ${MAX_MESSAGE_BYTES} bytes of UTF-8 (MAX_MESSAGE_BYTES), else error \`message_too_large\`. A text with nothing visible in it (only spaces, zero-width or format characters), or with half a surrogate pair in it (\`\\ud800\` without its other half), is \`bad_request\`.`,
  );
  describeProperty(schemas, 'SendMessageFrame', 'clientId', 'Generated by the client once per message and reused on every resend.');
  describeProperty(schemas, 'HelloFrame', 'lastSeq', 'Highest message `seq` the client holds; the server replays every message with a greater seq.');
  describeProperty(schemas, 'HelloFrame', 'conversationId', 'The conversation the browser remembers; when absent or not this visitor\u2019s, the visitor\u2019s current conversation resumes, or a new one starts when there is none.');
  return schemas;
}

/** Replaces `components.schemas.<name>` in a YAML document, keeping the rest of the file (and its comments) as written. */
export function writeComponents(file: string, schemas: SchemaMap): void {
  const doc = parseDocument(readFileSync(file, 'utf8'));
  for (const [name, schema] of Object.entries(schemas)) {
    doc.setIn(['components', 'schemas', name], doc.createNode(schema));
  }
  writeFileSync(file, doc.toString({ lineWidth: 0, singleQuote: true }));
}

if (require.main === module) {
  writeComponents(openApiFile, knowledgeBaseComponents());
  writeComponents(asyncApiFile, clientFrameComponents());
  console.log('docs/openapi.yaml and docs/asyncapi.yaml: derived schema components written');
}
