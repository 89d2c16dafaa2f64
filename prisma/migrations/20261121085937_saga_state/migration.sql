-- AlterTable
ALTER TABLE "orders" ADD COLUMN     "paid_amount" BIGINT,
ADD COLUMN     "payment_id" TEXT,
ADD COLUMN     "reservation_id" TEXT,
ADD COLUMN     "step_deadline_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "processed_events" ADD COLUMN     "order_id" UUID,
ADD COLUMN     "outcome" TEXT NOT NULL DEFAULT 'applied';

-- CreateIndex
CREATE INDEX "orders_step_deadline_at_idx" ON "orders"("step_deadline_at");
