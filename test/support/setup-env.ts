import { join } from 'node:path';
import { keepIntentModelsIn } from '../../lambdas/adapters/nlu/intent-model-cache';

// Tests never reach AWS: fixed fake credentials and region for SDK clients pointed at local endpoints.
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
process.env.POWERTOOLS_DEV ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'; // Lambdas run on Node 22; locally Node 20 is expected

// Trained intent models are kept between test files (each is a fresh module registry that would train the same
// model again): named by their training input and the training code (adapters/nlu/intent-model-cache.ts).
keepIntentModelsIn(join(__dirname, '..', '..', 'node_modules', '.cache', 'concierge', 'intent-models'));
