import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client';
import type { Logger } from '../shared/logger';

export type Database = PrismaClient;

const QUERY_TIMEOUT_MARGIN_MS = 2_000;

/** Each client's pool, for the hot paths that send plain SQL without Prisma's per-query cost. */
const pools = new WeakMap<Database, pg.Pool>();

/** The node-postgres pool under `db`: the same connections, the same limits. */
export function poolOf(db: Database): pg.Pool {
  const pool = pools.get(db);
  if (!pool) throw new Error('not a client made by createDatabase');
  return pool;
}

export interface DatabaseOptions {
  url: string;
  poolSize: number;
  connectTimeoutMs: number;
  /** Postgres cancels any statement running longer than this (`statement_timeout`). */
  statementTimeoutMs?: number;
  /** Shown in pg_stat_activity, so an operator can tell the pools apart. */
  applicationName?: string;
  logger: Logger;
}

/**
 * Prisma over node-postgres: no native engine, and one pool we size ourselves, shared by Prisma
 * and by the plain SQL of the hot paths (poolOf). Disconnecting the client ends the pool.
 */
export function createDatabase({
  url,
  poolSize,
  connectTimeoutMs,
  statementTimeoutMs,
  applicationName,
  logger,
}: DatabaseOptions): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: connectTimeoutMs,
    ...(statementTimeoutMs !== undefined && {
      statement_timeout: statementTimeoutMs,
      // A server that stops answering never sends statement_timeout's error: give up on the
      // client side a moment later, so a network partition is an outage, not a hang.
      query_timeout: statementTimeoutMs + QUERY_TIMEOUT_MARGIN_MS,
    }),
    ...(applicationName !== undefined && { application_name: applicationName }),
  });
  pool.on('error', (error) =>
    logger.warn('idle database connection failed', { error: error.message }),
  );
  const db = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  pools.set(db, pool);
  return db;
}
