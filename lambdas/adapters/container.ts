/**
 * The composition root: builds the ports from configuration, once per module
 * load. Which adapter serves a port is decided here and nowhere else.
 */
import type { AnswerDeps } from '../core/answer/concierge';
import type { ChatDeps } from '../core/conversation';
import type { Clock } from '../core/ports';
import { documentClient, eventBridgeClient, managementClient } from './aws/clients';
import { EventBridgePublisher } from './aws/event-publisher';
import { ApiGatewayPusher } from './aws/ws-pusher';
import { loadConfig } from './config';
import { DynamoStore } from './dynamo/store';
import { EmbeddedKnowledgeIndex } from './knowledge/embedded-index';
import { ExtractiveAnswerer } from './llm/extractive';

export const systemClock: Clock = { now: () => new Date() };

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
    answerInstance = { index: new EmbeddedKnowledgeIndex(store()), model: new ExtractiveAnswerer() };
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
