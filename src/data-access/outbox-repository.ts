import type { Database } from './prisma-client-factory';

export interface PendingOutboxMessage {
  id: bigint;
  eventId: string;
  orderId: string;
  topic: string;
  key: string;
  payload: object;
  headers: Record<string, string>;
  /** The trace context of the work that wrote it (null when tracing was off). */
  traceparent: string | null;
}

const PRUNE_CHUNK = 5_000;

export function createOutboxRepository(db: Database) {
  return {
    /**
     * The oldest unpublished rows, in write order, so one order's events leave in sequence.
     * Rows of `skipOrders` (held back by the relay) are left out.
     */
    async nextBatch(limit: number, skipOrders: string[] = []): Promise<PendingOutboxMessage[]> {
      const rows = await db.outboxMessage.findMany({
        where: {
          publishedAt: null,
          ...(skipOrders.length > 0 && { orderId: { notIn: skipOrders } }),
        },
        orderBy: { id: 'asc' },
        take: limit,
        select: {
          id: true,
          eventId: true,
          orderId: true,
          topic: true,
          key: true,
          payload: true,
          headers: true,
          traceparent: true,
        },
      });
      return rows.map((row) => ({
        ...row,
        payload: row.payload as object,
        headers: (row.headers ?? {}) as Record<string, string>,
      }));
    },

    async markPublished(ids: bigint[]): Promise<void> {
      await db.outboxMessage.updateMany({
        where: { id: { in: ids }, publishedAt: null },
        data: { publishedAt: new Date() },
      });
    },

    async recordFailure(ids: bigint[], error: string): Promise<void> {
      await db.outboxMessage.updateMany({
        where: { id: { in: ids } },
        data: { attempts: { increment: 1 }, lastError: error.slice(0, 1_000) },
      });
    },

    /** Deletes published rows older than `before`, in chunks so no long lock is held. */
    async prunePublished(before: Date): Promise<number> {
      let total = 0;
      for (;;) {
        const deleted = await db.$executeRaw`
          DELETE FROM outbox WHERE id IN (
            SELECT id FROM outbox WHERE published_at < ${before} ORDER BY id LIMIT ${PRUNE_CHUNK})`;
        total += deleted;
        if (deleted < PRUNE_CHUNK) return total;
      }
    },

    async countUnpublished(): Promise<number> {
      return db.outboxMessage.count({ where: { publishedAt: null } });
    },
  };
}

export type OutboxRepository = ReturnType<typeof createOutboxRepository>;
