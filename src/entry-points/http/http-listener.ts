import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../shared/logger';

/** Limits on slow or idle clients, so they cannot hold connections and sockets open. */
export interface HttpTimeouts {
  /** All request headers must arrive within this (a slowloris client is cut off). */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
}

export interface WebServer {
  port: number;
  url: string;
  /** Stops accepting, lets in-flight requests finish, then cuts what is left after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** One HTTP server with deliberate timeouts; the public API and the admin port both use it. */
export async function listen(
  app: RequestListener,
  port: number,
  timeouts: HttpTimeouts,
  logger: Logger,
  name: string,
  /** The interface to listen on; unset: every one. */
  host?: string,
): Promise<WebServer> {
  const server = createServer(
    {
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      keepAliveTimeout: timeouts.keepAliveTimeoutMs,
      // Node checks the two request timeouts this often (default 30 s, far coarser than them).
      connectionsCheckingInterval: Math.min(1_000, timeouts.headersTimeoutMs),
    },
    app,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  logger.info(`${name} listening`, { port: actualPort, host: host ?? 'every interface' });
  const reachAt = host === undefined || ['0.0.0.0', '::'].includes(host) ? '127.0.0.1' : host;
  return {
    port: actualPort,
    url: `http://${reachAt.includes(':') ? `[${reachAt}]` : reachAt}:${actualPort}`,
    stop: (graceMs = 10_000) => stopServer(server, graceMs),
  };
}

function stopServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const forceTimer = setTimeout(() => server.closeAllConnections(), graceMs);
    forceTimer.unref();
    server.close((error) => {
      clearTimeout(forceTimer);
      return error ? reject(error) : resolve();
    });
    server.closeIdleConnections();
  });
}
