-- Pruning finds published rows by age; unpublished rows are not in it. CONCURRENTLY, alone in its
-- migration, as the one before.

-- CreateIndex
CREATE INDEX CONCURRENTLY "outbox_published_at_idx" ON "outbox"("published_at") WHERE (published_at IS NOT NULL);
