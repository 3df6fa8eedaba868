/** Passages and a question shared by the language-model adapter tests. */
import type { Passage } from '../../lambdas/core/answer/passages';
import type { ComposeInput, RetrievedPassage } from '../../lambdas/core/ports';

const hit = (passage: Passage, score: number): RetrievedPassage => ({ passage, score, coverage: 0.9 });

export const parking: Passage = {
  id: 'parking',
  kind: 'faq',
  title: 'Do you have parking?',
  text: 'Yes. Our car park is behind the building, with two spaces reserved for wheelchair users.',
  sourceId: 'parking',
};

export const prices: Passage = {
  id: 'fees#2',
  kind: 'document',
  title: 'Fees › Parking and extras',
  text: 'Parking is free for patients for up to two hours.',
  sourceId: 'fees',
};

/** In the knowledge base, but not retrieved for this question: it must never reach the model. */
export const unrelated: Passage = {
  id: 'whitening',
  kind: 'faq',
  title: 'How much is whitening?',
  text: 'Home whitening costs 250 euro including the custom trays.',
  sourceId: 'whitening',
};

export function composeInput(overrides: Partial<ComposeInput> = {}): ComposeInput {
  return {
    question: 'Where can I park, and is it free?',
    lang: 'en',
    businessName: 'Harbour Dental Studio',
    passages: [hit(parking, 9.1), hit(prices, 7.4)],
    ...overrides,
  };
}

/** A streamed reply whose citation markers are split across pieces. */
export const streamedPieces = ['Our car park is behind ', 'the building [', '1]. Parking is', ' free for up to two hours [2', '][1].'];
export const expectedText = 'Our car park is behind the building. Parking is free for up to two hours.';
