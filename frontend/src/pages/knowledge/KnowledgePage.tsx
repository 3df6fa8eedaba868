import { useCallback, useState } from 'react';
import { ErrorBanner } from '../../components/ErrorBanner';
import { Loading } from '../../components/Loading';
import { useSession } from '../../hooks/session';
import { useLoader } from '../../hooks/useLoader';
import { BusinessDetails, DocumentsList, FaqList, HoursTable, ServicesTable, StaffList } from './KnowledgeSections';
import { ImportKnowledge } from './ImportKnowledge';
import { IndexingStatus } from './IndexingStatus';
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

  return (
    <div className="knowledge" data-testid="knowledge-page">
      <div className="page-title-row">
        <h1 tabIndex={-1}>Knowledge</h1>
      </div>
      <p className="muted page-intro">What the concierge knows and answers from. Try a question to see the answer customers would get.</p>
      <IndexingStatus refreshKey={imports} />
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
              <FaqList faqs={kb.faqs} />
              <DocumentsList documents={kb.documents} />
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
