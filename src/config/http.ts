import { isIP } from 'node:net';
import { z } from 'zod';
import type { HttpTimeouts } from '../entry-points/http/http-listener';
import { documented, port, type CrossKeyRule, type SettingsOf } from './documented-keys';
import type { ProcessSettings } from './process';

/** The names express `trust proxy` accepts for address ranges, beside addresses and CIDRs. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];
const isProxyAddress = (entry: string) => {
  if (PROXY_RANGE_NAMES.includes(entry)) return true;
  const [address = '', bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
};

/** Express `trust proxy`: true, false, a hop count, or a list of proxy addresses and CIDRs. */
const trustProxy = z.string().transform((value, ctx): boolean | number | string[] => {
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^\d+$/.test(value)) return Number(value);
  const entries = value.split(',').map((entry) => entry.trim());
  if (entries.every(isProxyAddress)) return entries;
  ctx.addIssue({
    code: 'custom',
    message: 'must be false, a hop count, or a comma-separated list of addresses and CIDRs',
  });
  return z.NEVER;
});

/** The public API's listener: its port, its timeouts against slow clients, the proxies in front. */
export const httpKeys = {
  PORT: documented(port.default(3000), {
    group: 'http',
    description: 'the public API, `/health` and `/ready`; `0` picks a free port (tests)',
  }),
  HTTP_HEADERS_TIMEOUT_MS: documented(z.coerce.number().int().min(100).default(10_000), {
    group: 'http',
    description: 'a client must send all request headers within this, else 408 (against slowloris)',
  }),
  HTTP_REQUEST_TIMEOUT_MS: documented(z.coerce.number().int().min(100).default(30_000), {
    group: 'http',
    description:
      'a client must send the whole request, body included, within this, else 408; not less than `HTTP_HEADERS_TIMEOUT_MS`',
  }),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: documented(z.coerce.number().int().min(100).default(5_000), {
    group: 'http',
    description:
      "idle keep-alive connections are closed after this; keep it above a load balancer's idle timeout",
  }),
  HTTP_MAX_CONCURRENT_REQUESTS: documented(z.coerce.number().int().min(1).default(64), {
    group: 'http',
    description:
      'API requests this instance works on at once (after their checks and body); one more is refused at once with 503 `overloaded` and `Retry-After: 1`, so an overload costs clients a retry, not a wait of seconds. Offered about 1.4x what the whole saga sustains, 64 kept the accepted POST p99 at 0.2 s here, 256 at 9.9 s (docs/operations.md, Load shedding)',
  }),
  TRUST_PROXY: documented(trustProxy.default(false), {
    group: 'http',
    description:
      'which reverse proxies in front may set `X-Forwarded-For` (the client address the rate limit keys on without a token): `false`, a hop count (`1`: the nearest one), or a comma-separated list of addresses and CIDRs (`10.0.0.0/8,loopback`); `true` trusts every hop and is refused with `NODE_ENV=production`',
  }),
};

export type HttpSettings = SettingsOf<typeof httpKeys>;

export const httpRules: CrossKeyRule<HttpSettings & ProcessSettings>[] = [
  {
    keys: ['TRUST_PROXY', 'NODE_ENV'],
    check: (config) =>
      config.TRUST_PROXY === true && config.NODE_ENV === 'production'
        ? {
            key: 'TRUST_PROXY',
            message:
              "must not be true when NODE_ENV=production (it trusts every hop, so any client can set its address); give a hop count or the proxies' addresses",
          }
        : undefined,
  },
  {
    keys: ['HTTP_HEADERS_TIMEOUT_MS', 'HTTP_REQUEST_TIMEOUT_MS'],
    check: (config) =>
      config.HTTP_HEADERS_TIMEOUT_MS > config.HTTP_REQUEST_TIMEOUT_MS
        ? { key: 'HTTP_HEADERS_TIMEOUT_MS', message: 'must not exceed HTTP_REQUEST_TIMEOUT_MS' }
        : undefined,
  },
];

export function httpOptions(config: HttpSettings) {
  const timeouts: HttpTimeouts = {
    headersTimeoutMs: config.HTTP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
  };
  return {
    port: config.PORT,
    timeouts,
    trustProxy: config.TRUST_PROXY,
    maxConcurrentRequests: config.HTTP_MAX_CONCURRENT_REQUESTS,
  };
}
