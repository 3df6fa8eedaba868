/**
 * Picks the EmailSender from configuration (`EMAIL_PROVIDER`); used by the
 * composition root. `ses` sends through Amazon SES from `EMAIL_FROM` (checked
 * here, at start-up); anything else keeps e-mail in the outbox (the table),
 * shown in the admin UI — the local cloud's and a fresh environment's default.
 * The SES module (and its SDK client) loads on the first e-mail, so functions
 * that never send one do not pay for it at cold start.
 */
import type { EmailSender, OutgoingEmail } from '../../core/handoff-ports';
import type { Config } from '../config';

type EmailConfig = Partial<Pick<Config, 'EMAIL_PROVIDER' | 'EMAIL_FROM' | 'SES_CONFIGURATION_SET' | 'AWS_ENDPOINT_URL_SESV2'>>;

/** The EmailSender of this environment; `outbox` receives e-mail when no provider is configured. */
export function emailFromConfig(config: EmailConfig, outbox: EmailSender): EmailSender {
  if ((config.EMAIL_PROVIDER ?? 'outbox') !== 'ses') return outbox;
  const from = config.EMAIL_FROM;
  if (!from) throw new Error('configuration error: EMAIL_FROM is not set (EMAIL_PROVIDER is ses)');
  const { SES_CONFIGURATION_SET: configurationSet, AWS_ENDPOINT_URL_SESV2: endpoint } = config;
  let sender: Promise<EmailSender> | undefined;
  return {
    send: async (email: OutgoingEmail) => {
      sender ??= import('./ses')
        .then(({ SesEmailSender, sesClient }) => new SesEmailSender(sesClient(endpoint), { from, ...(configurationSet ? { configurationSet } : {}) }))
        .catch((error: unknown) => {
          sender = undefined;
          throw error;
        });
      await (await sender).send(email);
    },
  };
}
