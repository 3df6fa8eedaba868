import { useCallback, useEffect, useId, useMemo, useRef, useState, type FormEvent } from 'react';
import { ErrorBanner } from '../../components/ErrorBanner';
import { FormActions } from '../../components/FormActions';
import { Loading } from '../../components/Loading';
import { useSession } from '../../hooks/session';
import { useLoader } from '../../hooks/useLoader';
import { describeError, type ErrorView } from '../../lib/api-error';
import { formatDateTime } from '../../lib/format';
import { hrefFor } from '../../lib/routes';
import { addFaqForGap, formatCount } from './analytics';
import type { AnalyticsApi, KnowledgeGap } from './analytics-api';
import { isEditConflict, knowledgeItemsApi } from '../knowledge/knowledge-api';

/** The category an FAQ added from an unanswered question starts with (the admin may change it). */
export const DEFAULT_FAQ_CATEGORY = 'Customer questions';
/** The most alternative wordings an FAQ may have (lambdas/core/knowledge-base.ts). */
export const MAX_ALTERNATIVES = 20;

/**
 * "Unanswered questions": what customers asked that the knowledge base could not answer. Admins turn one
 * into an FAQ in place (the question prefilled, they write the answer), add it to an existing FAQ as another
 * wording of its question (when the knowledge base had the answer but not the customer's words), or dismiss
 * it; agents see the list.
 */
