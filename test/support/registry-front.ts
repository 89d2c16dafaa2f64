/**
 * An HTTP front for the shared schema registry, to give one service under test a registry outage
 * of a chosen kind while other test files keep using the real one:
 * - `forward`: requests go through to the registry;
 * - `refuse`: the port is closed (open sockets destroyed): connection refused;
 * - `hang`: requests are accepted and never answered;
 * - `unavailable`: every request is answered 503.
 * The port stays the same across modes, so the service's URL does not change.
 */
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';

export type RegistryFrontMode = 'forward' | 'refuse' | 'hang' | 'unavailable';

export interface RegistryFront {
  url: string;
  setMode(mode: RegistryFrontMode): Promise<void>;
  /** Requests that reached the front (any mode but `refuse`). */
  requests(): number;
  /** Their paths, in order, without the registry's base path (`/schemas/ids/7`). */
  paths(): string[];
  stop(): Promise<void>;
}

export async function startRegistryFront(upstreamUrl: string): Promise<RegistryFront> {
  const upstream = new URL(upstreamUrl);
  let mode: RegistryFrontMode = 'forward';
  let received = 0;
  const paths: string[] = [];
  const basePath = upstream.pathname.replace(/\/+$/, '');
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    received++;
    paths.push((req.url ?? '').slice(basePath.length));
    if (mode === 'hang') return;
    if (mode === 'unavailable') {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error_code: 50301, message: 'registry unavailable (test)' }));
      return;
    }
    const forwarded = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  const close = async () => {
    if (!server.listening) return;
    const closed = once(server, 'close');
    server.close();
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  return {
    // The registry's base path too (Apicurio serves the Confluent API under one).
    url: `http://127.0.0.1:${port}${basePath}`,
    async setMode(next) {
      // Keep-alive sockets from before would otherwise carry the old behaviour on.
      for (const socket of sockets) socket.destroy();
      mode = next;
      if (next === 'refuse') await close();
      else if (!server.listening) {
        server.listen(port, '127.0.0.1');
        await once(server, 'listening');
      }
    },
    requests: () => received,
    paths: () => [...paths],
    stop: close,
  };
}
