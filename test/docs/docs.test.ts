/**
 * The human-facing documents agree with the code:
 * - docs/openapi.yaml lists exactly the REST routes of lib/declaration.ts;
 * - docs/asyncapi.yaml names every client action, action route and server frame of lambdas/core/protocol.ts;
 * - the schema components derived from zod (docs/generate.ts) are up to date;
 * - the seeded demo knowledge base is valid, complete and consistent with its own prices and hours.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { restRoutes, wsRoutes, type RestRouteDecl } from '../../lib/declaration';
import { knowledgeBaseSchema, type KnowledgeBase, type Service } from '../../lambdas/core/knowledge-base';
import { MAX_FRAME_BYTES, MAX_MESSAGE_BYTES, clientActions, staffActions } from '../../lambdas/core/protocol';
import { asyncApiFile, clientFrameComponents, knowledgeBaseComponents, openApiFile } from '../../docs/generate';

const root = join(__dirname, '..', '..');

// ---------------------------------------------------------------------------------------------
// Reading the documents: YAML → unknown → parsed with zod, so the test relies only on what it checks.

function loadYaml(file: string): unknown {
  const value: unknown = parse(readFileSync(file, 'utf8'));
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every local `$ref` (`#/a/b`) in a document points at something. */
function unresolvedRefs(doc: unknown): string[] {
  const missing: string[] = [];
  const resolve = (ref: string): unknown =>
    ref
      .slice(2)
      .split('/')
      .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), doc);
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (isRecord(node)) {
      for (const [key, value] of Object.entries(node)) {
        if (key === '$ref' && typeof value === 'string' && value.startsWith('#/') && resolve(value) === undefined) missing.push(value);
        walk(value);
      }
    }
  };
  walk(doc);
  return missing;
}

const ref = z.strictObject({ $ref: z.string() });
const jsonSchemaObject = z.looseObject({
  properties: z.record(z.string(), z.unknown()).optional(),
  required: z.array(z.string()).optional(),
});

const openApiOperation = z.looseObject({
  operationId: z.string(),
  summary: z.string(),
  security: z.array(z.record(z.string(), z.array(z.string()))),
  responses: z.record(z.string(), z.unknown()),
});
const httpMethods = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;
const openApiDoc = z.looseObject({
  openapi: z.string(),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
  components: z.looseObject({
    schemas: z.record(z.string(), z.unknown()),
    responses: z.record(z.string(), z.looseObject({ content: z.looseObject({ 'application/json': z.looseObject({ schema: ref }) }) })),
    securitySchemes: z.record(z.string(), z.looseObject({ type: z.string(), scheme: z.string().optional(), bearerFormat: z.string().optional() })),
  }),
});

const asyncApiDoc = z.looseObject({
  asyncapi: z.string(),
  info: z.looseObject({ description: z.string() }),
  channels: z.record(z.string(), z.looseObject({ messages: z.record(z.string(), ref) })),
  operations: z.record(
    z.string(),
    z.looseObject({ action: z.enum(['send', 'receive']), channel: ref, messages: z.array(ref) }),
  ),
  components: z.looseObject({
    messages: z.record(z.string(), z.looseObject({ name: z.string(), payload: ref })),
    schemas: z.record(z.string(), z.unknown()),
  }),
});

const openApiRaw = loadYaml(openApiFile);
const asyncApiRaw = loadYaml(asyncApiFile);
const openApi = openApiDoc.parse(openApiRaw);
const asyncApi = asyncApiDoc.parse(asyncApiRaw);

function schemaAt(schemas: Record<string, unknown>, pointer: string): z.infer<typeof jsonSchemaObject> {
  const name = pointer.replace('#/components/schemas/', '');
  return jsonSchemaObject.parse(schemas[name]);
}

// ---------------------------------------------------------------------------------------------
// Reading protocol.ts as text: the server frames are a TypeScript type, with no runtime value to import.

