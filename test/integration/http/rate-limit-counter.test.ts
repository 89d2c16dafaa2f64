import { randomUUID } from 'node:crypto';
import {
  createDatabase,
  poolOf,
  type Database,
} from '../../../src/data-access/prisma-client-factory';
import { createRateLimitRepository } from '../../../src/data-access/rate-limit-repository';
import { capturingLogger } from '../../support/capturing-logger';
import { freshDatabase } from '../../support/fixtures/fresh-database';

const database = freshDatabase();
/** So long that no window ends during the test. */
const WINDOW_MS = 1_000_000_000_000;
const CALLS_EACH = 60;

/**
 * The shared counter under one caller at full speed, from two instances at once: its hits are
 * coalesced into few statements, and the count stays exact.
 */
describe('rate-limit counter, one hot key, two instances', () => {
  let instances: Database[] = [];
  beforeAll(() => {
    instances = [0, 1].map(() =>
      createDatabase({
        url: database.url,
        poolSize: 10,
        connectTimeoutMs: 5_000,
        logger: capturingLogger().logger,
      }),
    );
  });
  afterAll(() => Promise.all(instances.map((db) => db.$disconnect())));

  test('when both count many hits of one key at once, then every hit gets its own number, the row holds them all, and far fewer statements run than hits', async () => {
    const key = `create:customer:${randomUUID()}`;
    const statements = instances.map((db) => jest.spyOn(poolOf(db), 'query'));
    const counters = instances.map((db) => createRateLimitRepository(db, capturingLogger().logger));

    const answers = await Promise.all(
      counters.flatMap((counter) =>
        Array.from({ length: CALLS_EACH }, () => counter.hit(key, WINDOW_MS)),
      ),
    );

    const numbers = answers.map(({ hits }) => hits).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 2 * CALLS_EACH }, (_, i) => i + 1));
    expect(new Set(answers.map(({ resetTime }) => resetTime.getTime())).size).toBe(1);
    const { rows } = await database.sql.query(
      'SELECT hits FROM rate_limit_windows WHERE key = $1',
      [key],
    );
    expect(rows).toEqual([{ hits: 2 * CALLS_EACH }]);
    for (const spy of statements) expect(spy.mock.calls.length).toBeLessThan(CALLS_EACH / 4);
  });

  test('when many hits are taken back at once, then each takes back one, and never below zero', async () => {
    const key = `create:customer:${randomUUID()}`;
    const [counter] = instances.map((db) =>
      createRateLimitRepository(db, capturingLogger().logger),
    );
    await Promise.all(Array.from({ length: 10 }, () => counter!.hit(key, WINDOW_MS)));
    await Promise.all(Array.from({ length: 4 }, () => counter!.undo(key)));
    const count = async () =>
      (await database.sql.query('SELECT hits FROM rate_limit_windows WHERE key = $1', [key]))
        .rows[0].hits;
    expect(await count()).toBe(6);
    await Promise.all(Array.from({ length: 9 }, () => counter!.undo(key)));
    expect(await count()).toBe(0);
  });
});
