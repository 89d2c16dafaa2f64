-- What the service's own role (order_service) may do in the orders database: read and write
-- rows. No DDL, no TRUNCATE, no ownership: a compromised service cannot drop or alter a table.
-- Tables are created by migrations running as order_owner; the default privileges below reach
-- every table those migrations create, now and later. Safe to run again.
-- test/integration/least-privilege-role.test.ts runs this file against a real Postgres.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO order_service;

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO order_service;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO order_service;

ALTER DEFAULT PRIVILEGES FOR ROLE order_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO order_service;
ALTER DEFAULT PRIVILEGES FOR ROLE order_owner IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO order_service;

-- The operators' audit is append-only (prisma/migrations/*_operator_audit): the role may add and
-- read rows, never change or remove them. Revoked again here because the grant on all tables
-- above would otherwise give UPDATE and DELETE back when this file is rerun.
DO $$
BEGIN
  IF to_regclass('public.operator_audit') IS NOT NULL THEN
    REVOKE UPDATE, DELETE, TRUNCATE ON public.operator_audit FROM order_service;
  END IF;
END
$$;
