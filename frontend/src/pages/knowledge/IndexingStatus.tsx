import { useCallback } from 'react';
import { useSession } from '../../hooks/session';
import { useLoader } from '../../hooks/useLoader';
import { usePolling } from '../../hooks/usePolling';

/** While the knowledge indexer works, how often the page asks how far it has got. */
const POLL_MS = 3000;

/**
 * How far the knowledge indexer has got: passages are searched by their words as soon as they are saved, and by
 * meaning once they have a vector. Polls while indexing; a new `refreshKey` (after an import) asks again.
 */
export function IndexingStatus({ refreshKey }: { refreshKey: number }) {
  const { api } = useSession();
  const load = useCallback((signal: AbortSignal) => api.getKnowledgeStatus({ signal }), [api]);
  const { data: status, reload } = useLoader(load, refreshKey);
  usePolling(reload, POLL_MS, status?.state === 'indexing');

  if (status === undefined) return null;
  const passages = `${status.passages.toLocaleString()} passage${status.passages === 1 ? '' : 's'}`;
  return (
    <p className={`knowledge-status knowledge-status--${status.state}`} role="status" data-testid="kb-status" data-state={status.state}>
      {status.state === 'ready' ? (
        <>All {passages} are indexed for search by meaning.</>
      ) : (
        <>
          Indexing for search by meaning: {status.withVectors.toLocaleString()} of {passages} done. The rest are found by their words
          meanwhile.
        </>
      )}
    </p>
  );
}
