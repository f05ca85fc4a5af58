# shellcheck shell=bash
# podman's Docker-compatible API on .run/podman/podman.sock, with project-local configuration and storage:
# crun fails in this sandbox (setrlimit, hybrid cgroups), so runc with explicit ulimits; registries.conf marks
# the local registries insecure (plain HTTP). env/podman-healthchecks.mjs runs HEALTHCHECKs as Docker would.
# To use the podman CLI against the same storage: `source .run/podman/env.sh`.

PODMAN_DIR="$RUN_DIR/podman"

podman_env() {
  export CONTAINERS_CONF="$PODMAN_DIR/containers.conf"
  export CONTAINERS_STORAGE_CONF="$PODMAN_DIR/storage.conf"
  export CONTAINERS_REGISTRIES_CONF="$PODMAN_DIR/registries.conf"
}

podman_install() {
  apt_ensure podman runc uidmap iptables
  mkdir -p "$PODMAN_DIR"
  cat >"$PODMAN_DIR/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$PODMAN_DIR/events.log"
CONF
  cat >"$PODMAN_DIR/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$PODMAN_DIR/storage"
runroot = "$PODMAN_DIR/runroot"
CONF
  {
    echo 'unqualified-search-registries = []'
    local port
    for port in "$REGISTRY_ANON_PORT" "$REGISTRY_BASIC_PORT" "$REGISTRY_TOKEN_PORT"; do
      printf '\n[[registry]]\nlocation = "127.0.0.1:%s"\ninsecure = true\n' "$port"
      printf '\n[[registry]]\nlocation = "localhost:%s"\ninsecure = true\n' "$port"
    done
  } >"$PODMAN_DIR/registries.conf"
  cat >"$PODMAN_DIR/env.sh" <<SH
export CONTAINERS_CONF="$PODMAN_DIR/containers.conf"
export CONTAINERS_STORAGE_CONF="$PODMAN_DIR/storage.conf"
export CONTAINERS_REGISTRIES_CONF="$PODMAN_DIR/registries.conf"
export DOCKER_HOST="unix://$PODMAN_DIR/podman.sock"
SH
}

podman_api_ok() { curl -fsS --max-time 5 --unix-socket "$PODMAN_DIR/podman.sock" http://d/v1.41/_ping; }

podman_start() {
  podman_env
  if ! is_running podman; then
    rm -f "$PODMAN_DIR/podman.sock"
    start_daemon podman podman system service --time=0 "unix://$PODMAN_DIR/podman.sock"
  fi
  wait_until 60 "podman API on $PODMAN_DIR/podman.sock" podman_api_ok
  if ! is_running podman-healthchecks; then
    start_daemon podman-healthchecks node "$ENV_DIR/podman-healthchecks.mjs" --socket "$PODMAN_DIR/podman.sock"
  fi
  env_json_merge docker "$(printf '{"socket":"%s","host":"unix://%s"}' \
    "$PODMAN_DIR/podman.sock" "$PODMAN_DIR/podman.sock")"
}

podman_stop() {
  stop_daemon podman-healthchecks
  if is_running podman; then
    podman_env
    # Containers left by tests would keep conmon processes alive after the API service is gone.
    podman rm -af -t 2 >/dev/null 2>&1 || true
  fi
  stop_daemon podman
  env_json_drop docker
}
