/**
 * The extractive answerer's sentence selection: what it keeps beside the sentences that answer the question so
 * that the reply does not mislead by omission (a qualifier after a kept sentence, a list item's lead-in).
 */
import { ExtractiveAnswerer, qualifies } from '../../lambdas/adapters/llm/extractive';

const answer = async (text: string, question: string, lang = 'en'): Promise<string> => {
  const passage = { id: 'doc#1', kind: 'document' as const, title: 'Policies', text, sourceId: 'doc' };
  const out = await new ExtractiveAnswerer().compose({ question, lang, businessName: 'x', passages: [{ passage, score: 1, coverage: 1 }] });
  expect(out.usedPassageIds).toEqual(['doc#1']);
  return out.text;
};

describe('the extractive answerer keeps a qualifier with the sentence it qualifies', () => {
  it('keeps "This does not apply…" after the refund sentence it restricts', async () => {
    const text = 'We refund deposits within 5 working days. This does not apply to cancellations made less than 24 hours before. Reception is open on weekdays.';
    await expect(answer(text, 'how quickly do you refund deposits?')).resolves.toBe(
      'We refund deposits within 5 working days. This does not apply to cancellations made less than 24 hours before.',
    );
  });

  it('keeps a chain of qualifiers, and nothing after it', async () => {
    const text = 'Whitening costs €250. However, the price excludes replacement gel. Only adults can be treated. Our hygienist is Marta.';
    await expect(answer(text, 'how much is whitening?')).resolves.toBe('Whitening costs €250. However, the price excludes replacement gel. Only adults can be treated.');
  });

  it('keeps a Spanish qualifier ("Esto no se aplica…", "Sin embargo…")', async () => {
    const text = 'Devolvemos la señal en 5 días laborables. Esto no se aplica a las cancelaciones con menos de 24 horas de antelación. Sin embargo, puede cambiar la cita sin coste. El aparcamiento es gratuito.';
    await expect(answer(text, '¿Devolvéis la señal?', 'es')).resolves.toBe(
      'Devolvemos la señal en 5 días laborables. Esto no se aplica a las cancelaciones con menos de 24 horas de antelación. Sin embargo, puede cambiar la cita sin coste.',
    );
  });

  it('keeps a qualifier that introduces a list with its list', async () => {
    const text = 'We refund deposits within 5 working days. This does not apply to:\n- cancellations made less than 24 hours before\n- missed appointments\n\nParking is free.';
    await expect(answer(text, 'do you refund deposits?')).resolves.toBe(
      'We refund deposits within 5 working days. This does not apply to:\n- cancellations made less than 24 hours before\n- missed appointments',
    );
  });

  it('keeps to the sentence cap: a qualifier is kept rather than a later answering sentence', async () => {
    const text = 'Whitening costs €250. This does not include replacement gel. Whitening takes an hour. Whitening is done by Marta.';
    await expect(answer(text, 'whitening')).resolves.toBe('Whitening costs €250. This does not include replacement gel. Whitening takes an hour.');
  });

  it('leaves out a later answering sentence whose qualifier would not fit under the cap, rather than state it unqualified', async () => {
    const text = 'Whitening costs €250. Whitening takes an hour. Whitening is done by Marta. Unless she is on leave, then by Dr Gallagher.';
    await expect(answer(text, 'whitening')).resolves.toBe('Whitening costs €250. Whitening takes an hour.');
  });

  it('keeps the sentence a qualifier restricts when the qualifier is what matched the question', async () => {
    const text = 'Reception is open on weekdays. Same-day appointments are free of charge. This does not apply to emergencies at weekends. Parking is free.';
    await expect(answer(text, 'do you see emergencies at weekends?')).resolves.toBe(
      'Same-day appointments are free of charge. This does not apply to emergencies at weekends.',
    );
    // A qualifier opening the passage has nothing before it to bring.
    await expect(answer('Except on bank holidays. We open at 9.', 'bank holidays')).resolves.toBe('Except on bank holidays.');
  });

  it('never drops the best sentence to make room for the sentences it qualifies', async () => {
    const text =
      'Deposits are refunded in full if you cancel 24 hours ahead. However, late cancellations lose the deposit. Only card payments are refunded to the card. This does not apply to vouchers, which are refunded as credit at reception.';
    await expect(answer(text, 'are vouchers refunded at reception?')).resolves.toBe(text);
  });

  it('still answers a later sentence that fits when an earlier one did not', async () => {
    const text = 'Whitening costs €250. Whitening is done by Marta. Unless she is on leave. However, Dr Gallagher may step in. Whitening takes an hour.';
    await expect(answer(text, 'whitening')).resolves.toBe('Whitening costs €250. Whitening takes an hour.');
  });

  it('does not read the Spanish verb "Está" as the pronoun "esta"', () => {
    expect(qualifies('Está a solo cinco minutos a pie del puerto.')).toBe(false);
    expect(qualifies('Esta oferta solo es válida entre semana.')).toBe(true);
  });

  it('does not keep a following sentence that only adds to the kept one', async () => {
    const text = 'Whitening costs €250. This includes the custom trays. Parking is free.';
    await expect(answer(text, 'how much is whitening?')).resolves.toBe('Whitening costs €250.');
  });

  it.each([
    'This does not apply to children.',
    "It doesn't cover crowns.",
    'This offer is only valid on weekdays.',
    'They cannot be refunded.',
    "That's only for adults.",
    'However, we close at 1 pm on Saturdays.',
    'Except on bank holidays.',
    'Unless you are under 16.',
    'Only patients registered with us can book online.',
    'But the consultation is free.',
    'Note: card payments only.',
    'Please note that the deposit is not refundable.',
    'Exceptions: emergencies are seen the same day.',
    'Excluding whitening.',
    '(This excludes X-rays.)',
    'Esto no incluye las radiografías.',
    'Sin embargo, los sábados cerramos a la 1.',
    'Excepto los festivos.',
    'Salvo urgencias.',
    'Solo si tiene cita previa.',
    'No se aplica a los menores de 16 años.',
  ])('reads "%s" as a qualifier', (sentence) => {
    expect(qualifies(sentence)).toBe(true);
  });

  it.each(['This includes the custom trays.', 'They are included in the price.', 'It takes about 45 minutes.', 'Parking is free.', 'Esta clínica abre los sábados.', 'Notes are kept for eight years.'])(
    'does not read "%s" as a qualifier',
    (sentence) => {
      expect(qualifies(sentence)).toBe(false);
    },
  );
});

