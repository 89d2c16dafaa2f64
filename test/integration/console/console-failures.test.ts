/* eslint-disable @typescript-eslint/no-explicit-any -- loosely typed JSON answers, as readJson returns */
import { randomUUID } from 'node:crypto';
import { jwtSettings } from '../../support/auth-tokens';
import { consoleCallers, consoleFetch, type ConsoleCallers } from '../../support/console-client';
import { insertPendingOrder } from '../../support/console-orders';
import { readJson, startTestService, type TestService } from '../../support/order-service-harness';
import { startPeerEvents, type PeerEvents } from '../../support/peer-events';
import { readRawTopics, type RawTopicReader } from '../../support/raw-topic-reader';
import { story } from '../../support/story';
import { waitFor } from '../../support/wait-for';

/**
 * The console's failures: dead letters indexed as they are written and reconciled from their
 * topics, grouped by cause, shown with the payload hidden until an audited reveal, dry-run,
 * replayed and skipped with a reason (a group only when confirmed and within the cap, one
 * order's records in their original order), and marked under investigation.
 */
describe('console failures: dead letters grouped, shown, replayed, skipped, marked', () => {
  let app: TestService;
  let peers: PeerEvents;
  let raw: RawTopicReader;
  let as: ConsoleCallers;
  let source: string;

  beforeAll(async () => {
    app = await startTestService({
      ...jwtSettings(),
      CONSOLE_BULK_ACTION_LIMIT: '3',
      // The steps poll the group lists for records the consumer dead-letters: always fresh.
      CONSOLE_SUMMARY_MAX_AGE_SECONDS: '0',
    });
    const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL, KAFKA_TOPIC_PREFIX } = app.config;
    source = `${KAFKA_TOPIC_PREFIX}payment_successful`;
    peers = await startPeerEvents(KAFKA_BROKERS, SCHEMA_REGISTRY_URL, KAFKA_TOPIC_PREFIX);
    raw = await readRawTopics(KAFKA_BROKERS, [source]);
    as = await consoleCallers();
  }, 60_000);
  afterAll(async () => {
    await raw?.stop();
    await peers?.stop();
    await app?.stop();
  });

  const api = async (
    path: string,
    caller: Record<string, string>,
    options: { method?: string; body?: unknown } = {},
  ) => {
    const response = await consoleFetch(app.adminUrl, `failures/${path}`, caller, options);
    return { status: response.status, body: await readJson(response) };
  };
  const groupsNow = async () => (await api('groups?status=all', as.viewer)).body.groups as any[];
  const groupOf = async (errorClass: string) =>
    (await groupsNow()).find((g) => g.errorClass === errorClass && g.originalTopic === source);
  const recordPath = (r: { dlqTopic: string; dlqPartition: number; dlqOffset: string }) =>
    `records/${r.dlqTopic}/${r.dlqPartition}/${r.dlqOffset}`;
  const audit = async (action: string) =>
    (
      await app.sql.query(
        `SELECT actor, role, via, target, reason, result FROM operator_audit
         WHERE action = $1 ORDER BY id`,
        [action],
      )
    ).rows;
  const history = async (orderId: string) =>
    (
      await app.sql.query(
        'SELECT to_status FROM order_status_history WHERE order_id = $1 ORDER BY id',
        [orderId],
      )
    ).rows.map((row) => row.to_status);

  const known = randomUUID();
  const unknown = randomUUID();
  let unknownOrderGroup: any;
  // One operator's work on the same dead letters: each step acts on what the steps before it
  // left (the group they fill, replay, mark, skip).
  const step = story(
    'an operator works the failures through: indexed and grouped, revealed, dry-run, replayed in order, capped, marked, skipped, reconciled',
    300_000,
  );

  step(
    'when replies for unknown orders are dead-lettered, then they are indexed at once and grouped by cause with count, orders and first/last seen',
    async () => {
      await peers.send('payment_successful', { orderId: known, paymentId: 'pay-1', amount: 4_998 });
      await peers.send('payment_successful', { orderId: unknown, paymentId: 'pay-2', amount: 10 });
      await peers.sendRaw('payment_successful', randomUUID(), Buffer.from('not avro at all'));

      await waitFor(async () => (await groupOf('unknown-order'))?.total === 2, {
        message: 'both unknown-order dead letters in one group',
      });
      unknownOrderGroup = await groupOf('unknown-order');
      expect(unknownOrderGroup).toMatchObject({ pending: 2, orders: 2, mark: null });
      expect(unknownOrderGroup.sampleOrders.sort()).toEqual([known, unknown].sort());
      expect(unknownOrderGroup.errorPattern).not.toContain(known);
      expect(Date.parse(unknownOrderGroup.firstSeen)).toBeLessThanOrEqual(
        Date.parse(unknownOrderGroup.lastSeen),
      );
      await waitFor(async () => (await groupOf('not-confluent-avro'))?.total === 1, {
        message: 'the poison record in a group of its own',
      });
      const { rows } = await app.sql.query(`SELECT DISTINCT indexed_by FROM dead_letters`);
      expect(rows).toEqual([{ indexed_by: 'writer' }]);
    },
  );

  step(
    'when a viewer opens a record, then the payload is hidden; a reveal shows it decoded and as hex, and is audited',
    async () => {
      const group = await api(`groups/${unknownOrderGroup.groupKey}`, as.viewer);
      const record = group.body.records.find((r: any) => r.orderId === known);
      const shown = await api(recordPath(record), as.viewer);
      expect(shown.status).toBe(200);
      expect(shown.body).toMatchObject({ payloadHidden: true, errorClass: 'unknown-order' });
      expect(shown.body.valueHex).toBeUndefined();
      expect(shown.body.headers['dlq-error-class']).toBe('unknown-order');

      const revealed = await api(`${recordPath(record)}/reveal`, as.viewer, {
        method: 'POST',
        body: { reason: 'ticket 12' },
      });

      expect(revealed.status).toBe(200);
      expect(revealed.body.decoded).toMatchObject({ orderId: known });
      expect(revealed.body.valueHex).toMatch(/^00/); // the Confluent frame's magic byte
      expect(await audit('reveal')).toEqual([
        {
          actor: 'viewer-3',
          role: 'viewer',
          via: 'console',
          target: `dlq:${record.dlqTopic}/${record.dlqPartition}/${record.dlqOffset}`,
          reason: 'ticket 12',
          result: 'done',
        },
      ]);
    },
  );

  step(
    'when the group is dry-run, then each record says what a replay would do: order unknown, or apply once the order exists',
    async () => {
      const before = await api(`groups/${unknownOrderGroup.groupKey}/dry-run`, as.viewer, {
        method: 'POST',
      });
      expect(before.body.lines.map((l: any) => l.verdict)).toEqual([
        'order-unknown',
        'order-unknown',
      ]);

      await insertPendingOrder(app.sql, known, 4_998);
      const after = await api(`groups/${unknownOrderGroup.groupKey}/dry-run`, as.viewer, {
        method: 'POST',
      });

      const byOrder = Object.fromEntries(after.body.lines.map((l: any) => [l.orderId, l]));
      expect(byOrder[known]).toMatchObject({
        verdict: 'would-apply',
        decodes: true,
        orderStatus: 'PENDING',
      });
      expect(byOrder[unknown]).toMatchObject({ verdict: 'order-unknown', decodes: true });
    },
  );

  step(
    'when a viewer tries to replay, then 403; an operator without a reason or a confirmation is refused; with both, the group is replayed and audited',
    async () => {
      const path = `groups/${unknownOrderGroup.groupKey}/replay`;
      expect((await api(path, as.viewer, { method: 'POST', body: {} })).status).toBe(403);
      expect(
        (await api(path, as.operator, { method: 'POST', body: { confirmCount: 2 } })).status,
      ).toBe(400);
      const unconfirmed = await api(path, as.operator, { method: 'POST', body: { reason: 'fix' } });
      expect(unconfirmed.status).toBe(409);
      expect(unconfirmed.body.pending).toBe(2);

      const replay = await api(path, as.operator, {
        method: 'POST',
        body: { reason: 'order created by hand', confirmCount: 2 },
      });

      expect(replay).toEqual({ status: 200, body: { replayed: 2 } });
      await waitFor(async () => (await history(known)).at(-1) === 'INVENTORY_RESERVING', {
        message: 'the replayed payment applied',
      });
      const rows = await audit('replay');
      expect(rows).toHaveLength(2);
      expect(rows[0]).toMatchObject({
        actor: 'ops-9',
        via: 'console',
        reason: 'order created by hand',
      });
    },
  );

  step(
    'when one order has two dead letters, then a group replay sends them back in their original order, telling its progress',
    async () => {
      const order = randomUUID();
      const first = await peers.send('payment_successful', {
        orderId: order,
        paymentId: 'a',
        amount: 1,
      });
      const second = await peers.send('payment_successful', {
        orderId: order,
        paymentId: 'b',
        amount: 2,
      });
      await waitFor(async () => (await groupOf('unknown-order'))?.pending === 3, {
        message: 'the two new dead letters and the one re-dead-lettered',
      });
      const group = await groupOf('unknown-order');

      // As the page asks: the progress of the run as NDJSON lines (progress-stream.ts).
      const replay = await consoleFetch(
        app.adminUrl,
        `failures/groups/${group.groupKey}/replay`,
        { ...as.operator, accept: 'application/x-ndjson' },
        { method: 'POST', body: { reason: 'retry all', confirmCount: 3 } },
      );

      expect(replay.status).toBe(200);
      expect(
        (await replay.text())
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line)),
      ).toEqual([{ progress: { done: 3, total: 3 } }, { result: { replayed: 3 } }]);
      const replayed = await raw.waitFor(
        (r) => r.key?.toString() === order && r.headers['dlq-replayed-from'] !== undefined,
        2,
      );
      expect(replayed.map((r) => r.headers['event-id'])).toEqual([first.eventId, second.eventId]);
    },
  );

  step(
    'when a group holds more unhandled records than CONSOLE_BULK_ACTION_LIMIT, then a bulk action is refused and nothing changes',
    async () => {
      await waitFor(async () => (await groupOf('unknown-order'))?.pending === 3, {
        message: 'the replayed unknown orders dead-lettered again',
      });
      await peers.send('payment_successful', { orderId: randomUUID(), paymentId: 'c', amount: 3 });
      await waitFor(async () => (await groupOf('unknown-order'))?.pending === 4, {
        message: 'a fourth unhandled record',
      });
      const group = await groupOf('unknown-order');

      const skip = await api(`groups/${group.groupKey}/skip`, as.operator, {
        method: 'POST',
        body: { reason: 'too many', confirmCount: 4 },
      });

      expect(skip.status).toBe(409);
      expect(skip.body.detail).toMatch(/CONSOLE_BULK_ACTION_LIMIT/);
      expect((await groupOf('unknown-order')).pending).toBe(4);
    },
  );

  step(
    'when an operator marks a group and a record, then who and since when show on them; unmarking removes it; both are audited',
    async () => {
      const group = await groupOf('not-confluent-avro');
      const mark = await api(`groups/${group.groupKey}/mark`, as.operator, {
        method: 'POST',
        body: { note: 'looking into the peer' },
      });
      expect(mark.status).toBe(200);
      expect((await groupOf('not-confluent-avro')).mark).toMatchObject({
        markedBy: 'ops-9',
        note: 'looking into the peer',
      });
      expect(
        (
          await api(`groups/${group.groupKey}/mark`, as.viewer, {
            method: 'POST',
            body: { note: 'x' },
          })
        ).status,
      ).toBe(403);

      const [record] = (await api(`groups/${group.groupKey}`, as.viewer)).body.records;
      await api(`${recordPath(record)}/mark`, as.operator, {
        method: 'POST',
        body: { note: 'me' },
      });
      expect((await api(recordPath(record), as.viewer)).body.mark).toMatchObject({
        markedBy: 'ops-9',
      });

      const unmark = await api(`groups/${group.groupKey}/unmark`, as.operator, {
        method: 'POST',
        body: { reason: 'found it' },
      });

      expect(unmark.body.unmarked).toBe(true);
      expect((await groupOf('not-confluent-avro')).mark).toBeNull();
      expect((await audit('mark')).map((r) => r.target)).toEqual([
        `dlq-group:${group.groupKey}`,
        `dlq:${record.dlqTopic}/${record.dlqPartition}/${record.dlqOffset}`,
      ]);
      expect(await audit('unmark')).toEqual([
        expect.objectContaining({ actor: 'ops-9', reason: 'found it', result: 'done' }),
      ]);
    },
  );

  step(
    'when the poison record is dry-run and skipped with a reason, then it does not decode, and once skipped its group has none pending',
    async () => {
      const group = await groupOf('not-confluent-avro');
      const [record] = (await api(`groups/${group.groupKey}`, as.viewer)).body.records;
      const dry = await api(`${recordPath(record)}/dry-run`, as.viewer, { method: 'POST' });
      expect(dry.body.lines[0]).toMatchObject({ verdict: 'does-not-decode', decodes: false });

      const skip = await api(`${recordPath(record)}/skip`, as.operator, {
        method: 'POST',
        body: { reason: 'garbage from a test peer' },
      });

      expect(skip).toEqual({ status: 200, body: { skipped: 1 } });
      expect((await groupOf('not-confluent-avro')).pending).toBe(0);
      expect(
        (await api('groups', as.viewer)).body.groups.map((g: any) => g.groupKey),
      ).not.toContain(group.groupKey);
    },
  );

  step(
    'when index rows are missing (another instance, or before the index), then a reconcile reads them back from the DLQ topics',
    async () => {
      const { rows: before } = await app.sql.query(`SELECT count(*)::int AS n FROM dead_letters`);
      await app.sql.query(`DELETE FROM dead_letters`);

      const reconcile = await api('reconcile', as.operator, { method: 'POST' });

      expect(reconcile.status).toBe(200);
      const { rows } = await app.sql.query(
        `SELECT count(*)::int AS n, min(indexed_by) AS by FROM dead_letters`,
      );
      expect(rows[0]).toEqual({ n: before[0].n, by: 'reconciler' });
      expect((await groupOf('not-confluent-avro')).pending).toBe(0);
    },
  );
});
