import { useId } from 'react';
import type { KnowledgeBase } from '../../api/types';
import type { Slot } from '../../api/bookings';
import { clockIn, dayIn, dayLabel } from './calendar';

export const slotKey = (s: Slot): string => `${s.staffId}|${s.start}`;

/** A radio group of free slots; shows the day too when the slots span several days (alternatives). */
export function SlotPicker({
  legend,
  slots,
  kb,
  timezone,
  value,
  onChange,
}: {
  legend: string;
  slots: readonly Slot[];
  kb: KnowledgeBase;
  timezone: string;
  value: string | undefined;
  onChange: (slot: Slot) => void;
}) {
  const name = useId();
  const severalDays = new Set(slots.map((s) => dayIn(s.start, timezone))).size > 1;
  return (
    <fieldset className="bk-slots" data-testid="slot-picker">
      <legend>{legend}</legend>
      <div className="bk-slots__list">
        {slots.map((s) => {
          const key = slotKey(s);
          const staff = kb.staff.find((m) => m.id === s.staffId)?.name ?? s.staffId;
          return (
            <label key={key} className="bk-slot" data-testid="slot-option">
              <input type="radio" name={name} value={key} checked={value === key} onChange={() => onChange(s)} />
              <span>
                {severalDays ? `${dayLabel(dayIn(s.start, timezone))}, ` : ''}
                {clockIn(s.start, timezone)} with {staff}
              </span>
            </label>
          );
        })}
      </div>
    </fieldset>
  );
}
