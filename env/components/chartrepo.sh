# shellcheck shell=bash
# Two HTTP chart repositories serving the fixture charts (.run/fixtures/charts: index.yaml with relative
# URLs + .tgz): :8879 anonymous, :8880 behind basic auth (env/chart-server.mjs).

chartrepo_install() { :; }

chartrepo_start() {
  local dir="$RUN_DIR/fixtures/charts"
  [ -f "$dir/index.yaml" ] || die "no fixture charts in $dir: run env/up.sh fixtures"
  if ! is_running chartrepo-anonymous; then
    require_port chartrepo-anonymous "$CHARTREPO_ANON_PORT"
    start_daemon chartrepo-anonymous node "$ENV_DIR/chart-server.mjs" --port "$CHARTREPO_ANON_PORT" --dir "$dir"
  fi
  if ! is_running chartrepo-basic; then
    require_port chartrepo-basic "$CHARTREPO_BASIC_PORT"
    start_daemon chartrepo-basic node "$ENV_DIR/chart-server.mjs" --port "$CHARTREPO_BASIC_PORT" --dir "$dir" \
      --username "$CHARTREPO_USER" --password "$CHARTREPO_PASSWORD"
  fi
  wait_until 30 "chart repository on :$CHARTREPO_ANON_PORT" http_ok "http://127.0.0.1:$CHARTREPO_ANON_PORT/index.yaml"
  wait_until 30 "chart repository on :$CHARTREPO_BASIC_PORT" http_ok \
    -u "$CHARTREPO_USER:$CHARTREPO_PASSWORD" "http://127.0.0.1:$CHARTREPO_BASIC_PORT/index.yaml"
  env_json_merge chartRepos "$(printf '{"anonymous":"http://127.0.0.1:%s","basic":{"url":"http://127.0.0.1:%s","username":"%s","password":"%s"}}' \
    "$CHARTREPO_ANON_PORT" "$CHARTREPO_BASIC_PORT" "$CHARTREPO_USER" "$CHARTREPO_PASSWORD")"
}

chartrepo_stop() {
  stop_daemon chartrepo-basic
  stop_daemon chartrepo-anonymous
  env_json_drop chartRepos
}
