import { createMigratedDatabase, type TestDatabase } from '../../test/support/database';

export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';

export type DemoDatabase = TestDatabase;

/** A fresh, migrated demo database on the server of `adminUrl`; dropped again by the demo. */
export function createDemoDatabase(adminUrl: string): Promise<DemoDatabase> {
  return createMigratedDatabase(adminUrl, 'order_demo');
}
