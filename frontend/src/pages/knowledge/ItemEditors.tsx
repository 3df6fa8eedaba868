import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { Faq, KbDocument } from '../../api/types';
import { ErrorBanner } from '../../components/ErrorBanner';
import { Loading } from '../../components/Loading';
import { describeError, type ErrorView } from '../../lib/api-error';
import { faqIdFor } from '../analytics/analytics';
import { MAX_ALTERNATIVES } from '../analytics/KnowledgeGaps';
import { isEditConflict, wordingsOf, type KnowledgeItemsApi, type SaveAs } from './knowledge-api';

/** What the admin is editing: an FAQ or a document, an existing one (its id) or a new one. */
export type Editing = { readonly kind: 'faq' | 'document'; readonly id?: string };

/** Largest PDF accepted (lambdas/core/knowledge-items.ts MAX_PDF_BYTES). */
const MAX_PDF_BYTES = 5 * 1024 * 1024;

interface EditorProps {
  readonly items: KnowledgeItemsApi;
  /** The ids in use, so a new item gets a free one. */
  readonly takenIds: readonly string[];
  readonly id?: string;
  readonly onSaved: (message: string) => void;
  readonly onCancel: () => void;
}

/**
 * Opening an existing item reads it afresh with its entity tag; saving sends that tag, so a change someone else
 * saved meanwhile is refused (412). The form then keeps what was typed and offers their version.
 */
