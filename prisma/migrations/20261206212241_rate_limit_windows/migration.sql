-- CreateTable
CREATE TABLE "rate_limit_windows" (
    "key" TEXT NOT NULL,
    "window_start" TIMESTAMPTZ(3) NOT NULL,
    "hits" INTEGER NOT NULL,

    CONSTRAINT "rate_limit_windows_pkey" PRIMARY KEY ("key")
);

-- Counts that may be lost in a crash (a caller gets a fresh window): no WAL, so the one
-- statement per API request does not wait for a WAL flush. Prisma's schema cannot say
-- UNLOGGED; its drift check does not compare it.
ALTER TABLE "rate_limit_windows" SET UNLOGGED;
