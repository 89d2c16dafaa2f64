import { logLevel } from 'kafkajs';
import { kafkaLogLevel } from '../../../src/messaging/kafka-client-factory';

/**
 * Which kafkajs lines count as errors. An orderly stop logs none (the drills count them), so a
 * broker answer kafkajs handles itself by rejoining must not be one.
 */
describe('kafkaLogLevel: kafkajs lines at the level they deserve', () => {
  const response = (error: string) => ({
    level: logLevel.ERROR,
    log: {
      message: 'Response Heartbeat(key: 12, version: 3)',
      error,
      timestamp: '',
      logger: 'kafkajs',
    },
  });

  it('when the broker answers a heartbeat that the group is rebalancing, then it is a warning', () => {
    expect(kafkaLogLevel(response('The group is rebalancing, so a rejoin is needed'))).toBe('warn');
  });

  it.each([
    "The coordinator is loading and hence can't process requests for this group",
    'The group coordinator is not available',
    'This is not the correct coordinator for this group',
  ])(
    'when the broker answers %s (kafkajs retries against the coordinator), then it is a warning',
    (error) => {
      expect(kafkaLogLevel(response(error))).toBe('warn');
    },
  );

  it('when the broker answers any other error, then it stays an error', () => {
    expect(kafkaLogLevel(response('Not authorized to access group'))).toBe('error');
    expect(
      kafkaLogLevel({
        level: logLevel.ERROR,
        log: { message: 'Crash: KafkaJSNumberOfRetriesExceeded', timestamp: '', logger: 'kafkajs' },
      }),
    ).toBe('error');
  });

  it('when kafkajs warns that bounded retries weaken its idempotent producer, then it is debug (they are deliberate)', () => {
    expect(
      kafkaLogLevel({
        level: logLevel.WARN,
        log: {
          message: 'Limiting retries for the idempotent producer may invalidate EoS guarantees',
          timestamp: '',
          logger: 'kafkajs',
        },
      }),
    ).toBe('debug');
  });

  it('when a line is neither, then it keeps kafkajs level', () => {
    expect(
      kafkaLogLevel({
        level: logLevel.INFO,
        log: { message: 'Consumer has joined the group', timestamp: '', logger: 'kafkajs' },
      }),
    ).toBe('info');
  });
});
