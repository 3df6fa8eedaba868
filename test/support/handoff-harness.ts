/**
 * The handoff's real use cases (core/handoff.ts) on real stores, for integration tests: a DynamoDB Local table of
 * the test file's own, the conversation and handoff stores over it, and in-memory fakes of what lies outside (the
 * WebSocket pusher, the bus, e-mail, Step Functions callbacks), recording what they were given.
 *
 * Call `handoffHarness` at the top of a test file: it registers the table's beforeAll / afterAll / afterEach.
 */
import { randomBytes } from 'node:crypto';
import { DynamoHandoffStore } from '../../lambdas/adapters/dynamo/handoff-store';
import { DynamoStore } from '../../lambdas/adapters/dynamo/store';
import type { HandoffDeps, StaffActor } from '../../lambdas/core/handoff';
import type { OutgoingEmail } from '../../lambdas/core/handoff-ports';
import type { Clock, ConciergeEvent } from '../../lambdas/core/ports';
import type { ServerFrame } from '../../lambdas/core/protocol';
import { sharedTable, type SharedTable } from './shared-table';

export interface HandoffHarness {
  /** Set once the file's beforeAll ran. */
  readonly table: SharedTable;
  readonly store: DynamoStore;
  readonly handoffs: DynamoHandoffStore;
  /** Frames pushed, by connection id. */
  readonly frames: Map<string, ServerFrame[]>;
  readonly events: ConciergeEvent[];
  readonly emails: OutgoingEmail[];
  /** The use cases' dependencies; `overrides` replaces any (a knowledge base of the test's own, failing callbacks). */
  deps(overrides?: Partial<HandoffDeps>): HandoffDeps;
}

export function handoffHarness(name: string, clock: Clock): HandoffHarness {
  let table: SharedTable | undefined;
  let store: DynamoStore | undefined;
  let handoffs: DynamoHandoffStore | undefined;
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the handoff harness is used before its beforeAll ran');
    return value;
  };
  const harness: HandoffHarness = {
    get table() {
      return started(table);
    },
    get store() {
      return started(store);
    },
    get handoffs() {
      return started(handoffs);
    },
    frames: new Map(),
    events: [],
    emails: [],
    deps(overrides = {}) {
      const s = started(store);
      const h = started(handoffs);
      return {
        tenants: s,
        conversations: s,
        connections: s,
        knowledge: s,
        handoffs: h,
        staff: h,
        settings: h,
        followUps: h,
        clock,
        pusher: {
          push: async (connectionId, frame) => {
            harness.frames.set(connectionId, [...(harness.frames.get(connectionId) ?? []), frame]);
            return true;
          },
        },
        events: { publish: async (batch) => void harness.events.push(...batch) },
        email: { send: async (email) => void harness.emails.push(email) },
        callbacks: { succeed: async () => true },
        ...overrides,
      };
    },
  };
  beforeAll(async () => {
    table = await sharedTable(name);
    store = new DynamoStore(table.db, table.table, clock);
    handoffs = new DynamoHandoffStore(table.db, table.table, clock);
  });
  afterAll(async () => {
    table?.db.destroy();
    await table?.drop();
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });
  return harness;
}

/** An agent of the tenant (`name` tells two apart). */
export const agentOf = (tenantId: string, name = 'agent'): StaffActor => ({ tenantId, sub: `${name}-${tenantId}`, email: `${name}@${tenantId}.example`, groups: ['agent'] });

/** A Step Functions execution ARN of the handoff workflow, new each time. */
export const newExecutionId = (): string => `arn:aws:states:local:000000000000:execution:handoff:${randomBytes(6).toString('hex')}`;
