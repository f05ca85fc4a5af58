# shellcheck shell=bash
# Three Distribution registries (Debian's docker-registry, 2.8.2) with separate storage under .run/registry:
#   :5001 anonymous; :5002 htpasswd basic auth; :5003 bearer-token auth (realm: env/token-server.mjs on :5004).

REGISTRY_NAMES=(anonymous basic token)
declare -A REGISTRY_PORTS=([anonymous]=$REGISTRY_ANON_PORT [basic]=$REGISTRY_BASIC_PORT [token]=$REGISTRY_TOKEN_PORT)
REGISTRY_TOKEN_SERVICE="safe-updater-registry"
REGISTRY_TOKEN_ISSUER="safe-updater-token-server"

registry_install() {
  apt_ensure docker-registry apache2-utils openssl
  local dir="$RUN_DIR/registry" name auth
  mkdir -p "$dir"
  if [ ! -s "$dir/basic.htpasswd" ]; then
    htpasswd -Bbn "$REGISTRY_BASIC_USER" "$REGISTRY_BASIC_PASSWORD" >"$dir/basic.htpasswd"
  fi
  if [ ! -s "$dir/token.crt" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=$REGISTRY_TOKEN_ISSUER" \
      -keyout "$dir/token.key" -out "$dir/token.crt" >>"$LOG_DIR/registry-certs.log" 2>&1
  fi
  printf '%s:%s\n' "$REGISTRY_TOKEN_USER" "$REGISTRY_TOKEN_PASSWORD" >"$dir/token.users"
  for name in "${REGISTRY_NAMES[@]}"; do
    case "$name" in
      anonymous) auth="" ;;
      basic) auth="auth:
  htpasswd:
    realm: safe-updater-basic
    path: $dir/basic.htpasswd" ;;
      token) auth="auth:
  token:
    realm: http://127.0.0.1:$TOKEN_SERVER_PORT/token
    service: $REGISTRY_TOKEN_SERVICE
    issuer: $REGISTRY_TOKEN_ISSUER
    rootcertbundle: $dir/token.crt" ;;
    esac
    mkdir -p "$dir/$name/data"
    cat >"$dir/$name/config.yml" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/$name/data
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:${REGISTRY_PORTS[$name]}
  secret: safe-updater-local-$name
  headers:
    X-Content-Type-Options: [nosniff]
$auth
YAML
  done
}

registry_healthy() { curl -sS -o /dev/null --max-time 5 -w '%{http_code}' "http://127.0.0.1:$1/v2/" | grep -qE '^(200|401)$'; }

registry_start() {
  local dir="$RUN_DIR/registry" name
  if ! is_running registry-token-server; then
    require_port registry-token-server "$TOKEN_SERVER_PORT"
    start_daemon registry-token-server node "$ENV_DIR/token-server.mjs" --port "$TOKEN_SERVER_PORT" \
      --key "$dir/token.key" --cert "$dir/token.crt" --issuer "$REGISTRY_TOKEN_ISSUER" \
      --service "$REGISTRY_TOKEN_SERVICE" --users "$dir/token.users"
  fi
  for name in "${REGISTRY_NAMES[@]}"; do
    if ! is_running "registry-$name"; then
      require_port "registry-$name" "${REGISTRY_PORTS[$name]}"
      start_daemon "registry-$name" docker-registry serve "$dir/$name/config.yml"
    fi
  done
  wait_until 30 "token server on :$TOKEN_SERVER_PORT" http_ok "http://127.0.0.1:$TOKEN_SERVER_PORT/healthz"
  for name in "${REGISTRY_NAMES[@]}"; do
    wait_until 30 "registry $name on :${REGISTRY_PORTS[$name]}" registry_healthy "${REGISTRY_PORTS[$name]}"
  done
  env_json_merge registries "$(
    cat <<JSON
{
  "anonymous": { "host": "127.0.0.1:$REGISTRY_ANON_PORT" },
  "basic": { "host": "127.0.0.1:$REGISTRY_BASIC_PORT", "username": "$REGISTRY_BASIC_USER", "password": "$REGISTRY_BASIC_PASSWORD" },
  "token": { "host": "127.0.0.1:$REGISTRY_TOKEN_PORT", "username": "$REGISTRY_TOKEN_USER", "password": "$REGISTRY_TOKEN_PASSWORD",
             "realm": "http://127.0.0.1:$TOKEN_SERVER_PORT/token", "service": "$REGISTRY_TOKEN_SERVICE" }
}
JSON
  )"
}

registry_stop() {
  local name
  for name in "${REGISTRY_NAMES[@]}"; do stop_daemon "registry-$name"; done
  stop_daemon registry-token-server
  env_json_drop registries
}
