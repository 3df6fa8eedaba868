import { useCallback, useEffect, useState } from 'react';
import { useSession } from '../../hooks/session';
import { useLoader } from '../../hooks/useLoader';
import { usePolling } from '../../hooks/usePolling';

/** While the knowledge indexer works, the page asks how far it has got: first every 3 s, then less often. */
const FIRST_POLL_MS = 3000;
const MAX_POLL_MS = 30_000;
/** After this long (the indexer's own time limit) it stops asking and offers to check again. */
const GIVE_UP_MS = 15 * 60_000;

/**
 * How far the knowledge indexer has got: passages are searched by their words as soon as they are saved, and by
 * meaning once they have a vector (with OpenSearch, once the indexer has written them to the collection). Polls
 * with back-off while indexing; a new `refreshKey` (after an import) asks again. Screen readers hear the change
 * of state, not every count.
 */
export function IndexingStatus({ refreshKey }: { refreshKey: number }) {
  const { api } = useSession();
  const load = useCallback((signal: AbortSignal) => api.getKnowledgeStatus({ signal }), [api]);
  const { data: status, error, reload } = useLoader(load, refreshKey);
  const [polls, setPolls] = useState(0);
  const [since, setSince] = useState(() => Date.now());
  useEffect(() => {
    setPolls(0);
    setSince(Date.now());
  }, [refreshKey]);
  const waiting = status?.state === 'indexing' || (status === undefined && error !== undefined);
  const givenUp = waiting && Date.now() - since > GIVE_UP_MS;
  const poll = useCallback(() => {
    setPolls((n) => n + 1);
    reload();
  }, [reload]);
  usePolling(poll, Math.min(FIRST_POLL_MS * 1.5 ** polls, MAX_POLL_MS), waiting && !givenUp);

  if (status === undefined || status.passages === 0) return null;
  const passages = `${status.passages.toLocaleString()} passage${status.passages === 1 ? '' : 's'}`;
  const again = (): void => {
    setPolls(0);
    setSince(Date.now());
    reload();
  };
  return (
    <div className={`knowledge-status knowledge-status--${status.state}`} data-testid="kb-status" data-state={status.state}>
      <span role="status" className="visually-hidden">
        {status.state === 'ready' ? 'Indexing finished.' : 'Indexing the knowledge base.'}
      </span>
      {status.state === 'ready' ? (
        <>All {passages} are indexed for search by meaning.</>
      ) : (
        <>
          Indexing for search by meaning: {status.withVectors.toLocaleString()} of {passages} embedded. Until it finishes, the concierge finds them by their
          words.
          {givenUp && (
            <>
              {' '}
              <button type="button" className="button button--quiet" onClick={again} data-testid="kb-status-check">
                Check again
              </button>
            </>
          )}
        </>
      )}
    </div>
  );
}
