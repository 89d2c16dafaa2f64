/**
 * A registry behind https, basic auth and (optionally) a required client certificate, as
 * production registries are run: a small reverse proxy in front of the run's registry (Apicurio
 * or the stand-in), which speak plain http without auth themselves.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TestCertificates } from './test-certificates';

export interface SecuredRegistryProxy {
  /** For SCHEMA_REGISTRY_URL. */
  url: string;
  /** Requests refused for their credentials so far. */
  refused: number;
  /** The next `count` requests get a 503 whose body quotes the caller's credentials. */
  echoCredentialsInErrors(count: number): void;
  stop(): Promise<void>;
}

export interface SecuredRegistryOptions {
  upstreamUrl: string;
  certificates: TestCertificates;
  username: string;
  password: string;
  requireClientCertificate?: boolean;
}

export async function startSecuredRegistryProxy(
  options: SecuredRegistryOptions,
): Promise<SecuredRegistryProxy> {
  const { certificates, username, password } = options;
  const upstream = new URL(options.upstreamUrl);
  const expected = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  let echoes = 0;
  const proxy: SecuredRegistryProxy = {
    url: '',
    refused: 0,
    echoCredentialsInErrors: (count) => void (echoes = count),
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // clients keep connections alive
      }),
  };
  const server = https.createServer(
    {
      key: readFileSync(certificates.serverKeyFile),
      cert: readFileSync(certificates.serverCertFile),
      ca: readFileSync(certificates.caFile),
      requestCert: options.requireClientCertificate ?? false,
      rejectUnauthorized: options.requireClientCertificate ?? false,
    },
    (req, res) => {
      if (req.headers.authorization !== expected) {
        proxy.refused++;
        res.writeHead(401, { 'www-authenticate': 'Basic realm="registry"' }).end();
        return;
      }
      if (echoes > 0) {
        echoes--;
        const credentials = Buffer.from(expected.slice(6), 'base64').toString();
        res.writeHead(503).end(`registry overloaded, try again, ${credentials}`);
        return;
      }
      const headers = { ...req.headers, host: upstream.host };
      delete headers.authorization; // the registry behind needs none
      const forwarded = http.request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: `${upstream.pathname.replace(/\/$/, '')}${req.url ?? ''}`,
          headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forwarded.on('error', () => res.writeHead(502).end());
      req.pipe(forwarded);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
