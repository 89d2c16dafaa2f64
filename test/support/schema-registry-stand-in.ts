/**
 * A TEST STAND-IN for the Confluent Schema Registry: not a registry. In memory, AVRO only,
 * no references, no deletes, no auth. It implements the REST subset that
 * @kafkajs/confluent-schema-registry 4.x calls, with Confluent's response and error shapes,
 * so that the same client code runs unchanged against a real registry.
 *
 * Compatibility is checked for real with avsc schema resolution, the way Confluent does:
 * BACKWARD = the new schema can read data written with the previous one, FORWARD = the previous
 * schema can read data written with the new one, FULL = both; *_TRANSITIVE check every
 * registered version instead of the latest only.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import avro from 'avsc';

export interface SchemaRegistryStandIn {
  url: string;
  stop(): Promise<void>;
}

const LEVELS = [
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
] as const;
type Level = (typeof LEVELS)[number];

interface StoredSchema {
  id: number;
  schema: string; // compact JSON of what was registered
  key: string; // identity: see canonicalKey
  type: avro.Type;
}

interface Reply {
  status: number;
  body: unknown;
}

class RestError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

const subjectNotFound = (subject: string): RestError =>
  new RestError(404, 40401, `Subject '${subject}' not found.`);

/** The in-memory state and the rules; HTTP plumbing is below. */
class Store {
  private globalLevel: Level = 'BACKWARD';
  private readonly subjectLevels = new Map<string, Level>();
  private readonly byKey = new Map<string, StoredSchema>(); // canonical key -> schema (ids are global)
  private readonly byId = new Map<number, StoredSchema>();
  private readonly subjects = new Map<string, StoredSchema[]>(); // index = version - 1

  register(subject: string, body: unknown): Reply {
    const candidate = this.parse(body);
    const versions = this.subjects.get(subject) ?? [];
    const existing = versions.find((s) => s.key === candidate.key);
    if (existing) return ok({ id: existing.id }); // Confluent returns the id, no compatibility check
    const problems = this.incompatibilities(subject, candidate.type, versions);
    if (problems.length > 0) {
      throw new RestError(
        409,
        409,
        `Schema being registered is incompatible with an earlier schema for subject "${subject}", ` +
          `details: ${JSON.stringify(problems)}`,
      );
    }
    let stored = this.byKey.get(candidate.key);
    if (!stored) {
      stored = { ...candidate, id: this.byId.size + 1 };
      this.byKey.set(stored.key, stored);
      this.byId.set(stored.id, stored);
    }
    this.subjects.set(subject, [...versions, stored]);
    return ok({ id: stored.id });
  }

  lookup(subject: string, body: unknown): Reply {
    const versions = this.subjects.get(subject);
    if (!versions) throw subjectNotFound(subject);
    const { key } = this.parse(body);
    const index = versions.findIndex((s) => s.key === key);
    if (index < 0) throw new RestError(404, 40403, 'Schema not found');
    return ok(this.versionBody(subject, index));
  }

  schemaById(rawId: string): Reply {
    const stored = this.byId.get(Number(rawId));
    if (!stored) throw new RestError(404, 40403, `Schema ${rawId} not found`);
    return ok({ schema: stored.schema });
  }

  /** Every subject and version the id is registered under (GET /schemas/ids/{id}/versions). */
  subjectVersionsOf(rawId: string): Reply {
    const stored = this.byId.get(Number(rawId));
    if (!stored) throw new RestError(404, 40403, `Schema ${rawId} not found`);
    const found = [...this.subjects].flatMap(([subject, versions]) =>
      versions.flatMap((version, index) =>
        version.id === stored.id ? [{ subject, version: index + 1 }] : [],
      ),
    );
    return ok(found);
  }

  subjectNames(): Reply {
    return ok([...this.subjects.keys()]);
  }

  versionNumbers(subject: string): Reply {
    const versions = this.subjects.get(subject);
    if (!versions) throw subjectNotFound(subject);
    return ok(versions.map((_, index) => index + 1));
  }

  version(subject: string, rawVersion: string): Reply {
    const versions = this.subjects.get(subject);
    if (!versions) throw subjectNotFound(subject);
    return ok(this.versionBody(subject, this.versionIndex(versions, rawVersion)));
  }

