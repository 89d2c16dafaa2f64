-- The relay's queue: unpublished rows in id order, so a claim reads its batch and not every row
-- still waiting (docs/performance.md, "The claim and the backlog"). It replaces
-- (published_at, id), which is dropped two migrations on, once this one and pruning's exist.
-- One statement per migration, CONCURRENTLY: on a live outbox a plain CREATE INDEX would hold
-- back every insert, and so intake, for as long as the build reads the table.

-- CreateIndex
CREATE INDEX CONCURRENTLY "outbox_unpublished_id_idx" ON "outbox"("id") WHERE (published_at IS NULL);
