import type { Config } from '../../../config';
import type { RegistryClient } from '../../../messaging/schema-registry-client';
import { CONSUMED_TOPICS, PRODUCED_TOPICS, subjectFor } from '../../../messaging/topics';
import { row, type CheckRow } from './check-row';

type RegistrySettings = Pick<
  Config,
  'KAFKA_TOPIC_PREFIX' | 'SCHEMA_COMPATIBILITY' | 'SCHEMA_REGISTRY_URL'
>;

/** The registry answers; each subject is there, with its compatibility level. */
export async function registryChecks(
  client: Pick<RegistryClient, 'get'>,
  config: RegistrySettings,
): Promise<CheckRow[]> {
  const listing = await client.get('/subjects').catch((error: Error) => ({
    ok: false,
    status: 0,
    text: error.message,
  }));
  if (!listing.ok) {
    const why = listing.status === 0 ? listing.text : `HTTP ${listing.status}`;
    return [row('registry', 'reachable', 'fail', `${config.SCHEMA_REGISTRY_URL}: ${why}`)];
  }
  const global = levelOf(await client.get('/config'));
  const rows = [
    row(
      'registry',
      'reachable',
      'ok',
      `${config.SCHEMA_REGISTRY_URL}; global compatibility ${global ?? 'unknown'}`,
    ),
  ];
  const subject = async (topic: string, produced: boolean): Promise<CheckRow> => {
    const name = subjectFor(config.KAFKA_TOPIC_PREFIX, topic);
    const latest = await client.get(`/subjects/${encodeURIComponent(name)}/versions/latest`);
    if (!latest.ok && latest.status !== 404) {
      return row(
        'registry',
        `subject ${name}`,
        'fail',
        `HTTP ${latest.status} ${latest.text.slice(0, 200)}`,
      );
    }
    if (!latest.ok) {
      return produced
        ? row('registry', `subject ${name}`, 'ok', 'not registered yet: start-up registers it')
        : row(
            'registry',
            `subject ${name}`,
            'warn',
            'not registered: the peer registers it with its first reply',
          );
    }
    const level = levelOf(await client.get(`/config/${encodeURIComponent(name)}`)) ?? global;
    const expected = config.SCHEMA_COMPATIBILITY;
    if (produced && level !== expected) {
      return row(
        'registry',
        `subject ${name}`,
        'warn',
        `compatibility ${level ?? 'unknown'}, SCHEMA_COMPATIBILITY is ${expected}`,
      );
    }
    const { version, id } = JSON.parse(latest.text) as { version?: number; id?: number };
    return row(
      'registry',
      `subject ${name}`,
      'ok',
      `version ${version ?? '?'} (id ${id ?? '?'}), compatibility ${level ?? 'unknown'}`,
    );
  };
  for (const topic of PRODUCED_TOPICS) rows.push(await subject(topic, true));
  for (const topic of CONSUMED_TOPICS) rows.push(await subject(topic, false));
  return rows;
}

function levelOf(response: { ok: boolean; text: string }): string | undefined {
  if (!response.ok) return undefined;
  try {
    const body = JSON.parse(response.text) as {
      compatibilityLevel?: string;
      compatibility?: string;
    };
    return body.compatibilityLevel ?? body.compatibility;
  } catch {
    return undefined;
  }
}
