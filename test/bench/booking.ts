/**
 * Booking race (`npm run bench booking`): N concurrent customers try to book M slots of the demo clinic at
 * once, through the same use case the conversation calls (hold in one DynamoDB transaction, then the booking
 * workflow on the local cloud's real ASL). Counts bookings per slot, refusals and their alternatives, and —
 * after every workflow has finished and every hold has expired — what is left held. Reports, never asserts:
 * the race tests in test/integration assert the same invariants at a smaller scale.
 */
import { randomBytes } from 'node:crypto';
import { bookingDeps, bookingStore, knowledgeStore, store } from '../../lambdas/adapters/container';
import { activeStatuses, type Slot } from '../../lambdas/core/booking/ports';
import { bookSlot, findSlots } from '../../lambdas/core/booking/service';
import { provisionTenant } from '../../lambdas/core/knowledge';
import { newWidgetKey } from '../../lambdas/core/widget-key';
import { startLocalCloud } from '../../local-cloud/index';

export async function bookingRaceBench(options: { attempts?: number; slots?: number } = {}): Promise<Record<string, number>> {
  const attempts = options.attempts ?? Number(process.env['BENCH_BOOKING_ATTEMPTS'] ?? 200);
  const wanted = options.slots ?? Number(process.env['BENCH_BOOKING_SLOTS'] ?? 10);
  const cloud = await startLocalCloud({ quiet: true });
  try {
    const kb = await store().getKnowledgeBase(cloud.demo.tenantId);
    if (!kb) throw new Error('demo knowledge base missing');
    const tenantId = `race-${randomBytes(3).toString('hex')}`;
    await provisionTenant(knowledgeStore(), { tenantId, widgetKey: newWidgetKey(tenantId), allowedOrigins: [], kb });
    const deps = bookingDeps();
    // Ten free check-up slots a week ahead, with whoever is free.
    const date = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    const found = await findSlots(deps, tenantId, { serviceId: 'checkup-clean', date, limit: wanted });
    const slots: Slot[] = found.slots.length > 0 ? found.slots : found.alternatives;
    if (slots.length < wanted) throw new Error(`only ${slots.length} free slots found for the race`);

    const started = performance.now();
    const outcomes = await Promise.all(
      Array.from({ length: attempts }, async (_, i) => {
        const slot = slots[i % slots.length];
        if (!slot) throw new Error('no slot');
        return bookSlot(deps, {
          tenantId,
          slot,
          customer: { name: `Racer ${i}`, phone: `+35387${String(1_000_000 + i)}` },
          channel: 'web',
          lang: 'en',
          source: 'concierge',
        });
      }),
    );
    const elapsedS = (performance.now() - started) / 1000;
    const won = outcomes.filter((o) => o.ok).length;
    const refusedWithAlternatives = outcomes.filter((o) => !o.ok && o.reason === 'taken' && o.alternatives.length > 0).length;
    await cloud.settle();

    const from = new Date(Date.now() - 86_400_000).toISOString();
    const to = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const bookings = (await bookingStore().listBookings(tenantId, from, to)).filter((b) => activeStatuses.includes(b.status));
    const owners = new Map<string, number>();
    for (const b of bookings) for (const cell of b.cells) owners.set(`${cell.staffId}@${cell.start}`, (owners.get(`${cell.staffId}@${cell.start}`) ?? 0) + 1);
    const doubleBooked = [...owners.values()].filter((n) => n > 1).length;
    const stillHeld = bookings.filter((b) => b.status === 'held' || b.status === 'awaiting_payment').length;
    return {
      booking_race_attempts: attempts,
      booking_race_slots: slots.length,
      booking_race_bookings: bookings.length,
      booking_race_refused_with_alternatives: refusedWithAlternatives,
      booking_race_won: won,
      booking_race_double_booked_cells: doubleBooked,
      booking_race_left_held: stillHeld,
      booking_throughput_per_s: Math.round((attempts / elapsedS) * 10) / 10,
    };
  } finally {
    await cloud.stop();
  }
}
