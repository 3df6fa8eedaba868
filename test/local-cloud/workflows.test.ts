/**
 * The local Step Functions behind the real @aws-sdk/client-sfn client (endpoint override → a tiny
 * HTTP server forwarding to handleAwsJson), running the real state-machines/*.asl.json with fake
 * functions, plus a callback (.waitForTaskToken) machine written to a temp dir.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DescribeExecutionCommand,
  SFNClient,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import aslValidator from 'asl-validator';
import { stateMachines, type FunctionName, type StateMachineDecl } from '../../lib/declaration';
import { LocalWorkflows, StateMachineDefinitionError, localStateMachineArn, type LocalWorkflowsOptions } from '../../local-cloud/workflows';
import { startAwsJsonServer, type AwsJsonServer } from './support/aws-json-server';

const ROOT = path.resolve(__dirname, '..', '..');

type Payload = Record<string, unknown>;
const asPayload = (value: unknown): Payload => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Payload) : {});

/** A fake workflowTask: records every call; `behaviour` decides per step. */
function fakeFunctions(behaviour: (step: string, payload: Payload) => unknown = (step) => ({ done: step })) {
  const calls: { fn: FunctionName; step: string; payload: Payload }[] = [];
  const invokeFunction = async (fn: FunctionName, raw: unknown): Promise<unknown> => {
    const payload = asPayload(raw);
    const step = typeof payload['step'] === 'string' ? payload['step'] : '?';
    calls.push({ fn, step, payload });
    return behaviour(step, payload);
  };
  return { calls, invokeFunction };
}

function namedError(name: string, message: string): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

