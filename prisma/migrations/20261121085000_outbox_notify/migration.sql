-- Wake the outbox relay as soon as a transaction that wrote outbox rows commits.
-- Postgres delivers NOTIFY only on commit and folds duplicates within a transaction, so one
-- statement-level notification per insert is cheap. Hand-written: Prisma's schema language has
-- no triggers, and `db-migrate check` ignores them.
CREATE OR REPLACE FUNCTION notify_outbox_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('outbox_inserted', '');
  RETURN NULL;
END;
$$;

CREATE TRIGGER outbox_inserted
AFTER INSERT ON "outbox"
FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox_inserted();
