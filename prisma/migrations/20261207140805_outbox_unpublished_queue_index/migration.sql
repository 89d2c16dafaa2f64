-- The relay's claim reads only the batch it takes, in id order, from an index of unpublished
-- rows; the (published_at, id) index gave it a bitmap scan of every unpublished row and a sort,
-- so a claim cost grew with the backlog (docs/performance.md, "The claim and the backlog").
-- Created before the old index is dropped, so a claim never runs without one.

-- CreateIndex
CREATE INDEX "outbox_unpublished_id_idx" ON "outbox"("id") WHERE (published_at IS NULL);

-- CreateIndex
CREATE INDEX "outbox_published_at_idx" ON "outbox"("published_at") WHERE (published_at IS NOT NULL);

-- DropIndex
DROP INDEX "outbox_published_at_id_idx";
