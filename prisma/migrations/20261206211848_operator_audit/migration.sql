-- CreateTable
CREATE TABLE "operator_audit" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "via" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "result" TEXT NOT NULL,

    CONSTRAINT "operator_audit_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "operator_audit_at_idx" ON "operator_audit"("at");

-- CreateIndex
CREATE INDEX "operator_audit_target_idx" ON "operator_audit"("target");


-- Append-only. Whatever role the service runs as got UPDATE and DELETE on this table through the
-- default privileges of deploy/postgres/initdb/20-service-role-grants.sql: take them back from
-- every role but the owner, whatever its name. The grants file revokes them again when rerun.
DO $$
DECLARE
  grantee_name text;
BEGIN
  FOR grantee_name IN
    SELECT DISTINCT grantee FROM information_schema.role_table_grants
    WHERE table_schema = current_schema() AND table_name = 'operator_audit'
      AND privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE') AND grantee <> current_user
  LOOP
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON "operator_audit" FROM %I', grantee_name);
  END LOOP;
END
$$;

-- The second line: no role, the owner included, changes or removes a row without first
-- dropping these triggers (DDL, which the service's role may not do). The insert trigger keeps
-- actions to the ones the tools know (a CHECK constraint would do, but Prisma's schema engine
-- cannot introspect one and the drift check would stop).
CREATE FUNCTION "operator_audit_guard"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW."action" NOT IN ('replay', 'skip', 'cancel', 'reveal', 'mark', 'unmark') THEN
      RAISE EXCEPTION 'operator_audit: unknown action %', NEW."action"
        USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'operator_audit is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER "operator_audit_known_action"
  BEFORE INSERT ON "operator_audit"
  FOR EACH ROW EXECUTE FUNCTION "operator_audit_guard"();

CREATE TRIGGER "operator_audit_append_only"
  BEFORE UPDATE OR DELETE ON "operator_audit"
  FOR EACH ROW EXECUTE FUNCTION "operator_audit_guard"();

CREATE TRIGGER "operator_audit_no_truncate"
  BEFORE TRUNCATE ON "operator_audit"
  FOR EACH STATEMENT EXECUTE FUNCTION "operator_audit_guard"();
