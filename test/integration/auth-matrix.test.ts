/**
 * Authorization and tenant isolation matrix over every staff and admin REST route of the declaration
 * and the WebSocket actions that take ids, through the local gateway, the real authorizers (local
 * Cognito tokens, widget keys, origins) and the real handlers. The cases live in
 * test/support/isolation-matrix.ts (its table says what each caller must get), shared with
 * `npm run bench security`, which counts them.
 */
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { adminRoutes, isolationCases, prepareIsolation, staffRoutes, tenantAUnchanged, type IsolationCase, type IsolationFixture } from '../support/isolation-matrix';

let cloud: LocalCloud;
let fx: IsolationFixture;

beforeAll(async () => {
  cloud = await startLocalCloud({ quiet: true });
  fx = await prepareIsolation(cloud);
}, 240_000);

afterAll(async () => {
  await cloud?.stop();
});

const named = (cases: readonly IsolationCase[]): (readonly [string, IsolationCase])[] => cases.map((c) => [c.name, c] as const);
const ofGroup = (...groups: IsolationCase['group'][]): readonly IsolationCase[] => isolationCases.filter((c) => groups.includes(c.group));

describe('every staff route', () => {
  it('has routes to check', () => {
    expect(staffRoutes.length).toBeGreaterThanOrEqual(20);
    expect(adminRoutes.length).toBeGreaterThanOrEqual(4);
    expect(ofGroup('no-token', 'expired', 'other-tenant', 'agent-on-admin').length).toBeGreaterThanOrEqual(3 * staffRoutes.length + adminRoutes.length);
  });

  it.each(named(ofGroup('no-token', 'expired', 'other-tenant', 'agent-on-admin')))('%s', async (_, c) => {
    expect(await c.check(fx)).toEqual([]);
  });
});

describe('the WebSocket API', () => {
  it('has cases for the staff actions that take a conversation id and for the widget', () => {
    const names = ofGroup('websocket').map((c) => c.name);
    for (const action of ['staffWatch', 'staffTyping', 'hello', 'feedback', 'markRead']) expect(names.some((n) => n.includes(action))).toBe(true);
  });

  it.each(named(ofGroup('websocket')))('%s', async (_, c) => {
    expect(await c.check(fx)).toEqual([]);
  });
});

it(tenantAUnchanged.name, async () => {
  expect(isolationCases.at(-1)).toBe(tenantAUnchanged);
  expect(await tenantAUnchanged.check(fx)).toEqual([]);
});