const servers: AwsJsonServer[] = [];
const tempDirs: string[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});
afterAll(() => {
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function serve(workflows: LocalWorkflows): Promise<SFNClient> {
  const server = await startAwsJsonServer(workflows, 'application/x-amz-json-1.0');
  servers.push(server);
  return new SFNClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}

function tempMachines(files: Record<string, object>): { rootDir: string; stateMachines: Record<string, StateMachineDecl> } {
  const rootDir = fs.mkdtempSync(path.join(os.tmpdir(), 'concierge-asl-'));
  tempDirs.push(rootDir);
  const decls: Record<string, StateMachineDecl> = {};
  for (const [name, definition] of Object.entries(files)) {
    fs.writeFileSync(path.join(rootDir, `${name}.asl.json`), JSON.stringify(definition, null, 2));
    decls[name] = {
      file: `${name}.asl.json`,
      description: name,
      functionSubstitutions: { WorkflowTaskArn: 'workflowTask' },
      valueSubstitutions: {},
    };
  }
  return { rootDir, stateMachines: decls };
}

const output = (text: string | undefined): Payload => asPayload(JSON.parse(text ?? 'null'));

describe('polyfills', () => {
  test('Promise.withResolvers exists once workflows are loaded', () => {
    // Typed here because lib ES2023 does not declare it (it is ES2024).
    const P = Promise as PromiseConstructor & {
      withResolvers<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (reason?: unknown) => void };
    };
    const { promise, resolve } = P.withResolvers<number>();
    resolve(7);
    return expect(promise).resolves.toBe(7);
  });
});

describe('booking.asl.json (real file)', () => {
  const bookingArn = localStateMachineArn('booking');
  const event = { 'detail-type': 'booking.requested', source: 'concierge', detail: { tenantId: 't1', bookingId: 'b1' } };
  const notified = { remind: false, remindAt: '2026-04-01T09:00:00Z', start: '2026-04-02T09:00:00.000Z' };

  test('no deposit: holds, confirms, adds to the calendar and notifies; the SDK sees SUCCEEDED with every result', async () => {
    const fns = fakeFunctions((step) => (step === 'booking.hold' ? { route: 'confirm' } : step === 'booking.notify' ? notified : { ok: step }));
    const workflows = new LocalWorkflows({ rootDir: ROOT, invokeFunction: fns.invokeFunction, retryScale: 0 });
    const sfn = await serve(workflows);
    const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: bookingArn, input: JSON.stringify(event), name: 'booking-1' }));
    expect(started.executionArn).toBe('arn:aws:states:local:000000000000:execution:booking:booking-1');
    expect(started.startDate).toBeInstanceOf(Date);

    await workflows.drain();
    expect(fns.calls.map((c) => c.step)).toEqual(['booking.hold', 'booking.confirm', 'booking.calendar', 'booking.notify']);
    expect(fns.calls.every((c) => c.fn === 'workflowTask')).toBe(true);
    // The hold step learns its execution; later steps see what earlier ones returned.
    expect(fns.calls[0]?.payload).toEqual({ step: 'booking.hold', executionId: started.executionArn, input: event });
    expect(fns.calls[1]?.payload).toEqual({ step: 'booking.confirm', input: { ...event, hold: { route: 'confirm' } } });

    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(described.status).toBe('SUCCEEDED');
    expect(described.stopDate).toBeInstanceOf(Date);
    expect(output(described.output)).toEqual({
      ...event,
      hold: { route: 'confirm' },
      confirm: { ok: 'booking.confirm' },
      calendar: { ok: 'booking.calendar' },
      notify: notified,
    });
    expect(workflows.listExecutions()).toEqual([expect.objectContaining({ name: 'booking-1', status: 'SUCCEEDED', stateMachine: 'booking' })]);
  });

  test('a confirm that keeps failing is retried, then compensated, and the execution fails', async () => {
    const fns = fakeFunctions((step) => {
      if (step === 'booking.hold') return { route: 'confirm' };
      if (step === 'booking.confirm') throw namedError('Error', 'table unavailable');
      return { outcome: 'failed', refunded: false };
    });
    const workflows = new LocalWorkflows({ rootDir: ROOT, invokeFunction: fns.invokeFunction, retryScale: 0 });
    const sfn = await serve(workflows);
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: bookingArn, input: JSON.stringify(event) }));
    await workflows.drain();

    // 1 attempt + 3 retries (Retry MaxAttempts 3 on States.TaskFailed), then Catch → Compensate.
    expect(fns.calls.map((c) => c.step)).toEqual(['booking.hold', 'booking.confirm', 'booking.confirm', 'booking.confirm', 'booking.confirm', 'booking.compensate']);
    const caught = asPayload(asPayload(fns.calls[5]?.payload['input'])['error']);
    expect(caught['Error']).toBe('Error');
    // Lambda-style Cause: the function error as JSON.
    expect(JSON.parse(String(caught['Cause']))).toMatchObject({ errorType: 'Error', errorMessage: 'table unavailable' });

    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({ status: 'FAILED', error: 'BookingFailed' });
  });

  test('domain errors (the slot was taken) are not retried: straight to Compensate', async () => {
    const fns = fakeFunctions((step) => {
      if (step === 'booking.hold') throw namedError('SlotTaken', 'someone else holds that time now');
      return { outcome: 'failed', refunded: false };
    });
    const workflows = new LocalWorkflows({ rootDir: ROOT, invokeFunction: fns.invokeFunction, retryScale: 0 });
    const { executionArn } = workflows.startExecution('booking', event);
    const done = await workflows.waitForExecution(executionArn);
    expect(fns.calls.map((c) => c.step)).toEqual(['booking.hold', 'booking.compensate']);
    expect(done).toMatchObject({ status: 'FAILED', error: 'BookingFailed' });
  });

  test('a calendar that keeps failing does not undo the booking: recorded, then notified, and the execution succeeds', async () => {
    const fns = fakeFunctions((step) => {
      if (step === 'booking.hold') return { route: 'confirm' };
      if (step === 'booking.calendar') throw namedError('CalendarRetryableError', 'google calendar: 503');
      return step === 'booking.notify' ? notified : { ok: step };
    });
    const workflows = new LocalWorkflows({ rootDir: ROOT, invokeFunction: fns.invokeFunction, retryScale: 0 });
    const { executionArn } = workflows.startExecution('booking', event);
    const done = await workflows.waitForExecution(executionArn);
    expect(fns.calls.map((c) => c.step)).toEqual([
      'booking.hold',
      'booking.confirm',
      ...Array.from({ length: 5 }, () => 'booking.calendar'),
      'booking.calendarFailed',
      'booking.notify',
    ]);
    expect(asPayload(asPayload(fns.calls[7]?.payload['input'])['calendarError'])['Error']).toBe('CalendarRetryableError');
    expect(done.status).toBe('SUCCEEDED');
  });
});

