/**
 * The composition root: builds the ports from configuration, once per module
 * load. Which adapter serves a port is decided here and nowhere else.
 */
import type { AnswerDeps } from '../core/answer/concierge';
import type { ChatDeps } from '../core/conversation';
import type { Clock } from '../core/ports';
import type { HandoffDeps } from '../core/handoff';
import { documentClient, eventBridgeClient, managementClient, sfnClient } from './aws/clients';
import { EventBridgePublisher } from './aws/event-publisher';
import { ApiGatewayPusher } from './aws/ws-pusher';
import { CachedCatalogue } from '../core/nlu/catalogue';
import { loadConfig } from './config';
import { DynamoHandoffStore } from './dynamo/handoff-store';
import { DynamoStore } from './dynamo/store';
import { StepFunctionsCallbacks } from './aws/task-callbacks';
import { EmbeddedKnowledgeIndex } from './knowledge/embedded-index';
import { languageModelFromConfig } from './llm/language-model';

/**
 * The clock every use case reads. `CONCIERGE_CLOCK_START` (an ISO instant, local cloud and eval only) shifts it so
 * the first reading is that instant and time then runs on: `npm run eval -- --now <ISO>` replays dialogues on a fixed day.
 */
let clockOffsetMs: number | undefined;
export const systemClock: Clock = {
  now: () => {
    if (clockOffsetMs === undefined) {
      const start = process.env['CONCIERGE_CLOCK_START'];
      const parsed = start ? Date.parse(start) : Number.NaN;
      if (start && Number.isNaN(parsed)) throw new Error(`CONCIERGE_CLOCK_START is not an ISO instant: ${start}`);
      clockOffsetMs = Number.isNaN(parsed) ? 0 : parsed - Date.now();
    }
    return new Date(Date.now() + clockOffsetMs);
  },
};

let storeInstance: DynamoStore | undefined;
export function store(): DynamoStore {
  if (!storeInstance) {
    const config = loadConfig(['TABLE_NAME']);
    storeInstance = new DynamoStore(documentClient(config.AWS_ENDPOINT_URL_DYNAMODB), config.TABLE_NAME, systemClock);
  }
  return storeInstance;
}

let answerInstance: AnswerDeps | undefined;
export function answerDeps(): AnswerDeps {
  if (!answerInstance) {
    // Bedrock / OpenAI and OpenSearch adapters plug in here (LLM_PROVIDER, VECTOR_STORE); the embedded ones are the offline default.
    answerInstance = {
      index: new EmbeddedKnowledgeIndex(store()),
      model: languageModelFromConfig(loadConfig([])),
      catalogue: new CachedCatalogue(store()),
      now: () => systemClock.now(),
    };
  }
  return answerInstance;
}

let chatInstance: ChatDeps | undefined;
export function chatDeps(): ChatDeps {
  if (!chatInstance) {
    const config = loadConfig(['TABLE_NAME', 'EVENT_BUS_NAME', 'WS_MANAGEMENT_ENDPOINT']);
    const s = store();
    chatInstance = {
      tenants: s,
      conversations: s,
      connections: s,
      pusher: new ApiGatewayPusher(managementClient(config.WS_MANAGEMENT_ENDPOINT)),
      events: new EventBridgePublisher(eventBridgeClient(config.AWS_ENDPOINT_URL_EVENTBRIDGE), config.EVENT_BUS_NAME),
      clock: systemClock,
      answer: answerDeps(),
    };
  }
  return chatInstance;
}

let handoffStoreInstance: DynamoHandoffStore | undefined;
/** Handoff records, staff directory, follow-ups, settings, and the local e-mail outbox (see handoffDeps). */
export function handoffStore(): DynamoHandoffStore {
  if (!handoffStoreInstance) {
    const config = loadConfig(['TABLE_NAME']);
    handoffStoreInstance = new DynamoHandoffStore(documentClient(config.AWS_ENDPOINT_URL_DYNAMODB), config.TABLE_NAME, systemClock);
  }
  return handoffStoreInstance;
}

let handoffInstance: HandoffDeps | undefined;
/**
 * The handoff's ports. E-mail goes to the outbox in the table (shown in the admin UI) in every
 * environment until an SES adapter is added (@aws-sdk/client-sesv2 is not a dependency yet).
 * Task callbacks need STATE_MACHINE_ARNS only to prove the grant; the token names its execution.
 */
export function handoffDeps(): HandoffDeps {
  if (!handoffInstance) {
    const config = loadConfig(['TABLE_NAME', 'EVENT_BUS_NAME', 'WS_MANAGEMENT_ENDPOINT']);
    const s = store();
    const h = handoffStore();
    handoffInstance = {
      tenants: s,
      conversations: s,
      connections: s,
      knowledge: s,
      pusher: new ApiGatewayPusher(managementClient(config.WS_MANAGEMENT_ENDPOINT)),
      events: new EventBridgePublisher(eventBridgeClient(config.AWS_ENDPOINT_URL_EVENTBRIDGE), config.EVENT_BUS_NAME),
      clock: systemClock,
      handoffs: h,
      staff: h,
      settings: h,
      followUps: h,
      email: h,
      callbacks: new StepFunctionsCallbacks(sfnClient(config.AWS_ENDPOINT_URL_SFN)),
    };
  }
  return handoffInstance;
}
