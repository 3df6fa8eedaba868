import { useId, useMemo, useState, type ReactNode } from 'react';
import type { KbDocument, Faq, KnowledgeBase, OpeningHours, Service, StaffMember } from '../../api/types';
import { firstLines, formatDuration, formatPrice, groupHours } from '../../lib/format';
import { filterFaqs } from '../../lib/search';
import { safeHttpUrl } from '../../lib/url';

function Card({ title, count, testId, action, children }: { title: string; count?: number; testId: string; action?: ReactNode; children: ReactNode }) {
  const id = useId();
  return (
    <section className="card" aria-labelledby={id} data-testid={testId}>
      <div className="card__head">
        <h2 id={id} className="card__title">
          {title}
          {count !== undefined && <span className="count">{count}</span>}
        </h2>
        {action}
      </div>
      {children}
    </section>
  );
}

/** An admin's controls on the FAQ and document lists: new, edit, delete (with a confirmation in place). */
export interface ItemControls {
  /** The editor, when one is open on this list (shown above it). */
  readonly editor?: ReactNode;
  /** True while an editor is open on either list: opening another would throw away what was typed in it. */
  readonly editing: boolean;
  /** The item open in this list's editor, whose Delete (which would close it) waits too. */
  readonly editingId?: string | undefined;
  readonly busy: boolean;
  readonly onNew: () => void;
  readonly onEdit: (id: string) => void;
  readonly onDelete: (id: string) => Promise<void>;
}

function RowActions({ label, controls }: { label: string; controls: ItemControls & { readonly id: string } }) {
  const [confirming, setConfirming] = useState(false);
  if (confirming) {
    return (
      <div className="button-row kb-row-actions" role="group" aria-label={`Delete “${label}”?`}>
        <span className="small">Delete “{label}”?</span>
        <button
          type="button"
          className="button button--danger"
          disabled={controls.busy}
          onClick={() => void controls.onDelete(controls.id).finally(() => setConfirming(false))}
          data-testid="kb-item-delete-confirm"
        >
          Delete
        </button>
        <button type="button" className="button button--quiet" onClick={() => setConfirming(false)}>
          Keep
        </button>
      </div>
    );
  }
  return (
    <div className="button-row kb-row-actions">
      <button
        type="button"
        className="button button--secondary"
        disabled={controls.busy || controls.editing}
        onClick={() => controls.onEdit(controls.id)}
        aria-label={`Edit “${label}”`}
        data-testid="kb-item-edit"
      >
        Edit
      </button>
      <button
        type="button"
        className="button button--quiet"
        disabled={controls.busy || controls.editingId === controls.id}
        onClick={() => setConfirming(true)}
        aria-label={`Delete “${label}”`}
        data-testid="kb-item-delete"
      >
        Delete
      </button>
    </div>
  );
}

function NewButton({ label, controls, testId }: { label: string; controls: ItemControls | undefined; testId: string }) {
  if (controls === undefined) return null;
  return (
    <button type="button" className="button button--secondary" disabled={controls.busy || controls.editing} onClick={controls.onNew} data-testid={testId}>
      {label}
    </button>
  );
}

function Empty({ children }: { children: ReactNode }) {
  return <p className="muted">{children}</p>;
}

export function BusinessDetails({ business }: { business: KnowledgeBase['business'] }) {
  const website = safeHttpUrl(business.website);
  return (
    <Card title="Business" testId="kb-business">
      <dl className="details">
        <dt>Name</dt>
        <dd data-testid="kb-business-name">{business.name}</dd>
        <dt>Address</dt>
        <dd>{business.address}</dd>
        <dt>Phone</dt>
        <dd>{business.phone}</dd>
        {business.country !== undefined ? (
          <>
            <dt>Country</dt>
            <dd title="Phone numbers written without a country code are read as numbers of this country">{business.country}</dd>
          </>
        ) : null}
        <dt>Email</dt>
        <dd>{business.email}</dd>
        <dt>Website</dt>
        <dd>
          {website !== undefined ? (
            <a href={website} target="_blank" rel="noopener noreferrer">
              {business.website}
            </a>
          ) : (
            business.website
          )}
        </dd>
        <dt>Time zone</dt>
        <dd>{business.timezone}</dd>
        <dt>Languages</dt>
        <dd>{business.languages.map((l) => l.toUpperCase()).join(', ')}</dd>
        <dt>Slug</dt>
        <dd>
          <code>{business.slug}</code>
        </dd>
      </dl>
    </Card>
  );
}

