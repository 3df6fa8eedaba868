/**
 * Picks the SecretCipher of per-tenant integration credentials from configuration: KMS envelope encryption
 * when `INTEGRATIONS_KMS_KEY_ID` is set (AWS; the `secrets:*` grants set it), AES-256-GCM under
 * `LOCAL_SECRETS_KEY` in the local cloud, and otherwise none — then tenants' credentials can be listed and
 * removed but not read or written, and adapters use the environment's defaults.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SecretCipher } from '../../core/integrations';
import type { Clock } from '../../core/ports';
import type { Config } from '../config';
import { KmsSecretCipher } from './kms-cipher';
import { LocalSecretCipher, localKeyFrom } from './local-cipher';
import { DynamoIntegrationSecrets, noCipher, type DynamoIntegrationSecretsOptions } from './secret-store';

export type IntegrationsConfig = Partial<Pick<Config, 'INTEGRATIONS_KMS_KEY_ID' | 'LOCAL_SECRETS_KEY' | 'AWS_ENDPOINT_URL_KMS'>>;

/** The cipher for this configuration; KMS wins when both are set. */
export function secretCipherFromConfig(config: IntegrationsConfig): SecretCipher {
  if (config.INTEGRATIONS_KMS_KEY_ID) {
    const kms = new KMSClient(config.AWS_ENDPOINT_URL_KMS ? { endpoint: config.AWS_ENDPOINT_URL_KMS, maxAttempts: 3 } : { maxAttempts: 3 });
    return new KmsSecretCipher(kms, config.INTEGRATIONS_KMS_KEY_ID);
  }
  if (config.LOCAL_SECRETS_KEY) return new LocalSecretCipher(localKeyFrom(config.LOCAL_SECRETS_KEY));
  return noCipher;
}

/** The store of tenants' integration credentials on the table. */
export function integrationSecretsFromConfig(
  config: IntegrationsConfig & { readonly TABLE_NAME: string },
  deps: { readonly doc: DynamoDBDocumentClient; readonly clock: Clock },
  options: DynamoIntegrationSecretsOptions = {},
): DynamoIntegrationSecrets {
  return new DynamoIntegrationSecrets(deps.doc, config.TABLE_NAME, secretCipherFromConfig(config), deps.clock, options);
}

export { DynamoIntegrationSecrets, hintsOf } from './secret-store';
export { KmsSecretCipher } from './kms-cipher';
export { LocalSecretCipher, SecretDecryptionError, localKeyFrom } from './local-cipher';
