-- CreateEnum
CREATE TYPE "order_effect_kind" AS ENUM ('payment', 'reservation');

-- CreateTable
CREATE TABLE "order_effects" (
    "order_id" UUID NOT NULL,
    "kind" "order_effect_kind" NOT NULL,
    "reference" TEXT NOT NULL,
    "amount" BIGINT,
    "currency" CHAR(3),
    "event_id" TEXT,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "order_effects_pkey" PRIMARY KEY ("order_id","kind","reference")
);

-- AddForeignKey
ALTER TABLE "order_effects" ADD CONSTRAINT "order_effects_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Backfill: what orders already knew (their one payment and reservation), so late replies keep
-- being matched against them.
INSERT INTO "order_effects" ("order_id", "kind", "reference", "amount", "currency", "received_at")
SELECT "id", 'payment', "payment_id", "paid_amount", "currency", "updated_at"
FROM "orders" WHERE "payment_id" IS NOT NULL;
INSERT INTO "order_effects" ("order_id", "kind", "reference", "received_at")
SELECT "id", 'reservation', "reservation_id", "updated_at"
FROM "orders" WHERE "reservation_id" IS NOT NULL;
