/**
 * The outbound HTTP of webhooks and CRM sync: one POST with a timeout, redirects never followed (a 3xx is an
 * answer like any other), at most 8 KiB of the answer read, and — for subscribers' URLs — the address the name
 * resolves to checked at connect time against the URL policy (core/webhooks/url-policy.ts), so neither an IP
 * literal nor a DNS answer can point a webhook at a private, loopback or link-local address.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { DeliveryError } from '../../core/channels/outbound';
import type { HttpAnswer, WebhookTransport } from '../../core/webhooks/service';
import { isForbiddenAddress, type UrlPolicy } from '../../core/webhooks/url-policy';

const MAX_ANSWER_BYTES = 8 * 1024;

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for http(s).request that refuses forbidden addresses (every address of the answer is checked). */
function guardedLookup(policy: UrlPolicy) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    dnsLookup(hostname, { all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const bad = addresses.find((a) => isForbiddenAddress(a.address, policy));
      if (bad || addresses.length === 0) {
        const refused: NodeJS.ErrnoException = new Error('the host resolves to a forbidden address');
        refused.code = 'EFORBIDDENADDRESS';
        return callback(refused, []);
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      return first ? callback(null, first.address, first.family) : callback(new Error('no address'), []);
    });
  };
}

export interface PostOptions {
  readonly timeoutMs: number;
  /** @default 'POST' */
  readonly method?: 'POST' | 'PATCH';
  /** Check the resolved address against this policy (subscribers' URLs); absent: trusted endpoints (operator config). */
  readonly policy?: UrlPolicy;
}

/** Reads at most MAX_ANSWER_BYTES of the answer. */
function drain(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      if (size < MAX_ANSWER_BYTES) chunks.push(chunk);
      size += chunk.length;
      if (size > MAX_ANSWER_BYTES * 16) res.destroy();
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8').slice(0, MAX_ANSWER_BYTES)));
    res.on('error', () => resolve(Buffer.concat(chunks).toString('utf8').slice(0, MAX_ANSWER_BYTES)));
    res.on('close', () => resolve(Buffer.concat(chunks).toString('utf8').slice(0, MAX_ANSWER_BYTES)));
  });
}

/**
 * POSTs `body`; resolves with the status and the (truncated) answer for any HTTP answer, throws a retryable
 * DeliveryError for a network failure or a timeout, a permanent one for a forbidden address.
 */
export function postRaw(url: string, body: string, headers: Readonly<Record<string, string>>, options: PostOptions): Promise<HttpAnswer & { readonly text: string; readonly retryAfter?: string }> {
  const target = new URL(url);
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  if (options.policy && isIP(host) !== 0 && isForbiddenAddress(host, options.policy)) {
    return Promise.reject(new DeliveryError(true, 'forbidden_address', 'the URL points at a forbidden address'));
  }
  const started = process.hrtime.bigint();
  const request = target.protocol === 'https:' ? httpsRequest : target.protocol === 'http:' ? httpRequest : undefined;
  if (!request) return Promise.reject(new DeliveryError(true, 'bad_url', 'only http(s) URLs can be called'));
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      {
        method: options.method ?? 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        ...(options.policy ? { lookup: guardedLookup(options.policy) } : {}),
        timeout: options.timeoutMs,
      },
      (res) => {
        void drain(res).then((text) => {
          const ms = Number((process.hrtime.bigint() - started) / 1_000_000n);
          const retryAfter = res.headers['retry-after'];
          resolve({ status: res.statusCode ?? 0, ms, text, ...(typeof retryAfter === 'string' ? { retryAfter } : {}) });
        });
      },
    );
    // The whole exchange, not just idle time, is bounded.
    const timer = setTimeout(() => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })), options.timeoutMs);
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('close', () => clearTimeout(timer));
    req.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error.code === 'EFORBIDDENADDRESS') reject(new DeliveryError(true, 'forbidden_address', 'the host resolves to a forbidden address'));
      else if (error.code === 'ETIMEDOUT') reject(new DeliveryError(false, 'timeout', 'the receiver did not answer in time'));
      else reject(new DeliveryError(false, 'network', `the receiver could not be reached (${error.code ?? 'error'})`));
    });
    req.end(body);
  });
}

/** The webhook transport: subscribers' URLs under the URL policy. */
export class HttpWebhookTransport implements WebhookTransport {
  constructor(private readonly policy: UrlPolicy) {}

  async post(url: string, body: string, headers: Readonly<Record<string, string>>, options: { readonly timeoutMs: number }): Promise<HttpAnswer> {
    const { status, ms } = await postRaw(url, body, headers, { timeoutMs: options.timeoutMs, policy: this.policy });
    return { status, ms };
  }
}
