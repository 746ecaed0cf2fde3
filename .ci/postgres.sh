#!/usr/bin/env bash
# Starts Debian's PostgreSQL (installing it if root and missing) with a `cashier` role and a `cashier_test`
# database, for the tests that run against a real server. Prints the connection URL as its last line.
set -euo pipefail
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$version main" || pg_createcluster "$version" main >/dev/null
pg_ctlcluster "$version" main start 2>/dev/null || pg_ctlcluster "$version" main status >/dev/null
for _ in $(seq 1 30); do
  su postgres -c "pg_isready -q" && break
  sleep 1
done
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname = 'cashier'\"" | grep -q 1 ||
  su postgres -c "psql -qc \"CREATE ROLE cashier LOGIN SUPERUSER PASSWORD 'cashier'\""
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname = 'cashier_test'\"" | grep -q 1 ||
  su postgres -c "createdb -O cashier cashier_test"
echo "postgres://cashier:cashier@127.0.0.1:5432/cashier_test"
