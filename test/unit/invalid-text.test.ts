import { invalidTextIssue, isWellFormedText } from '../../lambdas/core/errors';

describe('invalidTextIssue', () => {
  it('passes text, whole surrogate pairs included', () => {
    expect(invalidTextIssue({ text: 'Hola 🤒', items: ['a', { b: 'c' }], n: 1, ok: true, none: null }, 'the request body')).toBeUndefined();
    expect(isWellFormedText('\ud83d\ude42')).toBe(true);
  });

  it.each(['\ud800', 'a\udfff', '\udc00\ud800', 'end \ud83d'])('names the field of %j, nested or in an array', (bad) => {
    expect(invalidTextIssue({ customer: { name: bad } }, 'the request body')).toEqual({ field: 'customer.name', message: 'customer.name: contains an invalid character' });
    expect(invalidTextIssue({ items: ['fine', { text: bad }] }, 'the frame')).toEqual({ field: 'items.1.text', message: 'items.1.text: contains an invalid character' });
  });

  it('names the first in document order, a field name, and the whole input', () => {
    expect(invalidTextIssue({ a: 'ok', b: ['\ud800'], c: '\ud800' }, 'the frame')?.field).toBe('b.0');
    expect(invalidTextIssue({ meta: { '\ud800': 1 } }, 'the frame')).toEqual({ field: 'meta', message: 'meta: has a field name with an invalid character' });
    expect(invalidTextIssue('\ud800', 'the request body')).toEqual({ message: 'the request body contains an invalid character' });
  });

  it('goes through a body nested very deep without overflowing the stack', () => {
    const depth = 200_000;
    const deep: unknown = JSON.parse(`${'['.repeat(depth)}"\\ud800"${']'.repeat(depth)}`);
    expect(invalidTextIssue(deep, 'the request body')?.message).toMatch(/: contains an invalid character$/);
  });
});
