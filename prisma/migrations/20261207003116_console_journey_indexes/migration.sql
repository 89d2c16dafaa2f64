-- CreateIndex
CREATE INDEX "order_effects_reference_idx" ON "order_effects"("reference");

-- CreateIndex
CREATE INDEX "processed_events_order_id_processed_at_idx" ON "processed_events"("order_id", "processed_at");
