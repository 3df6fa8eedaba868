/**
 * The multi-turn booking dialogues (test/eval/demo-dialogues.jsonl) played through the real local cloud —
 * widget WebSocket, conversation handler, booking dialog and service, DynamoDB Local, the real booking ASL,
 * deposits paid through the local checkout page and its Stripe-signed webhook — exactly as
 * `npm run eval -- --kb local-cloud/seed/demo-kb.json --dialogues test/eval/demo-dialogues.jsonl` plays them.
 */
import { join } from 'node:path';
import { DEFAULT_DIALOGUE_NOW } from './run';

process.env['CONCIERGE_CLOCK_START'] = DEFAULT_DIALOGUE_NOW;

import { readDialogues, runDialogues, type DialogueReport } from './dialogues';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';

const ROOT = join(__dirname, '..', '..');
const dialogues = readDialogues(join(__dirname, 'demo-dialogues.jsonl'));
let cloud: LocalCloud;
let report: DialogueReport;

beforeAll(async () => {
  // Real Wait durations, as `npm run eval` plays them. Scaled down (0.001) the deposit's payment window was
  // 30 min → 1.8 s, raced by the payment through the checkout page and its webhook: lost on a loaded machine,
  // the booking expired instead of being confirmed. No dialogue waits for a timer to fire.
  cloud = await startLocalCloud({ quiet: true, waitScale: 1, callbackTimeoutScale: 1 });
  report = await runDialogues(cloud, { kbPath: join(ROOT, 'local-cloud', 'seed', 'demo-kb.json'), dialogues, now: new Date(DEFAULT_DIALOGUE_NOW) });
}, 900_000);

afterAll(async () => {
  await cloud?.settle();
  await cloud?.stop();
}, 60_000);

describe('booking dialogues (npm run eval -- --dialogues)', () => {
  it('ships at least 20 dialogues covering slot filling, changes of mind, FAQs mid-booking, reschedule, cancel and impossible requests', () => {
    expect(dialogues.length).toBeGreaterThanOrEqual(20);
    const ids = dialogues.map((d) => d.id).join(' ');
    for (const kind of ['slot-filling', 'change-mind', 'faq-in-the-middle', 'reschedule', 'cancel', 'closed', 'past', 'spanish', 'deposit']) expect(ids).toContain(kind);
  });

  it('plays every dialogue to its expected booking, handoff and replies', () => {
    expect(report.failures).toEqual([]);
    expect(report.metrics['dialogue_booking_accuracy']).toBe(1);
  });

  it('reports one result per dialogue in the --out shape', () => {
    expect(report.results.map((r) => r.id)).toEqual(dialogues.map((d) => d.id));
    const booked = report.results.find((r) => r.id === 'deposit-whitening');
    expect(booked?.booking).toEqual(expect.objectContaining({ serviceId: 'teeth-whitening', staffId: 'niamh-gallagher', status: 'confirmed', customerName: 'Grace Ryan' }));
    expect(report.results.find((r) => r.id === 'abandon')?.booking).toBeNull();
    expect(report.results.find((r) => r.id === 'ask-for-person-mid-booking')?.handoff).toBe(true);
  });
});