const protocolSource = readFileSync(join(root, 'lambdas', 'core', 'protocol.ts'), 'utf8');

interface FieldSet {
  readonly all: readonly string[];
  readonly required: readonly string[];
}

function fieldsOf(text: string): FieldSet {
  const matches = [...text.matchAll(/readonly (\w+)(\?)?:/g)];
  return {
    all: matches.map((m) => m[1] ?? ''),
    required: matches.filter((m) => m[2] === undefined).map((m) => m[1] ?? ''),
  };
}

function statement(source: string, start: string): string {
  const from = source.indexOf(start);
  if (from < 0) throw new Error(`protocol.ts: "${start}" not found`);
  const next = source.indexOf('\nexport ', from + start.length);
  return source.slice(from + start.length, next < 0 ? undefined : next);
}

const messageViewFields = fieldsOf(statement(protocolSource, 'export interface MessageView'));

/** type → its fields (the `message` frame is `{ type } & MessageView`). */
const serverFrames = new Map<string, FieldSet>(
  statement(protocolSource, 'export type ServerFrame =')
    .split(/\n\s*\|\s*/)
    .filter((member) => member.includes('type:'))
    .map((member): [string, FieldSet] => {
      const type = /type: '(\w+)'/.exec(member)?.[1];
      if (type === undefined) throw new Error(`protocol.ts: a ServerFrame member has no literal type: ${member}`);
      const own = fieldsOf(member);
      const fields = member.includes('& MessageView')
        ? { all: [...own.all, ...messageViewFields.all], required: [...own.required, ...messageViewFields.required] }
        : own;
      return [type, fields];
    }),
);

const errorCodes = [...statement(protocolSource, 'export type ErrorCode =').matchAll(/'(\w+)'/g)].map((m) => m[1]);

const sorted = (values: Iterable<string>): string[] => [...values].sort();

/**
 * Paths to null values: YAML gives null only for a key without a value, which in these documents is always a flow
 * mapping (`{ description: First day, in … }`) whose unquoted comma cut a description short and made the rest a key.
 */
function nullsIn(value: unknown, path = ''): string[] {
  if (value === null) return [path];
  if (typeof value !== 'object') return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => nullsIn(v, `${path}/${k}`));
}

