/**
 * Amazon SES (API v2) as the EmailSender: plain-text e-mail, UTF-8, from the
 * configured sender, optionally through a configuration set. SES accepts at
 * most 50 recipients per message, so longer staff lists go out in batches of
 * 50. The SDK retries throttling and 5xx; any other refusal (an unverified
 * sender, a sandboxed account, a bad address) surfaces as the SDK's named
 * error (`MessageRejected`, `BadRequestException`…).
 */
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import type { EmailSender, OutgoingEmail } from '../../core/handoff-ports';

export interface SesEmailOptions {
  /** The sender: a verified SES identity, or an address of a verified domain. */
  readonly from: string;
  readonly configurationSet?: string;
}

/** SES's limit of To + Cc + Bcc addresses per message. */
export const SES_MAX_RECIPIENTS = 50;

/** One SESv2 client per endpoint, created once per module load. */
let client: { endpoint: string | undefined; client: SESv2Client } | undefined;
export function sesClient(endpoint?: string): SESv2Client {
  if (!client || client.endpoint !== endpoint) client = { endpoint, client: new SESv2Client(endpoint ? { endpoint, maxAttempts: 3 } : { maxAttempts: 3 }) };
  return client.client;
}

/** A message tag value: SES allows only ASCII letters, digits, `_` and `-` (256 at most). */
function tagValue(value: string): string {
  return value.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 256) || '_';
}

export class SesEmailSender implements EmailSender {
  constructor(
    private readonly ses: SESv2Client,
    private readonly options: SesEmailOptions,
  ) {}

  async send(email: OutgoingEmail): Promise<void> {
    for (let i = 0; i < email.to.length; i += SES_MAX_RECIPIENTS) {
      await this.ses.send(
        new SendEmailCommand({
          FromEmailAddress: this.options.from,
          Destination: { ToAddresses: email.to.slice(i, i + SES_MAX_RECIPIENTS) },
          Content: {
            Simple: {
              Subject: { Data: email.subject, Charset: 'UTF-8' },
              Body: { Text: { Data: email.text, Charset: 'UTF-8' } },
            },
          },
          EmailTags: [
            { Name: 'kind', Value: tagValue(email.kind) },
            { Name: 'tenant', Value: tagValue(email.tenantId) },
          ],
          ...(this.options.configurationSet ? { ConfigurationSetName: this.options.configurationSet } : {}),
        }),
      );
    }
  }
}
