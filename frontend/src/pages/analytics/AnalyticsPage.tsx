import { lazy, Suspense, useCallback, useMemo, useState } from 'react';
import { ErrorBanner } from '../../components/ErrorBanner';
import { Loading } from '../../components/Loading';
import { useSession } from '../../hooks/session';
import { useLoader } from '../../hooks/useLoader';
import { describeError, type ErrorView } from '../../lib/api-error';
import {
  formatCount,
  formatCsat,
  formatMoney,
  formatMs,
  formatRate,
  presetLabels,
  presetRange,
  rangePresets,
  rangeProblem,
  todayIn,
  type DayRange,
  type RangePreset,
} from './analytics';
import { analyticsApi, type AnalyticsReport } from './analytics-api';
import { saveDownload } from '../../lib/download';
import { KnowledgeGaps } from './KnowledgeGaps';
import './analytics.css';

// Recharts is large: it loads with the charts, only when someone opens this page.
const AnalyticsCharts = lazy(() => import('./AnalyticsCharts'));

/**
 * Analytics: what the concierge did over a date range (tiles, charts, the most used answers), its CSV
 * export, and the questions it could not answer, each one click away from becoming an FAQ. Everyone sees
 * the numbers; only admins add FAQs or dismiss questions (the server enforces both).
 */
