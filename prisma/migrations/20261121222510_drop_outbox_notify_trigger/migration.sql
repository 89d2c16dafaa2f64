-- The relay is now woken by the stores after their commit (src/workers/outbox-signal.ts), and
-- other instances by a debounced pg_notify sent outside business transactions. A NOTIFY inside
-- the transaction made every commit that wrote outbox rows take Postgres' one notify lock and
-- hold it through the commit's WAL flush: such commits ran one at a time, with no group commit.
DROP TRIGGER IF EXISTS outbox_inserted ON "outbox";
DROP FUNCTION IF EXISTS notify_outbox_inserted();
