/**
 * A real broker that enforces ACLs (KRaft's StandardAuthorizer) on a SASL/PLAIN listener, for
 * tests of what the service does when the cluster denies it, and of what `npm run doctor`
 * reports. `admin` is a super user (it grants ACLs); `service` and `stranger` have none until
 * a test grants them some. The PLAINTEXT listener (inter-broker, controller) is a super user.
 */
import { randomBytes } from 'node:crypto';
import { startJvmBroker, type JvmBroker } from './kafka-jvm-broker';

export interface SaslUser {
  username: string;
  password: string;
}

export interface AuthorizingBroker {
  broker: JvmBroker;
  /** The SASL_PLAINTEXT listener, `host:port`. */
  saslListener: string;
  admin: SaslUser;
  service: SaslUser;
  stranger: SaslUser;
  /** KAFKA_* settings to connect as `user` over the SASL listener. */
  envFor(user: SaslUser): Record<string, string>;
  stop(): Promise<void>;
}

export async function startAuthorizingBroker(): Promise<AuthorizingBroker> {
  const user = (username: string): SaslUser => ({
    username,
    password: randomBytes(9).toString('base64url'),
  });
  const [admin, service, stranger] = [user('admin'), user('order-service'), user('stranger')];
  const users = [admin, service, stranger]
    .map(({ username, password }) => `user_${username}="${password}"`)
    .join(' ');
  const broker = await startJvmBroker({
    listeners: { SASL: 'SASL_PLAINTEXT' },
    properties: {
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'super.users': `User:ANONYMOUS;User:${admin.username}`,
      'listener.name.sasl.sasl.enabled.mechanisms': 'PLAIN',
      'listener.name.sasl.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required ${users};`,
    },
  });
  const saslListener = broker.listeners.SASL as string;
  return {
    broker,
    saslListener,
    admin,
    service,
    stranger,
    envFor: ({ username, password }) => ({
      KAFKA_BROKERS: saslListener,
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: username,
      KAFKA_SASL_PASSWORD: password,
    }),
    stop: () => broker.stop(),
  };
}
