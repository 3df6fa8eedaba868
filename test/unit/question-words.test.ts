/** nlu/question.ts: the one reading of "is this a question" shared by the booking dialog and the concierge. */
import { asksByWord, looksLikeQuestion } from '../../lambdas/core/nlu/question';

describe('question words', () => {
  it.each(['What are your opening hours', 'where is the clinic', '¿tenéis parking', 'dónde estáis', 'cuánto cuesta', 'ok?'])('%s asks by word', (text) => {
    expect(asksByWord(text)).toBe(true);
    expect(looksLikeQuestion(text)).toBe(true);
  });

  it.each(['do you have parking', 'is it open on Sunday', 'tienen parking', 'se puede pagar con tarjeta', 'can I come at 5'])('%s is a question by its opener only', (text) => {
    expect(asksByWord(text)).toBe(false);
    expect(looksLikeQuestion(text)).toBe(true);
  });

  it.each(['what a great service!', 'Ana Murphy', 'gracias, es todo', "can't wait"])('%s is no question', (text) => {
    expect(asksByWord(text)).toBe(false);
  });
});
