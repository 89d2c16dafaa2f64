import { Writable } from 'node:stream';
import winston from 'winston';
import { createLogger } from '../../../src/shared/logger';
import {
  createRedactor,
  REDACTED,
  redactDeep,
  redactErrorText,
  redactUrls,
  TOO_DEEP,
} from '../../../src/shared/redaction';

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

describe('redaction of free error text', () => {
  test.each([
    [
      'GET https://svc:hunter2@registry.example/apis/ccompat failed',
      'hunter2',
      'https://svc:[REDACTED]@registry.example',
    ],
    [
      'fetch https://ghp_abcdefgh12345678@git.example/x failed',
      'ghp_abcdefgh12345678',
      '[REDACTED]@',
    ],
    [
      'connect postgresql://db/orders?sslmode=require&password=hunter2',
      'hunter2',
      'password=[REDACTED]',
    ],
    ['conninfo "host=db user=app password=hunter2 dbname=o"', 'hunter2', 'password=[REDACTED]'],
    [
      'request failed: {"Authorization":"Bearer eyJhbGciOi.abc.def"}',
      'eyJhbGciOi',
      '"Authorization":"[REDACTED]"',
    ],
    [
      '401 with header Authorization: Basic dXNlcjpodW50ZXIy',
      'dXNlcjpodW50ZXIy',
      'Authorization: [REDACTED]',
    ],
    ['token rejected: Bearer abcdefghijklmnop', 'abcdefghijklmnop', 'Bearer [REDACTED]'],
    ['client sent Basic dXNlcjpodW50ZXIy=', 'dXNlcjpodW50ZXIy', 'Basic [REDACTED]'],
    ['body {"user":"app","password":"hunter2"}', 'hunter2', '"password":"[REDACTED]"'],
    ['api_key=abc123secret&x=1', 'abc123secret', 'api_key=[REDACTED]'],
  ])('when an error text reads %j, then the secret is gone', (text, secret, kept) => {
    const redacted = redactErrorText(text);
    expect(redacted).not.toContain(secret);
    expect(redacted).toContain(kept);
  });

  test('when an error text holds no credentials, then it is unchanged', () => {
    const text = 'No order has id 6f1c; basic validation failed at position 4 (Bearer of bad news)';
    expect(redactErrorText(text)).toBe(text);
  });

  test('when a configured redactor sees error text, then it redacts it the same way', () => {
    expect(createRedactor([])('Authorization: Bearer abcdefghijkl')).toBe(
      `Authorization: ${REDACTED}`,
    );
  });

  test('when a value is nested deeper than the bound, then it is replaced by a marker, never returned raw', () => {
    let deep: Record<string, unknown> = { url: 'postgresql://u:hunter2@db/o', token: 'x' };
    for (let level = 0; level < 10; level++) deep = { level: deep };
    const redacted = JSON.stringify(redactDeep(deep, createRedactor([])));
    expect(redacted).not.toContain('hunter2');
    expect(redacted).toContain(TOO_DEEP);
  });

  test('when a value is nested within the bound, then it is redacted in place', () => {
    const value = { a: { b: { c: { d: { e: { f: 'https://u:hunter2@h/' } } } } } };
    expect(JSON.stringify(redactDeep(value, createRedactor([])))).toContain(
      `https://u:${REDACTED}@h/`,
    );
  });
});
