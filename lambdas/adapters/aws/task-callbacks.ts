/**
 * Answers the handoff workflow's `.waitForTaskToken` tasks with SendTaskSuccess
 * (the local cloud answers the same JSON protocol through the endpoint override).
 */
import { SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { TaskCallbacks } from '../../core/handoff-ports';

/** Step Functions' answers for a token that no longer waits: nothing to do, not a failure. */
const GONE = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

export class StepFunctionsCallbacks implements TaskCallbacks {
  constructor(private readonly client: SFNClient) {}

  async succeed(token: string, output: Readonly<Record<string, unknown>>): Promise<boolean> {
    try {
      await this.client.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) }));
      return true;
    } catch (error) {
      if (error instanceof Error && GONE.has(error.name)) return false;
      throw error;
    }
  }
}
