import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ErrorBanner } from '../../components/ErrorBanner';
import { Loading } from '../../components/Loading';
import { useSession } from '../../hooks/session';
import { useLoader } from '../../hooks/useLoader';
import { describeError, type ErrorView } from '../../lib/api-error';
import { jsonDownload, saveDownload } from '../../lib/download';
import { ImportKnowledge } from './ImportKnowledge';
import { IndexingStatus } from './IndexingStatus';
import { deleteShown, DocumentEditor, FaqEditor, type Editing } from './ItemEditors';
import { knowledgeItemsApi } from './knowledge-api';
import { BusinessDetails, DocumentsList, FaqList, HoursTable, ServicesTable, StaffList, type ItemControls } from './KnowledgeSections';
import { TestQuestion } from './TestQuestion';

export function KnowledgePage() {
  const { api, isAdmin } = useSession();
  const load = useCallback((signal: AbortSignal) => api.getKnowledge({ signal }), [api]);
  const { data: kb, error, loading, reload } = useLoader(load);
  const [imports, setImports] = useState(0);
  const imported = useCallback(() => {
    reload();
    setImports((n) => n + 1);
  }, [reload]);
  const items = useMemo(() => knowledgeItemsApi(api), [api]);
  const [editing, setEditing] = useState<Editing>();
  const [notice, setNotice] = useState('');
  const [actionError, setActionError] = useState<ErrorView>();
  const [busy, setBusy] = useState(false);

  // Keyboard users land back where they were when an editor closes: on the button that opened it, when it is
  // still there (a deleted item's is not: then the page's notice, which says what happened).
  const opener = useRef<HTMLElement | null>(null);
  const noticeRef = useRef<HTMLParagraphElement>(null);
  const [refocus, setRefocus] = useState(0);
  const close = (): void => {
    setEditing(undefined);
    setRefocus((n) => n + 1);
  };
  // After the render that closed the editor (its opener enabled again).
  useEffect(() => {
    if (refocus === 0) return;
    const back = opener.current;
    opener.current = null;
    (back?.isConnected ? back : noticeRef.current)?.focus();
  }, [refocus]);
  const changed = (message: string): void => {
    close();
    setNotice(message);
    imported();
  };
  const open = (next: Editing): void => {
    opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    setEditing(next);
    setNotice('');
    setActionError(undefined);
  };
  const controlsFor = (kind: Editing['kind']): ItemControls | undefined => {
    if (!isAdmin || kb === undefined) return undefined;
    const takenIds = kind === 'faq' ? kb.faqs.map((f) => f.id) : kb.documents.map((d) => d.id);
    const editorProps = { items, takenIds, onSaved: changed, onCancel: close };
    const editor =
      editing?.kind !== kind ? undefined : kind === 'faq' ? (
        <FaqEditor key={editing.id ?? 'new'} {...editorProps} {...(editing.id !== undefined ? { id: editing.id } : {})} categories={[...new Set(kb.faqs.map((f) => f.category))]} />
      ) : (
        <DocumentEditor key={editing.id ?? 'new'} {...editorProps} {...(editing.id !== undefined ? { id: editing.id } : {})} />
      );
    return {
      ...(editor !== undefined ? { editor } : {}),
      editing: editing !== undefined,
      editingId: editing?.kind === kind ? editing.id : undefined,
      busy,
      onNew: () => open({ kind }),
      onEdit: (id) => open({ kind, id }),
      onDelete: async (id) => {
        // FAQs and documents have ids of their own: look the item up in its own list only.
        const faq = kind === 'faq' ? kb.faqs.find((f) => f.id === id) : undefined;
        const document = kind === 'document' ? kb.documents.find((d) => d.id === id) : undefined;
        const shown = faq ? { kind: 'faq' as const, faq } : document ? { kind: 'document' as const, document } : undefined;
        if (shown === undefined) return;
        setBusy(true);
        setNotice('');
        setActionError(undefined);
        try {
          const message = await deleteShown(items, shown);
          // An editor open on another item stays open, with what was typed in it.
          if (editing?.kind === kind && editing.id === id) close();
          setNotice(message);
          imported();
          // The row and its buttons are gone: keyboard focus goes to the notice that says so.
          opener.current = null;
          setRefocus((n) => n + 1);
        } catch (err) {
          setActionError(describeError(err));
          reload();
        } finally {
          setBusy(false);
        }
      },
    };
  };

  return (
    <div className="knowledge" data-testid="knowledge-page">
      <div className="page-title-row">
        <h1 tabIndex={-1}>Knowledge</h1>
        {kb !== undefined && (
          <button
            type="button"
            className="button button--secondary"
            onClick={() => saveDownload(jsonDownload(kb, `${kb.business.slug}-knowledge-base.json`))}
            data-testid="kb-download"
          >
            Download knowledge-base JSON
          </button>
        )}
      </div>
      <p className="muted page-intro">What the concierge knows and answers from. Try a question to see the answer customers would get.</p>
      <IndexingStatus refreshKey={imports} />
      <p role="status" className="muted" data-testid="knowledge-notice" ref={noticeRef} tabIndex={-1}>
        {notice}
      </p>
      {actionError !== undefined && <ErrorBanner error={actionError} title="That did not work" testId="knowledge-action-error" />}
      <div className="knowledge__layout">
        <div className="knowledge__main" aria-busy={loading}>
          {error !== undefined && (
            <ErrorBanner error={error} title="Could not load the knowledge base" testId="knowledge-error">
              <button type="button" className="button button--secondary" onClick={reload}>
                Try again
              </button>
            </ErrorBanner>
          )}
          {kb === undefined ? (
            error === undefined && <Loading label="Loading knowledge base…" />
          ) : (
            <>
              <BusinessDetails business={kb.business} />
              <HoursTable hours={kb.hours} timezone={kb.business.timezone} />
              <ServicesTable services={kb.services} />
              <StaffList staff={kb.staff} services={kb.services} />
              <FaqList faqs={kb.faqs} controls={controlsFor('faq')} />
              <DocumentsList documents={kb.documents} controls={controlsFor('document')} />
            </>
          )}
        </div>
        <aside className="knowledge__tools" aria-label="Knowledge tools">
          <TestQuestion />
          {isAdmin && <ImportKnowledge onImported={imported} />}
        </aside>
      </div>
    </div>
  );
}

