/**
 * Natural-language understanding of one customer message: its language, its
 * intent, and the entities the policy and the booking flow use (service,
 * staff, date/time, contact details).
 */
import { createHash } from 'node:crypto';
import type { TenantCatalogue } from './catalogue';
import { extractContact, matchServices, matchStaff, type ContactDetails, type EntityMatch } from './entities';
import { classifierFor, IntentClassifier, type Intent } from './intents';
import { detectLanguage, type ReplyLanguage } from './language';
import { parseWhen, type WhenEntity } from './time';

export type { Intent } from './intents';
export type { ReplyLanguage } from './language';
export type { WhenEntity } from './time';

export interface Understanding {
  readonly lang: ReplyLanguage;
  readonly intent: Intent;
  readonly intentConfidence: number;
  readonly service?: EntityMatch;
  readonly staff?: EntityMatch;
  readonly when?: WhenEntity;
  readonly contact: ContactDetails;
}

export interface UnderstandInput {
  readonly tenantId: string;
  readonly text: string;
  /** The conversation's (or browser's) language, used when the text is too short to tell. */
  readonly langHint?: string;
  readonly catalogue?: TenantCatalogue;
  readonly now: Date;
}

let baseClassifier: IntentClassifier | undefined;
/** The cache key of a catalogue's FAQ questions, worked out once per catalogue (cached per knowledge-base version). */
const questionKeys = new WeakMap<readonly string[], string>();

/**
 * The classifier trained on these FAQ questions (on first use), or the base one without a catalogue. It is kept by
 * the questions it was trained on, not by knowledge-base version: training is deterministic, so an edit that leaves
 * the questions as they were (an answer, a document, a price) reuses the model instead of training again (~0.2 s
 * for the demo's 40 FAQs, ~1 s for 2,000) on the next message in every warm container.
 */
export function classifierOf(catalogue?: TenantCatalogue): IntentClassifier {
  if (!catalogue) return (baseClassifier ??= IntentClassifier.train());
  let key = questionKeys.get(catalogue.faqQuestions);
  if (key === undefined) {
    key = createHash('sha256').update(JSON.stringify(catalogue.faqQuestions)).digest('base64url');
    questionKeys.set(catalogue.faqQuestions, key);
  }
  return classifierFor(key, catalogue.faqQuestions);
}

export function understand(input: UnderstandInput): Understanding {
  const lang = detectLanguage(input.text, input.langHint);
  const prediction = classifierOf(input.catalogue).predict(input.text);
  const catalogue = input.catalogue;
  const service = catalogue ? matchServices(input.text, catalogue.services)[0] : undefined;
  const staff = catalogue ? matchStaff(input.text, catalogue.staff)[0] : undefined;
  const when = parseWhen(input.text, {
    lang,
    timezone: catalogue?.business.timezone ?? 'UTC',
    now: input.now,
    ...(catalogue ? { hours: catalogue.hours } : {}),
  });
  return {
    lang,
    intent: prediction.intent,
    intentConfidence: Math.round(prediction.confidence * 1000) / 1000,
    ...(service ? { service } : {}),
    ...(staff ? { staff } : {}),
    ...(when ? { when } : {}),
    contact: extractContact(input.text),
  };
}
