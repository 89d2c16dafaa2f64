import { Writable } from 'node:stream';
import winston from 'winston';
import { createLogger } from '../../src/shared/logger';
import { createRedactor, REDACTED, redactUrls } from '../../src/shared/redaction';

describe('redaction', () => {
  test.each([
    ['postgresql://orders:s3cret@db:5432/orders', 'postgresql://orders:[REDACTED]@db:5432/orders'],
    ['postgres://orders:p@ss/w0rd@db/orders', 'postgres://orders:[REDACTED]@db/orders'],
    [
      'connect to "https://svc:tok@registry:8081/apis" failed',
      'connect to "https://svc:[REDACTED]@registry:8081/apis" failed',
    ],
    [
      'postgresql://db/orders?user=o&password=x1&sslmode=require',
      'postgresql://db/orders?user=o&password=[REDACTED]&sslmode=require',
    ],
    [
      'postgresql://orders@db:5432/orders (no password)',
      'postgresql://orders@db:5432/orders (no password)',
    ],
    ['host:5432 and mail@example.com', 'host:5432 and mail@example.com'],
  ])('when a text holds %s, then any URL password in it is replaced', (text, expected) => {
    expect(redactUrls(text)).toBe(expected);
  });

  test('when a configured secret appears anywhere in a text, then every occurrence is replaced', () => {
    const redact = createRedactor(['sasl-Pa55word', undefined, 'ab']);
    expect(redact('auth failed for sasl-Pa55word (sasl-Pa55word)')).toBe(
      `auth failed for ${REDACTED} (${REDACTED})`,
    );
    // Too short to replace without garbling ordinary words.
    expect(redact('about')).toBe('about');
  });

  test('when anything is logged with a secret in its message or fields, then the line carries none', () => {
    const lines: string[] = [];
    const logger = createLogger('debug', {}, { secrets: ['jwt-secret-0123456789-0123456789'] });
    logger.clear();
    logger.add(
      new winston.transports.Stream({
        stream: new Writable({
          write(chunk: Buffer, _encoding, done) {
            lines.push(chunk.toString());
            done();
          },
        }),
      }),
    );
    logger.child({ namespace: 'Test' }).warn('using jwt-secret-0123456789-0123456789', {
      url: 'postgresql://orders:db-password@db/orders',
      nested: { error: new Error('bad key jwt-secret-0123456789-0123456789') },
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('jwt-secret-0123456789');
    expect(lines[0]).not.toContain('db-password');
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      message: `using ${REDACTED}`,
      url: `postgresql://orders:${REDACTED}@db/orders`,
      nested: { error: { message: `bad key ${REDACTED}` } },
    });
  });
});
