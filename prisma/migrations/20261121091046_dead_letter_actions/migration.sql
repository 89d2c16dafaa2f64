-- CreateEnum
CREATE TYPE "dead_letter_action_kind" AS ENUM ('replayed', 'skipped');

-- CreateTable
CREATE TABLE "dead_letter_actions" (
    "dlq_topic" TEXT NOT NULL,
    "dlq_partition" INTEGER NOT NULL,
    "dlq_offset" BIGINT NOT NULL,
    "action" "dead_letter_action_kind" NOT NULL,
    "acted_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "dead_letter_actions_pkey" PRIMARY KEY ("dlq_topic","dlq_partition","dlq_offset")
);
