/**
 * The ports each function builds (lambdas/adapters/container.ts) can be built from the environment the stack gives
 * that function: a builder that needs a variable the function's grants do not set fails every invocation in AWS,
 * while the local cloud, which sets everything, never shows it. Checked in the production example (OpenSearch
 * Serverless, OpenAI), where the most variables are conditional.
 */
import { resolvedEnvironment, functionEnvironments } from './support/function-env';
import { functionLogicalId, synthesize, type Synthesized } from './support/synth';

let prod: Synthesized;
beforeAll(() => {
  prod = synthesize('production-example');
});

/** Which builders each function's handler calls for every request. */
// bookingWorkflowDeps: customer notices, SMS among them (the opt-outs and identities of core/channels/notices.ts).
const builders: readonly [string, readonly ('handoffDeps' | 'bookingDeps' | 'bookingWorkflowDeps' | 'chatDeps')[]][] = [
  ['staffWs', ['handoffDeps']],
  ['bookingsApi', ['bookingDeps', 'bookingWorkflowDeps']],
  ['bookingEvents', ['bookingDeps', 'bookingWorkflowDeps']],
  ['workflowTask', ['bookingDeps', 'bookingWorkflowDeps', 'handoffDeps']],
  ['wsMessage', ['chatDeps', 'handoffDeps']],
];

describe("each function's ports, from the environment the stack gives it", () => {
  it.each(builders)('%s', (name, needs) => {
    const variables = functionEnvironments(prod.template).get(functionLogicalId(prod.stack, name as never));
    if (!variables) throw new Error(`no environment for ${name}`);
    const saved = process.env;
    try {
      jest.isolateModules(() => {
        process.env = { PATH: saved['PATH'] ?? '', AWS_REGION: 'eu-west-1', ...resolvedEnvironment(variables) };
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const container = require('../../lambdas/adapters/container') as Record<string, () => unknown>;
        for (const builder of needs) expect([name, builder, (() => { try { container[builder]?.(); return 'built'; } catch (e) { return e instanceof Error ? e.message : String(e); } })()]).toEqual([name, builder, 'built']);
      });
    } finally {
      process.env = saved;
    }
  });
});
