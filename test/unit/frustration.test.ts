import { answerQuestion } from '../../lambdas/core/answer/concierge';
import { frustrationScore, stronglyFrustrated } from '../../lambdas/core/nlu/frustration';
import type { KnowledgeIndex, LanguageModel } from '../../lambdas/core/ports';

describe('strong frustration', () => {
  it.each([
    'This is ridiculous, I have been waiting for a callback for three days',
    'worst service I have ever had from a clinic',
    'I am fed up with this',
    'you stupid bot, answer me',
    'WHY DOES NOBODY ANSWER THE PHONE!!!',
    'esto es inaceptable, nadie me contesta',
    'estoy harta de esperar',
  ])('hands over at once: %s', (text) => {
    expect(stronglyFrustrated(text)).toBe(true);
  });

  it.each([
    'I am very unhappy with my whitening result',
    'I waited 45 minutes past my appointment time, really not good enough',
    'is whitening bad for sensitive teeth?',
    'I have the worst toothache, can I come in today?',
    'Do you accept VHI or LAYA insurance?',
    'estoy muy descontento, me tuvieron esperando casi una hora',
    'what?',
  ])('stays an ordinary message (a complaint is offered a person, not handed over): %s', (text) => {
    expect(stronglyFrustrated(text)).toBe(false);
  });

  it('counts independent cues', () => {
    expect(frustrationScore('hello')).toBe(0);
    expect(frustrationScore('THIS IS A COMPLETE SCAM!!!')).toBeGreaterThanOrEqual(3);
  });
});

describe('the policy', () => {
  const index: KnowledgeIndex = { search: async () => [] };
  const model: LanguageModel = { compose: async () => ({ text: '', usedPassageIds: [] }) };

  it('hands an angry customer over with the reason "strong frustration", and only offers a person for a plain complaint', async () => {
    const angry = await answerQuestion({ index, model }, { tenantId: 'harbour-dental', businessName: 'Harbour Dental Studio', question: 'This is ridiculous, nobody has called me back about my bill!' });
    expect(angry).toMatchObject({ handoffRequested: true, handoffReason: 'strong frustration' });
    const calm = await answerQuestion({ index, model }, { tenantId: 'harbour-dental', businessName: 'Harbour Dental Studio', question: 'I am very unhappy with my whitening result' });
    expect(calm).toMatchObject({ handoffRequested: false, handoffOffered: true });
  });
});