describe('the extractive answerer keeps a list item with its lead-in', () => {
  it('keeps "After an extraction, avoid:" before the item that answers', async () => {
    const text = 'After an extraction, avoid:\n\n- hot drinks\n- smoking\n- strenuous exercise\n\nEat soft food on the other side.';
    await expect(answer(text, 'can I have hot drinks?')).resolves.toBe('After an extraction, avoid:\n- hot drinks');
  });

  it('keeps a lead-in sentence that ends a paragraph, before a numbered list', async () => {
    const text = 'Welcome to the practice. Bring with you:\n1. your photo ID\n2. your insurance card\n\nParking is behind the building.';
    await expect(answer(text, 'do I need my insurance card?')).resolves.toBe('Bring with you:\n- your insurance card');
  });

  it('keeps the lead-in once, before several answering items in their order', async () => {
    const text = 'For 48 hours after whitening, avoid:\n* coffee and tea\n* red wine\n* smoking\n\nSensitivity is normal.';
    await expect(answer(text, 'can I drink red wine or tea?')).resolves.toBe('For 48 hours after whitening, avoid:\n- coffee and tea\n- red wine');
  });

  it('adds no lead-in to items that follow a line not ending in a colon', async () => {
    const text = 'Our services.\n- whitening\n- hot drinks are served in the waiting room';
    await expect(answer(text, 'do you serve hot drinks?')).resolves.toBe('- hot drinks are served in the waiting room');
  });
});