export function HoursTable({ hours, timezone }: { hours: readonly OpeningHours[]; timezone: string }) {
  const days = groupHours(hours);
  return (
    <Card title="Opening hours" testId="kb-hours">
      <table className="table table--compact">
        <caption className="visually-hidden">Opening hours ({timezone})</caption>
        <tbody>
          {days.map((d) => (
            <tr key={d.day}>
              <th scope="row">{d.label}</th>
              <td>{d.ranges.length > 0 ? d.ranges.join(', ') : <span className="muted">Closed</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small">Times in {timezone}.</p>
    </Card>
  );
}

export function ServicesTable({ services }: { services: readonly Service[] }) {
  return (
    <Card title="Services" count={services.length} testId="kb-services">
      {services.length === 0 ? (
        <Empty>No services yet.</Empty>
      ) : (
        <div className="table-scroll" role="region" aria-label="Services" tabIndex={0}>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Service</th>
                <th scope="col">Duration</th>
                <th scope="col" className="num">
                  Price
                </th>
                <th scope="col" className="num">
                  Deposit
                </th>
              </tr>
            </thead>
            <tbody>
              {services.map((s) => (
                <tr key={s.id} data-testid="service-row">
                  <td>
                    <span className="strong">{s.name}</span>
                    {s.description !== '' && <span className="cell-note">{s.description}</span>}
                  </td>
                  <td>{formatDuration(s.durationMinutes)}</td>
                  <td className="num" data-testid="service-price">
                    {formatPrice(s.priceCents, s.currency)}
                  </td>
                  <td className="num">{s.depositCents > 0 ? formatPrice(s.depositCents, s.currency) : <span className="muted">None</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}

export function StaffList({ staff, services }: { staff: readonly StaffMember[]; services: readonly Service[] }) {
  const serviceNames = new Map(services.map((s) => [s.id, s.name]));
  return (
    <Card title="Staff" count={staff.length} testId="kb-staff">
      {staff.length === 0 ? (
        <Empty>No staff yet.</Empty>
      ) : (
        <ul className="staff-list">
          {staff.map((m) => (
            <li key={m.id} data-testid="staff-item">
              <span className="strong">{m.name}</span>
              <span className="muted"> · {m.role}</span>
              {m.serviceIds.length > 0 && <span className="cell-note">{m.serviceIds.map((id) => serviceNames.get(id) ?? id).join(', ')}</span>}
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

const FAQ_PAGE = 50;

export function FaqList({ faqs, controls }: { faqs: readonly Faq[]; controls?: ItemControls | undefined }) {
  const [query, setQuery] = useState('');
  const [showAll, setShowAll] = useState(false);
  const inputId = useId();
  const matches = useMemo(() => filterFaqs(faqs, query), [faqs, query]);
  const shown = showAll ? matches : matches.slice(0, FAQ_PAGE);
  return (
    <Card title="FAQs" count={faqs.length} testId="kb-faqs" action={<NewButton label="New FAQ" controls={controls} testId="faq-new" />}>
      {controls?.editor}
      {faqs.length === 0 ? (
        <Empty>No FAQs yet.</Empty>
      ) : (
        <>
          <div className="field">
            <label htmlFor={inputId}>Search FAQs</label>
            <input
              id={inputId}
              type="search"
              value={query}
              onChange={(e) => setQuery(e.target.value)}
              placeholder="Words in the question, answer or category"
              data-testid="faq-search"
            />
          </div>
          <p className="muted small" aria-live="polite" data-testid="faq-count">
            {query.trim() === '' ? `${faqs.length} FAQs` : `${matches.length} of ${faqs.length} FAQs match`}
          </p>
          <ul className="faq-list">
            {shown.map((f) => (
              <li key={f.id} data-testid="faq-item">
                <p className="faq-list__q">
                  {f.question} <span className="tag">{f.category}</span>
                </p>
                {f.alternatives !== undefined && f.alternatives.length > 0 && (
                  <p className="faq-list__alt muted small" data-testid="faq-alternatives">
                    Also asked as: {f.alternatives.map((a) => `“${a}”`).join(', ')}
                  </p>
                )}
                <p className="faq-list__a">{f.answer}</p>
                {controls !== undefined && <RowActions label={f.question} controls={{ ...controls, id: f.id }} />}
              </li>
            ))}
          </ul>
          {!showAll && matches.length > FAQ_PAGE && (
            <button type="button" className="button button--secondary" onClick={() => setShowAll(true)}>
              Show all {matches.length}
            </button>
          )}
        </>
      )}
    </Card>
  );
}

export function DocumentsList({ documents, controls }: { documents: readonly KbDocument[]; controls?: ItemControls | undefined }) {
  return (
    <Card title="Documents" count={documents.length} testId="kb-documents" action={<NewButton label="New document" controls={controls} testId="document-new" />}>
      {controls?.editor}
      {documents.length === 0 ? (
        <Empty>No documents yet.</Empty>
      ) : (
        <ul className="doc-list">
          {documents.map((d) => (
            <li key={d.id} data-testid="document-item">
              <p className="strong">{d.title}</p>
              <p className="doc-list__excerpt">{firstLines(d.text)}</p>
              {controls !== undefined && <RowActions label={d.title} controls={{ ...controls, id: d.id }} />}
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
