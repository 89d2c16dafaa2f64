import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ResourcePatternTypes,
  type Admin,
} from 'kafkajs';
import type { Config } from '../../../config';
import { serviceTopics } from '../../../messaging/topic-provisioning';
import { describeTopics } from '../../../messaging/topic-check';
import {
  CONSUMED_TOPICS,
  deadLetterTopic,
  physicalTopic,
  PRODUCED_TOPICS,
} from '../../../messaging/topics';
import { errorMessage } from '../../../shared/app-error';
import { allows, bindingsOf, Op, opName, Resource, writersOf, type Binding } from './acl-rules';
import { row, type CheckRow } from './check-row';

type KafkaSettings = Pick<
  Config,
  | 'KAFKA_TOPIC_PREFIX'
  | 'KAFKA_CREATE_TOPICS'
  | 'KAFKA_REPLICATION_FACTOR'
  | 'SAGA_CONSUMER_GROUP'
  | 'KAFKA_SASL_USERNAME'
>;

/** One row per topic: exists, partitions, replication. */
export async function topicChecks(admin: Admin, config: KafkaSettings): Promise<CheckRow[]> {
  const wanted = serviceTopics(config.KAFKA_TOPIC_PREFIX);
  const listed = new Set(await admin.listTopics());
  const present = wanted.filter((topic) => listed.has(topic));
  const { topics } =
    present.length > 0 ? await admin.fetchTopicMetadata({ topics: present }) : { topics: [] };
  const byName = new Map(topics.map((topic) => [topic.name, topic]));
  return wanted.map((name) => {
    const topic = byName.get(name);
    if (!topic) {
      return config.KAFKA_CREATE_TOPICS
        ? row(
            'kafka',
            `topic ${name}`,
            'warn',
            'missing: start-up creates it (KAFKA_CREATE_TOPICS=true)',
          )
        : row(
            'kafka',
            `topic ${name}`,
            'fail',
            'missing: create it, or set KAFKA_CREATE_TOPICS=true',
          );
    }
    const replication = Math.min(...topic.partitions.map((p) => p.replicas.length));
    const insync = Math.min(...topic.partitions.map((p) => p.isr.length));
    const detail = `${topic.partitions.length} partitions, replication ${replication}, in sync ${insync}`;
    const thin = replication < config.KAFKA_REPLICATION_FACTOR || insync < replication;
    return row(
      'kafka',
      `topic ${name}`,
      thin ? 'warn' : 'ok',
      thin ? `${detail} (KAFKA_REPLICATION_FACTOR=${config.KAFKA_REPLICATION_FACTOR})` : detail,
    );
  });
}

/**
 * What the broker's ACLs let this service do, and who else may write its reply topics (issue
 * 19: a reply is trusted on topic permissions). Needs DESCRIBE on the cluster to list ACLs.
 */
export async function aclChecks(
  admin: Admin,
  config: KafkaSettings,
  expectedWriters: readonly string[] = [],
): Promise<CheckRow[]> {
  let bindings: Binding[];
  try {
    const { resources } = await admin.describeAcls({
      resourceType: AclResourceTypes.ANY,
      resourcePatternType: ResourcePatternTypes.ANY,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    });
    bindings = bindingsOf(resources);
  } catch (error) {
    const type = (error as { type?: string }).type;
    if (type === 'SECURITY_DISABLED') {
      return [row('acl', 'authorizer', 'warn', 'no authorizer: anyone may write the reply topics')];
    }
    if (type === 'CLUSTER_AUTHORIZATION_FAILED') {
      return [
        row(
          'acl',
          'authorizer',
          'warn',
          'cannot tell: this principal may not describe ACLs (grant DESCRIBE on the cluster to see)',
        ),
      ];
    }
    return [row('acl', 'authorizer', 'fail', `cannot list ACLs: ${errorMessage(error)}`)];
  }
  const principal = `User:${config.KAFKA_SASL_USERNAME ?? 'ANONYMOUS'}`;
  const topic = (name: string) => physicalTopic(config.KAFKA_TOPIC_PREFIX, name);
  const need = (check: string, type: Resource, names: string[], operations: Op[]): CheckRow => {
    const denied = names.flatMap((name) =>
      operations
        .filter((op) => !allows(bindings, principal, type, name, op))
        .map((op) => `${opName(op)} on ${name}`),
    );
    return denied.length === 0
      ? row('acl', check, 'ok', `${principal} may ${operations.map((op) => opName(op)).join(', ')}`)
      : row(
          'acl',
          check,
          'fail',
          `${principal} lacks ${describeTopics(denied, 4)} (or is a super user)`,
        );
  };
  const replies = CONSUMED_TOPICS.map(topic);
  return [
    row('acl', 'authorizer', 'ok', `${bindings.length} ACL bindings; checked for ${principal}`),
    need('write produced topics', Resource.TOPIC, PRODUCED_TOPICS.map(topic), [
      Op.WRITE,
      Op.DESCRIBE,
    ]),
    need('read reply topics', Resource.TOPIC, replies, [Op.READ, Op.DESCRIBE]),
    need(
      'write dead-letter topics',
      Resource.TOPIC,
      CONSUMED_TOPICS.map((t) => topic(deadLetterTopic(t))),
      [Op.WRITE, Op.DESCRIBE],
    ),
    need('read its consumer group', Resource.GROUP, [config.SAGA_CONSUMER_GROUP], [Op.READ]),
    ...replies.map((reply) => replyWriters(bindings, reply, [principal, ...expectedWriters])),
  ];
}

/** Who besides the expected peers may write a reply topic: each of them can forge a reply. */
function replyWriters(
  bindings: readonly Binding[],
  topic: string,
  expected: readonly string[],
): CheckRow {
  const writers = writersOf(bindings, topic);
  const others = writers.filter((w) => !expected.includes(w));
  const check = `who may write ${topic}`;
  if (others.includes('User:*')) return row('acl', check, 'warn', 'anyone (User:*) may write it');
  if (others.length > 0) {
    return row(
      'acl',
      check,
      'warn',
      `${others.join(', ')} may write it besides the expected writers (--reply-writers)`,
    );
  }
  return row(
    'acl',
    check,
    'ok',
    writers.length > 0 ? `only ${writers.join(', ')}` : 'no principal but super users',
  );
}
