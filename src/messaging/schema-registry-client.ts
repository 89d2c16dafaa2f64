import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { AppError, errorMessage, withCode } from '../shared/app-error';

/** The registry's level names as plain strings (the client's enum is not assignable from them). */
export type CompatibilityLevel = `${COMPATIBILITY}`;

/** A registry answer other than success: its HTTP status says whether it is a refusal. */
export class RegistryResponseError extends AppError {
  constructor(
    readonly status: number,
    message: string,
    retriable = status >= 500,
  ) {
    super('schema-registry-response', message, { retriable });
  }
}

/** The registry did not answer (refused, reset, timed out): an outage, retried. */
export class RegistryUnreachableError extends withCode('schema-registry-unreachable', {
  retriable: true,
}) {}

/**
 * Statuses of a read that say the registry cannot be used right now, whatever was asked:
 * refused credentials (a rotated password is an outage to fix, not a reason to dead-letter every
 * record), a timeout, throttling, or its own failure.
 */
const UNAVAILABLE_STATUSES = new Set([401, 403, 408, 429]);

/** A schema as GET /schemas/ids/{id} gives it. */
export interface RegisteredSchema {
  schema: string;
  /** Absent for Avro. */
  schemaType?: string;
  references?: unknown[];
}

/** Registry answers bigger than this are refused: a schema is a few kilobytes. */
const MAX_READ_BYTES = 1_048_576;
class OversizedAnswer extends Error {}

/** Where the registry is and how to reach it: basic auth, and TLS for an https URL. */
export interface RegistryConnection {
  url: string;
  username?: string;
  password?: string;
  /** PEM CA bundle for a registry whose certificate no public CA signed. */
  caFile?: string;
  /** PEM client certificate and key, for a registry that asks for one (mutual TLS). */
  certFile?: string;
  keyFile?: string;
  /** Per request, for the library's calls and ours (default 10 s). */
  timeoutMs?: number;
}

/**
 * The Confluent-compatible registry client (encode, decode, lookups) plus the one call it lacks:
 * setting a subject's compatibility level.
 */
export interface RegistryClient {
  registry: SchemaRegistry;
  setCompatibility(subject: string, level: CompatibilityLevel): Promise<void>;
  /**
   * Sets the subject's level, then registers the schema under it (or finds it registered) and
   * returns its id. Setting the level first, rather than after a first registration as the
   * client does, leaves no moment in which the subject exists without its level, so concurrent
   * registrations agree on Confluent and on registries that read such a subject as NONE.
   */
  register(subject: string, schema: object, level: CompatibilityLevel): Promise<number>;
  /** A GET under the registry's URL (`/subjects`, `/config/<subject>`): for `npm run doctor`. */
  get(path: string): Promise<{ ok: boolean; status: number; text: string }>;
  /** GET /schemas/ids/{id}: the writer schema behind a record's id; undefined when unknown. */
  schemaById(id: number): Promise<RegisteredSchema | undefined>;
  /**
   * GET /schemas/ids/{id}/versions (Confluent and Apicurio's ccompat API): every subject the id
   * is registered under; undefined when the id is unknown.
   */
  subjectsOf(id: number): Promise<string[] | undefined>;
}

/** The reads a consumer needs, so tests and tools can count or fake them. */
export type RegistryReads = Pick<RegistryClient, 'schemaById' | 'subjectsOf'>;

const DEFAULT_TIMEOUT_MS = 10_000;

/** The library's middleware type (mappersmith's), read off its constructor. */
type Middleware = NonNullable<
  ConstructorParameters<typeof SchemaRegistry>[0]['middlewares']
>[number];

/**
 * Gives every library request a timeout (mappersmith's `timeout` request option); without it a
 * registry that accepts the connection and never answers would hold the consumer forever. A
 * timed-out request fails like a network error (status 400, "Timeout (… ms)"), which the
 * failure policy reads as an outage.
 */
const requestTimeout =
  (timeoutMs: number): Middleware =>
  () => ({
    async prepareRequest(next) {
      return (await next()).enhance({ timeout: timeoutMs });
    },
  });

