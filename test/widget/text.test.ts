import { MAX_MESSAGE_BYTES as PROTOCOL_MAX_MESSAGE_BYTES } from '../../lambdas/core/protocol';
import { linkify, MAX_MESSAGE_BYTES, tooLong } from '../../widget/src/lib/text';

describe('tooLong', () => {
  it('uses the protocol limit, in UTF-8 bytes of the trimmed text', () => {
    expect(MAX_MESSAGE_BYTES).toBe(PROTOCOL_MAX_MESSAGE_BYTES);
    expect(tooLong('a'.repeat(MAX_MESSAGE_BYTES))).toBe(false);
    expect(tooLong(`  ${'a'.repeat(MAX_MESSAGE_BYTES)}\n`)).toBe(false);
    expect(tooLong('a'.repeat(MAX_MESSAGE_BYTES + 1))).toBe(true);
    expect(tooLong('é'.repeat(MAX_MESSAGE_BYTES / 2))).toBe(false);
    expect(tooLong('é'.repeat(MAX_MESSAGE_BYTES / 2 + 1))).toBe(true);
  });
});

describe('linkify', () => {
  it('keeps plain text as one text part', () => {
    expect(linkify('Yes, six free spaces.')).toEqual([{ kind: 'text', text: 'Yes, six free spaces.' }]);
  });
  it('turns http(s) URLs into links without trailing punctuation', () => {
    expect(linkify('See https://harbourdental.example/visit. Thanks')).toEqual([
      { kind: 'text', text: 'See ' },
      { kind: 'link', text: 'https://harbourdental.example/visit', href: 'https://harbourdental.example/visit' },
      { kind: 'text', text: '. Thanks' },
    ]);
  });
  it('never links other schemes', () => {
    for (const t of ['javascript:alert(1)', 'data:text/html,<script>', 'vbscript:x', 'file:///etc/passwd']) {
      expect(linkify(t)).toEqual([{ kind: 'text', text: t }]);
    }
  });
  it('stops a URL at quotes and angle brackets', () => {
    const parts = linkify('<a href="https://evil.example/x"onmouseover=1>');
    const link = parts.find((p) => p.kind === 'link');
    expect(link).toEqual({ kind: 'link', text: 'https://evil.example/x', href: 'https://evil.example/x' });
    expect(parts.map((p) => p.text).join('')).toBe('<a href="https://evil.example/x"onmouseover=1>');
  });
  it('round-trips the text exactly', () => {
    const s = 'a http://x.example/1, b (https://y.example/2) c';
    expect(linkify(s).map((p) => p.text).join('')).toBe(s);
  });
});
