import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * A TCP proxy to put between one service under test and a shared dependency (Postgres), so a test
 * can take the dependency away from that service alone while other test files keep using it.
 *
 * - `cut('reset')`: every open connection is reset, and new ones are reset as soon as they are
 *   accepted (the server is down or refuses connections).
 * - `cut('blackhole')`: open connections stop carrying data and new ones are accepted but never
 *   answered (a network partition: the client only learns of it through its own timeouts).
 * - `restore()`: connections held by a blackhole are reset (as a partition that lasted would leave
 *   them) and new connections are forwarded again.
 */
export type CutMode = 'reset' | 'blackhole';

export interface TcpProxy {
  host: string;
  port: number;
  /** `url` (any `scheme://user@host:port/...`) with host and port replaced by the proxy's. */
  proxiedUrl(url: string): string;
  cut(mode?: CutMode): void;
  restore(): void;
  /** Client connections accepted since start, for asserting that the service really reconnected. */
  acceptedConnections(): number;
  /** Bytes the clients sent through the proxy since start (forwarded or not). */
  bytesFromClients(): number;
  /**
   * When each Kafka request with this API key (0 = Produce) went through, in ms since the epoch:
   * the clients' bytes read as Kafka request frames (int32 size, then int16 API key).
   */
  kafkaRequestTimes(apiKey: number): number[];
  stop(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<{ client: Socket; upstream?: Socket }>();
  let cutMode: CutMode | undefined;
  let accepted = 0;

  let bytesFromClients = 0;
  const requestTimes = new Map<number, number[]>();

  const server = createServer((client) => {
    accepted++;
    client.on('error', () => undefined);
    const readFrame = kafkaFrameReader((apiKey) => {
      requestTimes.set(apiKey, [...(requestTimes.get(apiKey) ?? []), Date.now()]);
    });
    client.on('data', (chunk: Buffer) => {
      bytesFromClients += chunk.length;
      readFrame(chunk);
    });
    if (cutMode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const pair: { client: Socket; upstream?: Socket } = { client };
    pairs.add(pair);
    client.on('close', () => {
      pairs.delete(pair);
      pair.upstream?.destroy();
    });
    if (cutMode === 'blackhole') {
      client.pause(); // held: nothing is read, nothing is answered
      return;
    }
    connectUpstream(pair);
  });

  function connectUpstream(pair: { client: Socket; upstream?: Socket }) {
    const upstream = createConnection(target);
    pair.upstream = upstream;
    upstream.on('error', () => pair.client.destroy());
    upstream.on('close', () => pair.client.destroy());
    pair.client.pipe(upstream);
    upstream.pipe(pair.client);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    host: '127.0.0.1',
    port,
    proxiedUrl(url) {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.toString();
    },
    cut(mode = 'reset') {
      cutMode = mode;
      for (const pair of pairs) {
        if (mode === 'reset') {
          pair.client.resetAndDestroy();
          pair.upstream?.destroy();
        } else {
          pair.client.unpipe();
          pair.upstream?.unpipe();
          pair.client.pause();
          pair.upstream?.pause();
        }
      }
    },
    restore() {
      if (cutMode === 'blackhole') {
        for (const pair of pairs) {
          pair.client.resetAndDestroy();
          pair.upstream?.destroy();
        }
      }
      cutMode = undefined;
    },
    acceptedConnections: () => accepted,
    bytesFromClients: () => bytesFromClients,
    kafkaRequestTimes: (apiKey) => [...(requestTimes.get(apiKey) ?? [])],
    async stop() {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream?.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Calls `onRequest` with the API key of each Kafka request frame in one connection's bytes. */
function kafkaFrameReader(onRequest: (apiKey: number) => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  let kafka = true;
  return (chunk) => {
    if (!kafka) return;
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 6) {
      const size = pending.readInt32BE(0);
      if (size < 2) {
        kafka = false; // not Kafka: stop reading frames
        return;
      }
      if (pending.length < 4 + size) return;
      onRequest(pending.readInt16BE(4));
      pending = pending.subarray(4 + size);
    }
  };
}
