import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client';
import type { Logger } from '../shared/logger';

export type Database = PrismaClient;

export interface DatabaseOptions {
  url: string;
  poolSize: number;
  connectTimeoutMs: number;
  logger: Logger;
}

/** Prisma over node-postgres: no native engine, and one pool we size ourselves. */
export function createDatabase({
  url,
  poolSize,
  connectTimeoutMs,
  logger,
}: DatabaseOptions): Database {
  const adapter = new PrismaPg(
    { connectionString: url, max: poolSize, connectionTimeoutMillis: connectTimeoutMs },
    {
      onPoolError: (error) =>
        logger.warn('idle database connection failed', { error: error.message }),
    },
  );
  return new PrismaClient({ adapter });
}
