# shellcheck shell=bash
# PostgreSQL (Debian's postgresql package) on 127.0.0.1:55432, data under .run/postgres, run as the
# `postgres` system user (the server refuses to run as root). TCP only, password auth, fsync off: test data.

postgres_bin() {
  local initdb
  initdb="$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$initdb" ] || die "postgresql is not installed"
  dirname "$initdb"
}

postgres_install() {
  apt_ensure postgresql
  local data="$RUN_DIR/postgres/data" bin
  [ -f "$data/PG_VERSION" ] && return 0
  bin="$(postgres_bin)"
  log "postgres: initdb"
  mkdir -p "$data"
  printf '%s\n' "$POSTGRES_PASSWORD" >"$RUN_DIR/postgres/pwfile"
  chown -R postgres:postgres "$RUN_DIR/postgres"
  chmod 700 "$data"
  setpriv --reuid=postgres --regid=postgres --init-groups "$bin/initdb" -D "$data" -U "$POSTGRES_USER" \
    --pwfile="$RUN_DIR/postgres/pwfile" --auth=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 \
    >>"$LOG_DIR/postgres.log" 2>&1 || die "initdb failed (see $LOG_DIR/postgres.log)"
  rm -f "$RUN_DIR/postgres/pwfile"
}

postgres_ready() {
  PGPASSWORD="$POSTGRES_PASSWORD" "$(postgres_bin)/psql" -h 127.0.0.1 -p "$POSTGRES_PORT" -U "$POSTGRES_USER" \
    -d postgres -tAc 'select 1' 2>/dev/null | grep -q 1
}

postgres_start() {
  if ! is_running postgres; then
    require_port postgres "$POSTGRES_PORT"
    # The server must be able to reach its data directory through every parent folder.
    chmod o+x "$ENV_ROOT" "$RUN_DIR" 2>/dev/null || true
    start_daemon postgres setpriv --reuid=postgres --regid=postgres --init-groups \
      "$(postgres_bin)/postgres" -D "$RUN_DIR/postgres/data" -p "$POSTGRES_PORT" \
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
