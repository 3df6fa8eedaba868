/** Small pieces the bookings pages share: the calendar's context, names from the knowledge base, the status badge. */
import type { Booking, BookingSettings } from '../../api/bookings';
import type { KnowledgeBase } from '../../api/types';
import { statusLabels } from './calendar';

/** What the calendar shows names and times with. */
export interface CalendarContext {
  readonly kb: KnowledgeBase;
  readonly settings: BookingSettings;
  readonly timezone: string;
}

export function serviceName(kb: KnowledgeBase, id: string): string {
  return kb.services.find((s) => s.id === id)?.name ?? id;
}

export function staffName(kb: KnowledgeBase, id: string): string {
  return kb.staff.find((s) => s.id === id)?.name ?? id;
}

export function StatusBadge({ status }: { status: Booking['status'] }) {
  return (
    <span className={`badge bk-status bk-status--${status}`} data-testid="booking-status" data-status={status}>
      {statusLabels[status]}
    </span>
  );
}