describe('both documents', () => {
  it('have no description cut short by an unquoted comma (no null values)', () => {
    expect(nullsIn(openApiRaw)).toEqual([]);
    expect(nullsIn(asyncApiRaw)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('docs/openapi.yaml', () => {
  it('is OpenAPI 3.1 and every local $ref resolves', () => {
    expect(openApi.openapi).toMatch(/^3\.1\./);
    expect(unresolvedRefs(openApiRaw)).toEqual([]);
  });

  const securityOf = (auth: RestRouteDecl['auth']): string => (auth === 'public' ? 'none' : auth === 'admin' ? 'bearer:admin' : 'bearer');

  const documented = Object.entries(openApi.paths).flatMap(([path, item]) =>
    httpMethods
      .filter((method) => item[method] !== undefined)
      .map((method) => {
        const op = openApiOperation.parse(item[method]);
        const requirement = op.security[0];
        const security =
          op.security.length === 0 ? 'none' : ['bearer', ...(requirement?.['staffJwt'] ?? ['<not staffJwt>'])].join(':');
        return { method: method.toUpperCase(), path, op, security };
      }),
  );

  it('lists exactly the declared REST routes: method, path, operationId and security', () => {
    const fromDoc = documented.map(({ method, path, op, security }) => `${method} ${path} ${op.operationId} ${security}`);
    const declared = restRoutes.map((r) => `${r.method} ${r.path} ${r.operationId} ${securityOf(r.auth)}`);
    expect(sorted(fromDoc)).toEqual(sorted(declared));
  });

  it('uses the declared summaries', () => {
    const summaries = Object.fromEntries(documented.map(({ op }) => [op.operationId, op.summary]));
    expect(summaries).toEqual(Object.fromEntries(restRoutes.map((r) => [r.operationId, r.summary])));
  });

  it('protects staff routes with a bearer JWT and nothing else', () => {
    expect(openApi.components.securitySchemes['staffJwt']).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    for (const { op } of documented) {
      expect(op.security.length).toBeLessThanOrEqual(1);
      for (const requirement of op.security) expect(Object.keys(requirement)).toEqual(['staffJwt']);
    }
  });

  it('answers every failure with the one error shape, with the statuses each kind of route can produce', () => {
    for (const { path, op } of documented) {
      const route = restRoutes.find((r) => r.operationId === op.operationId);
      const statuses = Object.keys(op.responses);
      const expected = ['429', '500'];
      if (route?.auth !== 'public') expected.push('401', '403');
      if (path.includes('{')) expected.push('400', '404');
      if (route?.method === 'PUT' || route?.method === 'POST') expected.push('400', '413');
      expect({ op: op.operationId, missing: expected.filter((s) => !statuses.includes(s)) }).toEqual({ op: op.operationId, missing: [] });
      for (const status of statuses.filter((s) => !s.startsWith('2'))) {
        const response = ref.parse(op.responses[status]);
        const name = response.$ref.replace('#/components/responses/', '');
        expect(openApi.components.responses[name]?.content['application/json'].schema.$ref).toBe('#/components/schemas/Error');
      }
    }
  });

  it('describes Message exactly as protocol.ts MessageView', () => {
    const message = jsonSchemaObject.parse(openApi.components.schemas['Message']);
    expect(sorted(Object.keys(message.properties ?? {}))).toEqual(sorted(messageViewFields.all));
    expect(sorted(message.required ?? [])).toEqual(sorted(messageViewFields.required));
  });

  it('has the KnowledgeBase components generated from the zod schema (run `npx tsx docs/generate.ts` if not)', () => {
    for (const [name, schema] of Object.entries(knowledgeBaseComponents())) {
      expect({ name, schema: openApi.components.schemas[name] }).toEqual({ name, schema });
    }
  });
});

describe('docs/asyncapi.yaml', () => {
  const [channelName, channel] = Object.entries(asyncApi.channels)[0] ?? [];
  const messageRef = (name: string): string => `#/channels/${channelName ?? ''}/messages/${name}`;
  const operationsFor = (action: 'send' | 'receive', name: string): string[] =>
    Object.entries(asyncApi.operations)
      .filter(([, op]) => op.action === action && op.messages.some((m) => m.$ref === messageRef(name)))
      .map(([id]) => id);

  it('is AsyncAPI 3.0 with one channel, and every local $ref resolves', () => {
    expect(asyncApi.asyncapi).toBe('3.0.0');
    expect(Object.keys(asyncApi.channels)).toHaveLength(1);
    expect(unresolvedRefs(asyncApiRaw)).toEqual([]);
  });

  const expectFrame = (name: string, discriminator: 'action' | 'type'): z.infer<typeof jsonSchemaObject> => {
    expect(channel?.messages[name]?.$ref).toBe(`#/components/messages/${name}`);
    const message = asyncApi.components.messages[name];
    expect(message?.name).toBe(name);
    const payload = schemaAt(asyncApi.components.schemas, message?.payload.$ref ?? '');
    expect(payload.properties?.[discriminator]).toMatchObject({ const: name });
    return payload;
  };

  it.each([...clientActions, ...staffActions])('documents the client action %s, received by the server', (action) => {
    expectFrame(action, 'action');
    expect(operationsFor('receive', action)).toHaveLength(1);
  });

  it('has a receive operation for every action route of the declaration, and no other action', () => {
    const actionRoutes = wsRoutes.map((r) => r.route).filter((route) => !route.startsWith('$'));
    expect(sorted(actionRoutes)).toEqual(sorted([...clientActions, ...staffActions]));
    for (const route of actionRoutes) expect(operationsFor('receive', route)).toHaveLength(1);
    const received = Object.values(asyncApi.operations).filter((op) => op.action === 'receive');
    expect(received).toHaveLength(actionRoutes.length);
  });

  it('reads the server frames from protocol.ts', () => {
    expect(sorted(serverFrames.keys())).toEqual(sorted(['session', 'message', 'ack', 'typing', 'chunk', 'state', 'pong', 'error', 'inbox']));
  });

  it.each([...serverFrames.keys()])('documents the server frame %s with exactly its fields, sent by the server', (type) => {
    const payload = expectFrame(type, 'type');
    const fields = serverFrames.get(type);
    expect(sorted(Object.keys(payload.properties ?? {}))).toEqual(sorted(fields?.all ?? []));
    expect(sorted(payload.required ?? [])).toEqual(sorted(fields?.required ?? []));
    expect(operationsFor('send', type)).toHaveLength(1);
  });

  it('documents every error code', () => {
    expect(asyncApi.components.schemas['ErrorCode']).toMatchObject({ enum: errorCodes });
    expect(errorCodes.length).toBeGreaterThan(0);
  });

  it('states the limits and timings of the protocol', () => {
    const text = asyncApi.info.description;
    for (const fact of [
      `${MAX_MESSAGE_BYTES} bytes`,
      `${MAX_FRAME_BYTES / 1024} KB`,
      '128 KB',
      '10 minutes',
      '5 minutes',
      '100 ms',
      'lastSeq',
      'clientId',
      '?key={widgetKey}&visitor={visitorId}',
      '401',
      '403',
    ]) {
      expect(text).toContain(fact);
    }
  });

  it('has the client frame schemas generated from the zod schemas (run `npx tsx docs/generate.ts` if not)', () => {
    for (const [name, schema] of Object.entries(clientFrameComponents())) {
      expect({ name, schema: asyncApi.components.schemas[name] }).toEqual({ name, schema });
    }
  });
});

describe('local-cloud/seed/demo-kb.json', () => {
  const kb: KnowledgeBase = knowledgeBaseSchema.parse(JSON.parse(readFileSync(join(root, 'local-cloud', 'seed', 'demo-kb.json'), 'utf8')));

  it('is the Harbour Dental Studio demo with enough content to demonstrate answers and bookings', () => {
    expect(kb.business).toMatchObject({ name: 'Harbour Dental Studio', slug: 'harbour-dental', timezone: 'Europe/Dublin', languages: ['en', 'es'] });
    expect(kb.faqs.length).toBeGreaterThanOrEqual(25);
    expect(kb.documents).toHaveLength(2);
    expect(kb.services).toHaveLength(4);
    expect(kb.staff).toHaveLength(2);
    expect(kb.services.some((s) => s.depositCents > 0)).toBe(true);
  });

  it('opens Mon-Fri 08:30-18:00 (Thu to 19:30), Sat 09:00-13:00, closed on Sunday', () => {
    const week = Object.fromEntries(kb.hours.map((h) => [h.day, `${h.open}-${h.close}`]));
    expect(week).toEqual({
      mon: '08:30-18:00',
      tue: '08:30-18:00',
      wed: '08:30-18:00',
      thu: '08:30-19:30',
      fri: '08:30-18:00',
      sat: '09:00-13:00',
    });
  });

  it('answers the parking question concretely', () => {
    const parking = kb.faqs.find((f) => /parking/i.test(f.question));
    expect(parking?.answer).toMatch(/car park/i);
  });

  it('has documents with structure, and facts that only the documents hold', () => {
    for (const doc of kb.documents) {
      const words = doc.text.split(/\s+/).filter(Boolean).length;
      expect({ id: doc.id, words: words >= 600 && words <= 1500 }).toEqual({ id: doc.id, words: true });
      expect(doc.text.match(/^## /gm)?.length ?? 0).toBeGreaterThanOrEqual(4);
    }
    const faqText = kb.faqs.map((f) => `${f.question} ${f.answer}`).join('\n').toLowerCase();
    const docText = kb.documents.map((d) => d.text).join('\n').toLowerCase();
    for (const onlyInDocuments of ['medicine', 'salt water', 'instalments', 'dry socket']) {
      expect({ onlyInDocuments, inDocs: docText.includes(onlyInDocuments), inFaqs: faqText.includes(onlyInDocuments) }).toEqual({
        onlyInDocuments,
        inDocs: true,
        inFaqs: false,
      });
    }
  });

  it('gives clock times in FAQ answers only as opening or closing times', () => {
    const times = new Set(kb.hours.flatMap((h) => [h.open, h.close]));
    for (const faq of kb.faqs) {
      for (const [time] of faq.answer.matchAll(/\b\d{2}:\d{2}\b/g)) expect({ faq: faq.id, time, known: times.has(time) }).toEqual({ faq: faq.id, time, known: true });
    }
  });

  describe('euro amounts', () => {
    /** Amounts that are not the price or deposit of a bookable service, and why they may appear. */
    const allowlist = new Map<number, string>([
      [350_000, 'typical lower bound of a full clear aligner treatment, which is quoted after the consultation, not booked'],
      [550_000, 'typical upper bound of a full clear aligner treatment'],
      [100_000, 'smallest treatment plan eligible for the interest-free payment plan'],
      [400_000, 'worked payment-plan example: treatment cost'],
      [80_000, 'worked payment-plan example: 20% paid on the first day'],
      [26_667, 'worked payment-plan example: one of 12 monthly instalments'],
    ]);
    const servicePrices = new Set(kb.services.flatMap((s) => [s.priceCents, s.depositCents]).filter((c) => c > 0));

    const eurosIn = (text: string): number[] =>
      [...text.matchAll(/€\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{2}))?/g)].map(
        (m) => Number((m[1] ?? '').replace(/,/g, '')) * 100 + Number(m[2] ?? '0'),
      );

    const texts = [
      ...kb.faqs.map((f) => ({ where: `faq ${f.id}`, text: f.answer })),
      ...kb.documents.map((d) => ({ where: `document ${d.id}`, text: d.text })),
      ...kb.services.map((s) => ({ where: `service ${s.id}`, text: s.description })),
    ];

    it('are prices or deposits of a service, or allowlisted with a reason', () => {
      const used = new Set<number>();
      for (const { where, text } of texts) {
        for (const cents of eurosIn(text)) {
          if (allowlist.has(cents)) used.add(cents);
          expect({ where, cents, known: servicePrices.has(cents) || allowlist.has(cents) }).toEqual({ where, cents, known: true });
        }
      }
      expect(sorted([...used].map(String))).toEqual(sorted([...allowlist.keys()].map(String)));
    });

    it("belong to the service named next to them (the service's own price or deposit)", () => {
      const names = (s: Service): string[] => {
        const full = s.name.toLowerCase();
        return [full, full.replace(/\s*\([^)]*\)/g, '')];
      };
      const named = (text: string): Service[] => kb.services.filter((s) => names(s).some((n) => text.toLowerCase().includes(n)));
      const check = (where: string, text: string): void => {
        const services = named(text);
        if (services.length === 1 && services[0] !== undefined) {
          const own = services[0];
          for (const cents of eurosIn(text)) {
            expect({ where, text, cents, ok: cents === own.priceCents || cents === own.depositCents }).toEqual({ where, text, cents, ok: true });
          }
        }
      };
      let checked = 0;
      for (const { where, text } of texts) {
        for (const sentence of text.split(/(?<=[.!?])\s+/)) {
          const parts = named(sentence).length > 1 ? sentence.split(/,\s+/) : [sentence];
          for (const part of parts) {
            if (named(part).length === 1 && eurosIn(part).length > 0) checked += 1;
            check(where, part);
          }
        }
      }
      expect(checked).toBeGreaterThanOrEqual(4);
    });
  });
});