  /** `rawVersion` undefined = check as registration would (latest, or all if transitive). */
  checkCompatibility(
    subject: string,
    rawVersion: string | undefined,
    body: unknown,
    verbose: boolean,
  ): Reply {
    const { type } = this.parse(body);
    const versions = this.subjects.get(subject) ?? [];
    let problems: string[];
    if (rawVersion === undefined) {
      problems = this.incompatibilities(subject, type, versions);
    } else if (versions.length === 0) {
      problems = []; // Confluent 7.x: nothing registered yet, so anything is compatible
    } else {
      const index = this.versionIndex(versions, rawVersion);
      problems = check(this.level(subject), type, [
        { version: index + 1, type: versions[index]!.type },
      ]);
    }
    return ok({ is_compatible: problems.length === 0, ...(verbose ? { messages: problems } : {}) });
  }

  getConfig(subject: string | undefined, defaultToGlobal: boolean): Reply {
    const level = subject === undefined ? this.globalLevel : this.subjectLevels.get(subject);
    if (level) return ok({ compatibilityLevel: level });
    if (defaultToGlobal) return ok({ compatibilityLevel: this.globalLevel });
    throw new RestError(
      404,
      40408,
      `Subject '${subject}' does not have subject-level compatibility configured`,
    );
  }

  putConfig(subject: string | undefined, body: unknown): Reply {
    const requested = (body as { compatibility?: unknown } | null)?.compatibility;
    const level = typeof requested === 'string' ? requested.toUpperCase() : '';
    if (!isLevel(level)) {
      throw new RestError(
        422,
        42203,
        'Invalid compatibility level. Valid values are none, backward, forward, full, ' +
          'backward_transitive, forward_transitive, and full_transitive',
      );
    }
    if (subject === undefined) this.globalLevel = level;
    else this.subjectLevels.set(subject, level);
    return ok({ compatibility: level });
  }

  deleteConfig(subject: string): Reply {
    const previous = this.subjectLevels.get(subject);
    if (!this.subjects.has(subject) && !previous) throw subjectNotFound(subject);
    this.subjectLevels.delete(subject);
    return ok({ compatibilityLevel: previous ?? this.globalLevel });
  }

  private level(subject: string): Level {
    return this.subjectLevels.get(subject) ?? this.globalLevel;
  }

  private incompatibilities(subject: string, type: avro.Type, versions: StoredSchema[]): string[] {
    const level = this.level(subject);
    const all = versions.map((stored, index) => ({ version: index + 1, type: stored.type }));
    return check(level, type, level.endsWith('_TRANSITIVE') ? all : all.slice(-1));
  }

  private versionIndex(versions: StoredSchema[], rawVersion: string): number {
    if (rawVersion === 'latest' || rawVersion === '-1') return versions.length - 1;
    const version = Number(rawVersion);
    if (!Number.isInteger(version) || version < 1 || version > 2 ** 31 - 1) {
      throw new RestError(
        422,
        42202,
        `The specified version '${rawVersion}' is not a valid version id. ` +
          'Allowed values are between [1, 2^31-1] and the string "latest"',
      );
    }
    if (version > versions.length) throw new RestError(404, 40402, `Version ${version} not found.`);
    return version - 1;
  }

  private versionBody(subject: string, index: number): object {
    const stored = this.subjects.get(subject)![index]!;
    return { subject, version: index + 1, id: stored.id, schema: stored.schema };
  }

  private parse(body: unknown): Omit<StoredSchema, 'id'> {
    const request = (body ?? {}) as {
      schema?: unknown;
      schemaType?: unknown;
      references?: unknown;
    };
    if (request.schemaType !== undefined && request.schemaType !== 'AVRO') {
      throw new RestError(422, 42201, 'This test stand-in supports AVRO schemas only');
    }
    if (Array.isArray(request.references) && request.references.length > 0) {
      throw new RestError(422, 42201, 'This test stand-in does not support schema references');
    }
    if (typeof request.schema !== 'string' || request.schema.trim() === '') {
      throw new RestError(422, 42201, 'Empty schema');
    }
    try {
      const json: unknown = JSON.parse(request.schema);
      const type = avro.Type.forSchema(json as avro.Schema);
      return { schema: JSON.stringify(json), key: canonicalKey(json), type };
    } catch (error) {
      throw new RestError(422, 42201, `Invalid schema: ${(error as Error).message}`);
    }
  }
}

