/**
 * A side effect of a workflow step (an e-mail) done once across the step's retries: Step Functions retries a step
 * that failed after its e-mail was accepted (its function timed out, its answer was lost, a later call failed), so
 * the e-mail is recorded right after it was accepted and a retry that finds the record sends nothing. The record is
 * written after the send, never before: a send that failed is made by the retry (at least once; only a failure of
 * that one write between the two sends it twice). docs/decisions.md 85 and 89.
 */

/** The record of one side effect: whether it went out, and recording that it did. */
export interface SentRecord {
  sent(): Promise<boolean>;
  record(): Promise<unknown>;
}

/** Runs `send` unless `record` says it went out, and records it when `send` sent anything (its count); 0 when nothing was sent. */
export async function sendOnce(record: SentRecord, send: () => Promise<number>): Promise<number> {
  if (await record.sent()) return 0;
  const sent = await send();
  if (sent > 0) await record.record();
  return sent;
}
