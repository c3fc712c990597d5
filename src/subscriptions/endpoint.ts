import { isIP } from 'node:net';

/**
 * Where Carnet may send notifications (pure). A subscription must not turn Carnet into a way of reaching
 * the machines around it: outside the allow-list (CARNET_SUBSCRIPTION_ALLOWED_HOSTS) an endpoint is an
 * https URL of a public host — no loopback, private, link-local or unique-local address, and no
 * `localhost`. The allow-list also admits plain http (a receiver on the same machine in a demo or a test).
 */
export interface EndpointPolicy {
  /** Host names or addresses (optionally `host:port`) accepted as they are, http or https. */
  readonly allowedHosts: readonly string[];
}

function bare(host: string): string {
  return host.replace(/^\[|\]$/g, '').toLowerCase();
}

function allowed(url: URL, policy: EndpointPolicy): boolean {
  const host = bare(url.hostname);
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return policy.allowedHosts.some((entry) => {
    const e = entry.trim().toLowerCase();
    if (e === '') return false;
    const withPort = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(e);
    if (withPort) return bare(withPort[1] as string) === host && withPort[2] === port;
    return bare(e) === host;
  });
}

/** Whether an IP address (v4 or v6 text) is one a notification must not go to outside the allow-list. */
export function isPrivateAddress(address: string): boolean {
  const ip = bare(address);
  const kind = isIP(ip);
  if (kind === 4) return privateV4(ip);
  if (kind !== 6) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (mapped) return privateV4(mapped[1] as string);
  // The URL parser writes a mapped IPv4 address in hex (::ffff:a00:1).
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(ip);
  if (hex) {
    const [hi, lo] = [parseInt(hex[1] as string, 16), parseInt(hex[2] as string, 16)];
    return privateV4(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  }
  if (ip === '::' || ip === '::1') return true;
  const first = parseInt(ip.split(':')[0] || '0', 16);
  return (first & 0xfe00) === 0xfc00 /* fc00::/7 unique local */ || (first & 0xffc0) === 0xfe80 /* fe80::/10 link-local */;
}

function privateV4(ip: string): boolean {
  const [a, b] = ip.split('.').map(Number) as [number, number];
  return a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)
    || (a === 100 && b >= 64 && b <= 127) /* carrier-grade NAT */ || a >= 224 /* multicast, reserved */;
}

/** Why this endpoint is refused, or undefined when notifications may go there. */
export function endpointProblem(endpoint: string, policy: EndpointPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return `"${endpoint}" is not an absolute URL`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `a rest-hook endpoint is an https URL, not ${url.protocol}`;
  if (url.username || url.password) return 'credentials do not belong in the endpoint URL: send them in channel.header';
  if (url.hash) return 'an endpoint URL has no fragment';
  if (allowed(url, policy)) return undefined;
  if (url.protocol !== 'https:') return `notifications go over https only (${url.hostname} is not in CARNET_SUBSCRIPTION_ALLOWED_HOSTS)`;
  const host = bare(url.hostname);
  if (host === 'localhost' || host.endsWith('.localhost') || isPrivateAddress(host)) {
    return `${url.hostname} is a loopback or private address (not in CARNET_SUBSCRIPTION_ALLOWED_HOSTS)`;
  }
  return undefined;
}

/** Whether the endpoint's host is on the allow-list (its resolved addresses are then not checked). */
export function isAllowListed(endpoint: string, policy: EndpointPolicy): boolean {
  try {
    return allowed(new URL(endpoint), policy);
  } catch {
    return false;
  }
}