describe('handoff.asl.json (real file)', () => {
  const event = { 'detail-type': 'handoff.requested', source: 'concierge', detail: { tenantId: 'demo', conversationId: 'c1234567' } };

  test('a duplicate request (queue says done) ends at once; the queue step gets the event and the execution id', async () => {
    const fns = fakeFunctions(() => ({ route: 'done', slaSeconds: 60 }));
    const workflows = new LocalWorkflows({ rootDir: ROOT, invokeFunction: fns.invokeFunction, retryScale: 0 });
    const sfn = await serve(workflows);
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: localStateMachineArn('handoff'), input: JSON.stringify(event) }));
    await workflows.drain();
    expect(fns.calls.map((c) => c.step)).toEqual(['handoff.queue']);
    expect(fns.calls[0]?.payload['input']).toEqual(event);
    expect(fns.calls[0]?.payload['executionId']).toBe(executionArn);
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described.status).toBe('SUCCEEDED');
  });

  /** A fake workflowTask driving the handoff: `routes` answers the plain steps; callback steps record their tokens. */
  function handoffFunctions(routes: Record<string, Payload>, throws: Record<string, string> = {}) {
    const tokens: { step: string; token: string }[] = [];
    const fns = fakeFunctions((step, payload) => {
      const error = throws[step];
      if (error) throw namedError(error, `${step} moved on`);
      if (typeof payload['taskToken'] === 'string') tokens.push({ step, token: payload['taskToken'] });
      return routes[step] ?? { ok: true };
    });
    return { ...fns, tokens };
  }

  async function until<T>(probe: () => T | undefined): Promise<T> {
    for (let i = 0; i < 200; i++) {
      const value = probe();
      if (value !== undefined) return value;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('condition not met');
  }

  test('an agent accepts within the SLA, then closes: the survey runs and the SLA timer is stopped', async () => {
    const fns = handoffFunctions({
      'handoff.queue': { route: 'notify', slaSeconds: 3600 },
      'handoff.outcome': { outcome: 'closed' },
    });
    const workflows = new LocalWorkflows({ rootDir: ROOT, invokeFunction: fns.invokeFunction, retryScale: 0 });
    const sfn = await serve(workflows);
    const { executionArn } = workflows.startExecution('handoff', event);
    const accept = await until(() => fns.tokens.find((t) => t.step === 'handoff.awaitAccept'));
    expect(workflows.listPendingTasks().map((t) => t.stateName)).toEqual(['WaitForAgent']);
    await sfn.send(new SendTaskSuccessCommand({ taskToken: accept.token, output: JSON.stringify({ acceptedBy: 'agent-1' }) }));
    const outcome = await until(() => fns.tokens.find((t) => t.step === 'handoff.awaitOutcome'));
    await sfn.send(new SendTaskSuccessCommand({ taskToken: outcome.token, output: JSON.stringify({ outcome: 'closed' }) }));
    const done = await workflows.waitForExecution(executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(fns.calls.map((c) => c.step)).toEqual(['handoff.queue', 'handoff.notify', 'handoff.awaitAccept', 'handoff.awaitOutcome', 'handoff.outcome', 'handoff.survey']);
    expect(workflows.listPendingTasks()).toEqual([]);
  });

  test('nobody accepts: the SLA (SecondsPath, scaled) escalates, then falls back to a callback that waits for a late accept', async () => {
    const fns = handoffFunctions({
      'handoff.queue': { route: 'notify', slaSeconds: 100 },
      'handoff.escalate': { route: 'wait', slaSeconds: 100 },
      'handoff.fallback': { route: 'callback' },
      'handoff.outcome': { outcome: 'returned' },
    });
    const workflows = new LocalWorkflows({ rootDir: ROOT, invokeFunction: fns.invokeFunction, retryScale: 0, waitScale: 0.001 });
    const sfn = await serve(workflows);
    const { executionArn } = workflows.startExecution('handoff', event);
    const late = await until(() => fns.tokens.find((t) => t.step === 'handoff.awaitAccept' && workflows.listPendingTasks().some((p) => p.taskToken === t.token && p.stateName === 'AwaitLateAccept')));
    expect(fns.calls.map((c) => c.step)).toEqual(['handoff.queue', 'handoff.notify', 'handoff.awaitAccept', 'handoff.escalate', 'handoff.awaitAccept', 'handoff.fallback', 'handoff.awaitAccept']);
    // The tokens of the stopped race branches no longer lead anywhere; the late accept does.
    await sfn.send(new SendTaskSuccessCommand({ taskToken: late.token, output: '{}' }));
    const outcome = await until(() => fns.tokens.find((t) => t.step === 'handoff.awaitOutcome'));
    await sfn.send(new SendTaskSuccessCommand({ taskToken: outcome.token, output: JSON.stringify({ outcome: 'returned' }) }));
    const done = await workflows.waitForExecution(executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(fns.calls.map((c) => c.step).slice(-2)).toEqual(['handoff.awaitOutcome', 'handoff.outcome']);
    expect(workflows.listPendingTasks()).toEqual([]);
  });

  test('outside hours the queue routes straight to the fallback; an accept that happened first skips the waits', async () => {
    const after = handoffFunctions({ 'handoff.queue': { route: 'fallback', slaSeconds: 60, why: 'after_hours' }, 'handoff.fallback': { route: 'done' } });
    const w1 = new LocalWorkflows({ rootDir: ROOT, invokeFunction: after.invokeFunction, retryScale: 0 });
    expect((await w1.waitForExecution(w1.startExecution('handoff', event).executionArn)).status).toBe('SUCCEEDED');
    expect(after.calls.map((c) => c.step)).toEqual(['handoff.queue', 'handoff.fallback']);
    expect(after.calls[1]?.payload['input']).toMatchObject({ queue: { why: 'after_hours' } });

    // The agent accepted before the accept token was stored; the closed conversation's outcome is known too.
    const raced = handoffFunctions(
      { 'handoff.queue': { route: 'notify', slaSeconds: 3600 }, 'handoff.outcome': { outcome: 'closed' } },
      { 'handoff.awaitAccept': 'HandoffAccepted', 'handoff.awaitOutcome': 'HandoffOutcomeKnown' },
    );
    const w2 = new LocalWorkflows({ rootDir: ROOT, invokeFunction: raced.invokeFunction, retryScale: 0 });
    const done = await w2.waitForExecution(w2.startExecution('handoff', event).executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(raced.calls.map((c) => c.step)).toEqual(['handoff.queue', 'handoff.notify', 'handoff.awaitAccept', 'handoff.awaitOutcome', 'handoff.outcome', 'handoff.survey']);
  });

  test('the outcome wait timing out asks whether the owner is idle: active waits (SecondsPath, scaled) and asks again; ended reads the outcome', async () => {
    const idle: Payload[] = [{ route: 'active', waitSeconds: 3600 }, { route: 'ended' }];
    const routes: Record<string, Payload> = { 'handoff.queue': { route: 'owned', slaSeconds: 60 }, 'handoff.outcome': { outcome: 'closed' } };
    const fns = fakeFunctions((step) => (step === 'handoff.ownerIdle' ? (idle.shift() ?? { route: 'done' }) : (routes[step] ?? { ok: true })));
    // AwaitOutcome's day takes ~0.09 s; the hour of OwnerActiveWait ~4 ms.
    const workflows = new LocalWorkflows({ rootDir: ROOT, invokeFunction: fns.invokeFunction, retryScale: 0, callbackTimeoutScale: 0.000_001, waitScale: 0.000_001 });
    const { executionArn } = workflows.startExecution('handoff', event);
    expect((await workflows.waitForExecution(executionArn)).status).toBe('SUCCEEDED');
    expect(fns.calls.map((c) => c.step)).toEqual(['handoff.queue', 'handoff.awaitOutcome', 'handoff.ownerIdle', 'handoff.ownerIdle', 'handoff.outcome', 'handoff.survey']);
    // The owner check knows its execution (only that execution's handoff may be released).
    expect(fns.calls[2]?.payload['executionId']).toBe(executionArn);
  });

  test('stop() ends parked executions and settles their tasks', async () => {
    const fns = handoffFunctions({ 'handoff.queue': { route: 'owned', slaSeconds: 60 } });
    const workflows = new LocalWorkflows({ rootDir: ROOT, invokeFunction: fns.invokeFunction, retryScale: 0 });
    const { executionArn } = workflows.startExecution('handoff', event);
    await until(() => fns.tokens.find((t) => t.step === 'handoff.awaitOutcome'));
    await workflows.quiesce();
    workflows.stop();
    expect(await workflows.waitForExecution(executionArn)).toMatchObject({ status: 'ABORTED' });
    expect(workflows.listPendingTasks()).toEqual([]);
  });

  test('a queue step that keeps failing ends in HandoffFailed', async () => {
    const fns = fakeFunctions(() => {
      throw new Error('boom');
    });
    const workflows = new LocalWorkflows({ rootDir: ROOT, invokeFunction: fns.invokeFunction, retryScale: 0 });
    const { executionArn } = workflows.startExecution('handoff', { detail: {} });
    expect(await workflows.waitForExecution(executionArn)).toMatchObject({ status: 'FAILED', error: 'HandoffFailed' });
    expect(fns.calls).toHaveLength(4);
  });
});

/** Waits (up to 10 s, for a loaded machine) until the workflow has handed out a task token. */
async function untilPending(workflows: LocalWorkflows): Promise<void> {
  for (let waited = 0; workflows.listPendingTasks().length === 0; waited += 5) {
    if (waited > 10_000) throw new Error('no task token was handed out within 10 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('.waitForTaskToken callbacks', () => {
  const callbackMachine = {
    Comment: 'Ask for approval and wait for the answer',
    StartAt: 'RequestApproval',
    States: {
      RequestApproval: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: {
          FunctionName: '${WorkflowTaskArn}',
          Payload: { step: 'approval.request', 'taskToken.$': '$$.Task.Token', 'executionId.$': '$$.Execution.Id', 'input.$': '$' },
        },
        TimeoutSeconds: 2,
        HeartbeatSeconds: 1,
        ResultPath: '$.approval',
        // States.TaskFailed is listed first on purpose: it must not catch a timeout.
        Catch: [
          { ErrorEquals: ['States.TaskFailed'], ResultPath: '$.error', Next: 'Rejected' },
          { ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'Expired' },
        ],
        Next: 'Approved',
      },
      Approved: { Type: 'Pass', Result: 'approved', ResultPath: '$.outcome', End: true },
      Rejected: { Type: 'Pass', Result: 'rejected', ResultPath: '$.outcome', End: true },
      Expired: { Type: 'Pass', Result: 'expired', ResultPath: '$.outcome', End: true },
    },
  };

  async function setup(options: Partial<LocalWorkflowsOptions> & { answer?: (sfn: SFNClient, payload: Payload) => Promise<void> }) {
    const machines = tempMachines({ approval: callbackMachine });
    let client: SFNClient | undefined;
    const fns = fakeFunctions((_step, payload) => {
      if (options.answer && client) {
        const sfn = client;
        // Like a real function handing the token to someone who answers later.
        setTimeout(() => void options.answer?.(sfn, payload), 10);
      }
      return null;
    });
    const workflows = new LocalWorkflows({
      rootDir: machines.rootDir,
      stateMachines: machines.stateMachines,
      invokeFunction: options.invokeFunction ?? fns.invokeFunction,
      // TimeoutSeconds 2 → 200 ms, HeartbeatSeconds 1 → 100 ms.
      callbackTimeoutScale: 0.1,
      ...options,
    });
    client = await serve(workflows);
    return { workflows, sfn: client, fns, arn: localStateMachineArn('approval') };
  }

  test('SendTaskSuccess from the invoked function resumes the execution with its output', async () => {
    const { workflows, sfn, fns, arn } = await setup({
      // This test is about the answer, not the clock: a loaded CI machine can take longer than
      // 100 ms for the HTTP round trip, so the heartbeat here is the ASL's full 1 s (×5).
      callbackTimeoutScale: 5,
      answer: async (client, payload) => {
        await client.send(
          new SendTaskSuccessCommand({ taskToken: String(payload['taskToken']), output: JSON.stringify({ by: 'agent-7' }) }),
        );
      },
    });
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{"conversationId":"c1"}' }));
    await workflows.drain();

    const payload = fns.calls[0]?.payload ?? {};
    expect(payload['taskToken']).toMatch(/^[A-Za-z0-9_-]{128}$/);
    expect(payload['executionId']).toBe(executionArn);
    expect(payload['input']).toEqual({ conversationId: 'c1' });

    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described.status).toBe('SUCCEEDED');
    expect(output(described.output)).toEqual({ conversationId: 'c1', approval: { by: 'agent-7' }, outcome: 'approved' });
    // The token is spent.
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: String(payload['taskToken']), output: '{}' })),
    ).rejects.toMatchObject({ name: 'TaskTimedOut' });
  });

  test('a person answering later: the pending task is listed, heartbeats keep it alive, SendTaskFailure → Catch', async () => {
    // HeartbeatSeconds 1 → 2 s, TimeoutSeconds 2 → 4 s: wide margins, so a loaded machine's slow
    // heartbeat call does not turn into a timeout.
    const { workflows, sfn, arn } = await setup({ callbackTimeoutScale: 2 });
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{}' }));
    await untilPending(workflows);
    const [pending] = workflows.listPendingTasks();
    expect(pending).toMatchObject({ executionArn, stateName: 'RequestApproval', functionName: 'workflowTask' });
    const taskToken = pending?.taskToken ?? '';

    // 3 heartbeats 800 ms apart: 2.4 s > HeartbeatSeconds (2 s), but each one resets it.
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 800));
      await sfn.send(new SendTaskHeartbeatCommand({ taskToken }));
    }
    expect(workflows.describeExecution(executionArn ?? '').status).toBe('RUNNING');

    await sfn.send(new SendTaskFailureCommand({ taskToken, error: 'Declined', cause: 'nobody available' }));
    const done = await workflows.waitForExecution(executionArn ?? '');
    expect(done.status).toBe('SUCCEEDED');
    expect(output(done.output)).toEqual({ error: { Error: 'Declined', Cause: 'nobody available' }, outcome: 'rejected' });
  });

  test('no heartbeat → States.Timeout (not caught by States.TaskFailed), and the token is then refused', async () => {
    // HeartbeatSeconds 1 → 500 ms: long enough for the pending task to be seen on a loaded machine.
    const { workflows, sfn, arn } = await setup({ callbackTimeoutScale: 0.5 });
    const started = Date.now();
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{}' }));
    await untilPending(workflows);
    const taskToken = workflows.listPendingTasks()[0]?.taskToken ?? '';
    const done = await workflows.waitForExecution(executionArn ?? '');
    expect(Date.now() - started).toBeGreaterThanOrEqual(490);
    expect(output(done.output)).toMatchObject({
      error: { Error: 'States.Timeout', Cause: expect.stringContaining('HeartbeatSeconds (1 s)') },
      outcome: 'expired',
    });
    expect(workflows.listPendingTasks()).toHaveLength(0);
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken, output: '{}' }))).rejects.toMatchObject({
      name: 'TaskTimedOut',
      $metadata: { httpStatusCode: 400 },
    });
  });

  test('TimeoutSeconds bounds the whole wait even with heartbeats', async () => {
    // TimeoutSeconds 2 → 1 s, HeartbeatSeconds 1 → 500 ms; a heartbeat every 40 ms leaves a loaded
    // machine 460 ms of slack, and the Cause says which limit ran out.
    const { workflows, sfn, arn } = await setup({ callbackTimeoutScale: 0.5 });
    const started = Date.now();
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{}' }));
    await untilPending(workflows);
    const taskToken = workflows.listPendingTasks()[0]?.taskToken ?? '';
    const beat = setInterval(() => {
      sfn.send(new SendTaskHeartbeatCommand({ taskToken })).catch(() => undefined);
    }, 40);
    try {
      const done = await workflows.waitForExecution(executionArn ?? '');
      expect(output(done.output)).toMatchObject({
        outcome: 'expired',
        error: { Error: 'States.Timeout', Cause: expect.stringContaining('TimeoutSeconds (2 s)') },
      });
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    } finally {
      clearInterval(beat);
    }
  });

  test('the invoked function failing fails the task with its error type', async () => {
    const { workflows, arn } = await setup({
      invokeFunction: async () => {
        throw namedError('NotifyFailed', 'no staff channel configured');
      },
    });
    expect(arn).toContain(':stateMachine:approval');
    const { executionArn } = workflows.startExecution('approval', {});
    const done = await workflows.waitForExecution(executionArn);
    expect(output(done.output)).toMatchObject({ error: { Error: 'NotifyFailed' }, outcome: 'rejected' });
    expect(workflows.listPendingTasks()).toHaveLength(0);
  });

  test('StartExecution is idempotent by name while running with the same input', async () => {
    const { workflows, sfn, arn } = await setup({});
    const first = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'approval-c1', input: '{"a":1}' }));
    const again = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'approval-c1', input: '{"a":1}' }));
    expect(again.executionArn).toBe(first.executionArn);
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'approval-c1', input: '{"a":2}' })),
    ).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    await workflows.drain(); // times out after 100 ms (no heartbeat)
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'approval-c1', input: '{"a":1}' })),
    ).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
  });
});

