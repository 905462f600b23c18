# Sourced by .ci/run and bin/smoke: start the PostgreSQL and Redis servers of the production
# configuration on loopback (installed by the system package step), once.

# PostgreSQL's main cluster on 127.0.0.1:5432, with the login role `steward` (password steward-ci)
# and its database `steward`.
start_postgres() {
  local pg_version
  pg_version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
  if ! pg_lsclusters -h | grep -q "^$pg_version main"; then
    pg_createcluster "$pg_version" main >/dev/null
  fi
  pg_ctlcluster "$pg_version" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
  runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'steward') THEN
    CREATE ROLE steward LOGIN CREATEDB PASSWORD 'steward-ci';
  END IF;
END $$;
SQL
  runuser -u postgres -- psql -q -tc "SELECT 1 FROM pg_database WHERE datname = 'steward'" | grep -q 1 \
    || runuser -u postgres -- createdb -O steward steward
}

# Redis on 127.0.0.1:$1 (default 6379), without persistence.
start_redis() {
  local port=${1:-6379}
  if ! redis-cli -p "$port" ping >/dev/null 2>&1; then
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes
  fi
  for _ in $(seq 1 30); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 1; done
}
