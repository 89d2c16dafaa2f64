// What each instance's admin /ready says about its Kafka side, so a drill can show when the
// breaker opened and closed and when the consumer ran again.
import type { DrillStack } from './drill-stack';

export type BreakerState = 'closed' | 'open' | 'half-open' | 'unknown';

export interface KafkaSide {
  breaker: BreakerState;
  /** `running`, `joining`, `restarting`, `stopped`, or `unknown` when /ready did not answer. */
  consumer: string;
}

export async function kafkaSides(stack: DrillStack): Promise<KafkaSide[]> {
  return Promise.all(
    stack.instances.map(async (instance) => {
      try {
        const response = await fetch(`${instance.adminUrl}/ready`, {
          signal: AbortSignal.timeout(3_000),
        });
        const body = (await response.json()) as {
          kafkaProducerBreaker?: BreakerState;
          sagaConsumer?: string;
        };
        return {
          breaker: body.kafkaProducerBreaker ?? 'unknown',
          consumer: body.sagaConsumer ?? 'unknown',
        };
      } catch {
        return { breaker: 'unknown', consumer: 'unknown' };
      }
    }),
  );
}