describe('AWS-shaped errors through the SDK', () => {
  test('unknown or malformed ARNs, tokens, names and inputs', async () => {
    const workflows = new LocalWorkflows({ rootDir: ROOT, invokeFunction: async () => null });
    const sfn = await serve(workflows);
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: localStateMachineArn('nope') })),
    ).rejects.toMatchObject({ name: 'StateMachineDoesNotExist', $metadata: { httpStatusCode: 400 } });
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: 'not-an-arn' }))).rejects.toMatchObject({ name: 'InvalidArn' });
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: localStateMachineArn('booking'), input: '{oops' })),
    ).rejects.toMatchObject({ name: 'InvalidExecutionInput' });
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: localStateMachineArn('booking'), name: 'has space' })),
    ).rejects.toMatchObject({ name: 'InvalidName' });
    await expect(
      sfn.send(new DescribeExecutionCommand({ executionArn: 'arn:aws:states:local:000000000000:execution:booking:missing' })),
    ).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: 'garbage', output: '{}' }))).rejects.toMatchObject({
      name: 'InvalidToken',
    });
    await expect(sfn.send(new SendTaskFailureCommand({ taskToken: 'A'.repeat(128) }))).rejects.toMatchObject({
      name: 'TaskDoesNotExist',
    });
    await expect(sfn.send(new SendTaskHeartbeatCommand({ taskToken: 'A'.repeat(128) }))).rejects.toMatchObject({
      name: 'TaskDoesNotExist',
    });
    const unknownOp = await workflows.handleAwsJson('AWSStepFunctions.StopExecution', {});
    expect(unknownOp).toEqual({ status: 400, body: expect.objectContaining({ __type: 'UnknownOperationException' }) });
    const invalidBody = await workflows.handleAwsJson('AWSStepFunctions.StartExecution', { stateMachineArn: 42 });
    expect(invalidBody).toEqual({ status: 400, body: expect.objectContaining({ __type: 'ValidationException' }) });
    await workflows.drain();
  });
});