export function createRegistryClient({
  retries,
  timeoutMs = DEFAULT_TIMEOUT_MS,
  ...connection
}: RegistryConnection & { retries: number }) {
  const agent = registryAgent(connection);
  const auth =
    connection.username === undefined
      ? undefined
      : { username: connection.username, password: connection.password ?? '' };
  // The same agent (TLS settings) and credentials for the library's calls and for ours.
  const registry = new SchemaRegistry({
    host: connection.url,
    retry: { retries },
    agent,
    auth,
    middlewares: [requestTimeout(timeoutMs)],
  });
  const headers: Record<string, string> = auth
    ? {
        authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`,
      }
    : {};
  const base = connection.url.replace(/\/+$/, '');
  const send = (method: string, url: string, body?: string) =>
    request(
      url,
      { method, agent, timeout: timeoutMs, headers: { ...headers, ...(body && JSON_HEADERS) } },
      body,
    );
  /** A GET's JSON answer, undefined on 404; an outage is retriable, any other answer is not. */
  const read = async (path: string): Promise<unknown> => {
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await send('GET', `${base}${path}`);
    } catch (error) {
      // Asking again gets the same answer: not an outage, so not retried forever.
      if (error instanceof OversizedAnswer) {
        throw new RegistryResponseError(
          200,
          `Schema registry: GET ${path}: ${error.message}`,
          false,
        );
      }
      throw new RegistryUnreachableError(`Schema registry: GET ${path}: ${errorMessage(error)}`, {
        cause: error,
      });
    }
    if (response.status === 404) return undefined;
    if (!response.ok) {
      throw new RegistryResponseError(
        response.status,
        `Schema registry: GET ${path}: ${response.status} ${response.text.slice(0, 300)}`,
        response.status >= 500 || UNAVAILABLE_STATUSES.has(response.status),
      );
    }
    return JSON.parse(response.text) as unknown;
  };
  const client: RegistryClient = {
    registry,
    async setCompatibility(subject, level) {
      const url = `${base}/config/${encodeURIComponent(subject)}`;
      const response = await send('PUT', url, JSON.stringify({ compatibility: level }));
      if (response.ok) return;
      // A concurrent writer may have set it first (some registries then refuse ours): what
      // counts is that the subject ends up with this level.
      const current = await send('GET', url);
      if (current.ok && levelIn(current.text) === level) return;
      throw new RegistryResponseError(
        response.status,
        `Confluent_Schema_Registry - setting ${level} on ${subject}: ${response.status} ${response.text.slice(0, 500)}`,
      );
    },
    async register(subject, schema, level) {
      await client.setCompatibility(subject, level);
      const { id } = await registry.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
        { subject, compatibility: level as COMPATIBILITY, updateConfig: false },
      );
      return id;
    },
    get: (path) => send('GET', `${base}${path}`),
    async schemaById(id) {
      return (await read(`/schemas/ids/${id}`)) as RegisteredSchema | undefined;
    },
    async subjectsOf(id) {
      const versions = (await read(`/schemas/ids/${id}/versions`)) as
        { subject: string }[] | undefined;
      return versions?.map((version) => version.subject);
    },
  };
  return client;
}

function levelIn(text: string): string | undefined {
  try {
    return (JSON.parse(text) as { compatibilityLevel?: string }).compatibilityLevel;
  } catch {
    return undefined;
  }
}

const JSON_HEADERS = { 'content-type': 'application/vnd.schemaregistry.v1+json' };

/** An agent carrying the TLS settings for an https registry; none needed for plain http. */
function registryAgent(connection: RegistryConnection): http.Agent | undefined {
  if (!connection.url.startsWith('https:')) return undefined;
  const read = (file: string | undefined) => (file === undefined ? undefined : readFileSync(file));
  return new https.Agent({
    keepAlive: true,
    ca: read(connection.caFile),
    cert: read(connection.certFile),
    key: read(connection.keyFile),
  });
}

/** One HTTP exchange over node:http(s), so it goes through the same agent as the library. */
function request(
  url: string,
  options: http.RequestOptions,
  body?: string,
): Promise<{ ok: boolean; status: number; text: string }> {
  const transport = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const outgoing = transport.request(url, options, (res) => {
      const chunks: Buffer[] = [];
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > MAX_READ_BYTES) {
          outgoing.destroy(new OversizedAnswer(`the answer is over ${MAX_READ_BYTES} bytes`));
        } else chunks.push(chunk);
      });
      res.on('error', reject);
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        resolve({
          ok: status >= 200 && status < 300,
          status,
          text: Buffer.concat(chunks).toString(),
        });
      });
    });
    outgoing.on('timeout', () =>
      outgoing.destroy(new Error(`timeout after ${options.timeout} ms`)),
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
