/**
 * The analytics charts (Recharts), loaded lazily with the page. Every chart is a figure with a caption
 * and a visually hidden table of the same numbers: the drawing itself is hidden from screen readers.
 */
import { useId, type ReactNode } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { channelRows, channelsIn, formatCount, outcomeRows, reasonRows } from './analytics';
import type { AnalyticsReport } from './analytics-api';

/** Colours with at least 3:1 contrast on white, told apart by more than hue alone in the legends' order. */
const palette = ['#1f4f8a', '#2e8540', '#b35c00', '#7b3fa0', '#a31c1c', '#00707a'];
const colour = (i: number): string => palette[i % palette.length] ?? '#1f4f8a';

function ChartFigure({ title, testId, table, children }: { title: string; testId: string; table: ReactNode; children: ReactNode }) {
  const id = useId();
  return (
    <figure className="card analytics__chart" aria-labelledby={id} data-testid={testId}>
      <figcaption id={id} className="card__title">
        {title}
      </figcaption>
      <div className="analytics__chart-canvas" aria-hidden="true">
        <ResponsiveContainer width="100%" height={260}>
          {children}
        </ResponsiveContainer>
      </div>
      <div className="visually-hidden">{table}</div>
    </figure>
  );
}

function DataTable({ caption, columns, rows }: { caption: string; columns: readonly string[]; rows: readonly (readonly (string | number)[])[] }) {
  return (
    <table>
      <caption>{caption}</caption>
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c} scope="col">
              {c}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={i}>
            {r.map((cell, j) => (j === 0 ? <th key={j} scope="row">{cell}</th> : <td key={j}>{typeof cell === 'number' ? formatCount(cell) : cell}</td>))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export default function AnalyticsCharts({ report }: { report: AnalyticsReport }) {
  const channels = channelsIn(report.days);
  const byChannel = channelRows(report.days);
  const outcomes = outcomeRows(report.days);
  const reasons = reasonRows(report.totals.handoffReasons);

  return (
    <div className="analytics__charts">
      <ChartFigure
        title="Conversations by channel, per day"
        testId="chart-channels"
        table={
          <DataTable
            caption="Conversations by channel, per day"
            columns={['Day', ...channels.map((c) => c.label)]}
            rows={byChannel.map((r) => [String(r['label']), ...channels.map((c) => Number(r[c.key] ?? 0))])}
          />
        }
      >
        <BarChart data={byChannel} accessibilityLayer={false} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="label" tick={{ fontSize: 12 }} />
          <YAxis allowDecimals={false} tick={{ fontSize: 12 }} />
          <Tooltip />
          <Legend />
          {channels.map((c, i) => (
            <Bar key={c.key} dataKey={c.key} name={c.label} stackId="channels" fill={colour(i)} isAnimationActive={false} />
          ))}
        </BarChart>
      </ChartFigure>

      <ChartFigure
        title="Resolved by the concierge and handed over, by the day the conversation started"
        testId="chart-outcomes"
        table={
          <DataTable
            caption="Resolved by the concierge (confirmed, assumed) and handed over, by the day the conversation started"
            columns={['Day', 'Resolved, confirmed', 'Resolved, assumed', 'Handed over']}
            rows={outcomes.map((r) => [r.label, r.confirmed, r.assumed, r.handoffs])}
          />
        }
      >
        <LineChart data={outcomes} accessibilityLayer={false} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="label" tick={{ fontSize: 12 }} />
          <YAxis allowDecimals={false} tick={{ fontSize: 12 }} />
          <Tooltip />
          <Legend />
          <Line type="monotone" dataKey="confirmed" name="Resolved, confirmed" stroke={colour(1)} strokeWidth={2} isAnimationActive={false} />
          <Line type="monotone" dataKey="assumed" name="Resolved, assumed" stroke={colour(0)} strokeWidth={2} strokeDasharray="5 4" isAnimationActive={false} />
          <Line type="monotone" dataKey="handoffs" name="Handed over" stroke={colour(2)} strokeWidth={2} isAnimationActive={false} />
        </LineChart>
      </ChartFigure>

      {reasons.length === 0 ? (
        <section className="card analytics__chart" aria-label="Why conversations were handed over" data-testid="chart-reasons">
          <h2 className="card__title">Why conversations were handed over</h2>
          <p className="muted">No handoffs in this period.</p>
        </section>
      ) : (
        <ChartFigure
          title="Why conversations were handed over"
          testId="chart-reasons"
          table={<DataTable caption="Handoffs by reason" columns={['Reason', 'Handoffs']} rows={reasons.map((r) => [r.label, r.count])} />}
        >
          <BarChart data={reasons} layout="vertical" accessibilityLayer={false} margin={{ top: 8, right: 16, bottom: 0, left: 8 }}>
            <CartesianGrid strokeDasharray="3 3" horizontal={false} />
            <XAxis type="number" allowDecimals={false} tick={{ fontSize: 12 }} />
            <YAxis type="category" dataKey="label" width={180} tick={{ fontSize: 12 }} />
            <Tooltip />
            <Bar dataKey="count" name="Handoffs" fill={colour(2)} isAnimationActive={false} />
          </BarChart>
        </ChartFigure>
      )}
    </div>
  );
}
