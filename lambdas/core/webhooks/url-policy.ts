/**
 * Where outbound webhooks may go. A subscriber's URL is an input from a tenant's admin, and the dispatcher runs
 * inside our network: without a policy it could be pointed at the instance metadata service or a private
 * address (SSRF). So: `https` only, no credentials in the URL, no private, loopback, link-local, carrier-grade
 * NAT, multicast or reserved address — checked when the URL is saved (IP literals and local names) and again at
 * send time on the address the name resolves to (adapters/crm/http.ts), so DNS cannot swap in a private one.
 * The local cloud (and only it) may also use `http://127.0.0.1` / `http://localhost`, for a receiver on the
 * developer's machine.
 */
import { BlockList, isIP } from 'node:net';
import { badRequest } from '../errors';

export interface UrlPolicy {
  /** The local cloud: `http://` and loopback addresses are allowed for 127.0.0.1, ::1 and localhost. */
  readonly allowLoopback: boolean;
}

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** `::ffff:10.0.0.1` → `10.0.0.1`; other addresses as they are. */
function unmapped(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped?.[1]) return { address: mapped[1], family: 'ipv4' };
  return { address, family: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

/** True when a resolved address must not receive a webhook under this policy. */
export function isForbiddenAddress(address: string, policy: UrlPolicy): boolean {
  if (isIP(address) === 0) return true;
  const a = unmapped(address);
  if (policy.allowLoopback && loopback.check(a.address, a.family)) return false;
  return blocked.check(a.address, a.family);
}

const LOCAL_NAMES = /(^|\.)(localhost|local|internal|localdomain|home\.arpa)$/i;

/** The URL's host without IPv6 brackets. */
const hostOf = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1');

/** Parses and checks a subscriber's URL; a refusal is a 400 naming `url`. */
export function checkWebhookUrl(raw: string, policy: UrlPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badRequest('url: must be an absolute https:// URL', 'url');
  }
  const host = hostOf(url);
  const isLoopbackHost = host === 'localhost' || (isIP(host) !== 0 && loopback.check(unmapped(host).address, unmapped(host).family));
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowLoopback && isLoopbackHost)) {
    throw badRequest(policy.allowLoopback ? 'url: must be https:// (http:// only to 127.0.0.1 or localhost here)' : 'url: must be https://', 'url');
  }
  if (url.username || url.password) throw badRequest('url: must not carry a user name or password', 'url');
  if (url.hash) throw badRequest('url: must not have a #fragment', 'url');
  if (isIP(host) !== 0 ? isForbiddenAddress(host, policy) : LOCAL_NAMES.test(host) && !(policy.allowLoopback && host === 'localhost')) {
    throw badRequest('url: must be a public address (private, loopback and link-local addresses are refused)', 'url');
  }
  return url;
}