describe('Wait states and waitScale', () => {
  test('Seconds, SecondsPath and Timestamp waits are all scaled', async () => {
    const inTwoMinutes = new Date(Date.now() + 120_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const machines = tempMachines({
      waits: {
        StartAt: 'Fixed',
        States: {
          Fixed: { Type: 'Wait', Seconds: 100, Next: 'FromInput' },
          FromInput: { Type: 'Wait', SecondsPath: '$.delay', Next: 'Until' },
          Until: { Type: 'Wait', Timestamp: inTwoMinutes, OutputPath: '$.keep', End: true },
        },
      },
    });
    const workflows = new LocalWorkflows({ ...machines, invokeFunction: async () => null, waitScale: 0.001 });
    const started = Date.now();
    const { executionArn } = workflows.startExecution('waits', { delay: 50, keep: { x: 1 } });
    const done = await workflows.waitForExecution(executionArn);
    const elapsed = Date.now() - started;
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? 'null')).toEqual({ x: 1 });
    // 100 s + 50 s + ~120 s at 1/1000 ≈ 270 ms.
    expect(elapsed).toBeGreaterThanOrEqual(240);
    // Unscaled these waits take 270 s: finishing at all within the test timeout shows the scaling.
  });
});

describe('definitions', () => {
  test('both real ASL files are valid ASL (asl-validator), as deployed and as run locally', () => {
    for (const [name, decl] of Object.entries(stateMachines)) {
      let text = fs.readFileSync(path.join(ROOT, decl.file), 'utf8');
      for (const key of Object.keys(decl.functionSubstitutions)) {
        text = text.replaceAll(`\${${key}}`, 'arn:aws:lambda:us-east-1:123456789012:function:concierge-workflowTask');
      }
      for (const [key, value] of Object.entries<string>(decl.valueSubstitutions)) text = text.replaceAll(`\${${key}}`, value);
      const deployed = aslValidator(JSON.parse(text));
      expect({ name, valid: deployed.isValid, errors: deployed.errorsText('\n') }).toEqual({ name, valid: true, errors: expect.any(String) });
    }
    const workflows = new LocalWorkflows({ rootDir: ROOT, invokeFunction: async () => null });
    for (const [name, definition] of Object.entries(workflows.definitions())) {
      const local = aslValidator(definition);
      expect({ name, valid: local.isValid }).toEqual({ name, valid: true });
    }
  });

  test('remembers on disk a definition asl-validator passed (test files and restarts skip it), never one it refused', () => {
    const good = { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } };
    const bad = { StartAt: 'Nowhere', States: { T: { Type: 'Pass', End: true } } };
    const machines = tempMachines({ good, bad });
    // The cache is versioned by the library's package file: a root of its own, with a version of its own.
    const pkg = path.join(machines.rootDir, 'node_modules', 'aws-local-stepfunctions');
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ version: `0.0.0-test.${process.pid}` }));
    const cache = path.join(machines.rootDir, 'node_modules', '.cache', 'concierge', 'asl-validated');
    const markers = (): string[] => (fs.existsSync(cache) ? fs.readdirSync(cache) : []);
    const build = (name: string) => () =>
      new LocalWorkflows({ rootDir: machines.rootDir, stateMachines: { [name]: machines.stateMachines[name] as StateMachineDecl }, invokeFunction: async () => null });

    expect(build('bad')).toThrow(StateMachineDefinitionError);
    expect(build('bad')).toThrow(StateMachineDefinitionError);
    expect(markers()).toEqual([]);
    build('good')();
    expect(markers()).toHaveLength(1);
  });

  test('problems in a definition are reported when the runner is built', () => {
    const build = (definition: object, substitutions: Partial<StateMachineDecl> = {}) => {
      const machines = tempMachines({ bad: definition });
      const decl = { ...machines.stateMachines['bad'], ...substitutions } as StateMachineDecl;
      return () => new LocalWorkflows({ rootDir: machines.rootDir, stateMachines: { bad: decl }, invokeFunction: async () => null });
    };
    const task = (resource: string, extra: object = {}) => ({ StartAt: 'T', States: { T: { Type: 'Task', Resource: resource, End: true, ...extra } } });

    expect(build(task('${Missing}'))).toThrow(/no substitution declared for \$\{Missing\}/);
    expect(build(task('arn:aws:lambda:us-east-1:123456789012:function:notDeclared'))).toThrow(/not a declared function/);
    expect(build(task('arn:aws:states:::sqs:sendMessage'))).toThrow(/unsupported Resource/);
    expect(
      build(task('arn:aws:states:::lambda:invoke.waitForTaskToken', { Parameters: { FunctionName: '${WorkflowTaskArn}', Payload: {} } })),
    ).toThrow(/must pass \$\$\.Task\.Token/);
    expect(build({ StartAt: 'Nowhere', States: { T: { Type: 'Pass', End: true } } })).toThrow(StateMachineDefinitionError);
    expect(
      () => new LocalWorkflows({ rootDir: ROOT, stateMachines: { ghost: { ...stateMachines.booking, file: 'state-machines/ghost.asl.json' } }, invokeFunction: async () => null }),
    ).toThrow(/cannot read state-machines\/ghost\.asl\.json/);
  });
});
