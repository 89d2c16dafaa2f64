-- The old queue index, replaced by the two before. CONCURRENTLY: a plain DROP INDEX waits for,
-- and then blocks, every query on the outbox.

-- DropIndex
DROP INDEX CONCURRENTLY "outbox_published_at_id_idx";
