# shellcheck shell=bash
# PostgreSQL (Debian's postgresql package) on 127.0.0.1:55432, data under .run/postgres, run as the
# `postgres` system user (the server refuses to run as root). TCP only, password auth, fsync off: test data.

postgres_bin() {
  local initdb
  initdb="$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$initdb" ] || die "postgresql is not installed"
  dirname "$initdb"
}

as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }

# The data directory: .run/postgres/data, unless the `postgres` user cannot reach .run (a checkout under a
# private folder); then a folder of its own under /var/tmp, named after the checkout.
postgres_data_dir() {
  mkdir -p "$RUN_DIR/postgres"
  chmod o+x "$ENV_ROOT" "$RUN_DIR" "$RUN_DIR/postgres" 2>/dev/null || true
  if as_postgres test -x "$RUN_DIR/postgres"; then
    echo "$RUN_DIR/postgres/data"
  else
    echo "/var/tmp/safe-updater-postgres-$(printf '%s' "$ENV_ROOT" | cksum | cut -d' ' -f1)/data"
  fi
}

postgres_install() {
  apt_ensure postgresql
  local data bin
  data="$(postgres_data_dir)"
  [ -f "$data/PG_VERSION" ] && return 0
  bin="$(postgres_bin)"
  log "postgres: initdb in $data"
  mkdir -p "$data"
  printf '%s\n' "$POSTGRES_PASSWORD" >"$(dirname "$data")/pwfile"
  chown -R postgres:postgres "$(dirname "$data")"
  chmod 700 "$data"
  as_postgres "$bin/initdb" -D "$data" -U "$POSTGRES_USER" --pwfile="$(dirname "$data")/pwfile" \
    --auth=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >>"$LOG_DIR/postgres.log" 2>&1 ||
    die "initdb failed (see $LOG_DIR/postgres.log)"
  rm -f "$(dirname "$data")/pwfile"
}

postgres_ready() {
  PGPASSWORD="$POSTGRES_PASSWORD" "$(postgres_bin)/psql" -h 127.0.0.1 -p "$POSTGRES_PORT" -U "$POSTGRES_USER" \
    -d postgres -tAc 'select 1' 2>/dev/null | grep -q 1
}

postgres_start() {
  if ! is_running postgres; then
    require_port postgres "$POSTGRES_PORT"
    start_daemon postgres setpriv --reuid=postgres --regid=postgres --init-groups \
      "$(postgres_bin)/postgres" -D "$(postgres_data_dir)" -p "$POSTGRES_PORT" \
      -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=off -c synchronous_commit=off \
      -c full_page_writes=off -c max_connections=200
  fi
  wait_until 60 "postgres on :$POSTGRES_PORT" postgres_ready
  local psql=("$(postgres_bin)/psql" -h 127.0.0.1 -p "$POSTGRES_PORT" -U "$POSTGRES_USER" -d postgres -tA)
  if ! PGPASSWORD="$POSTGRES_PASSWORD" "${psql[@]}" -c "select 1 from pg_database where datname='$POSTGRES_DB'" |
    grep -q 1; then
    PGPASSWORD="$POSTGRES_PASSWORD" "${psql[@]}" -c "create database $POSTGRES_DB" >/dev/null
  fi
  env_json_merge postgres "$(printf '{"url":"postgres://%s:%s@127.0.0.1:%s/%s"}' \
    "$POSTGRES_USER" "$POSTGRES_PASSWORD" "$POSTGRES_PORT" "$POSTGRES_DB")"
}

postgres_stop() {
  stop_daemon postgres
  env_json_drop postgres
}
