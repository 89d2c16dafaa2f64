/**
 * A private CA with a server certificate for 127.0.0.1/localhost and a client certificate, made
 * with the openssl command line (Debian's `openssl`), for TLS tests: the Kafka broker's SSL
 * listeners (which read PEM files) and the registry's https proxy.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findExecutable } from './processes';

export interface TestCertificates {
  dir: string;
  /** The CA certificate clients and servers trust. */
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  /** The server certificate followed by its key, as Kafka's PEM keystore wants them. */
  serverKeystoreFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  /** A CA nobody's certificate is signed by: trusting only it must fail. */
  otherCaFile: string;
  remove(): void;
}

export function opensslUnavailableReason(): string | undefined {
  return findExecutable('openssl') ? undefined : 'openssl is not installed';
}

export function createTestCertificates(): TestCertificates {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'test-certs-'));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const key = (name: string) =>
    openssl(
      'genpkey',
      '-algorithm',
      'EC',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-out',
      file(name),
    );
  const ca = (name: string) => {
    key(`${name}.key`);
    openssl(
      'req',
      '-x509',
      '-new',
      '-key',
      file(`${name}.key`),
      '-sha256',
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-out',
      file(`${name}.pem`),
    );
  };
  const signed = (name: string, subject: string, extensions: string) => {
    key(`${name}.key`);
    openssl(
      'req',
      '-new',
      '-key',
      file(`${name}.key`),
      '-subj',
      subject,
      '-out',
      file(`${name}.csr`),
    );
    writeFileSync(file(`${name}.ext`), extensions);
    openssl(
      'x509',
      '-req',
      '-in',
      file(`${name}.csr`),
      '-CA',
      file('ca.pem'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-sha256',
      '-extfile',
      file(`${name}.ext`),
      '-out',
      file(`${name}.pem`),
    );
  };
  ca('ca');
  ca('other-ca');
  signed(
    'server',
    '/CN=localhost',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  signed('client', '/CN=order-service', 'extendedKeyUsage=clientAuth\n');
  writeFileSync(
    file('server-keystore.pem'),
    Buffer.concat([readFileSync(file('server.pem')), readFileSync(file('server.key'))]),
  );
  return {
    dir,
    caFile: file('ca.pem'),
    serverCertFile: file('server.pem'),
    serverKeyFile: file('server.key'),
    serverKeystoreFile: file('server-keystore.pem'),
    clientCertFile: file('client.pem'),
    clientKeyFile: file('client.key'),
    otherCaFile: file('other-ca.pem'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
