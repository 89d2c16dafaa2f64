-- CreateTable
CREATE TABLE "dead_letters" (
    "dlq_topic" TEXT NOT NULL,
    "dlq_partition" INTEGER NOT NULL,
    "dlq_offset" BIGINT NOT NULL,
    "original_topic" TEXT NOT NULL,
    "original_partition" INTEGER,
    "original_offset" BIGINT,
    "order_id" TEXT,
    "event_id" TEXT,
    "error_class" TEXT NOT NULL,
    "error_message" TEXT NOT NULL,
    "error_pattern" TEXT NOT NULL,
    "group_key" TEXT NOT NULL,
    "dead_lettered_at" TIMESTAMPTZ(3) NOT NULL,
    "indexed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "indexed_by" TEXT NOT NULL,
    "stub" BOOLEAN NOT NULL DEFAULT false,
    "key" BYTEA,
    "value" BYTEA,
    "value_bytes" INTEGER NOT NULL,
    "headers" JSONB NOT NULL,

    CONSTRAINT "dead_letters_pkey" PRIMARY KEY ("dlq_topic","dlq_partition","dlq_offset")
);

-- CreateTable
CREATE TABLE "dead_letter_marks" (
    "target" TEXT NOT NULL,
    "marked_by" TEXT NOT NULL,
    "marked_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "note" TEXT NOT NULL,

    CONSTRAINT "dead_letter_marks_pkey" PRIMARY KEY ("target")
);

-- CreateIndex
CREATE INDEX "dead_letters_group_key_dead_lettered_at_idx" ON "dead_letters"("group_key", "dead_lettered_at");

-- CreateIndex
CREATE INDEX "dead_letters_order_id_idx" ON "dead_letters"("order_id");

-- CreateIndex
CREATE INDEX "dead_letters_dead_lettered_at_idx" ON "dead_letters"("dead_lettered_at");
