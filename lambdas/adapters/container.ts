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
import type { BookingDeps } from '../core/booking/service';
import type { BookingEventsDeps } from '../core/booking/workflow';
import { DynamoBookingStore } from './dynamo/booking-store';
import { paymentsFromConfig } from './payments/index';
import { calendarFromConfig } from './calendar/index';
import { emailFromConfig } from './email/index';

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
      // The booking dialog books in conversation (core/booking/dialog.ts); answerDeps() alone answers without it.
      answer: { ...answerDeps(), booking: bookingDeps() },
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
 * The handoff's ports. E-mail goes out through SES when EMAIL_PROVIDER is ses (adapters/email), and to the
 * outbox in the table (shown in the admin UI) otherwise.
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
      email: emailFromConfig(config, h),
      callbacks: new StepFunctionsCallbacks(sfnClient(config.AWS_ENDPOINT_URL_SFN)),
    };
  }
  return handoffInstance;
}

// ---- bookings --------------------------------------------------------------------------------------

let bookingStoreInstance: DynamoBookingStore | undefined;
/** Bookings, their slot locks, payment task tokens and booking settings. */
export function bookingStore(): DynamoBookingStore {
  if (!bookingStoreInstance) {
    const config = loadConfig(['TABLE_NAME']);
    bookingStoreInstance = new DynamoBookingStore(documentClient(config.AWS_ENDPOINT_URL_DYNAMODB), config.TABLE_NAME, systemClock);
  }
  return bookingStoreInstance;
}

let bookingInstance: BookingDeps | undefined;
/** The booking use cases' ports (core/booking/service.ts): find, book, cancel, reschedule. */
export function bookingDeps(): BookingDeps {
  if (!bookingInstance) {
    const config = loadConfig(['TABLE_NAME', 'EVENT_BUS_NAME']);
    bookingInstance = {
      bookings: bookingStore(),
      catalogue: answerDeps().catalogue ?? new CachedCatalogue(store()),
      payments: paymentsFromConfig(config, { clock: systemClock }),
      calendar: calendarFromConfig(config),
      events: new EventBridgePublisher(eventBridgeClient(config.AWS_ENDPOINT_URL_EVENTBRIDGE), config.EVENT_BUS_NAME),
      clock: systemClock,
    };
  }
  return bookingInstance;
}

let bookingWorkflowInstance: BookingEventsDeps | undefined;
/**
 * The booking workflow's ports (core/booking/workflow.ts): the booking ports plus the conversation (customer
 * messages), e-mail (the outbox unless EMAIL_PROVIDER is ses) and task callbacks (for handlers/booking-events.ts;
 * the workflow's own task function never answers a token).
 */
export function bookingWorkflowDeps(): BookingEventsDeps {
  if (!bookingWorkflowInstance) {
    const config = loadConfig(['TABLE_NAME', 'EVENT_BUS_NAME', 'WS_MANAGEMENT_ENDPOINT']);
    const s = store();
    const h = handoffStore();
    const booking = bookingDeps();
    bookingWorkflowInstance = {
      bookings: booking.bookings,
      catalogue: booking.catalogue,
      payments: booking.payments,
      calendar: booking.calendar,
      events: booking.events,
      clock: systemClock,
      conversations: s,
      connections: s,
      pusher: new ApiGatewayPusher(managementClient(config.WS_MANAGEMENT_ENDPOINT)),
      email: emailFromConfig(config, h),
      staff: h,
      callbacks: new StepFunctionsCallbacks(sfnClient(config.AWS_ENDPOINT_URL_SFN)),
    };
  }
  return bookingWorkflowInstance;
}
