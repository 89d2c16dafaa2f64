// Drill 7: every reply delivered 2 to 5 times, the copies held back and sent shuffled (so they
// land after later replies of the same order and of others), and some copies dead-lettered and
// replayed with the DLQ tool. There must be exactly one effect per event (the shared check), and
// the service must have counted every extra delivery as a duplicate, so the drill cannot pass
// without the storm having reached it. The storm is no fault window for intake: 90 % of the
// orders must be accepted all along.
import type { Message, Producer } from 'kafkajs';
import { createKafka } from '../src/messaging/kafka-client-factory';
import { CONSUMED_TOPICS, deadLetterTopic, physicalTopic } from '../src/messaging/topics';
import { createLogger } from '../src/shared/logger';
import { runDlqCli, startDeadLetterFixture } from '../test/support/dlq-cli';
import { readRawTopics, type RawRecord } from '../test/support/raw-topic-reader';
import { waitFor } from '../test/support/wait-for';
import { underLoad, sleep, type Drill } from './drill';
import type { DrillStack } from './drill-stack';
import { between, type Random } from './seeded-random';
import { counterTotal } from './service-metrics';

/** Marks the drill's own copies, so they are not copied again. */
const COPY_HEADER = 'drill-copy';
/** One original in this many also goes through the dead-letter topic and the DLQ tool. */
const DLQ_ONE_IN = 10;

function shuffled<T>(random: Random, items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = between(random, 0, i);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** One batch; within a partition the copies keep the shuffled order they are given in. */
async function send(producer: Producer, copies: RawRecord[]): Promise<void> {
  const byTopic = new Map<string, Message[]>();
  for (const record of copies)
    byTopic.set(record.topic, [
      ...(byTopic.get(record.topic) ?? []),
      {
        key: record.key,
        value: record.value,
        headers: { ...record.headers, [COPY_HEADER]: 'storm' },
      },
    ]);
  if (byTopic.size > 0)
    await producer.sendBatch({
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
}

async function replayDeadLetters(stack: DrillStack, topics: Set<string>): Promise<number> {
  let replayed = 0;
  for (const topic of topics) {
    const result = await runDlqCli(
      ['replay', topic, '--all', '--reason', 'duplicate-storm drill'],
      {
        DLQ_ACTOR: 'duplicate-storm-drill',
        DATABASE_URL: stack.databaseUrl,
        KAFKA_BROKERS: stack.services.kafka.brokers.join(','),
        SCHEMA_REGISTRY_URL: stack.services.kafka.registryUrl,
        KAFKA_TOPIC_PREFIX: stack.topicPrefix,
      },
      120_000,
    );
    if (result.code !== 0) throw new Error(`order-dlq replay ${topic}: ${result.stderr}`);
    replayed += Number(/replayed (\d+)/.exec(result.stdout)?.[1] ?? 0);
  }
  return replayed;
}

export const duplicateStormDrill: Drill = {
  name: 'duplicate and reorder storm',
  async run(context) {
    const stormMs = context.mode === 'long' ? 90_000 : 20_000;
    return underLoad(
      this.name,
      context,
      { ordersPerSecond: 15, minAcceptedShare: 0.9, settleTimeoutMs: 180_000 },
      async (stack, load) => {
        const { brokers } = stack.services.kafka;
        const reader = await readRawTopics(
          brokers,
          CONSUMED_TOPICS.map((topic) => physicalTopic(stack.topicPrefix, topic)),
        );
        const producer = createKafka({
          clientId: 'drill-storm',
          brokers,
          requestTimeoutMs: 10_000,
          logger: createLogger('silent'),
        }).producer();
        await producer.connect();
        const deadLetters = await startDeadLetterFixture(brokers);
        const held: RawRecord[] = [];
        const deadLetterTopics = new Set<string>();
        const eventIds = new Set<string>();
        let read = 0;
        let sent = 0;
        let lastOriginalAt = performance.now();
        try {
          // Copies every new original reply, then sends a random part of what is held, shuffled.
          const tick = async () => {
            for (; read < reader.records.length; read++) {
              const record = reader.records[read] as RawRecord;
              const eventId = record.headers['event-id'];
              if (record.headers[COPY_HEADER] || !eventId) continue;
              lastOriginalAt = performance.now();
              eventIds.add(eventId);
              let extra = between(context.random, 1, 4);
              if (between(context.random, 1, DLQ_ONE_IN) === 1) {
                extra--; // this copy comes back through the DLQ tool
                await deadLetters.deadLetter(
                  {
                    ...record,
                    key: record.key?.toString() ?? null,
                    headers: { ...record.headers, [COPY_HEADER]: 'dead-letter' },
                  },
                  new Error('drill: dead-lettered on purpose, to be replayed'),
                );
                deadLetterTopics.add(deadLetterTopic(record.topic));
              }
              for (let i = 0; i < extra; i++) held.push(record);
            }
            const due = shuffled(context.random, held).slice(0, Math.ceil(held.length / 2));
            for (const record of due) held.splice(held.indexOf(record), 1);
            await send(producer, due);
            sent += due.length;
          };
          const stormStarted = performance.now();
          while (performance.now() - stormStarted < stormMs) {
            await tick();
            await sleep(300);
          }
          // No new orders; the replies to the last ones are copied too, then all that is held.
          await load.stop();
          while (performance.now() - lastOriginalAt < 8_000) {
            await tick();
            await sleep(300);
          }
          await tick();
          const rest = shuffled(context.random, held.splice(0));
          await send(producer, rest);
          sent += rest.length;
        } finally {
          await Promise.all([reader.stop(), producer.disconnect(), deadLetters.stop()]);
        }
        const replayed = await replayDeadLetters(stack, deadLetterTopics);
        context.log(`storm: ${sent} copies sent, ${replayed} replayed from the DLQ`);
        const violations: string[] = [];
        const extraDeliveries = sent + replayed;
        let counted = 0;
        try {
          await waitFor(
            async () =>
              (counted = await counterTotal(stack, 'saga_events_total', {
                outcome: 'duplicate',
              })) >= extraDeliveries,
            { timeoutMs: 180_000, intervalMs: 1_000, message: 'duplicates counted' },
          );
        } catch {
          violations.push(
            `the service counted ${counted} duplicates of ${extraDeliveries} extra deliveries`,
          );
        }
        const { rows } = await stack.pool.query<{ n: string }>(
          'SELECT count(*) AS n FROM processed_events WHERE event_id::text = ANY($1::text[])',
          [[...eventIds]],
        );
        const applied = Number(rows[0]?.n);
        if (applied !== eventIds.size)
          violations.push(`${applied} of ${eventIds.size} stormed event ids in processed_events`);
        return {
          faults: `${eventIds.size} replies, ${extraDeliveries} extra copies (${replayed} replayed from the DLQ), shuffled`,
          recovery: `${counted} duplicates counted by the service`,
          violations,
        };
      },
    );
  },
};