export function KnowledgeGaps({ analytics }: { analytics: AnalyticsApi }) {
  const { api, isAdmin } = useSession();
  const knowledge = useMemo(() => knowledgeItemsApi(api), [api]);
  const load = useCallback((signal: AbortSignal) => analytics.gaps({ signal }), [analytics]);
  const { data, error, reload } = useLoader(load);
  const [done, setDone] = useState<ReadonlySet<string>>(new Set());
  const [notice, setNotice] = useState('');
  const [actionError, setActionError] = useState<ErrorView>();
  const [busy, setBusy] = useState<string>();
  const [adding, setAdding] = useState<{ gapId: string; as: 'faq' | 'wording' }>();
  const items = (data ?? []).filter((g) => !done.has(g.gapId));

  const run = async (gap: KnowledgeGap, action: () => Promise<string>): Promise<void> => {
    setBusy(gap.gapId);
    setActionError(undefined);
    setNotice('');
    try {
      const message = await action();
      setDone((d) => new Set([...d, gap.gapId]));
      setAdding(undefined);
      setNotice(message);
    } catch (err) {
      setActionError(describeError(err));
    } finally {
      setBusy(undefined);
    }
  };

  /** FAQs this page created, by gap: a retry after the gap could not be marked only marks it. */
  const createdFaqs = useRef(new Map<string, string>());
  const addFaq = (gap: KnowledgeGap, input: { question: string; answer: string; category: string }): Promise<void> =>
    run(gap, async () => {
      // Created only if its id is free (If-None-Match: *): an FAQ someone added meanwhile is never replaced.
      await addFaqForGap(
        {
          takenIds: async () => (await api.getKnowledge()).faqs.map((f) => f.id),
          createFaq: async (faqId, faq) => {
            await knowledge.saveFaq(faqId, faq, { create: true });
          },
          resolveGap: async (gapId, faqId) => {
            await analytics.resolveGap(gapId, { faqId });
          },
          isEditConflict,
        },
        gap.gapId,
        input,
        createdFaqs.current,
      );
      return `Added the FAQ “${input.question}”. The concierge answers it from now on.`;
    });

  const addWording = (gap: KnowledgeGap, faqId: string): Promise<void> =>
    run(gap, async () => {
      // The FAQ as it is now, saved only if still so (If-Match): an edit made meanwhile is kept, and the wording
      // is added to it on the next try.
      for (let attempt = 1; ; attempt++) {
        const { faq, etag } = await knowledge.getFaq(faqId);
        const known = [faq.question, ...(faq.alternatives ?? [])].map((w) => w.trim().toLowerCase());
        const alternatives = known.includes(gap.question.trim().toLowerCase()) ? (faq.alternatives ?? []) : [...(faq.alternatives ?? []), gap.question];
        if (alternatives.length > MAX_ALTERNATIVES) throw new Error(`“${faq.question}” already has ${MAX_ALTERNATIVES} other wordings: remove one on the Knowledge page first.`);
        try {
          // Sent even when the wording is already there (a retry): the server then only makes sure it is indexed.
          await knowledge.saveFaq(faq.id, { question: faq.question, answer: faq.answer, category: faq.category, alternatives }, { etag });
        } catch (err) {
          if (isEditConflict(err) && attempt < 3) continue;
          throw err;
        }
        await analytics.resolveGap(gap.gapId, { faqId: faq.id });
        return `Added “${gap.question}” to the FAQ “${faq.question}”. The concierge answers it from that FAQ from now on.`;
      }
    });

  const dismiss = (gap: KnowledgeGap): Promise<void> =>
    run(gap, async () => {
      await analytics.resolveGap(gap.gapId, { dismiss: true });
      return `Dismissed “${gap.question}”.`;
    });

  return (
    <section className="card analytics__section" aria-labelledby="analytics-gaps-title" data-testid="analytics-gaps">
      <div className="analytics__gaps-head">
        <h2 id="analytics-gaps-title" className="card__title">
          Unanswered questions
          {data !== undefined && <span className="count">{items.length}</span>}
        </h2>
        <button type="button" className="button button--quiet" onClick={reload} data-testid="analytics-gaps-refresh">
          Refresh
        </button>
      </div>
      <p className="muted small">
        Questions the concierge could not answer from the knowledge base, most asked first.{' '}
        {isAdmin
          ? 'Add an FAQ to answer one from now on, add it to the FAQ that already answers it (in other words), or dismiss it.'
          : 'Admins can turn them into FAQs.'}
      </p>
      <p role="status" className="muted" data-testid="analytics-gaps-notice">
        {notice}
      </p>
      {actionError !== undefined && <ErrorBanner error={actionError} title="That did not work" testId="analytics-gaps-action-error" />}
      {error !== undefined && <ErrorBanner error={error} title="Could not load the unanswered questions" testId="analytics-gaps-error" />}
      {data === undefined ? (
        error === undefined && <Loading label="Loading unanswered questions…" />
      ) : items.length === 0 ? (
        <div className="empty-state" data-testid="analytics-gaps-empty">
          No unanswered questions. The knowledge base covers what customers asked.
        </div>
      ) : (
        <ul className="analytics__gaps">
          {items.map((gap) => (
            <GapRow
              key={gap.gapId}
              gap={gap}
              isAdmin={isAdmin}
              busy={busy !== undefined}
              adding={adding?.gapId === gap.gapId ? adding.as : undefined}
              onAdd={(as) => setAdding({ gapId: gap.gapId, as })}
              onCancel={() => setAdding(undefined)}
              onSave={(input) => addFaq(gap, input)}
              onSaveWording={(faqId) => addWording(gap, faqId)}
              onDismiss={() => dismiss(gap)}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

function GapRow({
  gap,
  isAdmin,
  busy,
  adding,
  onAdd,
  onCancel,
  onSave,
  onSaveWording,
  onDismiss,
}: {
  gap: KnowledgeGap;
  isAdmin: boolean;
  busy: boolean;
  adding: 'faq' | 'wording' | undefined;
  onAdd: (as: 'faq' | 'wording') => void;
  onCancel: () => void;
  onSave: (input: { question: string; answer: string; category: string }) => Promise<void>;
  onSaveWording: (faqId: string) => Promise<void>;
  onDismiss: () => Promise<void>;
}) {
  const firstConversation = gap.conversationIds[0];
  return (
    <li className="analytics__gap" data-testid="analytics-gap" data-gap={gap.gapId}>
      <div className="analytics__gap-main">
        <p className="analytics__gap-question" lang={gap.lang} data-testid="analytics-gap-question">
          {gap.question}
        </p>
        <p className="muted small">
          Asked {formatCount(gap.count)} {gap.count === 1 ? 'time' : 'times'}, last <time dateTime={gap.lastAskedAt}>{formatDateTime(gap.lastAskedAt)}</time>
          {firstConversation !== undefined && (
            <>
              {' · '}
              <a href={hrefFor({ name: 'conversations', conversationId: firstConversation })}>See a conversation</a>
            </>
          )}
        </p>
      </div>
      {isAdmin && adding === undefined && (
        <div className="button-row analytics__gap-actions">
          <button type="button" className="button" disabled={busy} onClick={() => onAdd('faq')} data-testid="analytics-gap-add" aria-label={`Add FAQ for “${gap.question}”`}>
            Add FAQ
          </button>
          <button
            type="button"
            className="button button--secondary"
            disabled={busy}
            onClick={() => onAdd('wording')}
            data-testid="analytics-gap-wording"
            aria-label={`Add to an FAQ: “${gap.question}”`}
          >
            Add to an FAQ
          </button>
          <button type="button" className="button button--secondary" disabled={busy} onClick={() => void onDismiss()} data-testid="analytics-gap-dismiss" aria-label={`Dismiss “${gap.question}”`}>
            Dismiss
          </button>
        </div>
      )}
      {isAdmin && adding === 'faq' && <FaqForm question={gap.question} busy={busy} onCancel={onCancel} onSave={onSave} />}
      {isAdmin && adding === 'wording' && <WordingForm question={gap.question} busy={busy} onCancel={onCancel} onSave={onSaveWording} />}
    </li>
  );
}

function FaqForm({
  question: initialQuestion,
  busy,
  onCancel,
  onSave,
}: {
  question: string;
  busy: boolean;
  onCancel: () => void;
  onSave: (input: { question: string; answer: string; category: string }) => Promise<void>;
}) {
  const id = useId();
  const [question, setQuestion] = useState(initialQuestion);
  const [answer, setAnswer] = useState('');
  const [category, setCategory] = useState(DEFAULT_FAQ_CATEGORY);
  const answerRef = useRef<HTMLTextAreaElement>(null);
  useEffect(() => answerRef.current?.focus(), []);

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    void onSave({ question: question.trim(), answer: answer.trim(), category: category.trim() });
  };

  return (
    <form className="analytics__faq-form" onSubmit={submit} aria-label="New FAQ" data-testid="analytics-faq-form">
      <div className="field">
        <label htmlFor={`${id}-q`}>Question</label>
        <input id={`${id}-q`} required minLength={3} maxLength={500} value={question} onChange={(e) => setQuestion(e.target.value)} data-testid="analytics-faq-question" />
      </div>
      <div className="field">
        <label htmlFor={`${id}-a`}>Answer</label>
        <textarea id={`${id}-a`} ref={answerRef} required maxLength={4000} rows={3} value={answer} onChange={(e) => setAnswer(e.target.value)} data-testid="analytics-faq-answer" />
      </div>
      <div className="field">
        <label htmlFor={`${id}-c`}>Category</label>
        <input id={`${id}-c`} required maxLength={60} value={category} onChange={(e) => setCategory(e.target.value)} data-testid="analytics-faq-category" />
      </div>
      <FormActions label="Save FAQ" disabled={busy || answer.trim() === '' || question.trim().length < 3} testId="analytics-faq-save" onCancel={onCancel} />
    </form>
  );
}

/** Picks the FAQ that already answers the question; the question becomes one of its alternative wordings. */
function WordingForm({ question, busy, onCancel, onSave }: { question: string; busy: boolean; onCancel: () => void; onSave: (faqId: string) => Promise<void> }) {
  const { api } = useSession();
  const id = useId();
  const load = useCallback((signal: AbortSignal) => api.getKnowledge({ signal }), [api]);
  const { data: kb, error } = useLoader(load);
  const [faqId, setFaqId] = useState('');
  const selectRef = useRef<HTMLSelectElement>(null);
  useEffect(() => selectRef.current?.focus(), [kb]);

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    if (faqId !== '') void onSave(faqId);
  };

  return (
    <form className="analytics__faq-form" onSubmit={submit} aria-label="Add to an FAQ" data-testid="analytics-wording-form">
      <p className="small">
        “{question}” becomes another wording of the FAQ you choose: the concierge then answers it with that FAQ’s answer.
      </p>
      {error !== undefined && <ErrorBanner error={error} title="Could not load the FAQs" testId="analytics-wording-error" />}
      {kb === undefined ? (
        error === undefined && <Loading label="Loading FAQs…" />
      ) : (
        <div className="field">
          <label htmlFor={`${id}-faq`}>FAQ that answers it</label>
          <select id={`${id}-faq`} ref={selectRef} required value={faqId} onChange={(e) => setFaqId(e.target.value)} data-testid="analytics-wording-faq">
            <option value="">Choose an FAQ…</option>
            {kb.faqs.map((f) => (
              <option key={f.id} value={f.id}>
                {f.question}
              </option>
            ))}
          </select>
        </div>
      )}
      <FormActions label="Add to this FAQ" disabled={busy || faqId === ''} testId="analytics-wording-save" onCancel={onCancel} />
    </form>
  );
}