/** Reader/writer checks per level; each problem quotes avsc's schema-resolution error. */
function check(
  level: Level,
  candidate: avro.Type,
  previous: Array<{ version: number; type: avro.Type }>,
): string[] {
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  const problems: string[] = [];
  for (const { version, type } of previous) {
    const old = `version ${version}`;
    if (backward) problems.push(...cannotRead(candidate, type, `new schema`, old));
    if (forward) problems.push(...cannotRead(type, candidate, old, 'new schema'));
  }
  return problems;
}

/**
 * Avro schema resolution as the specification and Confluent's checks define it: records match
 * by unqualified name (or the reader's aliases), so a namespace-only change is compatible.
 * avsc takes `ignoreNamespaces` since 5.7.3; its type definitions lack it.
 */
function cannotRead(reader: avro.Type, writer: avro.Type, readerName: string, writerName: string) {
  const createResolver = reader.createResolver as unknown as (
    writer: avro.Type,
    options: { ignoreNamespaces: boolean },
  ) => unknown;
  try {
    createResolver.call(reader, writer, { ignoreNamespaces: true });
    return [];
  } catch (error) {
    return [
      `${readerName} cannot read data written with ${writerName}: ${(error as Error).message}`,
    ];
  }
}

/** Identity of a schema: whitespace and object key order do not matter, field order does. */
function canonicalKey(schema: unknown): string {
  const sortKeys = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sortKeys);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)]));
  };
  return JSON.stringify(sortKeys(schema));
}

function isLevel(value: string): value is Level {
  return (LEVELS as readonly string[]).includes(value);
}

const ok = (body: unknown): Reply => ({ status: 200, body });

function route(store: Store, method: string, url: URL, body: unknown): Reply {
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const verbose = url.searchParams.get('verbose') === 'true';
  const defaultToGlobal = url.searchParams.get('defaultToGlobal') === 'true';
  const [a, b, c, d, e] = parts;
  const n = parts.length;
  if (method === 'GET' && n === 0) return ok({});
  if (a === 'subjects') {
    if (method === 'GET' && n === 1) return store.subjectNames();
    if (method === 'POST' && n === 2) return store.lookup(b!, body);
    if (c === 'versions' && n === 3 && method === 'GET') return store.versionNumbers(b!);
    if (c === 'versions' && n === 3 && method === 'POST') return store.register(b!, body);
    if (c === 'versions' && n === 4 && method === 'GET') return store.version(b!, d!);
  }
  if (a === 'schemas' && b === 'ids' && n === 3 && method === 'GET') return store.schemaById(c!);
  if (a === 'schemas' && b === 'ids' && d === 'versions' && n === 4 && method === 'GET') {
    return store.subjectVersionsOf(c!);
  }
  if (a === 'config' && n <= 2) {
    if (method === 'GET') return store.getConfig(b, defaultToGlobal);
    if (method === 'PUT') return store.putConfig(b, body);
    if (method === 'DELETE' && b !== undefined) return store.deleteConfig(b);
  }
  if (a === 'compatibility' && b === 'subjects' && d === 'versions' && method === 'POST') {
    if (n === 4) return store.checkCompatibility(c!, undefined, body, verbose);
    if (n === 5) return store.checkCompatibility(c!, e!, body, verbose);
  }
  throw new RestError(404, 404, 'HTTP 404 Not Found');
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RestError(400, 400, `Unparseable JSON body: ${(error as Error).message}`);
  }
}

function send(response: ServerResponse, { status, body }: Reply): void {
  response.writeHead(status, { 'Content-Type': 'application/vnd.schemaregistry.v1+json' });
  response.end(JSON.stringify(body));
}

export async function startSchemaRegistryStandIn(
  options: { port?: number; host?: string } = {},
): Promise<SchemaRegistryStandIn> {
  const { port = 0, host = '127.0.0.1' } = options;
  const store = new Store();
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://stand-in');
    readJson(request)
      .then((body) => send(response, route(store, request.method ?? 'GET', url, body)))
      .catch((error: unknown) => {
        if (error instanceof RestError) {
          send(response, {
            status: error.status,
            body: { error_code: error.errorCode, message: error.message },
          });
        } else {
          const message = error instanceof Error ? error.message : String(error);
          send(response, { status: 500, body: { error_code: 50001, message } });
        }
      });
  });
  server.listen(port, host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections(); // keep-alive clients would otherwise hold close() open
      }),
  };
}
