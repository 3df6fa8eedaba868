import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { Faq, KbDocument } from '../../api/types';
import { ErrorBanner } from '../../components/ErrorBanner';
import { FormActions } from '../../components/FormActions';
import { Loading } from '../../components/Loading';
import { useUnsavedChanges } from '../../hooks/useUnsavedChanges';
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
 * An item editor's state. Opening an existing item reads it afresh with its entity tag; saving sends that tag, so a
 * change someone else saved meanwhile is refused (412): the form keeps what was typed and offers their version.
 * A new item is created only if its id is free; when someone took it meanwhile, the next save takes another.
 */
function useItemEditor<T>(options: {
  what: 'FAQ' | 'document';
  id: string | undefined;
  takenIds: readonly string[];
  open: (id: string, signal: AbortSignal) => Promise<{ value: T; etag: string }>;
  fill: (value: T) => void;
  onSaved: (message: string) => void;
}) {
  const { what, id } = options;
  const [etag, setEtag] = useState<string>();
  const [loadError, setLoadError] = useState<ErrorView>();
  const [loading, setLoading] = useState(id !== undefined);
  const [generation, setGeneration] = useState(0);
  const [taken, setTaken] = useState<readonly string[]>(options.takenIds);
  const [busy, setBusy] = useState(false);
  const [saveError, setSaveError] = useState<ErrorView>();
  const [conflict, setConflict] = useState<{ title: string; message: string }>();
  const latest = useRef(options);
  latest.current = options;
  /** The form's first field: focused once the item is open (at once for a new one). */
  const firstField = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (!loading) firstField.current?.focus();
  }, [loading]);

  useEffect(() => {
    if (id === undefined) return undefined;
    const controller = new AbortController();
    setLoading(true);
    setLoadError(undefined);
    latest.current
      .open(id, controller.signal)
      .then((item) => {
        latest.current.fill(item.value);
        setEtag(item.etag);
      })
      .catch((err: unknown) => {
        if (!controller.signal.aborted) setLoadError(describeError(err));
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
  }, [id, generation]);

  /** Saves under the item's id (a new item: a free id made from `title`); `write` returns the new tag and the notice. */
  const save = async (title: string, write: (itemId: string, as: SaveAs) => Promise<{ etag: string; message: string }>): Promise<void> => {
    if (id !== undefined && etag === undefined) return;
    const itemId = id ?? faqIdFor(title, Date.now().toString(36), taken);
    setBusy(true);
    setSaveError(undefined);
    setConflict(undefined);
    try {
      const saved = await write(itemId, etag !== undefined ? { etag } : { create: true });
      setEtag(saved.etag);
      latest.current.onSaved(saved.message);
    } catch (err) {
      if (!isEditConflict(err)) setSaveError(describeError(err));
      else if (id !== undefined) {
        setConflict({
          title: 'Someone else changed this meanwhile',
          message: `This ${what} was changed or deleted by someone else since you opened it. What you typed is still here: load their version to see it, then make your change again.`,
        });
      } else {
        setTaken((t) => [...t, itemId]);
        setConflict({
          title: 'That id was just taken',
          message: `Someone added ${what === 'FAQ' ? 'an FAQ' : 'a document'} with the same id a moment ago. Save again to add yours beside it.`,
        });
      }
    } finally {
      setBusy(false);
    }
  };

  return {
    busy,
    save,
    firstField,
    /** The editor frame's state. */
    frame: {
      loading,
      loadError,
      saveError,
      conflict,
      // Only an existing item has a version of theirs to load.
      ...(id !== undefined
        ? {
            onLoadTheirs: () => {
              setConflict(undefined);
              setGeneration((g) => g + 1);
            },
          }
        : {}),
    },
  };
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
  onCancel,
  children,
}: {
  title: string;
  testId: string;
  onSubmit: (e: FormEvent) => void;
  loading: boolean;
  loadError: ErrorView | undefined;
  saveError: ErrorView | undefined;
  conflict: { title: string; message: string } | undefined;
  onLoadTheirs?: () => void;
  onCancel: () => void;
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
          <p className="alert__title">{conflict.title}</p>
          <p>{conflict.message}</p>
          {onLoadTheirs !== undefined && (
            <div className="button-row">
              <button type="button" className="button button--secondary" onClick={onLoadTheirs} data-testid={`${testId}-load-theirs`}>
                Load their version
              </button>
            </div>
          )}
        </div>
      )}
      {saveError !== undefined && <ErrorBanner error={saveError} title="Could not save" testId={`${testId}-error`} />}
      {loading ? (
        <Loading label="Opening…" />
      ) : loadError !== undefined ? (
        // Nothing to edit (deleted meanwhile, or not readable): only a way out.
        <button type="button" className="button button--secondary" onClick={onCancel}>
          Close
        </button>
      ) : (
        children
      )}
    </form>
  );
}