export function AnalyticsPage() {
  const { api, me } = useSession();
  const analytics = useMemo(() => analyticsApi(api), [api]);
  const [preset, setPreset] = useState<RangePreset>('last7');
  const [timezone, setTimezone] = useState<string>();
  // No range on first load: the server picks the last 7 days in the business's time zone (the browser's "today"
  // may be another day); the form shows the range the report covers, and later presets use its time zone.
  const [draft, setDraft] = useState<DayRange>({ from: '', to: '' });
  const [range, setRange] = useState<DayRange>();
  const [exporting, setExporting] = useState(false);
  const [exportError, setExportError] = useState<ErrorView>();
  const problem = preset === 'custom' ? rangeProblem(draft) : undefined;

  const load = useCallback(
    async (signal: AbortSignal) => {
      const report = await analytics.report(range, { signal });
      setTimezone(report.timezone);
      if (range === undefined) setDraft({ from: report.from, to: report.to });
      return report;
    },
    [analytics, range],
  );
  const { data: report, error, loading, reload } = useLoader(load);

  const choosePreset = (next: RangePreset): void => {
    setPreset(next);
    if (next === 'custom') return;
    const r = presetRange(next, todayIn(new Date(), timezone));
    setDraft(r);
    setRange(r);
  };

  const editDay = (which: 'from' | 'to', value: string): void => {
    const next = { ...draft, [which]: value };
    setPreset('custom');
    setDraft(next);
    if (rangeProblem(next) === undefined) setRange(next);
  };

  const exportCsv = async (): Promise<void> => {
    setExporting(true);
    setExportError(undefined);
    try {
      saveDownload(await analytics.exportCsv(range ?? draft, { businessSlug: me.business.slug }));
    } catch (err) {
      setExportError(describeError(err));
    } finally {
      setExporting(false);
    }
  };

  return (
    <div className="analytics" data-testid="analytics-page">
      <div className="page-title-row">
        <h1 tabIndex={-1}>Analytics</h1>
        <div className="button-row">
          <button type="button" className="button button--secondary" onClick={reload} data-testid="analytics-refresh">
            Refresh
          </button>
          <button type="button" className="button" onClick={() => void exportCsv()} disabled={exporting || (range === undefined && report === undefined)} data-testid="analytics-export">
            {exporting ? 'Exporting…' : 'Export CSV'}
          </button>
        </div>
      </div>
      <p className="page-intro muted">
        How the concierge did over a period: conversations, what it resolved, when it handed over to the team, bookings and deposits. Days are
        counted in the business's time zone{timezone !== undefined ? ` (${timezone})` : ''}.
      </p>

      <form className="card analytics__range" aria-label="Date range" onSubmit={(e) => e.preventDefault()} data-testid="analytics-range">
        <div className="field">
          <label htmlFor="analytics-preset">Period</label>
          <select id="analytics-preset" value={preset} onChange={(e) => choosePreset(rangePresets.find((p) => p === e.target.value) ?? 'last7')} data-testid="analytics-preset">
            {rangePresets.map((p) => (
              <option key={p} value={p}>
                {presetLabels[p]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="analytics-from">From</label>
          <input id="analytics-from" type="date" value={draft.from} max={draft.to} onChange={(e) => editDay('from', e.target.value)} aria-invalid={problem !== undefined} data-testid="analytics-from" />
        </div>
        <div className="field">
          <label htmlFor="analytics-to">To</label>
          <input id="analytics-to" type="date" value={draft.to} min={draft.from} onChange={(e) => editDay('to', e.target.value)} aria-invalid={problem !== undefined} data-testid="analytics-to" />
        </div>
        <p className="analytics__range-problem" role="status" data-testid="analytics-range-problem">
          {problem ?? ''}
        </p>
      </form>

      {exportError !== undefined && <ErrorBanner error={exportError} title="Could not export" testId="analytics-export-error" />}
      {error !== undefined && (
        <ErrorBanner error={error} title="Could not load the analytics" testId="analytics-error">
          <button type="button" className="button button--secondary" onClick={reload}>
            Try again
          </button>
        </ErrorBanner>
      )}
      {report === undefined ? (
        error === undefined && <Loading label="Loading analytics…" />
      ) : (
        <div aria-busy={loading} data-testid="analytics-report" data-from={report.from} data-to={report.to}>
          <Tiles report={report} />
          {report.totals.conversations === 0 && report.totals.bookingsMade === 0 ? (
            <div className="empty-state" data-testid="analytics-empty">
              No conversations in this period yet. Try a longer period.
            </div>
          ) : (
            <Suspense fallback={<Loading label="Loading charts…" />}>
              <AnalyticsCharts report={report} />
            </Suspense>
          )}
          <TopQuestions report={report} />
        </div>
      )}
      <KnowledgeGaps analytics={analytics} />
    </div>
  );
}

function Tile({ label, value, detail, testId }: { label: string; value: string; detail?: string; testId: string }) {
  return (
    <div className="analytics__tile" data-testid={testId}>
      <dt>{label}</dt>
      <dd>
        <span className="analytics__tile-value" data-testid={`${testId}-value`}>
          {value}
        </span>
        {detail !== undefined && (
          <span className="analytics__tile-detail muted" data-testid={`${testId}-detail`}>
            {detail}
          </span>
        )}
      </dd>
    </div>
  );
}

function Tiles({ report }: { report: AnalyticsReport }) {
  const { totals, rates } = report;
  const plural = (n: number, one: string, many: string): string => `${formatCount(n)} ${n === 1 ? one : many}`;
  return (
    <section className="analytics__section" aria-labelledby="analytics-tiles-title">
      <h2 id="analytics-tiles-title" className="visually-hidden">
        Headline numbers
      </h2>
      <dl className="analytics__tiles" data-testid="analytics-tiles">
        <Tile testId="tile-conversations" label="Conversations" value={formatCount(totals.conversations)} detail={plural(totals.messages, 'customer message', 'customer messages')} />
        <Tile
          testId="tile-resolution"
          label="Resolved by the concierge"
          value={formatRate(rates.resolutionRate)}
          detail={`${formatCount(totals.resolvedConfirmed)} confirmed, ${formatCount(totals.resolvedAssumed)} assumed`}
        />
        <Tile testId="tile-handoff" label="Handoff rate" value={formatRate(rates.handoffRate)} detail={plural(totals.handoffs, 'handoff', 'handoffs')} />
        <Tile testId="tile-first-response" label="Average first response" value={formatMs(rates.avgFirstResponseMs)} detail={`any reply: ${formatMs(rates.avgResponseMs)}`} />
        <Tile testId="tile-human-accept" label="Average time to a person" value={formatMs(rates.avgHumanAcceptMs)} detail={plural(totals.humanAcceptCount, 'accepted handoff', 'accepted handoffs')} />
        <Tile testId="tile-csat" label="Customer satisfaction" value={formatCsat(rates.csatAverage)} detail={plural(totals.csatCount, 'rating', 'ratings')} />
        <Tile
          testId="tile-bookings"
          label="Bookings made"
          value={formatCount(totals.bookingsMade)}
          detail={`${formatCount(totals.bookingsCancelled)} cancelled, ${formatCount(totals.bookingsNoShow)} no-show`}
        />
        <Tile
          testId="tile-deposits"
          label="Deposits, net of refunds"
          value={formatMoney(totals.depositsCents - totals.depositsRefundedCents, report.currency)}
          detail={`${formatMoney(totals.depositsCents, report.currency)} paid, ${formatMoney(totals.depositsRefundedCents, report.currency)} refunded`}
        />
      </dl>
    </section>
  );
}

function TopQuestions({ report }: { report: AnalyticsReport }) {
  return (
    <section className="card analytics__section" aria-labelledby="analytics-top-title" data-testid="analytics-top">
      <h2 id="analytics-top-title" className="card__title">
        Most used answers
      </h2>
      {report.topQuestions.length === 0 ? (
        <p className="muted" data-testid="analytics-top-empty">
          No answers from the knowledge base in this period.
        </p>
      ) : (
        <div className="table-scroll">
          <table className="table table--compact">
            <caption className="visually-hidden">Knowledge-base entries that answered most often</caption>
            <thead>
              <tr>
                <th scope="col">Entry</th>
                <th scope="col" className="analytics__num">
                  Answers
                </th>
              </tr>
            </thead>
            <tbody>
              {report.topQuestions.map((q) => (
                <tr key={q.sourceId} data-testid="analytics-top-row" data-source={q.sourceId}>
                  <th scope="row">{q.title}</th>
                  <td className="analytics__num">{formatCount(q.count)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