function useItem<T>(load: ((signal: AbortSignal) => Promise<{ value: T; etag: string }>) | undefined, fill: (value: T) => void) {
  const [etag, setEtag] = useState<string>();
  const [loadError, setLoadError] = useState<ErrorView>();
  const [loading, setLoading] = useState(load !== undefined);
  const [generation, setGeneration] = useState(0);
  const fillRef = useRef(fill);
  fillRef.current = fill;
  useEffect(() => {
    if (load === undefined) return undefined;
    const controller = new AbortController();
    setLoading(true);
    setLoadError(undefined);
    load(controller.signal)
      .then((item) => {
        fillRef.current(item.value);
        setEtag(item.etag);
      })
      .catch((err: unknown) => {
        if (!controller.signal.aborted) setLoadError(describeError(err));
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
  }, [load, generation]);
  return { etag, setEtag, loadError, loading, reload: () => setGeneration((g) => g + 1) };
}

function EditorFrame({
  title,
  testId,
  onSubmit,
  loading,
  loadError,
  saveError,
  conflict,
  onLoadTheirs,
  children,
}: {
  title: string;
  testId: string;
  onSubmit: (e: FormEvent) => void;
  loading: boolean;
  loadError: ErrorView | undefined;
  saveError: ErrorView | undefined;
  conflict: string | undefined;
  onLoadTheirs: () => void;
  children: ReactNode;
}) {
  const headingId = useId();
  return (
    <form className="kb-editor" onSubmit={onSubmit} aria-labelledby={headingId} data-testid={testId}>
      <h3 id={headingId} className="kb-editor__title">
        {title}
      </h3>
      {loadError !== undefined && <ErrorBanner error={loadError} title="Could not open it" testId={`${testId}-load-error`} />}
      {conflict !== undefined && (
        <div className="alert alert--warning" role="alert" data-testid={`${testId}-conflict`}>
          <p className="alert__title">Someone else changed this meanwhile</p>
          <p>{conflict}</p>
          <div className="button-row">
            <button type="button" className="button button--secondary" onClick={onLoadTheirs} data-testid={`${testId}-load-theirs`}>
              Load their version
            </button>
          </div>
        </div>
      )}
      {saveError !== undefined && <ErrorBanner error={saveError} title="Could not save" testId={`${testId}-error`} />}
      {loading ? <Loading label="Opening…" /> : children}
    </form>
  );
}

function Actions({ label, disabled, testId, onCancel }: { label: string; disabled: boolean; testId: string; onCancel: () => void }) {
  return (
    <div className="button-row">
      <button type="submit" className="button" disabled={disabled} data-testid={testId}>
        {label}
      </button>
      <button type="button" className="button button--quiet" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}

/** Runs a save: a refusal because the item changed meanwhile becomes `conflict`, anything else `error`. */
function useSave() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorView>();
  const [conflict, setConflict] = useState<string>();
  const run = async (save: () => Promise<void>, conflictMessage: string): Promise<void> => {
    setBusy(true);
    setError(undefined);
    setConflict(undefined);
    try {
      await save();
    } catch (err) {
      if (isEditConflict(err)) setConflict(conflictMessage);
      else setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, conflict, clearConflict: () => setConflict(undefined), run };
}

export function FaqEditor({ items, takenIds, id, categories, onSaved, onCancel }: EditorProps & { readonly categories: readonly string[] }) {
  const fieldId = useId();
  const [question, setQuestion] = useState('');
  const [answer, setAnswer] = useState('');
  const [category, setCategory] = useState(categories[0] ?? 'General');
  const [wordings, setWordings] = useState('');
  const [taken, setTaken] = useState<readonly string[]>(takenIds);
  const firstRef = useRef<HTMLInputElement>(null);
  const [load] = useState(() =>
    id === undefined ? undefined : async (signal: AbortSignal) => {
      const item = await items.getFaq(id, { signal });
      return { value: item.faq, etag: item.etag };
    },
  );
  const fill = (faq: Faq): void => {
    setQuestion(faq.question);
    setAnswer(faq.answer);
    setCategory(faq.category);
    setWordings((faq.alternatives ?? []).join('\n'));
  };
  const { etag, setEtag, loadError, loading, reload } = useItem(load, fill);
  const save = useSave();
  useEffect(() => {
    if (!loading) firstRef.current?.focus();
  }, [loading]);

  const alternatives = wordingsOf(wordings, question);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const input = { question: question.trim(), answer: answer.trim(), category: category.trim(), alternatives };
    if (id !== undefined && etag === undefined) return;
    const faqId = id ?? faqIdFor(input.question, Date.now().toString(36), taken);
    const as: SaveAs = id !== undefined && etag !== undefined ? { etag } : { create: true };
    void save.run(
      async () => {
        try {
          const saved = await items.saveFaq(faqId, input, as);
          setEtag(saved.etag);
          onSaved(saved.created ? `Added the FAQ “${input.question}”. The concierge answers from it now.` : `Saved the FAQ “${input.question}”. The concierge answers from it now.`);
        } catch (err) {
          // A new FAQ whose id someone took meanwhile gets another id on the next save.
          if (id === undefined && isEditConflict(err)) setTaken((t) => [...t, faqId]);
          throw err;
        }
      },
      id === undefined
        ? 'Someone added an FAQ with the same id a moment ago. Save again to add yours beside it.'
        : 'This FAQ was changed or deleted by someone else since you opened it. What you typed is still here: load their version to see it, then make your change again.',
    );
  };

  return (
    <EditorFrame
      title={id === undefined ? 'New FAQ' : 'Edit FAQ'}
      testId="faq-editor"
      onSubmit={submit}
      loading={loading}
      loadError={loadError}
      saveError={save.error}
      conflict={save.conflict}
      onLoadTheirs={() => {
        save.clearConflict();
        if (id === undefined) return;
        reload();
      }}
    >
      <div className="field">
        <label htmlFor={`${fieldId}-q`}>Question</label>
        <input
          id={`${fieldId}-q`}
          ref={firstRef}
          required
          minLength={3}
          maxLength={500}
          value={question}
          onChange={(e) => setQuestion(e.target.value)}
          data-testid="faq-editor-question"
        />
      </div>
      <div className="field">
        <label htmlFor={`${fieldId}-a`}>Answer</label>
        <textarea id={`${fieldId}-a`} required maxLength={4000} rows={4} value={answer} onChange={(e) => setAnswer(e.target.value)} data-testid="faq-editor-answer" />
      </div>
      <div className="field">
        <label htmlFor={`${fieldId}-c`}>Category</label>
        <input id={`${fieldId}-c`} required maxLength={60} list={`${fieldId}-cats`} value={category} onChange={(e) => setCategory(e.target.value)} data-testid="faq-editor-category" />
        <datalist id={`${fieldId}-cats`}>
          {categories.map((c) => (
            <option key={c} value={c} />
          ))}
        </datalist>
      </div>
      <div className="field">
        <label htmlFor={`${fieldId}-w`}>Other wordings customers use (one per line, optional)</label>
        <textarea
          id={`${fieldId}-w`}
          rows={3}
          value={wordings}
          onChange={(e) => setWordings(e.target.value)}
          aria-describedby={`${fieldId}-w-hint`}
          aria-invalid={alternatives.length > MAX_ALTERNATIVES}
          data-testid="faq-editor-wordings"
        />
        <p id={`${fieldId}-w-hint`} className="muted small">
          The concierge answers these with this FAQ’s answer too. At most {MAX_ALTERNATIVES}.
        </p>
      </div>
      <Actions
        label={id === undefined ? 'Add FAQ' : 'Save FAQ'}
        disabled={save.busy || question.trim().length < 3 || answer.trim() === '' || category.trim() === '' || alternatives.length > MAX_ALTERNATIVES || alternatives.some((w) => w.length < 3 || w.length > 500)}
        testId="faq-editor-save"
        onCancel={onCancel}
      />
    </EditorFrame>
  );
}

async function base64Of(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function DocumentEditor({ items, takenIds, id, onSaved, onCancel }: EditorProps) {
  const fieldId = useId();
  const [title, setTitle] = useState('');
  const [source, setSource] = useState<'markdown' | 'pdf'>('markdown');
  const [text, setText] = useState('');
  const [file, setFile] = useState<File>();
  const [taken, setTaken] = useState<readonly string[]>(takenIds);
  const firstRef = useRef<HTMLInputElement>(null);
  const [load] = useState(() =>
    id === undefined ? undefined : async (signal: AbortSignal) => {
      const item = await items.getDocument(id, { signal });
      return { value: item.document, etag: item.etag };
    },
  );
  const fill = (document: KbDocument): void => {
    setTitle(document.title);
    setText(document.text);
    setSource('markdown');
  };
  const { etag, setEtag, loadError, loading, reload } = useItem(load, fill);
  const save = useSave();
  useEffect(() => {
    if (!loading) firstRef.current?.focus();
  }, [loading]);

  const tooLarge = file !== undefined && file.size > MAX_PDF_BYTES;
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    if (id !== undefined && etag === undefined) return;
    const documentId = id ?? faqIdFor(title.trim(), Date.now().toString(36), taken);
    const as: SaveAs = id !== undefined && etag !== undefined ? { etag } : { create: true };
    void save.run(
      async () => {
        try {
          const body =
            source === 'pdf' && file !== undefined
              ? { title: title.trim(), format: 'pdf' as const, pdfBase64: await base64Of(file) }
              : { title: title.trim(), format: 'markdown' as const, text };
          const saved = await items.saveDocument(documentId, body, as);
          setEtag(saved.etag);
          const parts = `${saved.document.chunks} ${saved.document.chunks === 1 ? 'passage' : 'passages'}`;
          onSaved(`${saved.created ? 'Added' : 'Saved'} the document “${saved.document.title}” (${parts}). The concierge answers from it now.`);
        } catch (err) {
          if (id === undefined && isEditConflict(err)) setTaken((t) => [...t, documentId]);
          throw err;
        }
      },
      id === undefined
        ? 'Someone added a document with the same id a moment ago. Save again to add yours beside it.'
        : 'This document was changed or deleted by someone else since you opened it. What you typed is still here: load their version to see it, then make your change again.',
    );
  };

  return (
    <EditorFrame
      title={id === undefined ? 'New document' : 'Edit document'}
      testId="document-editor"
      onSubmit={submit}
      loading={loading}
      loadError={loadError}
      saveError={save.error}
      conflict={save.conflict}
      onLoadTheirs={() => {
        save.clearConflict();
        if (id !== undefined) reload();
      }}
    >
      <div className="field">
        <label htmlFor={`${fieldId}-t`}>Title</label>
        <input id={`${fieldId}-t`} ref={firstRef} required maxLength={200} value={title} onChange={(e) => setTitle(e.target.value)} data-testid="document-editor-title" />
      </div>
      <fieldset className="field kb-editor__source">
        <legend>Content</legend>
        <label>
          <input type="radio" name={`${fieldId}-src`} checked={source === 'markdown'} onChange={() => setSource('markdown')} data-testid="document-editor-typed" /> Text or
          Markdown
        </label>
        <label>
          <input type="radio" name={`${fieldId}-src`} checked={source === 'pdf'} onChange={() => setSource('pdf')} data-testid="document-editor-pdf" /> A PDF file
        </label>
      </fieldset>
      {source === 'markdown' ? (
        <div className="field">
          <label htmlFor={`${fieldId}-x`}>Text</label>
          <textarea
            id={`${fieldId}-x`}
            required
            maxLength={200_000}
            rows={10}
            value={text}
            onChange={(e) => setText(e.target.value)}
            aria-describedby={`${fieldId}-x-hint`}
            data-testid="document-editor-text"
          />
          <p id={`${fieldId}-x-hint`} className="muted small">
            Headings (# …) mark sections: the concierge cites the section that answers.
          </p>
        </div>
      ) : (
        <div className="field">
          <label htmlFor={`${fieldId}-f`}>PDF file (at most 5 MB, with selectable text)</label>
          <input id={`${fieldId}-f`} type="file" accept=".pdf,application/pdf" required onChange={(e) => setFile(e.target.files?.[0])} data-testid="document-editor-file" />
          {tooLarge && (
            <p className="field-error" role="alert">
              That file is larger than 5 MB.
            </p>
          )}
        </div>
      )}
      <Actions
        label={id === undefined ? 'Add document' : 'Save document'}
        disabled={save.busy || title.trim() === '' || (source === 'markdown' ? text.trim() === '' : file === undefined || tooLarge)}
        testId="document-editor-save"
        onCancel={onCancel}
      />
    </EditorFrame>
  );
}

/**
 * Deleting what the admin sees: the item is read again with its tag, and deleted with `If-Match` only if it is
 * still what the page shows; otherwise nothing is deleted and the admin is told to look again.
 */
export async function deleteShown(items: KnowledgeItemsApi, shown: { kind: 'faq'; faq: Faq } | { kind: 'document'; document: KbDocument }): Promise<string> {
  const changed = (what: string) => new Error(`This ${what} was changed by someone else since the page loaded. Nothing was deleted: look at it again first.`);
  try {
    if (shown.kind === 'faq') {
      const { faq, etag } = await items.getFaq(shown.faq.id);
      const same = JSON.stringify([faq.question, faq.answer, faq.category, faq.alternatives ?? []]) === JSON.stringify([shown.faq.question, shown.faq.answer, shown.faq.category, shown.faq.alternatives ?? []]);
      if (!same) throw changed('FAQ');
      await items.deleteFaq(faq.id, etag);
      return `Deleted the FAQ “${faq.question}”.`;
    }
    const { document, etag } = await items.getDocument(shown.document.id);
    if (document.title !== shown.document.title || document.text !== shown.document.text) throw changed('document');
    await items.deleteDocument(document.id, etag);
    return `Deleted the document “${document.title}”.`;
  } catch (err) {
    if (isEditConflict(err)) throw changed(shown.kind === 'faq' ? 'FAQ' : 'document');
    throw err;
  }
}
