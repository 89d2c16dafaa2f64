import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client';
import type { Logger } from '../shared/logger';

export type Database = PrismaClient;

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

/** Prisma over node-postgres: no native engine, and one pool we size ourselves. */
export function createDatabase({
  url,
  poolSize,
  connectTimeoutMs,
  statementTimeoutMs,
  applicationName,
  logger,
}: DatabaseOptions): Database {
  const adapter = new PrismaPg(
    {
      connectionString: url,
      max: poolSize,
      connectionTimeoutMillis: connectTimeoutMs,
      ...(statementTimeoutMs !== undefined && { statement_timeout: statementTimeoutMs }),
      ...(applicationName !== undefined && { application_name: applicationName }),
    },
    {
      onPoolError: (error) =>
        logger.warn('idle database connection failed', { error: error.message }),
    },
  );
  return new PrismaClient({ adapter });
}
