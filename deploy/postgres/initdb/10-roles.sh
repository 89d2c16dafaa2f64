#!/bin/sh
# Runs once, when the Postgres container initialises an empty data directory (docker-compose.yml).
# Two roles besides the superuser:
#   order_owner    owns the database and its tables; migrations run as it (npm run db:migrate)
#   order_service  what the service runs as: rows only (20-service-role-grants.sql), no DDL
# Passwords come from the environment, never from this file or the image.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v owner_password="$ORDER_OWNER_DB_PASSWORD" \
  -v service_password="$ORDER_SERVICE_DB_PASSWORD" <<'SQL'
CREATE ROLE order_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE order_service LOGIN PASSWORD :'service_password';
ALTER DATABASE orders OWNER TO order_owner;
REVOKE ALL ON DATABASE orders FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE orders TO order_owner, order_service;
SQL