export function FaqEditor({ items, takenIds, id, categories, onSaved, onCancel }: EditorProps & { readonly categories: readonly string[] }) {
  const fieldId = useId();
  const [question, setQuestion] = useState('');
  const [answer, setAnswer] = useState('');
  const [category, setCategory] = useState(categories[0] ?? 'General');
  const [wordings, setWordings] = useState('');
  /** The form as opened (empty for a new FAQ): anything else typed is unsaved until saved or cancelled. */
  const [opened, setOpened] = useState(() => JSON.stringify(['', '', categories[0] ?? 'General', '']));
  useUnsavedChanges(JSON.stringify([question, answer, category, wordings]) !== opened);
  const editor = useItemEditor<Faq>({
    what: 'FAQ',
    id,
    takenIds,
    onSaved,
    open: async (faqId, signal) => {
      const item = await items.getFaq(faqId, { signal });
      return { value: item.faq, etag: item.etag };
    },
    fill: (faq) => {
      setQuestion(faq.question);
      setAnswer(faq.answer);
      setCategory(faq.category);
      setWordings((faq.alternatives ?? []).join('\n'));
      setOpened(JSON.stringify([faq.question, faq.answer, faq.category, (faq.alternatives ?? []).join('\n')]));
    },
  });

  const alternatives = wordingsOf(wordings, question);
  const wordingProblem =
    alternatives.length > MAX_ALTERNATIVES
      ? `${alternatives.length} wordings: at most ${MAX_ALTERNATIVES}.`
      : alternatives.some((w) => w.length < 3 || w.length > 500)
        ? 'Each wording needs 3 to 500 characters.'
        : undefined;
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const input = { question: question.trim(), answer: answer.trim(), category: category.trim(), alternatives };
    void editor.save(input.question, async (faqId, as) => {
      const saved = await items.saveFaq(faqId, input, as);
      return { etag: saved.etag, message: `${saved.created ? 'Added' : 'Saved'} the FAQ “${input.question}”. The concierge answers from it now.` };
    });
  };

  return (
    <EditorFrame title={id === undefined ? 'New FAQ' : 'Edit FAQ'} testId="faq-editor" onSubmit={submit} onCancel={onCancel} {...editor.frame}>
      <div className="field">
        <label htmlFor={`${fieldId}-q`}>Question</label>
        <input
          id={`${fieldId}-q`}
          ref={editor.firstField}
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
          aria-describedby={`${fieldId}-w-hint${wordingProblem !== undefined ? ` ${fieldId}-w-error` : ''}`}
          aria-invalid={wordingProblem !== undefined}
          data-testid="faq-editor-wordings"
        />
        <p id={`${fieldId}-w-hint`} className="muted small">
          The concierge answers these with this FAQ’s answer too. At most {MAX_ALTERNATIVES}.
        </p>
        {wordingProblem !== undefined && (
          <p id={`${fieldId}-w-error`} className="field-error" data-testid="faq-editor-wordings-error">
            {wordingProblem}
          </p>
        )}
      </div>
      <FormActions
        label={id === undefined ? 'Add FAQ' : 'Save FAQ'}
        disabled={editor.busy || question.trim().length < 3 || answer.trim() === '' || category.trim() === '' || wordingProblem !== undefined}
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

/** What the document editor saves: text typed as Markdown or as plain text, or a PDF file. */
type DocumentSource = 'markdown' | 'text' | 'pdf';

const typedHint: Readonly<Record<Exclude<DocumentSource, 'pdf'>, string>> = {
  markdown: 'Headings (# …) mark sections: the concierge cites the section that answers.',
  text: 'Blank lines separate paragraphs. Nothing is read as Markdown: a line starting with # is text, not a heading.',
};

export function DocumentEditor({ items, takenIds, id, onSaved, onCancel }: EditorProps) {
  const fieldId = useId();
  const [title, setTitle] = useState('');
  const [source, setSource] = useState<DocumentSource>('markdown');
  /** The opened document's text was read from a PDF. */
  const [fromPdf, setFromPdf] = useState(false);
  const [text, setText] = useState('');
  const [file, setFile] = useState<File>();
  /** The form as opened (empty for a new document): anything else typed or chosen is unsaved until saved or cancelled. */
  const [opened, setOpened] = useState(() => JSON.stringify(['', 'markdown', '', '']));
  useUnsavedChanges(JSON.stringify([title, source, text, file?.name ?? '']) !== opened);
  const editor = useItemEditor<KbDocument>({
    what: 'document',
    id,
    takenIds,
    onSaved,
    open: async (documentId, signal) => {
      const item = await items.getDocument(documentId, { signal });
      return { value: item.document, etag: item.etag };
    },
    fill: (document) => {
      setTitle(document.title);
      setText(document.text);
      // The document's own format (absent: Markdown, as every document stored before formats were kept), so saving it
      // again does not turn plain text into Markdown. A PDF's text is edited only by choosing typed text knowingly.
      setSource(document.format ?? 'markdown');
      setFromPdf(document.format === 'pdf');
      setOpened(JSON.stringify([document.title, document.format ?? 'markdown', document.text, '']));
    },
  });

  const tooLarge = file !== undefined && file.size > MAX_PDF_BYTES;
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    void editor.save(title.trim(), async (documentId, as) => {
      const body =
        source === 'pdf' && file !== undefined
          ? { title: title.trim(), format: 'pdf' as const, pdfBase64: await base64Of(file) }
          : { title: title.trim(), format: source === 'text' ? ('text' as const) : ('markdown' as const), text };
      const saved = await items.saveDocument(documentId, body, as);
      const parts = `${saved.document.chunks} ${saved.document.chunks === 1 ? 'passage' : 'passages'}`;
      return { etag: saved.etag, message: `${saved.created ? 'Added' : 'Saved'} the document “${saved.document.title}” (${parts}). The concierge answers from it now.` };
    });
  };

  return (
    <EditorFrame title={id === undefined ? 'New document' : 'Edit document'} testId="document-editor" onSubmit={submit} onCancel={onCancel} {...editor.frame}>
      <div className="field">
        <label htmlFor={`${fieldId}-t`}>Title</label>
        <input id={`${fieldId}-t`} ref={editor.firstField} required maxLength={200} value={title} onChange={(e) => setTitle(e.target.value)} data-testid="document-editor-title" />
      </div>
      <fieldset className="field kb-editor__source">
        <legend>Content</legend>
        <label>
          <input type="radio" name={`${fieldId}-src`} checked={source === 'markdown'} onChange={() => setSource('markdown')} data-testid="document-editor-typed" /> Markdown
        </label>
        <label>
          <input type="radio" name={`${fieldId}-src`} checked={source === 'text'} onChange={() => setSource('text')} data-testid="document-editor-plain" /> Plain text
        </label>
        <label>
          <input type="radio" name={`${fieldId}-src`} checked={source === 'pdf'} onChange={() => setSource('pdf')} data-testid="document-editor-pdf" /> A PDF file
        </label>
      </fieldset>
      {source !== 'pdf' ? (
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
            {typedHint[source]}
          </p>
        </div>
      ) : (
        <div className="field">
          <label htmlFor={`${fieldId}-f`}>PDF file (at most 5 MB, with selectable text)</label>
          <input id={`${fieldId}-f`} type="file" accept=".pdf,application/pdf" required onChange={(e) => setFile(e.target.files?.[0])} data-testid="document-editor-file" />
          {fromPdf && (
            <p className="muted small" data-testid="document-editor-from-pdf">
              The text of this document was read from a PDF file. Choose the file (or a newer one) to save it, or choose Markdown or Plain text to edit the text
              read from it.
            </p>
          )}
          {tooLarge && (
            <p className="field-error" role="alert">
              That file is larger than 5 MB.
            </p>
          )}
        </div>
      )}
      <FormActions
        label={id === undefined ? 'Add document' : 'Save document'}
        disabled={editor.busy || title.trim() === '' || (source !== 'pdf' ? text.trim() === '' : file === undefined || tooLarge)}
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
    const formatOf = (d: KbDocument) => d.format ?? 'markdown';
    if (document.title !== shown.document.title || document.text !== shown.document.text || formatOf(document) !== formatOf(shown.document)) throw changed('document');
    await items.deleteDocument(document.id, etag);
    return `Deleted the document “${document.title}”.`;
  } catch (err) {
    if (isEditConflict(err)) throw changed(shown.kind === 'faq' ? 'FAQ' : 'document');
    throw err;
  }
}
